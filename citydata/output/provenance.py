"""What a download says about itself, so that a file forwarded by email keeps its meaning.

An Excel download gets a sheet "About this download": the filters it was made under in plain
English (`filters.summary`), when it was made, the snapshots its records come from (each
borough's, with its date and file) and how many rows it holds. A CSV holds only its header and
rows (a line of notes in it would be read as a record by every program that opens it), so its
file's NAME carries the filters in a short safe form (`filter_stem`); the full description is
the Excel download's.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import pandas as pd

from citydata.core import boroughs
from citydata.core.dates import day_label
from citydata.core.text import file_stem
from citydata.query import filters, search, selection
from citydata.query.filters import FilterState
from citydata.store.db import Reader

SHEET = "About this download"
# The filters in a file's name, at most (the whole description is the Excel file's own sheet).
STEM_CHARS = 60
_KINDS = {"register": "register", "published": "published notices"}


def filter_stem(state: FilterState) -> str:
    """The filters as part of a file's name: 'camden-hackney-housing', 'ending-to-2027-03-31',
    'search-mosaic'; empty when nothing is filtered. Letters, digits and hyphens only, at most
    STEM_CHARS long (cut at a whole word)."""
    words: list[str] = []
    for choice in filters.CHOICES:
        words += getattr(state, choice.key)
    if state.end_from or state.end_to:
        words.append("ending")
        if state.end_from:
            words += ["from", state.end_from.isoformat()]
        if state.end_to:
            words += ["to", state.end_to.isoformat()]
    if terms := search.terms(state.q):
        words += ["search", *terms]
    stem = file_stem(" ".join(words), fallback="", limit=10 * STEM_CHARS)
    if len(stem) > STEM_CHARS:
        stem = stem[: STEM_CHARS + 1].rsplit("-", 1)[0]
    return stem


def named(stem: str, state: FilterState | None) -> str:
    """`stem` with the filters `state` holds ('city-tools-contracts-camden')."""
    part = filter_stem(state) if state is not None else ""
    return f"{stem}-{part}" if part else stem


def dated(stem: str, state: FilterState | None, day: date) -> str:
    """`named`, then the day ('camden-briefing-housing-2026-12-07'): a briefing's files, which
    say what the data held on that day."""
    return f"{named(stem, state)}-{day:%Y-%m-%d}"


def sheet_title(stem: str) -> str:
    """The name of the sheet a table's Excel download holds it in, from its file's stem
    ('vendor-ranking' -> 'Vendor ranking'), at most Excel's 31 characters: not 'Contracts'
    for every table."""
    words = " ".join(stem.split("-")).strip() or "Table"
    return (words[0].upper() + words[1:])[:31].rstrip()


def about(r: Reader, state: FilterState, made: datetime) -> list[tuple[str, Any]]:
    """The sheet's rows (item, value), but for the row count, which the writer adds when it
    has written the rows."""
    rows: list[tuple[str, Any]] = [
        ("Selection", filters.summary(state, "records")),
        ("Made", f"{day_label(made.date())} at {made:%H:%M}"),
        ("Made by", "City Tools Explorer"),
    ]
    taken = selection.snapshots(r, state)
    if taken.empty:
        rows.append(("Data", "No records: no snapshot is drawn on."))
    for n, line in enumerate(source_lines(taken.to_dict("records")), start=1):
        rows.append(("Data" if n == 1 else "", line))
    return rows


def source_lines(snapshots: Iterable[dict[str, Any]]) -> list[str]:
    """One line a snapshot: 'Camden: register, snapshot 34 of 26 Nov 2026 at 15:24, from the
    file “camden.csv”'."""
    by_code = boroughs.BY_CODE
    out = []
    for s in snapshots:
        place = by_code[s["borough_code"]].name if s["borough_code"] in by_code else ""
        when = pd.Timestamp(s["created_at"])
        line = (
            f"{place or s['borough_code']}: {_KINDS.get(s['kind'], s['kind'])}, snapshot "
            f"{s['id']} of {day_label(when.date())} at {when:%H:%M}"
        )
        if s["source"] == "demo":
            line += " (illustrative data: generated examples, not real contracts)"
        elif isinstance(s.get("file_name"), str) and s["file_name"]:
            line += f", from the file “{s['file_name']}”"
        out.append(line)
    return out
