"""A small market, written out by hand, whose shares and indices are worked out in the tests.

18 records in three boroughs and three service areas. Vendor spellings vary as registers write
them ("Capita", "CAPITA PLC", "Capita Business Services Ltd"); the alias table groups them.

Canonical vendors by records: Civica 7, Capita 6, Idox 2, Agilisys 1, Bytes Software Services 1,
Zellis 1. Housing: Capita 5, Civica 3, Idox 2 (HHI 50²+30²+20² = 3,800). Parking: four vendors
with one record each (HHI 4 x 25² = 2,500). Education: Civica 4 (HHI 10,000).
By value, Housing is Capita £400k, Civica £150k, Idox £50k of £600k (HHI 5,139).
Bytes Software Services resells a Microsoft product (manufacturer written "Microsoft
Corporation"); one Capita record names its maker as "Capita plc" (still its own product).
Satisfaction: Camden 2 and 2, Hackney 4, Islington 3 and 3.
"""

from __future__ import annotations

import csv
from pathlib import Path

from citydata import lifecycle
from citydata.core.demo import COLUMNS
from citydata.query import market
from citydata.query.filters import FilterState
from citydata.store.db import Database

CAMDEN, HACKNEY, ISLINGTON = "E09000007", "E09000012", "E09000019"
NAMES = {CAMDEN: "Camden", HACKNEY: "Hackney", ISLINGTON: "Islington"}

# borough, service area, system, vendor as written, manufacturer, end, value, satisfaction
ROWS = [
    (CAMDEN, "Housing", "Open Housing", "Capita", "Capita", "2027-03-31", "100000", "2"),
    (HACKNEY, "Housing", "Open Housing", "CAPITA PLC", "Capita plc", "2028-03-31", "100000", "4"),
    (ISLINGTON, "Housing", "Open Housing", "Capita Business Services Ltd", "", "2028-06-30",
     "100000", ""),
    (CAMDEN, "Housing", "Capita Repairs", "Capita", "", "2029-03-31", "50000", ""),
    (HACKNEY, "Housing", "Capita Repairs", "Capita", "", "", "50000", ""),
    (CAMDEN, "Housing", "Civica CX", "Civica", "", "2027-09-30", "50000", "2"),
    (HACKNEY, "Housing", "Civica CX", "Civica UK Ltd", "", "2027-09-30", "50000", ""),
    (ISLINGTON, "Housing", "Civica CX", "Civica", "", "2030-01-31", "50000", "3"),
    (CAMDEN, "Housing", "Idox Housing", "Idox", "", "2026-12-31", "25000", ""),
    (ISLINGTON, "Housing", "Idox Housing", "IDOX PLC", "", "2027-12-31", "25000", ""),
    (CAMDEN, "Parking", "Capita Parking", "Capita", "", "2027-06-30", "10000", ""),
    (HACKNEY, "Parking", "Microsoft Dynamics 365", "Bytes Software Services",
     "Microsoft Corporation", "2028-09-30", "20000", ""),
    (ISLINGTON, "Parking", "Permits Online", "Agilisys Ltd", "", "2029-09-30", "30000", "3"),
    (CAMDEN, "Parking", "Zellis Permits", "Zellis", "", "2031-01-31", "", ""),
    (CAMDEN, "Education", "Civica Education", "Civica", "", "2028-08-31", "40000", ""),
    (HACKNEY, "Education", "Civica Education", "Civica", "", "2028-08-31", "40000", ""),
    (ISLINGTON, "Education", "Civica Education", "Civica", "", "2028-08-31", "40000", ""),
    (CAMDEN, "Education", "Civica Schools", "Civica", "", "2029-08-31", "40000", ""),
]  # fmt: skip


def write_csv(path: Path, rows: list[tuple[str, ...]] = ROWS) -> Path:
    """`rows` in the embedded data's layout (all 'demo' records; columns not given, such as
    the skill level, left empty)."""
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.DictWriter(f, COLUMNS)
        out.writeheader()
        for i, (code, area, system, vendor, maker, end, value, sat) in enumerate(rows, start=1):
            out.writerow({
                "borough_code": code, "borough": NAMES[code], "service_area": area,
                "system": system, "vendor": vendor, "manufacturer": maker,
                "contract_start": "2024-04-01", "contract_end": end, "annual_value": value,
                "hosting": "Cloud (SaaS)", "satisfaction": sat, "source_ref": f"REF-{i:03d}",
                "source": "demo",
            })  # fmt: skip
    return path


def build(tmp_path: Path, rows: list[tuple[str, ...]] = ROWS) -> Database:
    """A database holding exactly `rows`, opened."""
    csv_path = write_csv(tmp_path / "market.csv", rows)
    return lifecycle.open_store(lifecycle.build(tmp_path / "market.duckdb", csv=csv_path))


def aggregates(tmp_path: Path, rows: list[tuple], *states: FilterState) -> list:
    """`market.aggregate` for each of `states` over a database holding exactly `rows`."""
    db = build(tmp_path, rows)
    try:
        with db.read() as r:
            return [market.aggregate(r, state) for state in states]
    finally:
        db.close()


# The hand-made market plus: two records with no vendor (one made by Idox, one with a value of
# £12,345.67), two more vendors without any value, ties in records and in value, and one vendor
# whose eight scores average 2.125 (a rounding boundary).
EDGE_ROWS = [
    *ROWS,
    (CAMDEN, "Parking", "Mystery Permits", "", "", "2028-01-31", "", "5"),
    (HACKNEY, "Education", "Mystery Schools", "", "Idox", "", "12345.67", "1"),
    (ISLINGTON, "Education", "Schools Hub", "Zellis", "", "2029-01-01", "", ""),
    (HACKNEY, "Education", "Schools Hub", "Arcus", "", "2029-01-01", "", ""),
    (ISLINGTON, "Parking", "Permit Tie", "Tie One", "", "2029-01-01", "33333.33", "4"),
    (HACKNEY, "Parking", "Permit Tie", "Tie Two", "", "2029-01-01", "33333.33", "4"),
    *[
        (CAMDEN, "Housing", f"Rounding {i}", "Halfway Ltd", "", "2030-01-01", "0.01", score)
        for i, score in enumerate("33322211")  # 17 / 8 = 2.125
    ],
]  # fmt: skip
