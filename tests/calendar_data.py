"""Small hand-built contract sets for the calendar, pipeline and collaboration tests.

Each test writes rows in the embedded data's layout and builds a real DuckDB file from them,
so every query runs exactly as in the app.
"""

from __future__ import annotations

import csv
from pathlib import Path

from citydata import lifecycle
from citydata.core.boroughs import BY_NAME
from citydata.core.demo import COLUMNS
from citydata.query import selection
from citydata.query.filters import FilterState
from citydata.store.db import Database

TODAY_ISO = "2026-11-26"


def row(
    borough: str,
    end: str | None,
    area: str = "Housing",
    system: str = "Open Housing",
    vendor: str = "Capita",
    value: str | None = "100000",
    ref: str | None = None,
    start: str | None = "2022-04-01",
) -> dict[str, str | None]:
    return {
        "borough_code": BY_NAME[borough].code,
        "borough": borough,
        "service_area": area,
        "system": system,
        "vendor": vendor,
        "manufacturer": None,
        "contract_start": start,
        "contract_end": end,
        "annual_value": value,
        "hosting": "Cloud (SaaS)",
        "satisfaction": None,
        "source_ref": ref,
        "source": "demo",
    }


def build_db(tmp_path: Path, rows: list[dict[str, str | None]]) -> Database:
    """A database holding exactly `rows` (one 'demo' snapshot per borough)."""
    path = tmp_path / "rows.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.DictWriter(f, fieldnames=COLUMNS)
        out.writeheader()
        for i, r in enumerate(rows, start=1):
            out.writerow(r | {"source_ref": r["source_ref"] or f"REF-{i:03d}"})
    db_file = lifecycle.build(tmp_path / "small.duckdb", csv=path)
    return lifecycle.open_store(db_file)


def built_days_ago(db: Database, days: int) -> None:
    """The database's records and vendor groupings as made `days` days ago earlier than they
    were (what a database in use holds)."""
    with db.write() as w:
        w.execute(f"UPDATE snapshots SET created_at = created_at - INTERVAL {int(days)} DAY")
        w.execute(f"UPDATE vendor_aliases SET added_at = added_at - INTERVAL {int(days)} DAY")


def one_record_reference(db: Database) -> str:
    """A register reference whose search picks out exactly one record ending ahead."""
    with db.read() as r:
        refs = r.rows(
            "SELECT source_ref FROM current_contracts WHERE contract_end >= current_date "
            "ORDER BY source_ref LIMIT 50"
        )
        for (ref,) in refs:
            if selection.headline(r, FilterState(q=ref))["records"] == 1:
                return ref
    raise AssertionError("no reference picks out a single record")
