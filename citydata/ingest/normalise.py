"""Cell values to canonical values: text, money, hosting, service areas, satisfaction, skills.

Each scalar function takes a cell as read (text, or a number/date from a workbook) and returns
(value, refusal reason or None, warning or None). `per_unique` applies one to a whole column by
working out each distinct value once, so a 100,000-row register costs as many calls as it has
distinct values, not rows.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import numpy as np
import pandas as pd

from citydata.core import skills
from citydata.core.keys import fold_words
from citydata.core.schema import (
    HOSTING_VALUES,
    OTHER,
    SERVICE_AREAS,
    hosting_label,
    service_area_label,
)
from citydata.core.text import starts_formula
from citydata.ingest import xlerrors

Result = tuple[Any, str | None, str | None]  # (value, refusal, warning)
MAX_VALUE = Decimal("1e15")
PENNY = Decimal("0.01")

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200d\u2060\ufeff]")
_SPACE = re.compile(r"[\s\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-f]+|[a-z]+\d*);", re.IGNORECASE)
_FORCED_TEXT = re.compile(r"'(?=[=+\-@0-9])")
# Text that clean_text leaves as it is: no space at either end or twice in a row, no tab, line
# break, control or invisible character, no '&' (an entity?) and no leading apostrophe. The
# pattern reads the same in Python's re and in DuckDB's regexp_full_match (RE2), so the SQL path
# keeps such text as it is and sends only the rest through clean_text.
_UNCLEAN = "\\x00-\\x20&\\x7f-\\xa0\u1680\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff"
CLEAN_TEXT = f"[^{_UNCLEAN}'](?: ?[^{_UNCLEAN}])*"
_CLEAN_TEXT = re.compile(CLEAN_TEXT)


def per_unique(series: pd.Series, fn: Callable[[Any], Result]) -> tuple[list, list, list]:
    """fn over each distinct value of `series`: (values, refusals, warnings), one per row."""
    codes, uniques = pd.factorize(series.astype(object), use_na_sentinel=True)
    results = [fn(u) for u in uniques] + [fn(None)]
    codes = np.where(codes < 0, len(uniques), codes)
    values, refusals, warnings = (np.empty(len(results), dtype=object) for _ in range(3))
    for i, (v, r, w) in enumerate(results):
        values[i], refusals[i], warnings[i] = v, r, w
    return list(values[codes]), list(refusals[codes]), list(warnings[codes])


def clean_text(value: Any) -> str | None:
    """Trimmed text: entities decoded, control characters gone, spaces collapsed; None if blank."""
    if type(value) is str and _CLEAN_TEXT.fullmatch(value):
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif hasattr(value, "isoformat"):
        text = value.isoformat()
    else:
        text = str(value)
    for _ in range(2):  # 'LL&amp;amp;T' was escaped twice by some exports
        if "&" in text and _ENTITY.search(text):
            text = html.unescape(text)
    text = _SPACE.sub(" ", _CONTROL.sub("", text.replace("\t", " "))).strip()
    if text.startswith("'") and (_FORCED_TEXT.match(text) or starts_formula(text[1:])):
        # Excel's "store as text" apostrophe: '0123, '+44..., '=x, and what our own downloads
        # put before a formula look-alike ('＠, '－) or one behind a space (' =x: trimmed)
        text = text[1:].lstrip()
    return text or None


def text_rule(what: str) -> Callable[[Any], Result]:
    """The rule for a field of free text whose value is `what` ('a vendor's name'): the text
    cleaned (`clean_text`), a word for no value (`NO_VALUE`) read as none, and an Excel error
    (#N/A...) refused, not kept as the name."""

    def read(value: Any) -> Result:
        text = clean_text(value)
        if (error := xlerrors.error(text)) is not None:
            return None, xlerrors.reason(error, what), None
        if text is not None and text.lower() in NO_VALUE:  # '-', 'n/a', 'TBC': no name given
            return None, None, None
        return text, None, None

    return read


# The rule for each field of free text (`supplier_result` reads a packed supplier column)
TEXT_RULES: dict[str, Callable[[Any], Result]] = {
    "system": text_rule("a system's name"),
    "vendor": text_rule("a vendor's name"),
    "manufacturer": text_rule("a manufacturer's name"),
    "source_ref": text_rule("a reference"),
}


def supplier_result(value: Any) -> Result:
    """Contracts Finder packs 'Name|Address|Ref type|Ref number|Is SME|Is VCSE': the name."""
    text = clean_text(value)
    if (error := xlerrors.error(text)) is not None:
        return None, xlerrors.reason(error, "a supplier's name"), None
    name = text.split("|")[0].strip() if text else ""
    return (name if name and name.lower() not in NO_VALUE else None), None, None


_MONEY_NOISE = re.compile(
    r"£|\bgbp\b|\bstg\b|\bsterling\b|\bper (annum|year|yr)\b|(?<=[0-9kmn.\s])p\.?\s?a\.?$"
    r"|/\s?(yr|year|annum)\b"
    r"|\ba year\b|\+?\s?vat\b|\b(ex|exc|excl|excluding|inc|incl|including)\.? vat\b|\s"
)
_GROUPED = re.compile(r"-?\d{1,3}(,\d{3})+(\.\d*)?[a-z]*")
_NOT_POUNDS = re.compile(r"[$€¥]|\b(usd|eur|euro|euros|dollars?)\b")
# Amounts as most registers write them, read the same way by Python here and by DuckDB's
# regexp_full_match and CAST in citydata.ingest.bulk: plain pounds and pence, and pounds with
# a £ sign and thousands commas. Under 1e15 by their length; anything else: money_result.
PLAIN_MONEY = r"[0-9]{1,15}(\.[0-9]{1,2})?"
GROUPED_POUNDS = r"£?[0-9]{1,3}(,[0-9]{3}){0,4}(\.[0-9]{1,2})?"
_PLAIN_NUMBER = re.compile(PLAIN_MONEY)
_GROUPED_POUNDS = re.compile(GROUPED_POUNDS)
_NUMBER = re.compile(r"(-)?(\d+(?:\.\d*)?|\.\d+)(k|m|mn|bn|million|billion)?")
_SCALE = {
    "k": 1_000,
    "m": 1_000_000,
    "mn": 1_000_000,
    "million": 1_000_000,
    "bn": 10**9,
    "billion": 10**9,
}
# Words that mean a cell holds no value, in every field: 'n/a', '-', 'TBC', 'unknown'... (not
# Excel's #N/A: an error, which the rules refuse, see xlerrors)
NO_VALUE = frozenset(
    {"", "n/a", "na", "n.a.", "-", "--", "tbc", "tba", "unknown", "not known", "nil", "none",
     "null", "various", "?", "nk", "n/k", "not applicable"}
)  # fmt: skip


_WRITE_MONEY = " (write it as 1234567.89)"  # what every "not an amount of money" adds


def money_result(value: Any) -> Result:
    """Pounds as a Decimal to the penny; blank and 'n/a' are no value; negatives are refused."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None, None, None
    if isinstance(value, bool):
        return None, f"'{value}' is not an amount of money{_WRITE_MONEY}.", None
    if not isinstance(value, int | float | str):  # a date, time or duration cell of a workbook
        written = value.isoformat() if hasattr(value, "isoformat") else str(value)
        return None, f"'{written}' is a date or a time, not an amount of money.", None
    if isinstance(value, (int, float)):
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        written = f"{value:,}"
    elif _PLAIN_NUMBER.fullmatch(value):  # the common case, quickly: '1234.5'
        return Decimal(value).quantize(PENNY, rounding=ROUND_HALF_UP), None, None
    elif _GROUPED_POUNDS.fullmatch(value):  # '£1,234.50'
        plain = value.replace("£", "").replace(",", "")
        return Decimal(plain).quantize(PENNY, rounding=ROUND_HALF_UP), None, None
    else:
        written = _SPACE.sub(" ", str(value)).strip()
        text = written.lower().replace("−", "-").replace("–", "-")
        if text in NO_VALUE:
            return None, None, None
        if xlerrors.ERROR.fullmatch(text):
            return None, xlerrors.reason(written, "an amount"), None
        if _NOT_POUNDS.search(text):
            return None, f"'{written}' is not in pounds.", None
        negative = text.startswith("(") and text.endswith(")")
        text = _MONEY_NOISE.sub("", text.strip("()"))
        if "," in text and _GROUPED.fullmatch(text):
            text = text.replace(",", "")
        m = _NUMBER.fullmatch(text)
        if not m:
            return None, f"'{written}' is not an amount of money{_WRITE_MONEY}.", None
        try:
            amount = Decimal(m[2]) * _SCALE.get(m[3] or "", 1)
        except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
            return None, f"'{written}' is not an amount of money{_WRITE_MONEY}.", None
        if m[1] or negative:
            amount = -amount
    if not amount.is_finite():  # Infinity in a JSON file ('inf' to Python)
        written = written.replace("inf", "Infinity")
        return None, f"'{written}' is not an amount of money{_WRITE_MONEY}.", None
    if amount < 0:
        return None, f"The value {written} is negative; a contract's value cannot be.", None
    if amount < MAX_VALUE:
        amount = amount.quantize(PENNY, rounding=ROUND_HALF_UP)
    if amount >= MAX_VALUE:  # (999,999,999,999,999.995 too: to the penny, it is the limit)
        return None, f"The value {written} is too large to be a contract's value.", None
    return amount, None, None


def satisfaction_result(value: Any) -> Result:
    """A whole number from 1 to 5 ('4', 4.0, '4/5' and '4 out of 5' are 4); blank is none."""
    text = clean_text(value)
    if (error := xlerrors.error(text)) is not None:
        return None, xlerrors.reason(error, "a satisfaction score"), None
    if text is None or text.lower() in NO_VALUE:
        return None, None, None
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(?:/\s*5|out of 5)?", text.lower())
    reason = f"Satisfaction must be a whole number from 1 (poor) to 5 (good), not '{text}'."
    if not m:
        return None, reason, None
    number = float(m[1])
    if not number.is_integer() or not 1 <= number <= 5:
        return None, reason, None
    return int(number), None, None


def skill_result(value: Any) -> Result:
    """One of the skill levels (None, Basic, Intermediate, Expert); blank is not recorded."""
    text = clean_text(value)
    if (error := xlerrors.error(text)) is not None:
        return None, xlerrors.reason(error, "a skill level"), None
    if text is None or (text.lower() in NO_VALUE and text.lower() != "none"):
        return None, None, None
    label = skills.skill_label(text)
    if label is None:
        known = ", ".join(skills.SKILL_LEVELS)
        return None, f"The in-house skill level must be one of {known}, not '{text}'.", None
    return label, None, None


def role_result(value: Any) -> Result:
    """A contact role ('Systems manager'); a person's e-mail or telephone number is refused, a
    name is left out with a warning: the register is shared, people's details do not go in it."""
    text = clean_text(value)
    if (error := xlerrors.error(text)) is not None:
        return None, xlerrors.reason(error, "a contact role"), None
    if text is None or text.lower() in NO_VALUE:
        return None, None, None
    why = skills.role_problem(text)
    if why in ("an e-mail address", "a telephone number"):
        return (
            None,
            f"'{text}' holds {why}: give a role (such as 'Systems manager'), not a person's "
            "contact details.",
            None,
        )
    if why is not None:
        return (
            None,
            None,
            f"'{text}' looks like {why}, not a role: left blank. Write a role, such as "
            "'Systems manager' or 'ICT service desk'.",
        )
    if len(text) > skills.MAX_ROLE:
        return (
            None,
            None,
            f"The contact role is longer than {skills.MAX_ROLE} characters: left blank. "
            "Write a short role, such as 'Systems manager'.",
        )
    return text, None, None


def hosting_result(value: Any) -> Result:
    text = clean_text(value)
    if (error := xlerrors.error(text)) is not None:
        return None, xlerrors.reason(error, "a kind of hosting"), None
    if text is None or text.lower() in NO_VALUE:
        return None, None, None
    label = hosting_label(text)
    if label is None:
        known = ", ".join(HOSTING_VALUES)
        return None, None, f"'{text}' is not a kind of hosting we know ({known}): left blank."
    return label, None, None


# Known words for each area, longest first, for names that contain one ('Adults' and
# Community Services', 'Environmental Services Department').
_AREA_WORDS: list[tuple[re.Pattern[str], str, int]] = sorted(
    (
        (re.compile(rf"\b{re.escape(fold_words(w))}\b"), a.label, len(fold_words(w)))
        for a in SERVICE_AREAS
        if a.label != OTHER
        for w in (a.label, a.key.replace("_", " "), *a.synonyms)
        if len(fold_words(w)) >= 3
    ),
    key=lambda item: -item[2],
)


def area_result(value: Any) -> Result:
    """A taxonomy label; a name containing a known area is read as it, with a warning."""
    text = clean_text(value)
    if (error := xlerrors.error(text)) is not None:
        return OTHER, xlerrors.reason(error, "a service area"), None
    if text is None:
        return OTHER, None, "No service area given: filed under 'Other'."
    label = service_area_label(text)
    if label is not None:
        return label, None, None
    folded = fold_words(text)
    found = [(label, size) for pattern, label, size in _AREA_WORDS if pattern.search(folded)]
    if found:
        longest = found[0][1]
        labels = {label for label, size in found if size == longest}
        if len(labels) == 1:
            label = labels.pop()
            return label, None, f"Service area '{text}' was read as '{label}'."
    return OTHER, None, f"'{text}' is not a service area we know: filed under 'Other'."
