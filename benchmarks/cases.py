"""What the benchmarks measure. Append your page's queries to CASES (see benchmarks/README.md).

A case is one query function of `citydata` called the way a page calls it through `ui.query`:
`fn(reader, state, *args)`. Each is timed through the app's data layer
(`with db.read() as r: fn(r, state, *args)`) and against DuckDB running the same SQL directly.

Whole pages are not listed here: every page registered in app.py's PAGES is run, once per
entry of PAGE_VIEWS (the URL parameters it is opened with).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import ui
from citydata.core.dates import add_months
from citydata.core.demo import ANCHOR
from citydata.output import exports, ics
from citydata.query import (
    adoption,
    borough_profile,
    collaboration,
    expiry,
    mapdata,
    market,
    peers,
    pipeline,
    satisfaction,
    selection,
    vendor_profile,
)
from citydata.query.filters import FilterState
from citydata.store.db import Reader


@dataclass(frozen=True)
class Case:
    name: str  # unique; `--only` matches it
    page: str  # the page (or "All pages") that runs it
    fn: Callable[..., Any]  # fn(reader, state, *args) -> DataFrame | dict | list
    state: FilterState = field(default_factory=FilterState)
    args: tuple = ()
    note: str = ""  # shown in RESULTS.md, e.g. "not used by the page yet"


# The data sets' dates are spread around the generator's fixed ANCHOR, so windows are set
# relative to it and the figures do not drift with the expiry.
FILTERS: dict[str, FilterState] = {
    "all": FilterState(),
    "one borough": FilterState(borough=("Camden",)),
    "area + end window": FilterState(
        service_area=("Housing",), end_from=ANCHOR, end_to=date(ANCHOR.year + 1, 9, 30)
    ),
    "search": FilterState(q="oracle"),
}

# Every URL a page is opened with in the page benchmark (AppTest query params). `profile`
# opens the Borough profile on a borough (without it that page only asks for one); the other
# pages ignore it.
PAGE_VIEWS: dict[str, dict[str, str | list[str]]] = {
    "all": {"profile": "Camden"},
    "one borough": {"borough": "Camden", "profile": "Camden"},
    "search": {"q": "oracle", "profile": "Camden"},
}


def filter_options(r: Reader, state: FilterState) -> dict[str, list[str]]:
    """The sidebar's choices (ui.reading.filter_options), in the case signature; ignores the
    state."""
    return selection.options(r)


# The download case's file: a fixed name, as the raw replay writes the same file again.
DOWNLOAD_FILE = Path(tempfile.gettempdir()) / "citytools-benchmark-download.csv"


def download_csv(r: Reader, state: FilterState) -> None:
    """The Overview's CSV download (exports.records_csv): DuckDB writes the file, the app reads
    it back whole to hand it to the browser."""
    exports.write_records_csv(r, state, DOWNLOAD_FILE)
    DOWNLOAD_FILE.read_bytes()


def market_panels(r: Reader, state: FilterState, role: str) -> dict[str, Any]:
    """The Market page: one read of the selection (`market.aggregate`), then every panel
    worked out from that frame in memory, as the page does."""
    agg = market.aggregate(r, state, role)
    return {
        "headline": market.headline_from(agg, market.DEFAULT_TOP_N),
        "ranking": market.ranking_from(agg, "records", market.DEFAULT_TOP_N),
        "areas": market.area_shares_from(agg, 3),
        "concentration": market.concentration_from(agg),
        "satisfaction": satisfaction.summary_from(agg),
        "by borough": satisfaction.by_borough_from(agg),
        "by vendor": satisfaction.by_vendor_from(agg),
    }


def adoption_tables(r: Reader, state: FilterState) -> dict[str, Any]:
    """The Adoption page: one read of the selection (`adoption.usage`), then its two tables
    worked out from that frame in memory, as the page does."""
    usage = adoption.usage(r, state)
    return {"systems": adoption.systems(usage), "matrix": adoption.matrix(usage)}


def concentration(r: Reader, state: FilterState) -> Any:
    """Concentration per service area in one statement, as the Coming to market page reads it
    (`opportunities.markets`), needing no other panel of the Market's."""
    return market.concentration_from((r, state, "supplier"))


CASES: list[Case] = [
    Case("sidebar.options", "All pages", filter_options),
]
for _label, _state in FILTERS.items():
    CASES += [
        Case(f"header.illustrative [{_label}]", "All pages", selection.illustrative, _state),
        Case(f"overview.headline [{_label}]", "Overview", selection.headline, _state, (ANCHOR,)),
        Case(f"overview.coverage [{_label}]", "Overview", selection.coverage, _state),
        Case(
            f"overview.records shown [{_label}]",
            "Overview",
            selection.records,
            _state,
            (ui.tables.TABLE_ROWS + 1,),
        ),
        Case(
            f"overview.download csv [{_label}]",
            "Overview",
            download_csv,
            _state,
            note="every filtered record as the CSV download: DuckDB's COPY of the neutralised, "
            "labelled SELECT to a file, read back into memory; raw: the same COPY alone",
        ),
    ]

