"""Mapped columns to canonical records, with every refused row and every change reported.

A row is refused (left out, with its row number, column, value and reason) when a value is
impossible: a date that does not exist or is cut short, an end before the start, an unknown or
conflicting borough, a negative or unreadable amount, satisfaction outside 1-5, a skill level
that is not one of the four, a person's e-mail or telephone number as the contact role, or
neither a system nor a vendor. A row is imported with a warning when something was filled in or read
generously: no end date (or 'TBC', 'rolling'...), an unknown service area filed under 'Other',
an unknown hosting word left blank, a contact role that looks like a person's name left blank,
no vendor, a repeat of an earlier row.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from citydata.core import boroughs, regions
from citydata.core.schema import FIELD_NAMES
from citydata.ingest import dates, normalise, published
from citydata.ingest.report import PUBLISHED_FORMATS, Problem, refused, warning
from citydata.ingest.table import Table

BUYER_FORMATS = PUBLISHED_FORMATS


class _Rows:
    """Problems gathered per row, in the order they are found."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.numbers = np.asarray(table.rows, dtype=np.int64)
        self.bad = np.zeros(len(self.numbers), dtype=bool)
        self.problems: list[Problem] = []

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


def _text(rows: _Rows, column: str | None, fn: Any = normalise.text_result) -> list:
    series = _source(rows.table, column)
    if series is None:
        return [None] * len(rows.numbers)
    values, _, _ = normalise.per_unique(series, fn)
    return values


def _resolve(value: Any) -> normalise.Result:
    text = normalise.clean_text(value)
    if text is None:
        return None, None, None
    found = boroughs.resolve(text)
    return (found.code, None, None) if found else (None, text, None)


def unknown_authority(text: str, buyer: bool) -> str:
    """Why a row's authority is refused: not one of the region's, and where it is if elsewhere."""
    region = regions.current()
    elsewhere = boroughs.outside(text)
    if elsewhere is not None:
        start = f"The buyer '{text}'" if buyer else f"'{text}'"
        return (
            f"{start} is {elsewhere.official_name}, which is outside {region.label}; only the "
            f"contracts of {region.describe()} are imported."
        )
    if region.is_london:
        return (
            f"The buyer '{text}' is not a London borough or the City of London; "
            "only the 33 London authorities' contracts are imported."
            if buyer
            else f"'{text}' is not one of the 33 London authorities "
            "(32 boroughs and the City of London)."
        )
    if buyer:
        return (
            f"The buyer '{text}' is not one of {region.describe()}; only their contracts are "
            "imported."
        )
    return f"'{text}' is not one of {region.describe()}."


def _boroughs(
    rows: _Rows, mapping: dict[str, str | None], fmt: str, fixed: boroughs.Borough | None
) -> list:
    n = len(rows.numbers)
    codes: list = [None] * n
    for field in ("borough_code", "borough"):
        column = mapping.get(field)
        series = _source(rows.table, column)
        if series is None:
            continue
        found, unknown, _ = normalise.per_unique(series, _resolve)
        reasons = []
        for i in range(n):
            reason = None
            if unknown[i] is not None:
                reason = unknown_authority(unknown[i], fmt in BUYER_FORMATS)
            elif found[i] is not None:
                if codes[i] is not None and codes[i] != found[i]:
                    reason = (
                        f"The borough code says {boroughs.BY_CODE[codes[i]].name} but the "
                        f"borough says {boroughs.BY_CODE[found[i]].name}."
                    )
                codes[i] = codes[i] or found[i]
            reasons.append(reason)
        rows.add(column, list(series), reasons, refuse=True)
    column = mapping.get("borough") or mapping.get("borough_code")
    reasons = []
    for i in range(n):
        reason = None
        if codes[i] is None and fixed is not None:
            codes[i] = fixed.code
        elif codes[i] is None and not rows.bad[i]:
            reason = "No borough is given: fill in the borough, or choose one for the whole file."
        elif fixed is not None and codes[i] not in (None, fixed.code):
            reason = (
                f"This row is for {boroughs.BY_CODE[codes[i]].name}, but the file is being "
                f"imported for {fixed.name}."
            )
        reasons.append(reason)
    rows.add(column, _source(rows.table, column), reasons, refuse=True)
    return codes


def _dates(rows: _Rows, column: str | None, *, end: bool) -> list:
    series = _source(rows.table, column)
    if series is None:
        return [None] * len(rows.numbers)

    def parse(value: Any) -> normalise.Result:
        day, note = dates.parse_date(value)
        what = "end" if end else "start"
        if day is not None:
            return day, None, None
        if note == dates.BLANK:
            return None, None, ("No end date is given: recorded as no end date." if end else None)
        if note == dates.PLACEHOLDER:
            return None, None, f"'{normalise.clean_text(value)}' is not a date: no {what} date."
        return None, note, None

    values, refusals, warnings = normalise.per_unique(series, parse)
    rows.add(column, list(series), refusals, refuse=True)
    rows.add(column, list(series), warnings, refuse=False)
    return values


def _column(rows: _Rows, column: str | None, fn: Any) -> list:
    series = _source(rows.table, column)
    if series is None:
        return [None] * len(rows.numbers)
    values, refusals, warnings = normalise.per_unique(series, fn)
    rows.add(column, list(series), refusals, refuse=True)
    rows.add(column, list(series), warnings, refuse=False)
    return values


