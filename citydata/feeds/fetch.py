"""Fetch a feed of published notices page by page, import each page, remember where it got to.

Each feed is an OCDS release-package search that pages with `links.next`: Contracts Finder's
`/Published/Notices/OCDS/Search` (`publishedFrom`, `limit`) and Find a Tender's
`/api/1.0/ocdsReleasePackages` (`updatedFrom`, `limit`). The base addresses are settings
(CITYTOOLS_CONTRACTS_FINDER_URL, CITYTOOLS_FIND_A_TENDER_URL), so a test or a mirror can stand in.

For every page: its bytes are kept (the `raw_files` table, like an uploaded file); its notices go
through the same reading as an uploaded file (`citydata.ingest.prepare`), so only the region's
authorities' technology notices are imported, as published notices beside the registers; then the
run's state (`meta` key `feed:<name>`: status, the next page's address, counts, message) is
written, and the run's line in the `feed_runs` history (each run, and each notices file imported
from the app, with when, by whom, what it read, kept and left out and why). A run stopped half way
(interrupted, a failing server) resumes from the page after the last one stored when run again with
the same --since. A page that cannot be read stops the run with a message and stores nothing of
that page.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
import pandas as pd

from citydata import ingest
from citydata.core import settings
from citydata.core.formatting import count
from citydata.feeds import client as http
from citydata.feeds.client import FeedError
from citydata.ingest import published
from citydata.store import previews, snapshots
from citydata.store.db import Database, Reader

PAGE_SIZE = 100


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
    notices: int = 0  # releases read
    imported: int = 0  # records stored
    not_technology: int = 0  # the region's records left out as not technology
    other_councils: int = 0  # records of buyers outside the region (or not recognised)
    refused: int = 0  # records left out for another reason (no supplier, a bad date...)
    # records left out as older releases of a notice: older than the one held, or than a newer
    # release of it in the same file or page
    older: int = 0
    snapshot_ids: list[int] = field(default_factory=list)
    message: str = ""
    run_id: int | None = None  # its line in feed_runs
    started_by: str = ""
    file_name: str | None = None  # for a notices file imported from the app

    def summary(self) -> str:
        if self.feed == "file":
            what = (
                f"{self.file_name}: {count(self.notices, 'row')} read, "
                f"{count(self.imported, 'technology record')} of the region's councils kept. "
                f"{self.left_out()}"
            )
            return f"{what} {self.message}".strip()
        label = FEEDS[self.feed].label if self.feed in FEEDS else self.feed
        what = (
            f"{label} since {self.since}: {count(self.pages, 'page')}, "
            f"{count(self.notices, 'notice')} read, "
            f"{count(self.imported, 'technology record')} of the region's councils imported."
        )
        return " ".join(p for p in (what, self.left_out(), self.message) if p)

    def left_out(self) -> str:
        """What was left out and why, then what was refused, in words ('' when nothing was).
        Left out: what the region does not keep, with nothing to fix; refused: a fault of the
        notice (no supplier, a bad date...)."""
        parts = [
            (self.not_technology, "not technology"),
            (self.other_councils, "bought by a council outside the region or not recognised"),
            (
                self.older,
                "older release of a notice (its newer release is held or in the same file)"
                if self.older == 1
                else "older releases of notices (their newer releases are held or in the same "
                "file)",
            ),
        ]
        said = [f"{n:,} {why}" for n, why in parts if n]
        out = ("Left out: " + "; ".join(said) + ".") if said else ""
        if self.refused:
            out += f" Refused: {self.refused:,} (see the file's problems)."
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


def _save(db: Database, run: Run) -> None:
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
        " $other_councils, $refused, $message, $older)",
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
    "message",
    "finished_at",
)


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
    run = Run(
        feed=row["feed"],
        since="",
        pages=int(row["pages"]),
        notices=int(row["notices"]),
        imported=int(row["kept"]),
        not_technology=int(row["not_technology"]),
        other_councils=int(row["other_councils"]),
        refused=int(row["refused"]),
        older=int(row.get("older") or 0),  # (NULL: a run recorded before it was counted)
    )
    parts = [
        f"{row['started_at']:%Y-%m-%d %H:%M}",
        what,
        f"by {row['started_by'] or 'unknown'}",
        row["status"],
        f"{count(run.pages, 'page')}, {run.notices:,} read, {run.imported:,} kept.",
        run.left_out(),
        row["message"] or "",
    ]
    return " · ".join(p for p in parts[:4]) + ": " + " ".join(p for p in parts[4:] if p)


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


def base_url(feed: Feed) -> str:
    url = (settings.value(feed.setting) or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise settings.SettingError(
            f"{feed.setting} is “{url[:80]}”, which is not a web address (https://...)."
        )
    return url


def _same_site(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def next_link(document: Any) -> str | None:
    links = document.get("links") if isinstance(document, dict) else None
    nxt = links.get("next") if isinstance(links, dict) else None
    return nxt if isinstance(nxt, str) and nxt.strip() else None


class Store(Protocol):
    """Where a fetch puts what it reads: the database itself (`DatabaseStore`), or a batch
    queued for the running app to import (citydata.feeds.spool)."""

    def save(self, run: Run) -> None: ...

    def page(self, feed: Feed, state: Run, page: http.Page, releases: int) -> None: ...


class DatabaseStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def save(self, run: Run) -> None:
        _save(self.db, run)

    def page(self, feed: Feed, state: Run, page: http.Page, releases: int) -> None:
        _store_page(self.db, feed, state, page, releases)


def run(
    db: Database,
    feed_key: str,
    since: date,
    *,
    restart: bool = False,
    backoff: float = 2.0,
    max_pages: int | None = None,
    on_page: Callable[[Run], None] | None = None,
    client: httpx.Client | None = None,
    started_by: str = "command line",
) -> Run:
    """Fetch the feed's notices published since `since`; resume an unfinished run."""
    return download(
        DatabaseStore(db),
        feed_key,
        since,
        last_run(db, feed_key),
        restart=restart,
        backoff=backoff,
        max_pages=max_pages,
        on_page=on_page,
        client=client,
        started_by=started_by,
    )


