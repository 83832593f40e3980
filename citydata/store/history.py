"""Snapshots as they are: the list, one snapshot, each borough's active one, its records.

Reading only; `citydata.store.snapshots` makes new snapshots (and names these functions too).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from citydata.core import boroughs
from citydata.core.schema import FIELD_NAMES, FIELDS
from citydata.store.changes import NOTICE_EXTRAS
from citydata.store.db import Reader

REGISTER = "register"
PUBLISHED = "published"
KINDS = (REGISTER, PUBLISHED)
AS_TEXT = ", ".join(f"coalesce(CAST({f.name} AS VARCHAR), '') AS {f.name}" for f in FIELDS)


# Each current snapshot (id, borough_code, source), its source 'demo' when it holds the
# illustrative data: stored as such, or brought back by a rollback (whose snapshot is a
# 'rollback' one, its records copied with their own source).
ACTIVE_SOURCES = (
    "SELECT id, borough_code, CASE WHEN source = 'rollback' AND id IN (SELECT snapshot_id FROM"
    " contracts WHERE source = 'demo') THEN 'demo' ELSE source END AS source"
    " FROM snapshots WHERE status = 'active'"
)


def _as_text(extras: tuple[str, ...]) -> str:
    """AS_TEXT and the `extras` (each one of NOTICE_EXTRAS), as canonical text."""
    return ", ".join(
        [AS_TEXT]
        + [f"coalesce(CAST({n} AS VARCHAR), '') AS {n}" for n in extras if n in NOTICE_EXTRAS]
    )


_SNAPSHOT = (
    "id",
    "borough_code",
    "created_at",
    "created_by",
    "file_name",
    "file_hash",
    "rows_imported",
    "rows_rejected",
    "status",
    "source",
    "mapping",
    "note",
    "restored_from",
    "kind",
    "rows_left_out",
)


# The history's columns as the History page names them (a backup's readable/snapshots.csv).
LABELS = {
    "id": "Snapshot",
    "created_at": "Stored",
    "created_by": "By",
    "file_name": "File",
    "rows_imported": "Records",
    "rows_rejected": "Rows refused",
    "rows_left_out": "Rows left out",
    "status": "Status",
    "source": "Source",
    "restored_from": "Copy of",
    "note": "Note",
    "kind": "Kind",
}


def history(r: Reader, borough_code: str | None = None) -> pd.DataFrame:
    """Every snapshot, newest first (optionally of one borough)."""
    return r.df(
        "SELECT s.id, s.borough_code, s.created_at, s.created_by, s.file_name, s.rows_imported,"
        " s.rows_rejected, s.rows_left_out, s.status, s.source, s.restored_from, s.note, s.kind"
        " FROM snapshots AS s WHERE $code IS NULL OR s.borough_code = $code"
        " ORDER BY s.id DESC",
        {"code": borough_code},
    ).assign(borough=lambda d: d["borough_code"].map(name))


def snapshot(r: Reader, snapshot_id: int) -> dict[str, Any] | None:
    """One snapshot's row as a dict, or None when there is no such snapshot."""
    return r.one(
        f"SELECT {', '.join(_SNAPSHOT)} FROM snapshots WHERE id = $id", {"id": int(snapshot_id)}
    )


def active(r: Reader, kind: str = REGISTER) -> dict[str, int]:
    """Each borough's active snapshot id of one kind (by default its register)."""
    return dict(
        r.rows(
            "SELECT borough_code, id FROM snapshots WHERE status = 'active' AND kind = $kind",
            {"kind": kind},
        )
    )


def records(r: Reader, snapshot_id: int, extras: tuple[str, ...] = ()) -> pd.DataFrame:
    """A snapshot's records as canonical text (see `changes.canonical`), in stored order; with
    `extras` (NOTICE_EXTRAS for published notices) beside the schema's fields."""
    return r.df(
        f"SELECT {_as_text(extras)} FROM contracts WHERE snapshot_id = $id ORDER BY record_no",
        {"id": int(snapshot_id)},
    )


def records_of(
    r: Reader, snapshot_ids: list[int], extras: tuple[str, ...] = ()
) -> dict[int, pd.DataFrame]:
    """`records` of several snapshots at once (one query), by snapshot id."""
    if not snapshot_ids:
        return {}
    df = r.df(
        f"SELECT snapshot_id, {_as_text(extras)} FROM contracts"
        " WHERE snapshot_id IN (SELECT unnest($ids)) ORDER BY snapshot_id, record_no",
        {"ids": [int(i) for i in snapshot_ids]},
    )
    groups = df.groupby("snapshot_id", sort=False).indices
    frame = df[[*FIELD_NAMES, *(n for n in extras if n in NOTICE_EXTRAS)]]
    empty = frame.iloc[:0]
    return {
        int(i): frame.iloc[groups[i]].reset_index(drop=True) if i in groups else empty
        for i in snapshot_ids
    }


def illustrative_again(r: Reader, snapshot_id: int) -> str:
    """After a rollback to `snapshot_id`'s records: when they are the embedded illustrative
    data, a sentence saying the borough shows illustrative data again; else ""."""
    code = r.scalar(
        "SELECT borough_code FROM snapshots WHERE id = $id AND EXISTS"
        " (SELECT 1 FROM contracts WHERE snapshot_id = $id AND source = 'demo')",
        {"id": int(snapshot_id)},
    )
    if code is None:
        return ""
    return (
        f"{name(code)} shows illustrative data again: its register records are generated "
        "examples, not real contracts, until a data steward uploads its register."
    )


def name(code: str) -> str:
    b = boroughs.BY_CODE.get(code)
    return b.name if b else code
