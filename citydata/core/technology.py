"""Which published notices are about technology, and which service area each belongs to.

Data, not code: `data/technology_cpv.csv` lists the CPV code prefixes that make a notice a
technology contract (48 software, 72 IT services, 302 computer equipment, 642 telecommunications,
503 IT repair and support...), and `data/cpv_service_areas.csv` holds the rules that file it under
a service area (`cpv`: a CPV prefix, the longest matching prefix wins; `keyword`: a word or phrase
in the title or description) plus the `technology` words that make a notice without a technology
CPV code count all the same. A steward can edit both files; the product catalogue
(`citydata.core.catalogue`) adds its products' names: a notice naming "Liquidlogic LCS" is a
Children's social care system whatever its CPV code.

Order of evidence for the service area: a catalogue product in the title or description, a
keyword in the title, the most specific CPV rule (longer than two digits), a keyword in the
description, then the general CPV rules (48, 72).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from citydata.core import catalogue, settings
from citydata.core.schema import OTHER, SERVICE_AREA_LABELS

TECHNOLOGY_CPV_PATH = settings.DATA_DIR / "technology_cpv.csv"
SERVICE_AREA_RULES_PATH = settings.DATA_DIR / "cpv_service_areas.csv"
# Product names that are also everyday words: they count only beside their maker's name.
_AMBIGUOUS = frozenset(
    {"Paris", "Confirm", "Alloy", "Uniform", "Synergy", "Assure", "Xpress", "Eclipse", "Mosaic",
     "Arbor", "Koha", "Lilie", "Taranto", "Exor", "QL", "M3", "APP", "CMIS", "Wonde",
     "Enterprise", "Egress"}
)  # fmt: skip
# E-tendering portals: notices name them as where to apply, so they count only in the title.
_PORTALS = frozenset({"ProContract", "In-Tend", "Delta eSourcing", "Proactis", "Jaggaer", "Atamis"})
_CPV = re.compile(r"\b(\d{8})(?:-\d)?\b")


class RulesError(ValueError):
    """A rules file a steward edited that cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Verdict:
    technology: bool
    service_area: str
    why: str  # plain English: what made it technology (or not), and the area


@dataclass(frozen=True)
class Rules:
    technology_cpv: tuple[tuple[str, str], ...]  # (prefix, meaning)
    cpv_areas: tuple[tuple[str, str], ...]  # (prefix, area), longest prefix first
    keywords: tuple[tuple[re.Pattern[str], str, str], ...]  # (pattern, word, area)
    technology_words: tuple[tuple[re.Pattern[str], str], ...]
    products: tuple[tuple[re.Pattern[str], str, str, str], ...]  # (pattern, product, area, needle)
    default_area: str = OTHER  # a technology contract's area when nothing more specific is said


def _rows(path: Path, columns: tuple[str, ...]) -> list[dict[str, str]]:
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:  # saved by a spreadsheet in its own encoding
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise RulesError(
            f"{path.name}, line {line:,}: it is not UTF-8 text. Save the file again as CSV UTF-8."
        ) from None
    except OSError as exc:
        why = f" ({exc.strerror.lower()})" if exc.strerror else ""
        raise RulesError(f"{path.name} cannot be opened on this computer{why}.") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in columns if c not in (reader.fieldnames or [])]
    if missing:
        raise RulesError(f"{path.name} has no column {', '.join(missing)}.")
    return [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]


def _fold(text: str) -> str:
    """`text` folded so that wherever a rule's pattern matches it (ignoring case), the rule's
    `_fold`ed words are in it as they are: a quick test before the pattern itself, which costs
    far more. Case folding, and the two letters Python's case-blind matching also takes for an
    i (dotted capital I, dotless i)."""
    return text.casefold().replace("ı", "i").replace("\u0307", "")


def _word(text: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w]){re.escape(text.casefold())}(?![\w])")


def _product_patterns() -> list[tuple[re.Pattern[str], str, str, str]]:
    out = []
    for area in catalogue.AREAS:
        for product in (*area.mains, *area.extras):
            name = product.system
            if name in _AMBIGUOUS or len(name) < 4:
                pattern = rf"(?<!\w){re.escape(product.maker)}\W+(?:\w+\W+)?{re.escape(name)}(?!\w)"
                out.append((re.compile(pattern, re.I), name, area.label, _fold(name)))
            else:
                pattern = rf"(?<!\w){re.escape(name)}(?!\w)"
                out.append((re.compile(pattern, re.I), name, area.label, _fold(name)))
    return out


