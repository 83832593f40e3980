"""A feed's runs, kept: each fetch of a feed and each notices file imported from the app, with
what it read, kept and left out and why (`Run`), the feed's state in `meta` (key `feed:<name>`:
status, the next page's address, counts, message: where a run stopped half way carries on), and
the `feed_runs` history, in words for people (`history_line`). The feeds themselves, by name and
label, are here too (`FEEDS`), as every run names its feed.

`citydata.feeds.fetch` reads the pages and imports them, keeping its runs here; a fetch queued
while the app holds the file keeps them through `citydata.feeds.spool`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from citydata.core.formatting import count, day
from citydata.ingest import published
from citydata.store import previews, snapshots
from citydata.store.db import Database, Reader


@dataclass(frozen=True)
class Feed:
    key: str
    label: str
    setting: str
    since_param: str
    size_param: str


FEEDS: dict[str, Feed] = {
    f.key: f
    for f in (
        Feed(
            "contracts-finder",
            "Contracts Finder",
            "CITYTOOLS_CONTRACTS_FINDER_URL",
            "publishedFrom",
            "limit",  # 1-100; `size` belonged to the retired page-numbered search
        ),
        Feed(
            "find-a-tender",
            "Find a Tender",
            "CITYTOOLS_FIND_A_TENDER_URL",
            "updatedFrom",
            "limit",
        ),
    )
}


@dataclass
class Run:
    feed: str
    since: str
    status: str = "running"  # running | done | failed
    started_at: str = ""
    finished_at: str | None = None
    next_url: str | None = None  # where to carry on (None: from the start)
    pages: int = 0
    # records read: each supplier of a notice's award is a record, and each entry of a page's
    # releases that gives none (`not_notices`, an older release merged into its newest) counts
    # once; every one is then kept (`imported`), or left out for one of the reasons below
    notices: int = 0
    imported: int = 0  # records stored
    not_technology: int = 0  # the region's records left out as not technology
    other_councils: int = 0  # records of buyers outside the region (or not recognised)
    refused: int = 0  # records left out for a fault in the notice (a bad date...)
    # records left out as older releases of a notice: older than the one held, or than a newer
    # release of it in the same file or page
    older: int = 0
    not_notices: int = 0  # entries of a page's releases that are not a notice at all
    held: int = 0  # records left out as already held as they are (nothing new in them)
    # notices a newer release said were withdrawn, cancelled or unsuccessful: those held, no
    # longer shown, and those not held, left out (one older than the notice held is `older`)
    withdrawn: int = 0
    withdrawn_not_held: int = 0
    # (a fetch handed to the running app, before it imports) notices the pages say were
    # withdrawn, cancelled or unsuccessful: only the app, holding the notices, knows which of
    # them it holds and will stop showing (not in the history, which the app's import writes)
    withdrawn_queued: int = 0
    snapshot_ids: list[int] = field(default_factory=list)
    # pages read before this run, by the fetch it carried on from (counted in `pages` too)
    carried_from: int = 0
    refused_first: str = ""  # why the first record refused was (its problem's reason)
    message: str = ""
    run_id: int | None = None  # its line in feed_runs
    started_by: str = ""
    file_name: str | None = None  # for a notices file imported from the app

    def summary(self, queued: bool = False) -> str:
        """What the run read and kept, then its message; for a run that failed, why first,
        then what it had read before (nothing, not "0 rows read", when it read nothing).
        `queued`: a fetch handed to the running app (citydata.feeds.spool), which has imported
        nothing yet, and will leave out what it holds already."""
        if self.feed == "file":
            what = (
                f"{self.file_name}: {count(self.notices, 'row')} read, "
                f"{count(self.imported, 'technology record')} of the region's councils kept."
            )
        else:
            label = FEEDS[self.feed].label if self.feed in FEEDS else self.feed
            what = (
                f"{label} since {self.since}: {count(self.pages, 'page')}, "
                f"{count(self.notices, 'notice')} read, "
                f"{count(self.imported, 'technology record')} of the region's councils "
                + (
                    "for the app to import (it leaves out any it holds already, as they are)."
                    if queued
                    else "imported."
                )
            )
        counts = [what, self.no_longer_shown(), self.for_the_app(), self.left_out()]
        parts = [*counts, self.message]
        if self.status == "failed":
            parts = [self.message, *(counts if self.notices else [])]
        return " ".join(p for p in parts if p)

    def no_longer_shown(self) -> str:
        """The notices held that this run's newer releases withdrew, in words ('' for none)."""
        n = self.withdrawn
        if not n:
            return ""
        return f"{n:,} {'notice' if n == 1 else 'notices'} withdrawn or cancelled: no longer shown."

    def for_the_app(self) -> str:
        """The notices withdrawn that a fetch queued for the app (`withdrawn_queued`), in words
        ('' for none): whether any is shown until now, the app finds out when it imports them."""
        n = self.withdrawn_queued
        if not n:
            return ""
        which = "notice" if n == 1 else "notices"
        return (
            f"{n:,} {which} withdrawn or cancelled, for the app to stop showing if it holds "
            f"{'it' if n == 1 else 'them'}."
        )

    def left_out(self) -> str:
        """What was left out and why, then what was refused, in words ('' when nothing was).
        Left out: what the region does not keep, with nothing to fix; refused: a fault of the
        notice (a bad date, an end before the start...)."""
        parts = [
            (self.held, "already held as they are"),
            (self.not_technology, "not technology"),
            (self.other_councils, "bought by a council outside the region or not recognised"),
            (
                self.older,
                "older release of a notice (its newer release is held or in the same file)"
                if self.older == 1
                else "older releases of notices (their newer releases are held or in the same "
                "file)",
            ),
            (
                self.withdrawn_not_held,
                "notice withdrawn or cancelled that was not held"
                if self.withdrawn_not_held == 1
                else "notices withdrawn or cancelled that were not held",
            ),
            (
                self.not_notices,
                "entry of the list of notices that is not a notice"
                if self.not_notices == 1
                else "entries of the list of notices that are not notices",
            ),
        ]
        said = [f"{n:,} {why}" for n, why in parts if n]
        out = ("Left out: " + "; ".join(said) + ".") if said else ""
        if self.refused:  # (the first one's reason where the run has it: not in the history)
            out += f" Refused: {self.refused:,}, for a fault in the notice" + (
                f". The first: {self.refused_first}"
                if self.refused_first
                else " (a date that is not one, an end before the start…)."
            )
        return out.strip()


