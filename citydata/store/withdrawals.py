"""Published notices a newer release says were withdrawn, cancelled or unsuccessful.

A file's withdrawals (`Prepared.withdrawn`, read by citydata.ingest.withdrawn) are weighed
against each borough's notices held (`weigh`): a notice held of the same reference, published
no later than the withdrawal, is no longer shown (its borough's next snapshot of notices does
not hold it: nothing is deleted from the history); a withdrawal older than the notice held
changes nothing (the notice was published again since); one of a notice not held is left out.
Each withdrawal that counts is kept in `notice_withdrawals` (`record`), with the date of its
release, so that an older release of that notice, fetched or imported later, is known to be
older and never brings it back (citydata.store.releases.fresh), nor does a rollback to a
snapshot from before it (`since`). A council's record of a notice whose newer release no
longer names that council among its buyers (a joint notice's buyers changed, or its buyer
corrected) leaves the same way, and is kept the same way (citydata.store.joint: status
`joint.DROPPED`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from citydata.core import dates
from citydata.store import joint
from citydata.store.db import Reader

# Why a notice held leaves the borough's notices, as the preview lists it beside the record
REASONS = {
    "withdrawn": "the notice was withdrawn",
    "cancelled": "the contract was cancelled",
    "unsuccessful": "the procurement was unsuccessful (no contract awarded)",
    joint.DROPPED: joint.REASON,
}


@dataclass
class Outcome:
    """What a file's withdrawals do, per borough code."""

    gone: dict[str, dict[str, str]] = field(default_factory=dict)  # ref -> status, held
    not_held: dict[str, list[Any]] = field(default_factory=dict)  # withdrawals of none held
    older: dict[str, int] = field(default_factory=dict)  # older than the notice held
    # notices held whose newer release no longer names the council a buyer: ref -> its date
    dropped: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def boroughs(self) -> set[str]:
        return set(self.gone) | set(self.not_held) | set(self.older) | set(self.dropped)

    def taken_out(self, code: str) -> dict[str, str]:
        """The notices held by council `code` its next snapshot leaves out: ref -> status."""
        return self.gone.get(code, {}) | dict.fromkeys(self.dropped.get(code, {}), joint.DROPPED)

    @property
    def all_taken_out(self) -> dict[str, dict[str, str]]:
        return {code: self.taken_out(code) for code in self.boroughs}


def reason(status: str) -> str:
    if status == joint.DROPPED:
        return f"No longer a buyer: {joint.REASON}; no longer shown"
    return f"Withdrawn or cancelled: {REASONS.get(status, status)}; no longer shown"


def held(r: Reader, ids: list[int]) -> dict[tuple[str, str], Any]:
    """(borough code, reference) -> the newest release date (None: undated) of each notice of
    snapshots `ids`."""
    if not ids:
        return {}
    return {
        (code, ref): when
        for code, ref, when in r.rows(
            "SELECT s.borough_code, trim(c.source_ref), max(c.release_date) FROM contracts AS c"
            " JOIN snapshots AS s ON s.id = c.snapshot_id"
            " WHERE c.snapshot_id IN (SELECT unnest($ids))"
            " AND trim(coalesce(c.source_ref, '')) <> '' GROUP BY ALL",
            {"ids": [int(i) for i in ids]},
        )
    }


def weigh(r: Reader, prepared: Any, current: Mapping[str, int]) -> Outcome:
    """What the file's withdrawals do to the notices held (`current`: each borough's active
    published snapshot). Writes nothing."""
    out = Outcome()
    if getattr(prepared, "records", None) is not None:
        out.dropped = joint.dropped(r, prepared.records, current)
    items = list(getattr(prepared, "withdrawn", None) or [])
    if not items:
        return out
    codes = {w.borough_code for w in items}
    dates_held = held(r, [current[c] for c in codes if c in current])
    for w in items:
        key = (w.borough_code, w.ref)
        if w.ref and key in dates_held:
            then = dates_held[key]
            if dates.replaces(w.release_date, None if pd.isna(then) else then):
                out.gone.setdefault(w.borough_code, {})[w.ref] = w.status
            else:
                out.older[w.borough_code] = out.older.get(w.borough_code, 0) + 1
        else:
            out.not_held.setdefault(w.borough_code, []).append(w)
    return out


