"""Mapped columns to canonical records, with every refused row and every change reported.

A row is refused (left out, with its row number, column, value and reason) when a value is
impossible: a date that does not exist or is cut short, an end before the start, an unknown or
conflicting borough, a negative or unreadable amount, satisfaction outside 1-5, a skill level
that is not one of the four, a person's e-mail or telephone number as the contact role, or
neither a system nor a vendor. A row is imported with a warning when something was filled in or read
generously: no end date (or 'TBC', 'rolling'...), an unknown service area filed under 'Other',
an unknown hosting word left blank, a contact role that looks like a person's name left blank,
no vendor, a repeat of an earlier row. Which council a row is for is read by
`citydata.ingest.councils`, and a repeat found by `citydata.ingest.duplicates`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from citydata.core import boroughs
from citydata.core.schema import FIELD_NAMES, OTHER
from citydata.ingest import (
    columns,
    dates,
    joint,
    normalise,
    published,
    recognise,
    withdrawn,
    xlerrors,
)
from citydata.ingest.councils import borough_outcome
from citydata.ingest.duplicates import DUPLICATE_KEY, folded_codes, repeats
from citydata.ingest.report import PUBLISHED_FORMATS, REFUSED, Problem, refused, warning
from citydata.ingest.table import Table

BUYER_FORMATS = PUBLISHED_FORMATS


class _Rows:
    """Problems gathered per row, in the order they are found."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.numbers = np.asarray(table.rows, dtype=np.int64)
        self.bad = np.zeros(len(self.numbers), dtype=bool)
        # rows whose system or vendor cell holds a value refused (an Excel error, a formula
        # without its value): they name one, so "Neither ... is given" is not said of them
        self.named = np.zeros(len(self.numbers), dtype=bool)
        self.problems: list[Problem] = []
        # Notes that count rows (a column read from another, a value of 0): which rows, and
        # the note for how many of them are kept (`notes_of_kept`)
        self.counted: list[tuple[np.ndarray, Any]] = []

    def notes_of_kept(self, keep: np.ndarray) -> list[Problem]:
        """The notes of `counted`, each counting only the rows kept."""
        return [note(n) for rows, note in self.counted if (n := int((rows & keep).sum()))]

    def add(self, column: str | None, values: Any, reasons: list, *, refuse: bool) -> None:
        make = refused if refuse else warning
        for i, reason in enumerate(reasons):
            if reason is not None:
                value = values[i] if values is not None else None
                self.problems.append(make(int(self.numbers[i]), column, value, reason))
                if refuse:
                    self.bad[i] = True


def _source(table: Table, column: str | None) -> pd.Series | None:
    return table.data[column] if column else None


def _text(rows: _Rows, column: str | None, fn: Any, *, names: bool = False) -> list:
    """A column of free text read by `fn`; its refusals (an Excel error) reported. `names`:
    the column names the system or the vendor (see _Rows.named)."""
    series = _source(rows.table, column)
    if series is None:
        return [None] * len(rows.numbers)
    values, refusals, _ = normalise.per_unique(series, fn)
    if refusals.count(None) != len(refusals):
        rows.add(column, list(series), refusals, refuse=True)
        if names:
            rows.named |= np.fromiter((r is not None for r in refusals), bool, len(refusals))
    return values


def _uncalculated(rows: _Rows, read: list[str], names: set[str]) -> None:
    """Refuse each row where a column `read` holds a formula saved without its value (a
    workbook's `xlerrors.Uncalculated`: its value is not in the file, whatever it would be), and
    leave such cells blank in every column, so no rule reads one. `names`: the system and
    vendor columns (see _Rows.named)."""
    data = rows.table.data
    for column in data.columns:
        series = data[column]
        marked = series.map(lambda v: v.__class__ is xlerrors.Uncalculated).to_numpy(dtype=bool)
        if not marked.any():
            continue
        if column in read:
            cells = [v.formula if m else None for v, m in zip(series, marked, strict=True)]
            reasons = [v.reason() if m else None for v, m in zip(series, marked, strict=True)]
            rows.add(column, cells, reasons, refuse=True)
            if column in names:
                rows.named |= marked
        data[column] = series.where(~marked, None)