def _key(feed: Feed) -> str:
    return f"feed:{feed.key}"


def last_run(r: Database | Reader, feed_key: str) -> Run | None:
    """The feed's last run as recorded, or None when it never ran."""
    value = r.scalar("SELECT value FROM meta WHERE key = $k", {"k": _key(FEEDS[feed_key])})
    if not value:
        return None
    try:
        data = json.loads(value)
        return Run(**{k: v for k, v in data.items() if k in Run.__dataclass_fields__})
    except (ValueError, TypeError):
        return None


def save(db: Database, run: Run) -> None:
    with db.write() as w:
        save_state(w, run)


def save_state(w: Reader, run: Run) -> None:
    """Write the feed's state (where to carry on) and the run's history line."""
    if run.feed in FEEDS:
        w.execute(
            "INSERT OR REPLACE INTO meta VALUES ($k, $v)",
            {"k": _key(FEEDS[run.feed]), "v": json.dumps(asdict(run))},
        )
    record(w, run)


def record(w: Reader, run: Run) -> None:
    """Write the run's line in the feed_runs history (a new line when it has none yet)."""
    if run.run_id is None:
        run.run_id = int(w.scalar("SELECT coalesce(max(id), 0) + 1 FROM feed_runs"))
    w.execute(
        "INSERT OR REPLACE INTO feed_runs VALUES ($id, $feed, $since, $file_name, $started_at,"
        " $finished_at, $started_by, $status, $pages, $notices, $kept, $not_technology,"
        " $other_councils, $refused, $message, $older, $not_notices, $held, $withdrawn,"
        " $withdrawn_not_held)",
        {
            "id": run.run_id,
            "feed": run.feed,
            "since": run.since or None,
            "file_name": run.file_name,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "started_by": run.started_by or None,
            "status": run.status,
            "pages": run.pages,
            "notices": run.notices,
            "kept": run.imported,
            "not_technology": run.not_technology,
            "other_councils": run.other_councils,
            "refused": run.refused,
            "message": run.message or None,
            "older": run.older,
            "not_notices": run.not_notices,
            "held": run.held,
            "withdrawn": run.withdrawn,
            "withdrawn_not_held": run.withdrawn_not_held,
        },
    )