def download(
    store: Store,
    feed_key: str,
    since: date,
    previous: Run | None,
    *,
    restart: bool = False,
    backoff: float = 2.0,
    max_pages: int | None = None,
    on_page: Callable[[Run], None] | None = None,
    client: httpx.Client | None = None,
    started_by: str = "command line",
) -> Run:
    """The fetch itself: page after page into `store`, carrying on from `previous` (the feed's
    last run) when it stopped half way with the same `since`."""
    feed = FEEDS[feed_key]
    base = base_url(feed)
    since_text = since.isoformat()
    now = _now()
    if (
        not restart
        and previous is not None
        and previous.status in ("running", "failed")
        and previous.since == since_text
        and previous.next_url
    ):
        state = previous
        state.status, state.finished_at = "running", None
        state.message = f"Carried on from page {state.pages + 1}."
        state.run_id, state.started_at, state.started_by = None, now, started_by
        url, params = state.next_url, None
    else:
        state = Run(feed=feed_key, since=since_text, started_at=now, started_by=started_by)
        url = base
        params = {feed.since_param: f"{since_text}T00:00:00", feed.size_param: PAGE_SIZE}
    state.next_url = url
    store.save(state)
    own_client = client is None
    session = client or http.new_client()
    try:
        while url is not None:
            if max_pages is not None and state.pages >= max_pages:
                state.message = f"Stopped after {count(max_pages, 'page')}; run again to carry on."
                state.status = "failed"
                break
            page = http.get(session, url, params, backoff=backoff)
            document = page.document
            releases = document.get("releases") if isinstance(document, dict) else None
            if not isinstance(releases, list):
                raise FeedError(
                    f"{feed.label}'s answer no longer looks like a list of notices (an OCDS "
                    "release package with 'releases'): the feed may have changed. Nothing from "
                    "this page was stored."
                )
            nxt = next_link(document)
            if nxt is not None and not _same_site(nxt, base):
                raise FeedError(f"{feed.label} sent a next page on another site; stopped there.")
            store.page(feed, state, page, len(releases))
            state.pages += 1
            state.notices += len(releases)
            state.next_url = nxt
            store.save(state)
            if on_page:
                on_page(state)
            url, params = nxt, None
        else:
            state.status = "done"
            state.message = "No new notices." if state.notices == 0 else ""
    except FeedError as exc:
        state.status, state.message = "failed", f"{exc} Run the fetch again to carry on."
    except (httpx.HTTPError, OSError) as exc:  # anything the client did not turn into words
        state.status = "failed"
        state.message = (
            f"The fetch stopped: {http.in_words(exc)}. Nothing of the unfinished page was "
            "stored. Run the fetch again to carry on."
        )
    finally:
        if own_client:
            session.close()
        state.finished_at = _now()
        if state.status == "running":  # interrupted (Ctrl-C, a crash): resumable
            state.status = "failed"
            state.message = state.message or "Interrupted; run the fetch again to carry on."
        store.save(state)
    return state


