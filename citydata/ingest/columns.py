"""A mapped column's cells read by a rule, for the Python path (`citydata.ingest.validate`):
each distinct value once, its problems reported on the rows; for Contracts Finder's export, a
blank cell read from the next column of the field (`recognise.fallbacks`) and 0 as no value."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from citydata.ingest import normalise, recognise
from citydata.ingest.report import warning


def _blank(series: pd.Series, zero: bool = False) -> np.ndarray:
    """Whether each cell is empty (or, with `zero`, an amount of 0)."""
    blank = series.isna() | series.astype(str).str.strip().eq("")
    if zero:
        plain = series.astype(str).str.replace(r"[£,\s]", "", regex=True)
        blank |= pd.to_numeric(plain, errors="coerce").eq(0)
    return blank.to_numpy()


def read(
    rows: Any, column: str | None, fn: Any, rest: list | None = None, zero: bool = False
) -> list:
    """fn over `column`'s cells; a row blank there is read from the first column of `rest`
    that is not (its problems name that column), with one note per column so read. With
    `zero`, an amount of 0 is not given (Contracts Finder's "not disclosed"): blank, said in a
    note. The notes are `rows.counted`: each note's rows, and the note for a number of them,
    written once the rows kept are known (a notice left out as not technology, or another
    council's, is not counted in them)."""
    series = rows.table.data[column] if column else None
    if series is None:
        return [None] * len(rows.numbers)
    if zero:
        fn = zero_is_none(fn)
    source = np.zeros(len(series), dtype=np.int64)  # which of [column, *rest] each row reads
    if rest:
        blank = _blank(series, zero)
        for k, name in enumerate(rest, 1):
            take = blank & ~_blank(rows.table.data[name], zero)
            source[take], blank = k, blank & ~take
    values = np.empty(len(series), dtype=object)
    zeros = np.zeros(len(series), dtype=bool)
    for k, name in enumerate([column, *(rest or [])]):
        mask = source == k
        if k and not mask.any():
            continue
        cells = rows.table.data[name]
        done = [np.asarray(x, dtype=object) for x in normalise.per_unique(cells[mask], fn)]
        values[mask] = done[0]
        if zero:
            zeros[mask] = _blank(cells[mask], True) & ~_blank(cells[mask])
        for found, refuse in ((done[1], True), (done[2], False)):
            reasons = np.full(len(series), None, dtype=object)
            reasons[mask] = found
            rows.add(name, list(cells), list(reasons), refuse=refuse)
        if k:  # (counted once the rows kept are known: `rows.counted`)
            rows.counted.append((mask, _fallback(column, name)))
    if zeros.any():
        rows.counted.append((zeros, lambda n: warning(None, column, None, zero_note(n))))
    return list(values)


def _fallback(column: str, name: str) -> Any:
    """The note of rows whose `column` is blank and were read from `name`, for a number."""
    return lambda n: warning(None, name, None, fallback_note(column, name, n))


def zero_note(n: int) -> str:
    which, have = ("1 row", "it has") if n == 1 else (f"{n:,} rows", "they have")
    return (
        f"The value is 0 in {which}: Contracts Finder writes 0 for a value not disclosed, "
        f"so {have} no value."
    )


def zero_is_none(fn: Any) -> Any:
    def read(value: Any) -> normalise.Result:
        found = fn(value)
        return (None, *found[1:]) if found[0] == 0 else found

    return read


def fallback_note(column: str, name: str, n: int) -> str:
    which = "1 row" if n == 1 else f"{n:,} rows"
    why = " (a notice with no award yet)" if column in recognise.AWARD_COLUMNS else ""
    whose = "its" if n == 1 else "their"
    return f"'{column}' is blank in {which}{why}: {whose} '{name}' was read instead."
