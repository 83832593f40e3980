"""Fetches of published notices started from the app, run in the background.

A fetch reads pages from a publisher for minutes; run in the steward's own script run it would
hold that browser tab, and a rerun (any click) would stop it half way. So it runs in a thread of
its own, one per feed for the whole server, writing through the app's own `Database` (the one
process that holds the DuckDB file; its writes take their turn with every other write), and the
page reads its progress. Other visitors' pages keep reading as before: each read takes its own
cursor, and a page sees a new snapshot only once that page's notices are committed.
"""

from __future__ import annotations

import atexit
import logging
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date

import streamlit as st

from citydata.core import settings
from citydata.core.formatting import count
from citydata.feeds import fetch, runs, spool
from citydata.store.db import Database

log = logging.getLogger(__name__)

INBOX_SECONDS = settings.INBOX_SECONDS
# Pages one click fetches at most (a fetch carries on where the last one stopped).
PAGES_PER_RUN = 50
# How a fetch stopped there (or anywhere else) carries on, as the page says it.
AGAIN = "press Fetch again"
# A fault of the program during a fetch, as the page says it (the detail is in the server's log).
FAULT = (
    "The fetch stopped: something went wrong inside City Tools Explorer (a fault in the app, "
    "not in the publisher's notices or in what you chose). The notices stored before it stopped "
    "are kept; nothing of the unfinished page was stored. Fetch again to carry on; if it stops "
    "again, please report it (the server's log says where it happened)."
)
# Why a fetch stopped when whoever started it may no longer change the data.
NO_LONGER = (
    "The fetch stopped: {who} is no longer a data steward here (taken off the list of "
    "stewards, the upload password changed, or the sign-in ended)."
)


@dataclass
class Job:
    feed: str
    since: date
    started_by: str
    max_pages: int = PAGES_PER_RUN
    progress: runs.Run | None = None
    finished: bool = False
    error: str = ""
    thread: threading.Thread | None = field(default=None, repr=False)
    # Asked before each page is stored: may whoever started the fetch still change the data?
    allowed: Callable[[], bool] | None = field(default=None, repr=False)

    @property
    def fraction(self) -> float:
        return 1.0 if self.finished else min(self.pages / self.max_pages, 1.0)

    @property
    def pages(self) -> int:
        """The pages this click has read (a fetch carrying on counts those before it too)."""
        run = self.progress
        return run.pages - run.carried_from if run else 0

    def words(self) -> str:
        run = self.progress
        if run is None:
            return "Asking the publisher for the first page…"
        place = (
            f"Page {run.pages:,} ({self.pages:,} of at most {self.max_pages:,} this time)"
            if run.carried_from
            else f"Page {run.pages:,} of at most {self.max_pages:,}"
        )
        return (
            f"{place}: {count(run.notices, 'notice')} read, {count(run.imported, 'record')} kept."
        )


