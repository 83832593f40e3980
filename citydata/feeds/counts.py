"""A run's counts: what a notices file or a fetched page read, and of it what was kept and what
was left out, each with its reason (`read`, then `compared` once compared with the notices
held); and a notices file's run, counted so (`file_run`, `record_upload`).
"""

from __future__ import annotations

from typing import Any

from citydata.feeds import runs
from citydata.feeds.runs import Run
from citydata.ingest import published
from citydata.store import previews, snapshots
from citydata.store.db import Database


def imported(changes: list[previews.BoroughChange]) -> int:
    """The records a commit of these previewed changes stores: the notices new to each borough
    and those held with other details, not those held as they are nor older releases of them."""
    return sum(len(c.diff.added) + c.diff.records_changed for c in changes)


def older_than_held(changes: list[previews.BoroughChange]) -> int:
    """The records these previewed changes leave out as older than the notices held."""
    return sum(c.older for c in changes)


def read(state: Run, prepared: Any) -> None:
    """Add what a file (or a fetched page) read to the run's counts: every record it read,
    and those it left out, by reason. The others are its records (`prepared.records`), kept
    or left out once compared with the notices held (`compared`), so that what was read
    is what was kept and what was left out, each with its reason."""
    entries, left_out, first = _left_out(prepared)
    if first and not state.refused_first:
        state.refused_first = first
    if prepared.refused:  # refused as a whole: a row no reason above names, for the file's
        state.refused_with_file += max(entries - sum(left_out.values()), 0)
    state.notices += entries
    for name, n in left_out.items():
        setattr(state, name, getattr(state, name) + n)


def refused_whole(prepared: Any) -> bool:
    """Whether a fetched page (or a file) was refused as a whole, for a reason that is not its
    entries' own: not read at all (more entries than a file may hold, a fault reading it, the
    technology rules unreadable), or some of what it read left out for no reason of its own.
    A page whose every entry was left out for a reason of its own (not technology, another
    council's, a fault in the notice) is not: it was read, and holds nothing to keep."""
    if not prepared.refused:
        return False
    entries, left_out, _ = _left_out(prepared)
    return entries == 0 or entries > sum(left_out.values())


def _left_out(prepared: Any) -> tuple[int, dict[str, int], str]:
    """The entries a file read, those it left out by reason, and why the first refused for a
    fault of the notice was ('' for none)."""
    entries = int(prepared.rows_read) + prepared.not_notices + prepared.merged_releases
    buyer_column = prepared.mapping.get("borough")
    not_tech = published.not_technology_rows(prepared.problems, buyer_column)
    refused = {p.row for p in prepared.problems if p.severity == "refused" and p.row is not None}
    elsewhere = {
        p.row
        for p in prepared.problems
        if p.severity == "refused" and p.column == buyer_column and p.row is not None
    }
    faults = refused - elsewhere - not_tech
    # a notice bought jointly gives a record for each council (citydata.ingest.joint): each is
    # read, unless its row is refused (as a whole: counted once)
    joint = getattr(prepared, "joint", None) or {}
    entries += sum(n - 1 for row, n in joint.items() if row not in refused)
    first = next(
        (p.reason for p in prepared.problems if p.severity == "refused" and p.row in faults), ""
    )
    left_out = {
        "not_technology": len(not_tech),
        "other_councils": len(elsewhere),
        "refused": len(faults),
        "older": sum(getattr(prepared, "older_releases", {}).values()) + prepared.merged_releases,
        "not_notices": prepared.not_notices,
    }
    return entries, left_out, first


def compared(
    state: Run, prepared: Any, changes: list[previews.BoroughChange] | None, stored: bool = True
) -> None:
    """Add a file's records to the run once compared with the notices held (`changes`, its
    preview): those stored (`imported`), those older than the notice held, and those held as
    they are already; and its notices withdrawn or cancelled, those held no longer shown and
    those not held. Not `stored` (nothing changed): none is kept. Without `changes`, every
    record was stored, and every notice withdrawn is taken out."""
    records = len(prepared.records)
    kept = records if changes is None else imported(changes) if stored else 0
    older = older_than_held(changes or [])
    state.imported += kept
    state.older += older
    state.held += max(records - kept - older, 0)
    # the file's notices withdrawn or cancelled (none of them is a record)
    ended = len(getattr(prepared, "withdrawn", None) or [])
    gone = (ended if changes is None else sum(c.withdrawn for c in changes)) if stored else 0
    later = sum(c.withdrawn_older for c in changes or [])
    state.withdrawn += gone
    state.older += later
    state.withdrawn_not_held += max(ended - gone - later, 0)


def queued(state: Run, prepared: Any) -> None:
    """Add a page a fetch queues for the running app (citydata.feeds.spool) to the run, before
    the app compares it with the notices held: its records for the app to import, and its
    notices withdrawn or cancelled, for the app to weigh (`withdrawn_queued`), none of them yet
    counted as no longer shown or as not held."""
    state.imported += len(prepared.records)
    state.withdrawn_queued += len(getattr(prepared, "withdrawn", None) or [])


def record_upload(
    db: Database,
    prepared: Any,
    user: str,
    snapshot_ids: list[int],
    changes: list[previews.BoroughChange] | None = None,
    message: str = "",
) -> Run | None:
    """Put a notices file just stored from the Upload page in the history, as `import_file`
    puts one imported on the Published notices page, so that the history says when notices last
    came in whichever way they came. `changes`: the preview it was stored from, which says what
    it kept (without it, every record of the file); `message`: the run's, where it kept nothing
    (every notice held already). A register: nothing (None)."""
    if getattr(prepared, "source_kind", snapshots.REGISTER) != snapshots.PUBLISHED:
        return None
    state = file_run(prepared, prepared.file_name, user, runs.now())
    state.status, state.message = "done", message
    compared(state, prepared, changes)
    state.snapshot_ids, state.finished_at = list(snapshot_ids), state.started_at
    with db.write() as w:
        runs.record(w, state)
    return state


NOTHING_KEPT = "No technology notices of the region's councils."


def nothing_kept(prepared: Any) -> str:
    """For a file of published notices that keeps nothing for reasons with nothing to fix
    (every notice read and left out: not technology, another council's...; none refused for a
    fault of its own, none withdrawn), what it read and left out and why, as importing it says
    it; '' for any other file. Such a file is not refused: it holds nothing to import."""
    if (
        getattr(prepared, "source_kind", snapshots.REGISTER) != snapshots.PUBLISHED
        or not prepared.records.empty
        or getattr(prepared, "withdrawn", None)
    ):
        return ""
    state = file_run(prepared, prepared.file_name, "", "")
    if not state.notices or state.refused or state.refused_with_file:
        return ""
    state.message = NOTHING_KEPT
    return state.summary()


def file_run(prepared: Any, file_name: str, user: str, started: str) -> Run:
    """A notices file's line in the history, before it is stored: what it read and left out."""
    state = Run(feed="file", since="", started_at=started, started_by=user, file_name=file_name)
    state.pages = 1
    read(state, prepared)
    return state