HISTORY_COLUMNS = (
    "started_at",
    "feed",
    "since",
    "file_name",
    "started_by",
    "status",
    "pages",
    "notices",
    "kept",
    "not_technology",
    "other_councils",
    "refused",
    "older",
    "held",
    "not_notices",
    "withdrawn",
    "withdrawn_not_held",
    "message",
    "finished_at",
)


def from_row(row: dict[str, Any]) -> Run:
    """A history line's counts as a run (its feed, pages and what it read, kept and left out)."""
    return Run(
        feed=row["feed"],
        since="",
        pages=int(row["pages"]),
        notices=int(row["notices"]),
        imported=int(row["kept"]),
        not_technology=int(row["not_technology"]),
        other_councils=int(row["other_councils"]),
        refused=int(row["refused"]),
        older=int(row.get("older") or 0),  # (NULL: a run recorded before it was counted)
        not_notices=int(row.get("not_notices") or 0),
        held=int(row.get("held") or 0),
        withdrawn=int(_count(row.get("withdrawn"))),  # (NULL: recorded before v16)
        withdrawn_not_held=int(_count(row.get("withdrawn_not_held"))),
    )


def recorded(r: Database | Reader, run_id: int) -> Run | None:
    """The counts of the run recorded as `run_id` in the history (None: no such line)."""
    found = r.df(
        f"SELECT {', '.join(HISTORY_COLUMNS)} FROM feed_runs WHERE id = $id", {"id": int(run_id)}
    ).to_dict("records")
    return from_row({k: None if _missing(v) else v for k, v in found[0].items()}) if found else None


def history_line(row: dict[str, Any]) -> str:
    """One history line in words: when, what, who, the outcome, the counts, the message. A
    value the run does not have (no message, no file) may come as None or as NaN (a column of
    the history holding both texts and NULLs): either is left out."""
    row = {k: None if _missing(v) else v for k, v in row.items()}
    what = (
        f"file {row['file_name']}"
        if row["feed"] == "file"
        else f"{FEEDS[row['feed']].label if row['feed'] in FEEDS else row['feed']}"
        f" since {pd_day(row['since'])}"
    )
    run = from_row(row)
    parts = [
        f"{row['started_at']:%Y-%m-%d %H:%M}",
        what,
        f"by {row['started_by'] or 'unknown'}",
        row["status"],
        f"{count(run.pages, 'page')}, {run.notices:,} read, {run.imported:,} kept.",
        run.no_longer_shown(),
        run.left_out(),
        row["message"] or "",
    ]
    return " · ".join(p for p in parts[:4]) + ": " + " ".join(p for p in parts[4:] if p)


def _count(value: Any) -> int:
    return 0 if _missing(value) else int(value)


def _missing(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):  # not a single value
        return False


def pd_day(value: Any) -> str:
    return str(value)[:10] if value is not None and str(value) not in ("NaT", "None") else "-"


def history(r: Database | Reader, limit: int = 50) -> Any:
    """The latest fetches and imports, newest first (a DataFrame of HISTORY_COLUMNS)."""
    return r.df(
        f"SELECT {', '.join(HISTORY_COLUMNS)} FROM feed_runs ORDER BY id DESC LIMIT $n",
        {"n": int(limit)},
    )