def build(
    table: Table, fmt: str, mapping: dict[str, str | None], fixed: boroughs.Borough | None
) -> tuple[pd.DataFrame, list[Problem]]:
    """(accepted records, problems) for a table read with `mapping`."""
    rows = _Rows(table)
    n = len(rows.numbers)
    notices = published.is_published(fmt)
    if notices:
        rows.problems += published.recognise_buyers(table, mapping.get("borough"))
    codes = _boroughs(rows, mapping, fmt, fixed)
    vendor_column = mapping.get("vendor")
    pipe = vendor_column is not None and "|" in vendor_column  # Contracts Finder's packed column
    vendor_fn = normalise.supplier_result if pipe else normalise.text_result
    out: dict[str, list] = {
        "borough_code": codes,
        "borough": [boroughs.BY_CODE[c].name if c else None for c in codes],
        "service_area": _column(rows, mapping.get("service_area"), normalise.area_result)
        if mapping.get("service_area")
        else [normalise.OTHER] * n,
        "system": _text(rows, mapping.get("system")),
        "vendor": _text(rows, vendor_column, vendor_fn),
        "manufacturer": _text(rows, mapping.get("manufacturer")),
        "contract_start": _dates(rows, mapping.get("contract_start"), end=False),
        "contract_end": _dates(rows, mapping.get("contract_end"), end=True),
        "annual_value": _column(rows, mapping.get("annual_value"), normalise.money_result),
        "hosting": _column(rows, mapping.get("hosting"), normalise.hosting_result),
        "satisfaction": _column(rows, mapping.get("satisfaction"), normalise.satisfaction_result),
        "source_ref": _text(rows, mapping.get("source_ref")),
        "skill_level": _column(rows, mapping.get("skill_level"), normalise.skill_result),
        "contact_role": _column(rows, mapping.get("contact_role"), normalise.role_result),
    }
    extra: dict[str, list] = {}
    if notices:
        extra = published.finish(
            table,
            mapping,
            out,
            lambda column, values, reasons: rows.add(column, values, reasons, refuse=True),
        )
    _row_rules(rows, mapping, out, fmt)
    keep = ~rows.bad
    columns = {name: np.asarray(out[name], dtype=object)[keep] for name in FIELD_NAMES}
    columns |= {name: np.asarray(v, dtype=object)[keep] for name, v in extra.items()}
    records = pd.DataFrame({name: pd.Series(v, dtype=object) for name, v in columns.items()})
    records["satisfaction"] = records["satisfaction"].astype("Int64")
    records["row"] = pd.Series(rows.numbers[keep], dtype="int64")
    _duplicates(rows, records)
    if notices:
        rows.problems += published.not_technology_note(rows.problems, mapping.get("borough"))
    return records, rows.problems


def _row_rules(rows: _Rows, mapping: dict[str, str | None], out: dict[str, list], fmt: str) -> None:
    starts, ends = out["contract_start"], out["contract_end"]
    backwards = [
        f"The contract ends ({end:%d/%m/%Y}) before it starts ({start:%d/%m/%Y})."
        if start and end and end < start
        else None
        for start, end in zip(starts, ends, strict=True)
    ]
    end_column = mapping.get("contract_end")
    rows.add(end_column, _source(rows.table, end_column), backwards, refuse=True)
    if fmt in BUYER_FORMATS:
        no_vendor = "No supplier is named (the notice has no award yet)."
    else:
        no_vendor = "No vendor is given."
    pairs = list(zip(out["system"], out["vendor"], strict=True))
    neither = "Neither a system nor a vendor is given."
    system, vendor = mapping.get("system"), mapping.get("vendor")
    rows.add(system, None, [neither if not (s or v) else None for s, v in pairs], refuse=True)
    rows.add(vendor, None, [no_vendor if s and not v else None for s, v in pairs], refuse=False)
    no_system = "No system is given."
    rows.add(system, None, [no_system if v and not s else None for s, v in pairs], refuse=False)


def _duplicates(rows: _Rows, records: pd.DataFrame) -> None:
    """Warn about an accepted row that repeats an earlier one (same borough, ref, area, names)."""
    if records.empty:
        return
    codes = {}
    for name in ("borough_code", "source_ref", "service_area", "system", "vendor"):
        column_codes, uniques = pd.factorize(records[name].astype(object), use_na_sentinel=True)
        # 'Capita' and 'CAPITA' are the same vendor: fold the distinct values, then recode
        refold, _ = pd.factorize(pd.Series([str(u).casefold() for u in uniques], dtype=object))
        refold = np.append(refold, -1)  # the code for a blank (-1 picks the last element)
        codes[name] = refold[column_codes]
    key = pd.DataFrame(codes)
    repeated = key.duplicated(keep="first").to_numpy()
    if not repeated.any():
        return
    group = key.groupby(list(key.columns), sort=False).ngroup().to_numpy()
    first_row = pd.Series(records["row"].to_numpy()).groupby(group).transform("min").to_numpy()
    for row, original in zip(records["row"].to_numpy()[repeated], first_row[repeated], strict=True):
        rows.problems.append(
            warning(
                int(row),
                None,
                None,
                f"This repeats row {original} (same borough, reference, service area, system "
                "and vendor): both were imported; check it is not entered twice.",
            )
        )