def _boroughs(
    rows: _Rows, mapping: dict[str, str | None], fmt: str, fixed: boroughs.Borough | None
) -> list:
    n = len(rows.numbers)
    code_series = _source(rows.table, mapping.get("borough_code"))
    name_series = _source(rows.table, mapping.get("borough"))
    code_cells = list(code_series) if code_series is not None else [None] * n
    name_cells = list(name_series) if name_series is not None else [None] * n
    seen: dict[tuple, tuple] = {}
    outcomes = []
    for pair in zip(code_cells, name_cells, strict=True):
        outcome = seen.get(pair)
        if outcome is None:
            outcome = seen[pair] = borough_outcome(*pair, fixed, fmt in BUYER_FORMATS)
        outcomes.append(outcome)
    for position, field in ((1, "borough_code"), (2, "borough")):
        column = mapping.get(field)
        if column:
            cells = code_cells if field == "borough_code" else name_cells
            rows.add(column, cells, [o[position] for o in outcomes], refuse=True)
    column = mapping.get("borough") or mapping.get("borough_code")
    finals = [o[3] for o in outcomes]
    if rows.table.uncalculated:  # (a formula without its value is not "no borough is given")
        unread = _refused_in(rows, [mapping.get("borough_code"), mapping.get("borough")])
        finals = [
            None if int(r) in unread else f for f, r in zip(finals, rows.numbers, strict=True)
        ]
    rows.add(column, _source(rows.table, column), finals, refuse=True)
    return [o[0] for o in outcomes]


def _refused_in(rows: _Rows, columns: list[str | None]) -> set[int]:
    """The rows refused so far for a cell of one of `columns`."""
    names = {c for c in columns if c}
    return {p.row for p in rows.problems if p.severity == REFUSED and p.column in names}


def date_result(value: Any, *, end: bool) -> normalise.Result:
    """A start or end date cell: (date, refusal, warning), as every path reads it."""
    day, note = dates.parse_date(value)
    what = "end" if end else "start"
    if day is not None:
        return day, None, None
    if note == dates.BLANK:
        return None, None, ("No end date is given: recorded as no end date." if end else None)
    if note == dates.PLACEHOLDER:
        return None, None, f"'{normalise.clean_text(value)}' is not a date: no {what} date."
    return None, note, None


def backwards_reason(start: Any, end: Any) -> str | None:
    """Why a row whose contract ends before it starts is refused; None when it does not."""
    if start and end and end < start:
        return f"The contract ends ({end:%d/%m/%Y}) before it starts ({start:%d/%m/%Y})."
    return None


def no_vendor_reason(fmt: str) -> str:
    if fmt in BUYER_FORMATS:
        return "No supplier is named (the notice has no award yet)."
    return "No vendor is given."


NEITHER = "Neither a system nor a vendor is given."
NO_SYSTEM = "No system is given."


def _dates(rows: _Rows, column: str | None, *, end: bool, rest: list | None = None) -> list:
    return _column(rows, column, lambda value: date_result(value, end=end), rest)


_column = columns.read


