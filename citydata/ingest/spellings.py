"""The Python rules' common spellings, as SQL: what the DuckDB path reads without Python.

Each expression reads a cell with the very patterns the Python rules use
(`normalise.CLEAN_TEXT`, `dates.STRICT_FORMATS`, `normalise.PLAIN_MONEY` and `GROUPED_POUNDS`):
a value it reads is the value Python would give, and any other value is left to the Python rule
for its field (tests/test_ingest_bulk.py holds the two to the same answers).
"""

from __future__ import annotations

from citydata.ingest import dates, duplicates, normalise

TEXT = ("system", "vendor", "manufacturer", "source_ref")  # the fields of free text


def clean(column: str) -> str:
    """SQL: the cell is text clean_text leaves as it is."""
    return f"regexp_full_match({column}, {literal(normalise.CLEAN_TEXT)})"


def odd(field: str, column: str) -> str:
    """SQL: the value in `column` is one the Python rule for `field` must read (for text, also
    text not in ASCII: its casefolding, see repeat_key; text with a '#', which may be an Excel
    error; and a word for no value, `normalise.NO_VALUE`)."""
    if field in TEXT:  # (and what may be an Excel error: xlerrors.error reads it; and a word
        # for no value, which the rule reads as none)
        none = ", ".join(literal(word) for word in sorted(normalise.NO_VALUE))
        return (
            f"NOT ({clean(column)} AND strlen({column}) = length({column})"
            f" AND NOT contains({column}, '#') AND lower({column}) NOT IN ({none}))"
        )
    quick = fast(field, column)
    return "true" if quick is None else f"({quick}) IS NULL"


def fast(field: str, column: str) -> str | None:
    """SQL for a value read the common way, NULL when the Python rule must read it."""
    if field in ("contract_start", "contract_end"):
        low, high = dates.MIN_YEAR, dates.MAX_YEAR
        cases = " ".join(
            f"WHEN regexp_full_match({column}, {literal(pattern)})"
            f" THEN try_strptime({column}, {literal(fmt)})"
            for pattern, fmt in dates.STRICT_FORMATS
        )
        day = f"CAST(CASE {cases} END AS DATE)"
        return f"CASE WHEN year({day}) BETWEEN {low} AND {high} THEN {day} END"
    if field == "annual_value":
        return (
            f"CASE WHEN regexp_full_match({column}, {literal(normalise.PLAIN_MONEY)})"
            f" THEN CAST({column} AS DECIMAL(18,2))"
            f" WHEN regexp_full_match({column}, {literal(normalise.GROUPED_POUNDS)}) THEN"
            f" CAST(replace(replace({column}, '£', ''), ',', '') AS DECIMAL(18,2)) END"
        )
    return None


def repeat_key() -> str:
    """SQL: a hash of a record's duplicates.DUPLICATE_KEY values, its text casefolded.

    Text in ASCII is casefolded by `lower`; any other text comes with its casefolding from its
    lookup (`fold_<field>`: Python's `casefold`, which `lower` is not: 'STRAßE' is 'strasse')."""
    parts = []
    for name in duplicates.DUPLICATE_KEY:
        if name in TEXT:
            parts.append(
                f"CASE WHEN strlen({name}) = length({name}) THEN lower({name}) ELSE fold_{name} END"
            )
        else:  # (a borough code or a service area: one spelling each)
            parts.append(name)
    return f"hash({', '.join(parts)})"


def literal(text: str) -> str:
    """One of the rules' own patterns as a SQL string literal (never a user's value)."""
    return "'" + text.replace("'", "''") + "'"
