"""Fetch a feed of published notices page by page, import each page, remember where it got to.

Each feed is an OCDS release-package search that pages with `links.next`: Contracts Finder's
`/Published/Notices/OCDS/Search` (`publishedFrom`, `size`) and Find a Tender's
`/api/1.0/ocdsReleasePackages` (`updatedFrom`, `limit`). The base addresses are settings
(CITYTOOLS_CONTRACTS_FINDER_URL, CITYTOOLS_FIND_A_TENDER_URL), so a test or a mirror can stand in.

For every page: its bytes are kept (the `raw_files` table, like an uploaded file); its notices go
through the same reading as an uploaded file (`citydata.ingest.prepare`), so only the region's
authorities' technology notices are imported, as published notices beside the registers; then
the run's state (`meta` key `feed:<name>`: status, the next page's address, counts, message) is
written. A run stopped half way (interrupted, a failing server) resumes from the page after the
last one stored when run again with the same --since. A page that cannot be read stops the run
with a message and stores nothing of that page.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from citydata import ingest
from citydata.core import settings
from citydata.feeds import client as http
from citydata.feeds.client import FeedError
from citydata.ingest import published
from citydata.store import snapshots
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
            "size",
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
    not_technology: int = 0  # the region's notices left out as not technology
    snapshot_ids: list[int] = field(default_factory=list)
    message: str = ""

    def summary(self) -> str:
        label = FEEDS[self.feed].label if self.feed in FEEDS else self.feed
        what = (
            f"{label} since {self.since}: {self.pages:,} pages, {self.notices:,} notices read, "
            f"{self.imported:,} technology records of the region's councils imported, "
            f"{self.not_technology:,} of their notices not technology."
        )
        return f"{what} {self.message}".strip()


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
        w.execute(
            "INSERT OR REPLACE INTO meta VALUES ($k, $v)",
            {"k": _key(FEEDS[run.feed]), "v": json.dumps(asdict(run))},
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


def _next(document: Any) -> str | None:
    links = document.get("links") if isinstance(document, dict) else None
    nxt = links.get("next") if isinstance(links, dict) else None
    return nxt if isinstance(nxt, str) and nxt.strip() else None


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
) -> Run:
    """Fetch the feed's notices published since `since`; resume an unfinished run."""
    feed = FEEDS[feed_key]
    base = base_url(feed)
    since_text = since.isoformat()
    previous = last_run(db, feed_key)
    now = datetime.now().replace(microsecond=0).isoformat(sep=" ")
    if (
        not restart
        and previous is not None
        and previous.status in ("running", "failed")
        and previous.since == since_text
        and previous.next_url
    ):
        state = previous
        state.status, state.message, state.finished_at = "running", "", None
        url, params = state.next_url, None
    else:
        state = Run(feed=feed_key, since=since_text, started_at=now)
        url = base
        params = {feed.since_param: f"{since_text}T00:00:00", feed.size_param: PAGE_SIZE}
    state.next_url = url
    _save(db, state)
    own_client = client is None
    session = client or http.new_client()
    try:
        while url is not None:
            if max_pages is not None and state.pages >= max_pages:
                state.message = f"Stopped after {max_pages} pages; run again to carry on."
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
            nxt = _next(document)
            if nxt is not None and not _same_site(nxt, base):
                raise FeedError(f"{feed.label} sent a next page on another site; stopped there.")
            _store_page(db, feed, state, page, len(releases))
            state.pages += 1
            state.notices += len(releases)
            state.next_url = nxt
            _save(db, state)
            if on_page:
                on_page(state)
            url, params = nxt, None
        else:
            state.status = "done"
            state.message = "No new notices." if state.notices == 0 else ""
    except FeedError as exc:
        state.status, state.message = "failed", f"{exc} Run the fetch again to carry on."
    finally:
        if own_client:
            session.close()
        state.finished_at = datetime.now().replace(microsecond=0).isoformat(sep=" ")
        if state.status == "running":  # interrupted (Ctrl-C, a crash): resumable
            state.status = "failed"
            state.message = state.message or "Interrupted; run the fetch again to carry on."
        _save(db, state)
    return state


def _store_page(db: Database, feed: Feed, state: Run, page: http.Page, releases: int) -> None:
    name = f"{feed.key} {state.since} page {state.pages + 1}.json"
    if releases == 0:
        return
    prepared = ingest.prepare(page.content, name)
    buyer_column = prepared.mapping.get("borough")
    state.not_technology += len(published.not_technology_rows(prepared.problems, buyer_column))
    if prepared.refused or prepared.records.empty:
        with db.write() as w:
            snapshots.save_raw_file(w, name, page.content)
        return
    try:
        ids = snapshots.commit(db, prepared, page.content, f"{feed.label} feed", source="fetch")
    except snapshots.NothingChanged:  # every notice on the page is already held as it is
        ids = []
    state.snapshot_ids += ids
    state.imported += len(prepared.records)
