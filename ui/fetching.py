"""Fetches of published notices started from the app, run in the background.

A fetch reads pages from a publisher for minutes; run in the steward's own script run it would
hold that browser tab, and a rerun (any click) would stop it half way. So it runs in a thread of
its own, one per feed for the whole server, writing through the app's own `Database` (the one
process that holds the DuckDB file; its writes take their turn with every other write), and the
page reads its progress. Other visitors' pages keep reading as before: each read takes its own
cursor, and a page sees a new snapshot only once that page's notices are committed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from datetime import date

import streamlit as st

from citydata.core import settings
from citydata.feeds import fetch
from citydata.store.db import Database

# Pages one click fetches at most (a fetch carries on where the last one stopped).
PAGES_PER_RUN = 50


@dataclass
class Job:
    feed: str
    since: date
    started_by: str
    max_pages: int = PAGES_PER_RUN
    progress: fetch.Run | None = None
    finished: bool = False
    error: str = ""
    thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def fraction(self) -> float:
        pages = self.progress.pages if self.progress else 0
        return 1.0 if self.finished else min(pages / self.max_pages, 1.0)

    def words(self) -> str:
        run = self.progress
        if run is None:
            return "Asking the publisher for the first page…"
        return (
            f"Page {run.pages:,} of at most {self.max_pages:,}: {run.notices:,} notices read, "
            f"{run.imported:,} records kept."
        )


class Jobs:
    """The server's fetches, one per feed at a time, shared by every browser session."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}

    def get(self, feed: str) -> Job | None:
        with self._lock:
            job = self._jobs.get(feed)
            return replace(job) if job else None

    def start(self, db: Database, feed: str, since: date, who: str) -> bool:
        """Start a fetch of `feed`; False when one is already running."""
        with self._lock:
            running = self._jobs.get(feed)
            if running and not running.finished:
                return False
            job = Job(feed=feed, since=since, started_by=who)
            job.thread = threading.Thread(
                target=self._work, args=(db, job), name=f"fetch-{feed}", daemon=True
            )
            self._jobs[feed] = job
        job.thread.start()
        return True

    def _update(self, job: Job, run: fetch.Run) -> None:
        with self._lock:
            job.progress = replace(run, snapshot_ids=list(run.snapshot_ids))

    def _work(self, db: Database, job: Job) -> None:
        try:
            run = fetch.run(
                db,
                job.feed,
                job.since,
                max_pages=job.max_pages,
                on_page=lambda r: self._update(job, r),
                started_by=job.started_by,
            )
            self._update(job, run)
        except settings.SettingError as exc:
            job.error = str(exc)
        except Exception as exc:  # a steward sees words, never a traceback
            job.error = f"The fetch stopped unexpectedly ({type(exc).__name__}). Try again."
        finally:
            with self._lock:
                job.finished = True


@st.cache_resource
def jobs() -> Jobs:
    return Jobs()