def build(
    table: Table, fmt: str, mapping: dict[str, str | None], fixed: boroughs.Borough | None
) -> tuple[pd.DataFrame, list[Problem]]:
    """(accepted records, problems) for a table read with `mapping`."""
    notices = published.is_published(fmt)
    # a notice bought jointly: a row for each council that bought it (before anything counts rows)
    shared = joint.expand(table, mapping.get("borough"), fixed) if notices else []
    rows = _Rows(table)
    n = len(rows.numbers)
    rest = recognise.fallbacks(fmt, mapping, table.columns)
    if table.uncalculated:
        read = [c for c in mapping.values() if c] + [c for cs in rest.values() for c in cs]
        names = {c for c in (mapping.get("system"), mapping.get("vendor")) if c}
        _uncalculated(rows, read + (list(published.READ_COLUMNS) if notices else []), names)
    if notices:
        rows.problems += shared + published.recognise_buyers(table, mapping.get("borough"))
    codes = _boroughs(rows, mapping, fmt, fixed)
    vendor_column = mapping.get("vendor")
    pipe = vendor_column is not None and "|" in vendor_column  # Contracts Finder's packed column
    vendor_fn = normalise.supplier_result if pipe else normalise.TEXT_RULES["vendor"]
    out: dict[str, list] = {
        "borough_code": codes,
        "borough": [boroughs.BY_CODE[c].name if c else None for c in codes],
        "service_area": _column(rows, mapping.get("service_area"), normalise.area_result)
        if mapping.get("service_area")
        else [OTHER] * n,
        "system": _text(rows, mapping.get("system"), normalise.TEXT_RULES["system"], names=True),
        "vendor": _text(rows, vendor_column, vendor_fn, names=True),
        "manufacturer": _text(
            rows, mapping.get("manufacturer"), normalise.TEXT_RULES["manufacturer"]
        ),
        "contract_start": _dates(
            rows, mapping.get("contract_start"), end=False, rest=rest.get("contract_start")
        ),
        "contract_end": _dates(
            rows, mapping.get("contract_end"), end=True, rest=rest.get("contract_end")
        ),
        "annual_value": _column(
            rows,
            mapping.get("annual_value"),
            normalise.money_result,
            rest.get("annual_value"),
            zero=fmt == "contracts_finder",
        ),
        "hosting": _column(rows, mapping.get("hosting"), normalise.hosting_result),
        "satisfaction": _column(rows, mapping.get("satisfaction"), normalise.satisfaction_result),
        "source_ref": _text(rows, mapping.get("source_ref"), normalise.TEXT_RULES["source_ref"]),
        "skill_level": _column(rows, mapping.get("skill_level"), normalise.skill_result),
        "contact_role": _column(rows, mapping.get("contact_role"), normalise.role_result),
    }
    extra: dict[str, list] = {}
    ended = withdrawn.flags(table) if notices else None
    if notices:
        extra = published.finish(
            table,
            mapping,
            out,
            lambda column, values, reasons: rows.add(column, values, reasons, refuse=True),
            ended,
        )
    _row_rules(rows, mapping, out, fmt, ended)
    keep = ~rows.bad
    if notices:  # one release of each notice: the newest
        gone, said = published.newest_releases(
            table, out, extra, keep, rows.numbers, mapping.get("source_ref")
        )
        keep[gone] = False
        rows.problems += said
        # the newest release says the contract did not come about: no record, a withdrawal
        gone, said = withdrawn.split(table, out, extra["release_date"], keep, rows.numbers)
        keep[gone] = False
        rows.problems += said
    rows.problems += rows.notes_of_kept(keep)
    columns = {name: np.asarray(out[name], dtype=object)[keep] for name in FIELD_NAMES}
    columns |= {name: np.asarray(v, dtype=object)[keep] for name, v in extra.items()}
    records = pd.DataFrame({name: pd.Series(v, dtype=object) for name, v in columns.items()})
    records["satisfaction"] = records["satisfaction"].astype("Int64")
    records["row"] = pd.Series(rows.numbers[keep], dtype="int64")
    _duplicates(rows, records)
    if notices:
        rows.problems += published.not_technology_note(rows.problems, mapping.get("borough"))
    return records, rows.problems


def _row_rules(
    rows: _Rows,
    mapping: dict[str, str | None],
    out: dict[str, list],
    fmt: str,
    ended: list[bool] | None = None,
) -> None:
    """The rules of a record's system, supplier and dates; none for a row saying its notice was
    withdrawn (`ended`): it is no record (citydata.ingest.withdrawn)."""
    starts, ends = out["contract_start"], out["contract_end"]
    backwards = [backwards_reason(start, end) for start, end in zip(starts, ends, strict=True)]
    end_column = mapping.get("contract_end")
    backwards = _unless_ended(backwards, ended)
    rows.add(end_column, _source(rows.table, end_column), backwards, refuse=True)
    no_vendor = no_vendor_reason(fmt)
    pairs = list(zip(out["system"], out["vendor"], strict=True))
    system, vendor = mapping.get("system"), mapping.get("vendor")
    # (a row whose system or vendor cell was refused, an Excel error say, names one: its
    # refusal says what is wrong, not that neither is given)
    neither = [
        NEITHER if not (s or v or named) else None
        for (s, v), named in zip(pairs, rows.named.tolist(), strict=True)
    ]
    rows.add(system, None, _unless_ended(neither, ended), refuse=True)
    no_vendors = [no_vendor if s and not v else None for s, v in pairs]
    rows.add(vendor, None, _unless_ended(no_vendors, ended), refuse=False)
    no_systems = [NO_SYSTEM if v and not s else None for s, v in pairs]
    rows.add(system, None, _unless_ended(no_systems, ended), refuse=False)


def _unless_ended(reasons: list[str | None], ended: list[bool] | None) -> list[str | None]:
    if ended is None:
        return reasons
    return [None if e else r for r, e in zip(reasons, ended, strict=True)]


def _duplicates(rows: _Rows, records: pd.DataFrame) -> None:
    """Warn about an accepted row that repeats an earlier one (same borough, ref, area, names)."""
    if records.empty:
        return
    codes = {}
    for name in DUPLICATE_KEY:
        column_codes, uniques = pd.factorize(records[name].astype(object), use_na_sentinel=True)
        codes[name] = folded_codes(column_codes, list(uniques))
    rows.problems += repeats(codes, records["row"].to_numpy())
