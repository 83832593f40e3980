"""What the benchmarks measure. Append your page's queries to CASES (see benchmarks/README.md).

A case is one query function of `citydata` called the way a page calls it through `ui.query`:
`fn(reader, state, *args)`. Each is timed through the app's data layer
(`with db.read() as r: fn(r, state, *args)`) and against DuckDB running the same SQL directly.

Whole pages are not listed here: every page registered in app.py's PAGES is run, once per
entry of PAGE_VIEWS (the URL parameters it is opened with).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import ui
from citydata import queries
from citydata.db import Reader
from citydata.demo import ANCHOR
from citydata.filters import FilterState


@dataclass(frozen=True)
class Case:
    name: str  # unique; `--only` matches it
    page: str  # the page (or "All pages") that runs it
    fn: Callable[..., Any]  # fn(reader, state, *args) -> DataFrame | dict | list
    state: FilterState = field(default_factory=FilterState)
    args: tuple = ()
    note: str = ""  # shown in RESULTS.md, e.g. "not used by the page yet"


# The data sets' dates are spread around the generator's fixed ANCHOR, so windows are set
# relative to it and the figures do not drift with the calendar.
FILTERS: dict[str, FilterState] = {
    "all": FilterState(),
    "one borough": FilterState(borough=("Camden",)),
    "area + end window": FilterState(
        service_area=("Housing",), end_from=ANCHOR, end_to=date(ANCHOR.year + 1, 9, 30)
    ),
    "search": FilterState(q="oracle"),
}

# Every URL a page is opened with in the page benchmark (AppTest query params).
PAGE_VIEWS: dict[str, dict[str, str | list[str]]] = {
    "all": {},
    "one borough": {"borough": "Camden"},
    "search": {"q": "oracle"},
}


def filter_options(r: Reader, state: FilterState) -> dict[str, list[str]]:
    """The sidebar's choices (ui.filter_options), in the case signature; ignores the state."""
    return queries.options(r)


CASES: list[Case] = [
    Case("sidebar.options", "All pages", filter_options),
]
for _label, _state in FILTERS.items():
    CASES += [
        Case(f"header.demo_boroughs [{_label}]", "All pages", queries.demo_boroughs, _state),
        Case(f"overview.headline [{_label}]", "Overview", queries.headline, _state, (ANCHOR,)),
        Case(f"overview.coverage [{_label}]", "Overview", queries.coverage, _state),
        Case(
            f"overview.records shown [{_label}]",
            "Overview",
            queries.records,
            _state,
            (ui.TABLE_ROWS + 1,),
        ),
        Case(
            f"overview.records all [{_label}]",
            "Overview",
            queries.records,
            _state,
            note="every filtered record: what the downloads fetch when clicked",
        ),
    ]

# Add your page's cases below, e.g.
# CASES += [Case("renewals.pipeline [all]", "Renewals", renewals.pipeline, FilterState())]


def by_name() -> dict[str, Case]:
    names = [c.name for c in CASES]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ValueError(f"Case names must be unique: {sorted(duplicates)}")
    return {c.name: c for c in CASES}
