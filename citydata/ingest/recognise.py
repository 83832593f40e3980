"""Which kind of register a table is, and which of its columns holds each canonical field.

Known layouts are recognised by their headers: the app's own template (field labels or names),
the Local Government Transparency Code 2015 contract register (reference, title, supplier and
one of its marks: review date, SME/VCSE, irrecoverable VAT...), Contracts Finder's notice export
and award download (notice id, buyer or organisation name...) and OCDS JSON (read separately).
Any other table is matched column by column: a header equal to a known name for a field (after
folding case, punctuation and bracketed notes), else the closest one by rapidfuzz's token sort
ratio at MATCH_CUTOFF or better. Each column serves one field; earlier synonyms and earlier
columns win ties. People confirm or change the result (`prepare(mapping=...)`).
"""

from __future__ import annotations

import re
from functools import lru_cache

import pandas as pd
from rapidfuzz import fuzz, process

from citydata.core.keys import fold_header
from citydata.core.schema import FIELD_NAMES, FIELDS
from citydata.ingest.report import PUBLISHED_FORMATS, Problem, warning

MATCH_CUTOFF = 85

# Known header names per field, most specific first (the order breaks ties).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "borough_code": (
        "borough code", "council code", "gss code", "ons code", "la gss code", "authority code",
    ),
    "borough": (
        "borough", "borough name", "local authority", "authority", "council", "council name",
        "organisation", "organisation name", "buyer", "buyer name", "contracting authority",
        "body", "body name",
    ),
    "service_area": (
        "service area", "service", "department", "department responsible", "directorate",
        "business area", "service line", "division", "portfolio",
    ),
    "system": (
        "system", "system name", "product", "product name", "software", "software name",
        "application", "application name", "solution", "platform", "title", "contract title",
        "title of agreement", "award title", "contract name", "agreement title", "description",
        "contract description", "award description",
        "description of the goods and or services being provided",
    ),
    "vendor": (
        "vendor", "vendor name", "supplier", "supplier name", "name of supplier", "contractor",
        "contractor name", "provider", "provider name", "awarded supplier", "company",
        "company name",
    ),
    "manufacturer": ("manufacturer", "developer", "software developer", "maker", "publisher"),
    "contract_start": (
        "contract start", "contract start date", "start date", "start", "commencement date",
        "date of commencement", "effective date", "from",
    ),
    "contract_end": (
        "contract end", "contract end date", "end date", "end", "expiry date", "expiry",
        "contract expiry", "contract expiry date", "termination date", "to",
    ),
    "annual_value": (
        "annual value", "annual contract value", "annual cost", "value per annum", "value pa",
        "annual value gbp", "yearly value", "yearly cost", "cost per year", "cost pa",
        "annual charge", "annual fee", "annual amount", "value", "contract value",
        "value of agreement", "total value", "total contract value", "award value",
        "awarded value", "estimated value", "amount",
    ),
    "hosting": ("hosting", "hosting model", "hosting type", "hosted", "where hosted", "deployment"),
    "satisfaction": (
        "satisfaction", "supplier satisfaction", "satisfaction score", "satisfaction rating",
        "rating", "score",
    ),
    "source_ref": (
        "reference", "source ref", "contract reference", "reference number", "ref", "ref no",
        "contract ref", "contract reference number", "contract number", "contract id",
        "notice id", "notice identifier", "our ref", "our reference", "id",
    ),
    "skill_level": (
        "in house skill level", "skill level", "in house skill", "in house skills",
        "in house skill level with the system", "skill level with the system", "skills level",
        "in house expertise", "expertise level", "expertise", "internal skill level",
        "internal skills", "skills", "skill", "system knowledge", "knowledge level",
    ),
    "contact_role": (
        "contact role", "contact job title", "role of contact", "peer contact role",
        "contact for peers", "who to ask", "point of contact role", "system owner role",
        "lead role", "role",
    ),
}  # fmt: skip

# Headers that name something a register row does not keep, above all a person's details. They
# are never guessed as a field: "Contact name" is one letter from "contract name" (a System
# heading), and a person's name must not be imported as a system.
NOT_FIELDS: tuple[str, ...] = (
    "contact", "contact name", "contact details", "contact email", "contact e mail",
    "contact email address", "contact phone", "contact telephone", "contact number",
    "contact tel", "email", "e mail", "email address", "phone", "telephone", "mobile",
    "officer", "officer name", "lead officer", "responsible officer", "contract manager",
    "contract manager name", "contract owner", "owner", "owner name", "account manager",
)  # fmt: skip