def record(
    w: Reader, prepared: Any, outcome: Outcome, snapshots: Mapping[str, int], now: datetime
) -> None:
    """Keep the withdrawals that count: those of notices held now not shown (`snapshots`: the
    borough's new snapshot), and those of notices not held (none)."""
    by_key = {(x.borough_code, x.ref): x for x in getattr(prepared, "withdrawn", None) or []}
    rows = []
    for code, refs in outcome.gone.items():
        if code in snapshots:
            for ref in refs:
                x = by_key[(code, ref)]
                rows.append((code, ref, x.release_date, x.status, snapshots[code]))
    for code, items in outcome.not_held.items():
        rows += [(code, x.ref, x.release_date, x.status, None) for x in items if x.ref]
    for code, refs in outcome.dropped.items():
        if code in snapshots:
            rows += [
                (code, ref, when, joint.DROPPED, snapshots[code]) for ref, when in refs.items()
            ]
    if not rows:
        return
    frame = pd.DataFrame(
        rows, columns=["borough_code", "source_ref", "release_date", "status", "snapshot_id"]
    )
    frame["release_date"] = pd.to_datetime(frame["release_date"])
    frame["snapshot_id"] = frame["snapshot_id"].astype("Int64")
    w.register("withdrawn_notices", frame)
    try:
        w.execute(
            "INSERT INTO notice_withdrawals SELECT borough_code, source_ref, release_date,"
            " status, snapshot_id, $now FROM withdrawn_notices",
            {"now": now},
        )
    finally:
        w.unregister("withdrawn_notices")


def dates_of(r: Reader, codes: list[str]) -> dict[tuple[str, str], Any]:
    """(borough code, reference) -> the newest date of a release that withdrew the notice."""
    if not codes:
        return {}
    return dict(
        ((code, ref), when)
        for code, ref, when in r.rows(
            "SELECT borough_code, source_ref, max(release_date) FROM notice_withdrawals"
            " WHERE borough_code = ANY($codes) AND release_date IS NOT NULL GROUP BY ALL",
            {"codes": list(codes)},
        )
    )


def since(r: Reader, snapshot_id: int) -> dict[str, str]:
    """The notices of published snapshot `snapshot_id` that a withdrawal kept since says did not
    come about: reference -> its status. A withdrawal counts against a notice's release that it
    does not predate (both dated: the withdrawal's release published no earlier), or, when
    either release gives no date, when it was recorded no earlier than the snapshot was stored.
    A rollback to the snapshot leaves them out (citydata.store.rollbacks.rollback): rolling
    back undoes an import, never what a publisher said since."""
    return dict(
        r.rows(
            "SELECT trim(c.source_ref), arg_max(w.status, w.recorded_at) FROM contracts AS c"
            " JOIN snapshots AS s ON s.id = c.snapshot_id"
            " JOIN notice_withdrawals AS w ON w.borough_code = s.borough_code"
            " AND w.source_ref = trim(c.source_ref)"
            " WHERE c.snapshot_id = $id AND CASE"
            " WHEN w.release_date IS NOT NULL AND c.release_date IS NOT NULL"
            " THEN w.release_date >= c.release_date ELSE w.recorded_at >= s.created_at END"
            " GROUP BY ALL ORDER BY 1",
            {"id": int(snapshot_id)},
        )
    )