def _store_page(db: Database, feed: Feed, state: Run, page: http.Page, releases: int) -> None:
    name = f"{feed.key} {state.since} page {state.pages + 1}.json"
    if releases == 0:
        return
    prepared = ingest.prepare(page.content, name)
    count_left_out(state, prepared)
    if prepared.refused or prepared.records.empty:
        with db.write() as w:
            snapshots.save_raw_file(w, name, page.content)
        return
    # What is imported is what changes: the notices the boroughs do not hold yet, and those
    # held with other details (a page of notices already held, as they are, imports none).
    changes = previews.preview(db, prepared)
    try:
        ids = snapshots.commit(db, prepared, page.content, f"{feed.label} feed", source="fetch")
    except snapshots.NothingChanged:  # every notice on the page is already held as it is
        ids = []  # (and every change previewed is empty: none imported)
    state.snapshot_ids += ids
    state.imported += imported(changes)
    state.older += older_than_held(changes)


def imported(changes: list[previews.BoroughChange]) -> int:
    """The records a commit of these previewed changes stores: the notices new to each borough
    and those held with other details, not those held as they are nor older releases of them."""
    return sum(len(c.diff.added) + c.diff.records_changed for c in changes)


def older_than_held(changes: list[previews.BoroughChange]) -> int:
    """The records these previewed changes leave out as older than the notices held."""
    return sum(c.older for c in changes)


def count_left_out(state: Run, prepared: Any) -> None:
    """Add the file's left-out records to the run's counts, by reason (those older than the
    notices held are known once it is compared with them: `older_than_held`)."""
    buyer_column = prepared.mapping.get("borough")
    not_tech = published.not_technology_rows(prepared.problems, buyer_column)
    refused = {p.row for p in prepared.problems if p.severity == "refused" and p.row is not None}
    elsewhere = {
        p.row
        for p in prepared.problems
        if p.severity == "refused" and p.column == buyer_column and p.row is not None
    }
    state.not_technology += len(not_tech)
    state.other_councils += len(elsewhere)
    state.refused += len(refused - elsewhere - not_tech)
    state.older += sum(getattr(prepared, "older_releases", {}).values())


def import_file(db: Database, content: bytes, file_name: str, user: str) -> Run:
    """Import a downloaded notices file (any shape `citydata.ingest` reads) as published notices,
    and record it in the history. A file that is not published notices, or that is refused,
    stores nothing; the run's message says why."""
    started = _now()
    prepared = ingest.prepare(content, file_name)
    state = _file_run(prepared, file_name, user, started)
    if getattr(prepared, "source_kind", snapshots.REGISTER) != snapshots.PUBLISHED:
        state.status = "failed"
        state.message = (
            "This file is a register, not published notices (Contracts Finder, Find a Tender "
            "or OCDS): upload it on the Upload page. Nothing was stored."
        )
    elif prepared.refused:
        state.status, state.message = "failed", f"The file was refused: {prepared.refused}"
    elif prepared.records.empty:
        state.status, state.message = "done", "No technology notices of the region's councils."
    else:
        try:
            changes = previews.preview(db, prepared)
            state.older += older_than_held(changes)
            expect = {c.borough_code: c.base_snapshot_id for c in changes}
            state.snapshot_ids = snapshots.commit(
                db, prepared, content, user, expect=expect, source="upload"
            )
        except snapshots.NothingChanged as exc:  # every notice already held: nothing failed
            state.status, state.message = "done", str(exc)
        except previews.CommitRefused as exc:
            state.status, state.message = "failed", f"{exc} Nothing was stored."
        else:
            state.status, state.imported = "done", imported(changes)
    state.finished_at = _now()
    with db.write() as w:
        record(w, state)
    return state


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
    state = _file_run(prepared, prepared.file_name, user, _now())
    kept = len(prepared.records) if changes is None else imported(changes)
    state.status, state.imported = "done", kept
    state.older += older_than_held(changes or [])
    state.snapshot_ids, state.finished_at = list(snapshot_ids), state.started_at
    with db.write() as w:
        record(w, state)
    return state


def _file_run(prepared: Any, file_name: str, user: str, started: str) -> Run:
    """A notices file's line in the history, before it is stored: what it read and left out."""
    state = Run(feed="file", since="", started_at=started, started_by=user, file_name=file_name)
    state.pages, state.notices = 1, int(prepared.rows_read)
    count_left_out(state, prepared)
    return state


def _now() -> str:
    return datetime.now().replace(microsecond=0).isoformat(sep=" ")
