"""How values are written for people: one formatter per kind of value, used by every page,
chart, briefing, calendar file and message.

- money: `money` short ('£950', '£12.3k', '£1.25m') for figures, charts and briefings;
  `money_in_full` ('£200,000', or '£12,345.00' with pence) where the exact amount matters;
- counts: `count` ('1 contract', '1,234 contracts');
- days: `day` ('1 Apr 2026', or a word for a missing date; citydata.core.dates.day_label);
- shares of a whole shown together: `shares` and `share_column` (percentages to one decimal
  that add up to exactly 100, never 99.9 or 100.1); one share on its own, such as several
  parts' together: `share_of` (the true share rounded once, never a sum of rounded shares).

Text shown through Markdown has one escaper too: citydata.core.text.markdown_literal.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd

from citydata.core.dates import day_label

_UNITS = ((1e9, "bn"), (1e6, "m"), (1e3, "k"))


def _missing(value: Any) -> bool:
    """None, NaN, NaT, pd.NA or an empty string."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


NOT_RECORDED = "Not recorded"  # a figure shown alone (a metric) whose records hold no value


def money(value: Any, digits: int = 3, missing: str = "no value") -> str:
    """Pounds to `digits` significant figures with a unit, trailing zeros dropped.

    >>> [money(v) for v in (950, 12_345, 350_000, 1_234_567, 2_500_000, 999_999, 122_500)]
    ['£950', '£12.3k', '£350k', '£1.23m', '£2.5m', '£1m', '£123k']
    """
    if _missing(value):
        return missing
    amount = float(value)
    sign, amount = ("-" if amount < 0 else ""), abs(amount)
    rounded = _half_up(amount, digits) if math.isfinite(amount) else amount
    for size, unit in _UNITS:
        if rounded >= size:
            return f"{sign}£{_trim(rounded / size, digits)}{unit}"
    return f"{sign}£{rounded:,.0f}"


def _half_up(amount: float, digits: int) -> float:
    """`amount` (not negative) to `digits` significant figures from £1,000, else to the pound,
    a half rounded up as a reader (and money_in_full) rounds it: £122,500 is £123k, £2.50 is
    £3 (Python's formatting sends a half to the even digit: £122k, £2)."""
    exact = Decimal(str(amount))
    step = Decimal(1).scaleb(exact.adjusted() - digits + 1) if amount >= 1_000 else _POUND
    return float(exact.quantize(step, rounding=ROUND_HALF_UP))


def _trim(number: float, digits: int) -> str:
    """`number` with at most `digits` significant figures and no trailing zeros: 1.2, 350."""
    places = max(digits - 1 - math.floor(math.log10(number)), 0) if number else 0
    return f"{number:,.{places}f}".rstrip("0").rstrip(".") if places else f"{number:,.0f}"


def money_in_full(value: Any, pence: bool = False, missing: str = "no value") -> str:
    """The exact amount: '£200,000' (to the pound) or '£12,345.00' (`pence`). A half is
    rounded up, as the pages' tables and a spreadsheet round it (£100,250.50 is £100,251), not
    to the even pound as Python's formatting does."""
    if _missing(value):
        return missing
    amount = Decimal(str(value)) if not isinstance(value, Decimal) else value
    amount = amount.quantize(_PENNY if pence else _POUND, rounding=ROUND_HALF_UP)
    return f"£{amount:,.2f}" if pence else f"£{amount:,.0f}"


_PENNY, _POUND = Decimal("0.01"), Decimal("1")


def whole_percent(share: Any) -> str:
    """A share (a percentage, as tables show it to a tenth) to a whole percent, a half rounded
    up as a reader of the table rounds it: 62.5 is '63%' (Python's formatting writes '62%')."""
    return f"{Decimal(str(float(share))).quantize(_POUND, rounding=ROUND_HALF_UP)}%"


def count(n: int, one: str, many: str | None = None) -> str:
    """'1 contract', '1,234 contracts'; `many` for plurals that are not `one` + 's'."""
    return f"{int(n):,} {one if int(n) == 1 else (many or one + 's')}"


def day(value: Any, missing: str = "not recorded") -> str:
    """'1 Apr 2026' for a date, datetime, Timestamp or ISO text; `missing` when there is none."""
    if _missing(value):
        return missing
    if isinstance(value, datetime | pd.Timestamp):
        value = value.date()
    elif not isinstance(value, date):
        value = pd.Timestamp(value).date()
    return day_label(value)


def shares(parts: Any, decimals: int = 1) -> list[float | None]:
    """Each part's percentage of their sum, rounded to `decimals` places so that the shares
    add up to exactly 100: rounded down, then the hundredth (or tenth...) parts left over go
    one each to the shares that lost most in rounding (the largest remainder method; on a tie,
    the one listed first). Rounding each share on its own shows 33.3 + 33.3 + 33.3 = 99.9, or
    100.1 for others, in a set a reader adds up. A missing part has no share (None); when the
    parts sum to nothing, none has."""
    values = [None if _missing(p) else float(p) for p in parts]
    known = [(i, v) for i, v in enumerate(values) if v is not None]
    total = math.fsum(v for _, v in known)
    out: list[float | None] = [None] * len(values)
    if not known or total <= 0:
        return out
    unit = 10**decimals
    exact = [100 * unit * v / total for _, v in known]
    # (a hair above a whole number from floating point is that number, not one unit less)
    floors = [math.floor(x + 1e-9) for x in exact]
    left = 100 * unit - sum(floors)
    by_loss = sorted(range(len(exact)), key=lambda k: (floors[k] - exact[k], k))
    for k in by_loss[: max(left, 0)]:
        floors[k] += 1
    for (i, _), units in zip(known, floors, strict=True):
        out[i] = units / unit
    return out


def share_of(part: Any, total: Any, decimals: int = 1) -> float | None:
    """`part`'s percentage of `total`, the true share rounded once to `decimals` places, a
    half rounded up as SQL's round() rounds it (1 of 16 is 6.3): for a figure of its own, such
    as the top three vendors' share, which a sum of their rounded shares could put a few
    tenths from the truth. None when either is missing or the total is not above 0."""
    if _missing(part) or _missing(total) or float(total) <= 0:
        return None
    exact = Decimal(str(float(part))) * 100 / Decimal(str(float(total)))
    return float(exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def share_column(parts: pd.Series, groups: pd.Series | None = None) -> pd.Series:
    """`shares` of a column as a float column (NaN for no share), within each group of
    `groups` when given (each service area's vendors adding up to 100)."""
    if groups is None:
        return pd.Series(shares(parts), index=parts.index, dtype="float64")
    found = pd.Series(index=parts.index, dtype="float64")
    for _, rows in parts.groupby(groups, sort=False, dropna=False):
        found.loc[rows.index] = shares(rows)
    return found