class Jobs:
    """The server's fetches, one per feed at a time, shared by every browser session."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._importing: set[str] = set()  # feeds whose queued batch the inbox is importing

    def begin_import(self, feed: str) -> bool:
        """Claim `feed` for importing a queued batch; False while a fetch of it runs here."""
        with self._lock:
            running = self._jobs.get(feed)
            if (running and not running.finished) or feed in self._importing:
                return False
            self._importing.add(feed)
            return True

    def end_import(self, feed: str) -> None:
        with self._lock:
            self._importing.discard(feed)

    def get(self, feed: str) -> Job | None:
        with self._lock:
            job = self._jobs.get(feed)
            return replace(job) if job else None

    def start(
        self,
        db: Database,
        feed: str,
        since: date,
        who: str,
        allowed: Callable[[], bool] | None = None,
    ) -> bool:
        """Start a fetch of `feed` for `who`; False when one is already running. `allowed` is
        asked before each page is stored (`steward.still_steward`): once it says no, the
        fetch stops, storing nothing more."""
        with self._lock:
            running = self._jobs.get(feed)
            if (running and not running.finished) or feed in self._importing:
                return False
            job = Job(feed=feed, since=since, started_by=who, allowed=allowed)
            job.thread = threading.Thread(
                target=self._work, args=(db, job), name=f"fetch-{feed}", daemon=True
            )
            self._jobs[feed] = job
        job.thread.start()
        return True

    def _update(self, job: Job, run: runs.Run) -> None:
        with self._lock:
            job.progress = replace(run, snapshot_ids=list(run.snapshot_ids))

    def _work(self, db: Database, job: Job) -> None:
        allowed = job.allowed

        def may_store() -> str | None:
            return None if allowed is None or allowed() else NO_LONGER.format(who=job.started_by)

        try:
            run = fetch.run(
                db,
                job.feed,
                job.since,
                max_pages=job.max_pages,
                on_page=lambda r: self._update(job, r),
                started_by=job.started_by,
                again=AGAIN,
                may_store=may_store,
            )
            self._update(job, run)
        except settings.SettingError as exc:
            job.error = str(exc)
        except Exception:  # a steward sees words, never a traceback: that is in the log
            log.exception("the fetch from %s stopped", job.feed)
            job.error = FAULT
        finally:
            with self._lock:
                job.finished = True


@st.cache_resource
def jobs() -> Jobs:
    return Jobs()


class Inbox:
    """Imports the fetches queued by `python -m citydata fetch` while this app holds the
    database (citydata.feeds.spool): one thread per server, at start and then every
    CITYTOOLS_INBOX_SECONDS, through the app's own `Database`, one feed at a time with the
    Published notices page's fetches (`Jobs`). It never touches Streamlit: only the database,
    the inbox folder and the shared `Jobs`."""

    def __init__(self, db: Database, jobs: Jobs, period: float) -> None:
        self.db, self.jobs, self.period = db, jobs, period
        self.inbox = spool.inbox_for(db.path)
        # The thread holds the importer only weakly: it ends once the importer is let go (the
        # cache cleared, the process ending), leaving no database handle in a sleeping thread.
        self.thread = threading.Thread(
            target=_listen, args=(weakref.ref(self), period), name="fetch-inbox", daemon=True
        )
        self.thread.start()

    def run_once(self) -> None:
        spool.beat(self.inbox, self.period)
        spool.sweep(self.db.path)
        for folder in spool.waiting(self.db.path):
            feed = spool.feed_of(folder)
            if feed is not None and not self.jobs.begin_import(feed):
                continue  # a fetch of this feed runs on the page: next pass
            try:
                spool.import_batch(self.db, folder)
            finally:
                if feed is not None:
                    self.jobs.end_import(feed)


# Set when the server's process ends: the inbox thread then stops between two passes, and the
# process waits for it, so no database handle is left in a thread still running at exit (DuckDB's
# bindings then print a reference-leak report into the server's log).
_stopping = threading.Event()


@atexit.register
def _stop_listening() -> None:
    _stopping.set()
    for thread in threading.enumerate():
        if thread.name == "fetch-inbox":
            thread.join(timeout=60)


def _listen(inbox: weakref.ref[Inbox], period: float) -> None:
    while not _stopping.is_set() and (importer := inbox()) is not None:
        try:
            importer.run_once()
        except Exception:  # keep listening; say why, and where, in the server's log
            log.exception("City Tools: the fetch inbox could not be read; trying again later")
        del importer
        _stopping.wait(period)


def inbox_period() -> float:
    """CITYTOOLS_INBOX_SECONDS; SettingError, naming it, for a value that is not seconds above 0."""
    return settings.inbox_seconds()


@st.cache_resource(show_spinner=False)
def _inbox(_db: Database, path: str) -> Inbox:
    return Inbox(_db, jobs(), inbox_period())


def start_inbox(db: Database) -> Inbox:
    """Start the server's inbox importer (once per process and database file). Its period is
    read on every run, so that a CITYTOOLS_INBOX_SECONDS that cannot be used (SettingError) is
    named each time, not only on the run that would have started it."""
    inbox_period()
    return _inbox(db, str(db.path))