@lru_cache(maxsize=4)
def load(
    tech_path: Path = TECHNOLOGY_CPV_PATH, rules_path: Path = SERVICE_AREA_RULES_PATH
) -> Rules:
    """The rules from the two data files; RulesError naming the line when one is wrong."""
    tech = []
    for line, row in enumerate(_rows(tech_path, ("cpv_prefix", "meaning")), 2):
        if not row["cpv_prefix"].isdigit():
            raise RulesError(
                f"{tech_path.name}, line {line}: '{row['cpv_prefix']}' is no CPV prefix."
            )
        tech.append((row["cpv_prefix"], row["meaning"]))
    cpv, keywords, words, default = [], [], [], OTHER
    for line, row in enumerate(_rows(rules_path, ("rule", "match", "service_area")), 2):
        rule, match, area = row["rule"], row["match"], row["service_area"]
        if rule in ("cpv", "keyword", "default") and area not in SERVICE_AREA_LABELS:
            raise RulesError(
                f"{rules_path.name}, line {line}: '{area}' is not a service area "
                f"(one of: {', '.join(SERVICE_AREA_LABELS)})."
            )
        if rule == "cpv" and match.isdigit():
            cpv.append((match, area))
        elif rule == "keyword" and match:
            keywords.append((_word(match), match, area))
        elif rule == "technology" and match:
            words.append((_word(match), match))
        elif rule == "default" and not match:
            default = area
        else:
            raise RulesError(
                f"{rules_path.name}, line {line}: the rule must be cpv (with digits), keyword or "
                "technology, with something to match, or default, with nothing to match."
            )
    cpv.sort(key=lambda p: -len(p[0]))
    return Rules(
        tuple(tech), tuple(cpv), tuple(keywords), tuple(words), tuple(_product_patterns()), default
    )


def cpv_codes(text: str | None) -> list[str]:
    """The 8-digit CPV codes in a cell ('72000000 48000000-8', '72000000-5; 48100000')."""
    return _CPV.findall(text or "")


def _keyword(rules: Rules, text: str) -> tuple[str, str] | None:
    folded, quick = text.casefold(), _fold(text)
    for pattern, word, area in rules.keywords:
        if _fold(word) in quick and pattern.search(folded):
            return word, area
    return None


def _product(rules: Rules, title: str, text: str) -> tuple[str, str] | None:
    """The first catalogue product the notice names (portals: in its title), with its area."""
    quick = {True: _fold(title), False: _fold(text)}
    for pattern, name, area, needle in rules.products:
        portal = name in _PORTALS
        if needle in quick[portal] and pattern.search(title if portal else text):
            return name, area
    return None


def classify(cpv: str | None, title: str | None, description: str | None) -> Verdict:
    """Is this notice about technology, and under which service area does it go?

    The CPV codes decide when their main one (the first: publishers list it first) is a
    technology code, or at least half of them are. A notice whose codes are mostly something
    else (a framework of seventeen print lots, one of them web design) counts only when its
    text names software or a product too, and one without any technology code only when its
    title does: a description mentions software in passing ("this has now moved to this
    platform"), or as the means of sending documents (Egress). A notice without CPV codes is
    judged on its title and description."""
    rules = load()
    codes = cpv_codes(cpv)
    title, description = title or "", description or ""
    text = f"{title}\n{description}"
    tech_codes = [(c, m) for c in codes if (m := _technology_code(rules, c))]
    by_codes = bool(tech_codes) and (
        tech_codes[0][0] == codes[0] or 2 * len(tech_codes) >= len(codes)
    )
    # Where the text may count: only the title for a notice coded as other work, else all of it.
    judged = title if codes and not tech_codes else text
    product, word = _product(rules, title, judged), _technology_word(rules, judged)
    if product:
        why = f"names the product {product[0]}"
    elif by_codes:
        why = f"CPV {tech_codes[0][0]} ({tech_codes[0][1]})"
    elif word:
        why = f"its {'title' if judged is title else 'title or description'} says '{word}'"
    else:
        listed = ", ".join(codes[:3]) if codes else "no CPV code"
        if tech_codes:
            few = ", ".join(c for c, _ in tech_codes[:3])
            verb = "is" if len(tech_codes) == 1 else "are"
            listed = (
                f"main CPV code {codes[0]}; only {len(tech_codes)} of its {len(codes)} codes "
                f"({few}) {verb} technology"
            )
        elif codes:
            found = _product(rules, title, text)
            mention = found[0] if found else _technology_word(rules, text)
            if mention:
                return Verdict(
                    False, OTHER, f"{listed}, and only its description mentions '{mention}'"
                )
        return Verdict(False, OTHER, f"{listed}, and no software is named")
    return Verdict(True, _area(rules, codes, title, description, product), why)


def _technology_code(rules: Rules, code: str) -> str | None:
    """What a CPV code means when it is a technology code, else None."""
    return next((m for prefix, m in rules.technology_cpv if code.startswith(prefix)), None)


def _technology_word(rules: Rules, text: str) -> str | None:
    quick, casefolded = _fold(text), text.casefold()
    return next(
        (w for p, w in rules.technology_words if _fold(w) in quick and p.search(casefolded)), None
    )


def _area(
    rules: Rules, codes: list[str], title: str, description: str, product: tuple[str, str] | None
) -> str:
    if product:
        return product[1]
    found = _keyword(rules, title)
    if found:
        return found[1]
    specific = [(p, a) for p, a in rules.cpv_areas if len(p) > 2]
    general = [(p, a) for p, a in rules.cpv_areas if len(p) <= 2]
    for prefix, area in specific:
        if any(c.startswith(prefix) for c in codes):
            return area
    found = _keyword(rules, description)
    if found:
        return found[1]
    for prefix, area in general:
        if any(c.startswith(prefix) for c in codes):
            return area
    return rules.default_area