_TRANSPARENCY_MARKS = re.compile(
    r"\b(review date|sme|vcse|sme vcse|vat|irrecoverable|registration number|company number"
    r"|charity|title of agreement|department responsible|value of agreement)\b"
)
_SPEND_WORDS = re.compile(
    r"\b(payment|payments|paid|invoice|transaction|expense|expenditure|nett? amount|"
    r"cost centre|spend)\b"
)
_ANNUAL = re.compile(r"\b(annual|annually|per annum|pa|p a|yearly|per year|a year)\b")
_TEMPLATE_NAMES = {
    **{f.name.replace("_", " "): f.name for f in FIELDS},
    **{f.label.lower(): f.name for f in FIELDS},
}


_EXACT: dict[str, tuple[str, int]] = {}
for _field, _words in SYNONYMS.items():
    for _rank, _word in enumerate(_words):
        _EXACT.setdefault(fold_header(_word), (_field, _rank))
for _word, _name in _TEMPLATE_NAMES.items():
    _EXACT[fold_header(_word)] = (_name, -1)


_NOT_FIELDS = frozenset(fold_header(h) for h in NOT_FIELDS)

_CHOICES = [
    (fold_header(w), field, rank)
    for field, words in SYNONYMS.items()
    for rank, w in enumerate(words)
]
_CHOICE_TEXTS = [c[0] for c in _CHOICES]
_LONGEST_HEADER = 80  # longer cells are sentences, not column names: no fuzzy guess


@lru_cache(maxsize=4096)
def candidates(header: str) -> tuple[tuple[str, float, int], ...]:
    """(field, score, rank) for each field the header could name; score 100 = exact synonym."""
    folded = fold_header(header)
    if not folded:
        return ()
    if folded in _EXACT:
        field, rank = _EXACT[folded]
        return ((field, 100.0, rank),)
    if folded in _NOT_FIELDS:
        return ()
    if len(folded) > _LONGEST_HEADER:
        return ()
    best: dict[str, tuple[float, int]] = {}
    matches = process.extract(
        folded,
        _CHOICE_TEXTS,
        scorer=fuzz.token_sort_ratio,
        score_cutoff=MATCH_CUTOFF,
        limit=None,
    )
    for _, score, index in matches:
        _, field, rank = _CHOICES[index]
        if field not in best or (score, -rank) > (best[field][0], -best[field][1]):
            best[field] = (score, rank)
    return tuple((field, score, rank) for field, (score, rank) in best.items())


def header_field(header: str) -> str | None:
    """The field a header most likely names, or None."""
    found = candidates(header)
    return max(found, key=lambda c: (c[1], -c[2]))[0] if found else None


def suggest(columns: list[str]) -> dict[str, str | None]:
    """Field -> column by synonyms and fuzzy matching, each column used once."""
    options = [
        (-score, rank, index, field, column)
        for index, column in enumerate(columns)
        for field, score, rank in candidates(column)
    ]
    mapping: dict[str, str | None] = dict.fromkeys(FIELD_NAMES)
    used: set[str] = set()
    for _, _, _, field, column in sorted(options):
        if mapping[field] is None and column not in used:
            mapping[field] = column
            used.add(column)
    return mapping