def kept_out(r: Reader, rollback_id: int) -> dict[str, str]:
    """The notices a rollback (snapshot `rollback_id`) left out of the snapshot it copied, as
    withdrawn since (`since`): reference -> status."""
    return dict(
        r.rows(
            "SELECT trim(c.source_ref), arg_max(w.status, w.recorded_at) FROM snapshots AS n"
            " JOIN contracts AS c ON c.snapshot_id = n.restored_from"
            " JOIN notice_withdrawals AS w ON w.borough_code = n.borough_code"
            " AND w.source_ref = trim(c.source_ref)"
            " WHERE n.id = $id AND n.source = 'rollback' AND trim(c.source_ref) NOT IN"
            " (SELECT trim(source_ref) FROM contracts WHERE snapshot_id = $id"
            " AND source_ref IS NOT NULL)"
            " GROUP BY ALL ORDER BY 1",
            {"id": int(rollback_id)},
        )
    )


def left_out(gone: Mapping[str, str], most: int = 3) -> str:
    """The notices a rollback leaves out (`since`), in words: '1 notice withdrawn or cancelled
    later stays out (ocds-1: the contract was cancelled)'; a notice whose newer release no
    longer names the council, '1 notice no longer bought by this council later stays out (...)';
    '' for none."""
    if not gone:
        return ""
    dropped = sum(status == joint.DROPPED for status in gone.values())
    said = (
        "withdrawn or cancelled"
        if not dropped
        else "no longer bought by this council"
        if dropped == len(gone)
        else "withdrawn, cancelled or no longer bought by this council"
    )
    shown = [f"{ref}: {REASONS.get(status, status)}" for ref, status in list(gone.items())[:most]]
    if len(gone) > most:
        shown.append(f"and {len(gone) - most:,} more")
    n = len(gone)
    noun, verb = ("notice", "stays") if n == 1 else ("notices", "stay")
    return f"{n:,} {noun} {said} later {verb} out ({'; '.join(shown)})"


# A notice's record as stored, to tell the record a rollback copied from a newer release
_RECORD = (
    "hash(c.record_no, c.source_ref, c.borough_code, c.service_area, c.system, c.vendor,"
    " c.contract_start, c.contract_end, c.annual_value, c.total_value, c.notice_url,"
    " c.release_date, c.source)"
)


def brought_back(r: Reader) -> dict[int, dict[str, str]]:
    """The notices a rollback made before rollbacks weighed withdrawals (before schema 17)
    brought back into current data: per borough's active published snapshot, reference ->
    status. A rollback copied every record of the snapshot it went back to, a notice withdrawn
    since (`since`, by a withdrawal recorded before the rollback) too; such a notice is still
    wrongly shown where the active snapshot holds that very record (carried on by the imports
    since), not a newer release of it."""
    rows = r.rows(
        "WITH back AS (SELECT n.borough_code, trim(c.source_ref) AS ref, w.status,"
        f" w.recorded_at, {_RECORD} AS record FROM snapshots AS n"
        " JOIN snapshots AS s ON s.id = n.restored_from"
        " JOIN contracts AS c ON c.snapshot_id = n.id"
        " JOIN contracts AS t ON t.snapshot_id = s.id AND t.record_no = c.record_no"
        " AND trim(t.source_ref) = trim(c.source_ref)"
        " JOIN notice_withdrawals AS w ON w.borough_code = n.borough_code"
        " AND w.source_ref = trim(c.source_ref)"
        " WHERE n.kind = 'published' AND n.source = 'rollback' AND w.recorded_at <= n.created_at"
        " AND CASE WHEN w.release_date IS NOT NULL AND t.release_date IS NOT NULL"
        " THEN w.release_date >= t.release_date ELSE w.recorded_at >= s.created_at END)"
        " SELECT a.id, b.ref, arg_max(b.status, b.recorded_at) FROM snapshots AS a"
        " JOIN contracts AS c ON c.snapshot_id = a.id"
        " JOIN back AS b ON b.borough_code = a.borough_code AND b.ref = trim(c.source_ref)"
        f" AND b.record = {_RECORD}"
        " WHERE a.kind = 'published' AND a.status = 'active' GROUP BY ALL ORDER BY ALL"
    )
    out: dict[int, dict[str, str]] = {}
    for snapshot_id, ref, status in rows:
        out.setdefault(int(snapshot_id), {})[ref] = status
    return out