# The other pages' queries, with no filter and with one service area.
AREA_FILTERS: dict[str, FilterState] = {
    "all": FilterState(),
    "housing": FilterState(service_area=("Housing",)),
}
_LEAD = pipeline.load_lead_times()
_GROUPS = collaboration.Query("service_area", 6)
for _label, _state in AREA_FILTERS.items():
    CASES += [
        Case(
            f"borough_profile.build [{_label}]",
            "Borough profile",
            borough_profile.build,
            _state,
            ("Camden", ANCHOR),
        ),
        Case(
            f"borough_profile.shown [{_label}]",
            "Borough profile",
            borough_profile.shown,
            _state,
            ("Camden", 1000, ANCHOR),
            note="what the page reads: its first 1,000 records and peers (build: the briefing)",
        ),
        Case(
            f"peers.peer_groups [{_label}]",
            "Borough profile",
            peers.peer_groups,
            _state,
            (ANCHOR,),
            note="every borough's peers come from these (peers.peers_among, no SQL)",
        ),
        Case(
            f"coming.concentration [{_label}]",
            "Coming to market",
            concentration,
            _state,
            note="one statement in the database, as `opportunities.markets` reads it",
        ),
        Case(
            f"adoption.tables [{_label}]",
            "Adoption",
            adoption_tables,
            _state,
            note="the page's read then both tables from it in memory; raw: the read alone",
        ),
        Case(
            f"vendor_profile.profile [{_label}]",
            "Vendor profile",
            vendor_profile.profile,
            _state,
            ("Softcat", 1000, ANCHOR),
            note="every panel from one read of the vendor's records, as the page reads it",
        ),
        Case(f"expiry.heatmap [{_label}]", "Calendar", expiry.heatmap, _state),
        Case(
            f"expiry.timeline [{_label}]",
            "Calendar",
            expiry.timeline,
            _state,
            ("borough", ANCHOR),
        ),
        Case(
            f"expiry.month_days [{_label}]",
            "Calendar",
            expiry.month_days,
            _state,
            (f"{ANCHOR:%Y-%m}",),
        ),
        Case(
            f"expiry.month shown [{_label}]",
            "Calendar",
            expiry.month,
            _state,
            (f"{ANCHOR:%Y-%m}", ui.tables.TABLE_ROWS),
        ),
        Case(
            f"pipeline.upcoming [{_label}]",
            "Renewal pipeline",
            pipeline.upcoming,
            _state,
            (_LEAD, 12, ANCHOR, ui.tables.TABLE_ROWS),
        ),
        Case(
            f"pipeline.ended [{_label}]",
            "Renewal pipeline",
            pipeline.ended,
            _state,
            (ANCHOR, ui.tables.TABLE_ROWS),
        ),
        Case(
            f"pipeline.upcoming all [{_label}]",
            "Renewal pipeline",
            pipeline.upcoming,
            _state,
            (_LEAD, 12, ANCHOR),
            note="every listed record: what the downloads fetch when clicked",
        ),
        Case(
            f"pipeline.with_decide_by [{_label}]",
            "Calendar",
            pipeline.with_decide_by,
            _state,
            (_LEAD, ics.MAX_CONTRACTS, ANCHOR),
            note="what the calendar (.ics) download fetches when clicked",
        ),
        Case(
            f"collaboration.groups [{_label}]",
            "Collaboration",
            collaboration.groups,
            _state,
            (_GROUPS, ANCHOR, ui.tables.TABLE_ROWS),
        ),
        Case(
            f"collaboration.group_members [{_label}]",
            "Collaboration",
            collaboration.group_members,
            _state,
            (_GROUPS, "Housing", ANCHOR, add_months(ANCHOR, 6), ui.tables.TABLE_ROWS),
        ),
        Case(
            f"collaboration.members [{_label}]",
            "Collaboration",
            collaboration.members,
            _state,
            (_GROUPS, ANCHOR),
            note="every member of every group: what 'Download all groups' fetches when clicked",
        ),
    ]
# The Market and Adoption pages' other queries, called as those pages call them.
for _label, _state in AREA_FILTERS.items():
    CASES += [
        Case(
            f"market.aggregate [{_label}]",
            "Market",
            market.aggregate,
            _state,
            ("supplier",),
            note="the page's one read of the selection: every panel is worked out from it",
        ),
        Case(
            f"market.panels [{_label}]",
            "Market",
            market_panels,
            _state,
            ("supplier",),
            note="the page's read then every panel from it in memory; raw: the read alone",
        ),
    ]
CASES.append(
    Case("adoption.system_names", "Adoption", adoption.system_names, FilterState()),
)

# The map adds boroughs without records in Python, so it is measured with no filter only
# (there, its rows are the raw SQL's).
CASES += [
    Case(
        f"map.{metric} [all]",
        "Map",
        mapdata.borough_values,
        FilterState(),
        (metric, 12, vendor, ANCHOR),
    )
    for metric, vendor in (("records", None), ("ending", None), ("vendor_share", "Capita"))
]


def by_name() -> dict[str, Case]:
    names = [c.name for c in CASES]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ValueError(f"Case names must be unique: {sorted(duplicates)}")
    return {c.name: c for c in CASES}
