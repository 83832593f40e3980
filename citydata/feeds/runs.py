"""A feed's runs, kept: each fetch of a feed and each notices file imported from the app, with
what it read, kept and left out and why (`Run`), the feed's state in `meta` (key `feed:<name>`:
status, the next page's address, counts, message: where a run stopped half way carries on), and
its line in the `feed_runs` history (`record`). The feeds themselves, by name and label, are here
too (`FEEDS`), as every run names its feed.

`citydata.feeds.counts` adds what a page or a file read, kept and left out to a run;
`citydata.feeds.history` says the runs kept in words. `citydata.feeds.fetch` reads the pages and
imports them, keeping its runs here; a fetch queued while the app holds the file keeps them
through `citydata.feeds.spool`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from citydata.core import dates
from citydata.core.formatting import count
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


# A run's counts of records and notices, read, kept and left out by reason (the fields of `Run`
# below that say so), copied or reset together (citydata.feeds.fetch, citydata.feeds.spool).
COUNTS = ("notices", "imported", "not_technology", "other_councils", "refused", "older",
          "not_notices", "held", "withdrawn", "withdrawn_not_held",
          "withdrawn_queued")  # fmt: skip


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
    # records of a file refused as a whole for a reason of the file's own (the run's message:
    # the technology rules unreadable...), none for a fault of its own; not in the history,
    # whose line has the message that says why
    refused_with_file: int = 0
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
        notice (a bad date, an end before the start...), or the file's reason where it was
        refused as a whole."""
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
        if n := self.refused_with_file:
            out += (
                f" Refused with the file as a whole: {n:,}, for the file's reason, not a fault "
                f"of {'its' if n == 1 else 'their'} own."
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


def now() -> str:
    return dates.now().isoformat(sep=" ")