def standing(r: Database | Reader, feed_key: str) -> str:
    """How up to date the feed's notices are when its latest fetches stopped before the end
    (a failing publisher, night after night): when a fetch of it last ran to the end, and how
    many have stopped since. '' when the latest finished run went to the end, or none ran."""
    label = FEEDS[feed_key].label
    [(last_done, failed)] = r.rows(
        "SELECT max(finished_at) FILTER (WHERE status = 'done'),"
        " count(*) FILTER (WHERE status = 'failed' AND id > coalesce("
        "  (SELECT max(id) FROM feed_runs WHERE feed = $f AND status = 'done'), 0))"
        " FROM feed_runs WHERE feed = $f",
        {"f": feed_key},
    )
    if not failed:
        return ""
    if last_done is None:
        so_far = "the one fetch so far" if failed == 1 else f"all {failed:,} fetches so far"
        return (
            f"No fetch from {label} has run to the end yet: {so_far} stopped before it, so "
            "some of its notices may not be held."
        )
    since = "the one fetch since has" if failed == 1 else f"the {failed:,} fetches since have"
    return (
        f"Notices from {label} were last fetched to the end on {moment(last_done)}; {since} "
        "stopped before the end, so notices it published after that may not be held yet."
    )


def moment(value: Any) -> str:
    """When a run started or ended, as the app writes a day and a time: '6 Dec 2026 at 02:00'."""
    when = pd.Timestamp(value)
    return f"{day(when)} at {when:%H:%M}"


def imported(changes: list[previews.BoroughChange]) -> int:
    """The records a commit of these previewed changes stores: the notices new to each borough
    and those held with other details, not those held as they are nor older releases of them."""
    return sum(len(c.diff.added) + c.diff.records_changed for c in changes)


def older_than_held(changes: list[previews.BoroughChange]) -> int:
    """The records these previewed changes leave out as older than the notices held."""
    return sum(c.older for c in changes)


def count_left_out(state: Run, prepared: Any) -> None:
    """Add what a file (or a fetched page) read to the run's counts: every record it read,
    and those it left out, by reason. The others are its records (`prepared.records`), kept
    or left out once compared with the notices held (`count_stored`), so that what was read
    is what was kept and what was left out, each with its reason."""
    read = int(prepared.rows_read) + prepared.not_notices + prepared.merged_releases
    buyer_column = prepared.mapping.get("borough")
    not_tech = published.not_technology_rows(prepared.problems, buyer_column)
    refused = {p.row for p in prepared.problems if p.severity == "refused" and p.row is not None}
    elsewhere = {
        p.row
        for p in prepared.problems
        if p.severity == "refused" and p.column == buyer_column and p.row is not None
    }
    faults = refused - elsewhere - not_tech
    if faults and not state.refused_first:
        state.refused_first = next(
            p.reason for p in prepared.problems if p.severity == "refused" and p.row in faults
        )
    left_out = {
        "not_technology": len(not_tech),
        "other_councils": len(elsewhere),
        "refused": len(faults),
        "older": sum(getattr(prepared, "older_releases", {}).values()) + prepared.merged_releases,
        "not_notices": prepared.not_notices,
    }
    if prepared.refused:  # refused as a whole: a row no reason above names is refused too
        left_out["refused"] += max(read - sum(left_out.values()), 0)
    state.notices += read
    for name, n in left_out.items():
        setattr(state, name, getattr(state, name) + n)


def count_stored(
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


def count_queued(state: Run, prepared: Any) -> None:
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
) -> Run | None:
    """Put a notices file just stored from the Upload page in the history, as `import_file`
    puts one imported on the Published notices page, so that the history says when notices last
    came in whichever way they came. `changes`: the preview it was stored from, which says what
    it kept (without it, every record of the file). A register: nothing (None)."""
    if getattr(prepared, "source_kind", snapshots.REGISTER) != snapshots.PUBLISHED:
        return None
    state = file_run(prepared, prepared.file_name, user, now())
    state.status = "done"
    count_stored(state, prepared, changes)
    state.snapshot_ids, state.finished_at = list(snapshot_ids), state.started_at
    with db.write() as w:
        record(w, state)
    return state


def file_run(prepared: Any, file_name: str, user: str, started: str) -> Run:
    """A notices file's line in the history, before it is stored: what it read and left out."""
    state = Run(feed="file", since="", started_at=started, started_by=user, file_name=file_name)
    state.pages = 1
    count_left_out(state, prepared)
    return state


def now() -> str:
    return datetime.now().replace(microsecond=0).isoformat(sep=" ")
