"""Helpers for the snapshot tests: prepared files built by hand, and a dump of the database."""

from __future__ import annotations

from typing import Any

import pandas as pd

from citydata import lifecycle
from citydata.core.schema import FIELD_NAMES
from citydata.ingest.report import Prepared, Problem
from citydata.store import history, snapshots, versions
from citydata.store.db import Database


def borough_records(db: Database, code: str) -> pd.DataFrame:
    """The borough's current records as an upload would give them (object columns + row)."""
    with db.read() as r:
        df = history.records(r, snapshots.active(r)[code]).astype(object)
    df = df.where(df.notna(), None)
    df["row"] = range(2, len(df) + 2)
    return df


def edited_records(db: Database, code: str) -> pd.DataFrame:
    """`borough_records` with one record's annual value changed: an upload that changes
    something (a file identical to the current data is refused as a duplicate)."""
    df = borough_records(db, code)
    df.loc[df.index[0], "annual_value"] = "123456.78"
    return df


def prepared(
    records: pd.DataFrame,
    *,
    file_name: str = "register.csv",
    problems: list[Problem] | None = None,
    refused: str | None = None,
) -> Prepared:
    mapping: dict[str, str | None] = {n: n for n in FIELD_NAMES}
    return Prepared(
        file_name=file_name,
        format="template",
        encoding="utf-8",
        columns=list(FIELD_NAMES),
        mapping=mapping,
        suggested_mapping=dict(mapping),
        records=records.reset_index(drop=True),
        problems=problems or [],
        refused=refused,
        rows_read=len(records) + len({p.row for p in problems or []}),
    )


def dump(db: Database) -> dict[str, Any]:
    """Every row of every table, sorted: equal dumps mean the data did not change. (Not the
    time of the last restore, kept in `meta` for the calendars: a restored database holds the
    backup's data exactly, restored at another time.)"""
    with db.read() as r:
        tables = [
            t
            for (t,) in r.rows(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
                " AND table_type = 'BASE TABLE' ORDER BY 1"
            )
        ]
        out = {t: r.rows(f"SELECT * FROM {t} ORDER BY ALL") for t in tables}
    if "meta" in out:
        out["meta"] = [m for m in out["meta"] if m[0] != versions.RESTORED_AT_KEY]
    return out


def dump_of(path) -> dict[str, Any]:
    """`dump` of the database file at `path`, opened (and migrated) as the app opens it."""
    db = lifecycle.open_store(path)
    try:
        return dump(db)
    finally:
        db.close()