def _first_with_data(data: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    present = [n for n in names if n in data.columns]
    for name in present:
        values = data[name].dropna().astype(str).str.strip()
        if (values != "").any():
            return name
    return present[0] if present else None


# Contracts Finder's CSV export gives an awarded notice's dates and value in the award's columns
# and every other notice's (an opportunity, a pipeline notice) in the notice's own: the first
# column with data is suggested, and a row blank there is read from the next (`fallbacks`). An
# estimated range counts by its top, as the same notice from the API (`notices.cf_search`) or
# as OCDS (the tender's value before its minValue) does.
CF_CHAINS: dict[str, tuple[str, ...]] = {
    "contract_start": ("Contract start date", "Start Date"),
    "contract_end": ("Contract end date", "End Date"),
    "annual_value": ("Awarded Value", "Value High", "Value Low"),
}
AWARD_COLUMNS = frozenset(chain[0] for chain in CF_CHAINS.values())


def fallbacks(fmt: str, mapping: dict[str, str | None], columns: list[str]) -> dict[str, list]:
    """Field -> the columns a Contracts Finder export's row is read from, in turn, where the
    mapped column is blank in that row (the notice's own when it has no award yet)."""
    if fmt != "contracts_finder":
        return {}
    out = {}
    for field, chain in CF_CHAINS.items():
        chosen = mapping.get(field)
        if chosen in chain:
            rest = [c for c in chain[chain.index(chosen) + 1 :] if c in columns]
            if rest:
                out[field] = rest
    return out


def _contracts_finder(columns: list[str], data: pd.DataFrame) -> dict[str, str | None] | None:
    folded = {fold_header(c): c for c in columns}
    if {"notice identifier", "notice type", "organisation name"} <= folded.keys():
        supplier = next((c for c in columns if fold_header(c) == "supplier"), None)
        return dict.fromkeys(FIELD_NAMES) | {
            "source_ref": folded["notice identifier"],
            "borough": folded["organisation name"],
            "system": folded.get("title"),
            "vendor": supplier,
            **{field: _first_with_data(data, chain) for field, chain in CF_CHAINS.items()},
        }
    if {"notice id", "buyer name", "supplier name", "award title"} <= folded.keys():
        return dict.fromkeys(FIELD_NAMES) | {
            "source_ref": folded["notice id"],
            "borough": folded["buyer name"],
            "system": folded["award title"],
            "vendor": folded["supplier name"],
            "contract_start": folded.get("contract start date"),
            "contract_end": folded.get("contract end date"),
            "annual_value": folded.get("award value"),
        }
    return None


_OCDS_KINDS = {"ocds": "ocds", "cf_api": "contracts_finder_api", "ocds_flat": "ocds_flat"}


def recognise(columns: list[str], data: pd.DataFrame, kind: str) -> tuple[str, dict]:
    """(format, suggested mapping) for a table's columns."""
    if kind in _OCDS_KINDS:
        from citydata.ingest.awards import MAPPING

        return _OCDS_KINDS[kind], dict.fromkeys(FIELD_NAMES) | MAPPING
    cf = _contracts_finder(columns, data)
    if cf is not None:
        return "contracts_finder", cf
    mapping = suggest(columns)
    template = {
        _EXACT[fold_header(c)][0] for c in columns if _EXACT.get(fold_header(c), ("", 0))[1] == -1
    }
    if len(template) >= 5 and {"system", "vendor"} <= template:
        return "template", mapping
    folded = [fold_header(c) for c in columns]
    marks = sum(1 for f in folded if _TRANSPARENCY_MARKS.search(f))
    if marks and mapping["system"] and mapping["vendor"] and mapping["source_ref"]:
        return "transparency", mapping
    return "generic", mapping


def is_annual(header: str) -> bool:
    return bool(_ANNUAL.search(fold_header(header)))


def looks_like_spend(columns: list[str]) -> bool:
    """Headers of a payments (spend) file rather than a contracts register."""
    return any(_SPEND_WORDS.search(fold_header(c)) for c in columns)


def mapping_notes(fmt: str, mapping: dict[str, str | None]) -> list[Problem]:
    """File-level warnings about what the mapping means for the values."""
    notes = []
    value = mapping.get("annual_value")
    if fmt in PUBLISHED_FORMATS:
        if value:
            notes.append(
                warning(
                    None,
                    value,
                    None,
                    f"'{value}' is each contract's total value: it is kept as the total, and the "
                    "annual value is worked out from it (total divided by the contract's years) "
                    "only where the start and end dates are given.",
                )
            )
        return notes
    if value and fmt != "template" and not is_annual(value):
        notes.append(
            warning(
                None,
                value,
                None,
                f"'{value}' looks like the total value of each contract, not its value per "
                "year; it is stored as the annual value as written.",
            )
        )
    if not mapping.get("service_area"):
        reason = (
            "No column names the service area: every row is filed under 'Other'. Choose the "
            "column that holds it, if there is one."
        )
        notes.append(warning(None, None, None, reason))
    return notes
