"""Rollbacks: an earlier snapshot's records made current again, as a new snapshot.

A rollback is itself a new snapshot, a copy of an earlier one's records, so the history only
ever grows; it leaves out the notices a publisher has said since were withdrawn or cancelled
(`withdrawals.since`). Snapshots made by committing a file are `citydata.store.snapshots`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from citydata.core import dates
from citydata.store import changes, matches, snapshots, withdrawals
from citydata.store import history as _history
from citydata.store.db import Database, Reader
from citydata.store.history import PUBLISHED, REGISTER, active, snapshot
from citydata.store.history import name as _name
from citydata.store.previews import CommitRefused, compare, kept_positions

# Who a snapshot made by the app itself, on opening a file, names as its maker
CORRECTED_BY = "City Tools Explorer"


def rollback(db: Database, snapshot_id: int, user: str) -> int:
    """Make an earlier snapshot's records current again, as a new snapshot; return its id.
    Published notices that a publisher has said since were withdrawn, cancelled or
    unsuccessful (`withdrawals.since`) stay out, and the new snapshot's note says which."""
    now = dates.now()
    with db.write() as w:
        target = snapshot(w, snapshot_id)
        if target is None:
            raise CommitRefused(f"There is no snapshot {snapshot_id}.")
        code = target["borough_code"]
        if target["status"] == "active":
            raise CommitRefused(
                f"Snapshot {snapshot_id} is already {_name(code)}'s current data; "
                "choose an earlier one."
            )
        kind = target["kind"] or REGISTER
        gone = withdrawals.since(w, snapshot_id) if kind == PUBLISHED else {}
        current = active(w, kind).get(code)
        if current is not None and _same_but(w, current, snapshot_id, gone):
            but = f" that can be current: {withdrawals.left_out(gone)}" if gone else ""
            raise CommitRefused(
                f"Nothing would change: {_name(code)}'s current data (snapshot {current}) "
                f"already holds the records of snapshot {snapshot_id}{but}."
            )
        made = pd.Timestamp(target["created_at"]).strftime("%d/%m/%Y %H:%M")
        note = f"Rolled back to snapshot {snapshot_id} of {made}"
        if gone:
            note += f"; {withdrawals.left_out(gone)}"
        new_id = _copy(
            w,
            target,
            int(snapshot_id),
            list(gone),
            now=now,
            source="rollback",
            user=user,
            note=note,
            kind=kind,
        )
    return new_id


def _copy(w: Reader, held: dict[str, Any], old_id: int, refs: list[str], **how: Any) -> int:
    """Snapshot `old_id` (`held`: its row of `snapshots`) again as a new snapshot of its
    borough, but for the notices `refs`, its pairs of notices worked out again; `how`: the new
    snapshot's now, source, user, note and kind. Returns the new snapshot's id."""
    code = held["borough_code"]
    new_id = snapshots.new_snapshot(
        w,
        code,
        file_name=held["file_name"],
        file_hash=held["file_hash"],
        rows_imported=int(held["rows_imported"]) - _count_of(w, old_id, refs),
        rows_rejected=int(held["rows_rejected"]),
        rows_left_out=held["rows_left_out"],
        mapping=held["mapping"],
        restored_from=old_id,
        **how,
    )
    w.execute(
        f"INSERT INTO contracts (snapshot_id, record_no, {snapshots.STORED_SQL}, source)"
        f" SELECT $new, record_no, {snapshots.STORED_SQL}, source"
        " FROM contracts WHERE snapshot_id = $old"
        " AND NOT trim(coalesce(source_ref, '')) = ANY($refs::VARCHAR[])",
        {"new": new_id, "old": old_id, "refs": refs},
    )
    matches.refresh(w, [code])
    return new_id


def withdrawn_again(w: Reader) -> list[int]:
    """Take out of current data the notices withdrawn or cancelled that a rollback made before
    rollbacks weighed withdrawals brought back (`withdrawals.brought_back`): each borough
    holding one gets a new published snapshot, a copy of its current one without them, whose
    note says which. A new snapshot, not a correction in place: nothing stored is changed, and
    the History lists the one that showed them as it was. Returns the new snapshots' ids.
    (Run once, as the data step of schema 17, and again after restoring an older backup:
    citydata.store.upgrades.)"""
    now = dates.now()
    made = []
    for current, gone in withdrawals.brought_back(w).items():
        note = (
            f"Snapshot {current} without the notices an earlier rollback brought back though "
            f"withdrawn: {withdrawals.left_out(gone)}"
        )
        made.append(
            _copy(
                w,
                snapshot(w, current),
                int(current),
                list(gone),
                now=now,
                source="correction",
                user=CORRECTED_BY,
                note=note,
                kind=PUBLISHED,
            )
        )
    return made


def _count_of(w: Reader, snapshot_id: int, refs: list[str]) -> int:
    """How many of a snapshot's records are of the notices `refs`."""
    if not refs:
        return 0
    return int(
        w.scalar(
            "SELECT count(*) FROM contracts WHERE snapshot_id = $id"
            " AND trim(coalesce(source_ref, '')) = ANY($refs::VARCHAR[])",
            {"id": int(snapshot_id), "refs": refs},
        )
    )


def _same_but(w: Reader, current: int, snapshot_id: int, gone: Mapping[str, str]) -> bool:
    """Whether snapshot `snapshot_id`, but for the notices `gone`, holds the current records."""
    if not gone:
        return compare(w, current, snapshot_id).is_empty
    extras = changes.NOTICE_EXTRAS
    held = _history.records(w, snapshot_id, extras)
    kept = held.iloc[kept_positions(held, set(gone))].reset_index(drop=True)
    return changes.diff(_history.records(w, current, extras), kept, extras).is_empty
