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
from the app, with when, by whom, what it read, kept and left out and why: both kept by
`citydata.feeds.runs`). A run stopped half way
(interrupted, a failing server) resumes from the page after the last one stored when run again with
the same --since. A page that cannot be read, or that is refused as a whole, stops the run with a
message naming the page, and stores nothing of it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

import httpx

from citydata import ingest
from citydata.core import settings
from citydata.core.formatting import count
from citydata.feeds import client as http
from citydata.feeds import counts, runs
from citydata.feeds.client import FeedError
from citydata.feeds.runs import FEEDS, Feed, Run, last_run, record
from citydata.store import previews, snapshots
from citydata.store.db import Database

PAGE_SIZE = 100
# Pages one fetch reads at most when not told how many (`max_pages`): a publisher whose every
# page names a new next page, for ever, would otherwise keep a scheduled fetch running for ever.
# A fetch stopped there carries on from the next page when run again.
MAX_PAGES = 1_000


class PageRefused(FeedError):
    """A page read whole but refused as a whole, for a reason that is not its notices' own."""


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


def next_link(document: Any, page_url: str) -> str | None:
    """The address of the page after this one (`links.next`), in full: one written without its
    site ("/search?cursor=..."), or relative to the page, is the page's own site's."""
    links = document.get("links") if isinstance(document, dict) else None
    nxt = links.get("next") if isinstance(links, dict) else None
    return urljoin(page_url, nxt.strip()) if isinstance(nxt, str) and nxt.strip() else None


class Store(Protocol):
    """Where a fetch puts what it reads: the database itself (`DatabaseStore`), or a batch
    queued for the running app to import (citydata.feeds.spool)."""

    def save(self, run: Run) -> None: ...

    def page(self, feed: Feed, state: Run, page: http.Page, releases: int) -> None: ...


class DatabaseStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def save(self, run: Run) -> None:
        runs.save(self.db, run)

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
    again: str = "run the fetch again",
    may_store: Callable[[], str | None] | None = None,
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
        again=again,
        may_store=may_store,
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
    again: str = "run the fetch again",
    may_store: Callable[[], str | None] | None = None,
) -> Run:
    """The fetch itself: page after page into `store`, carrying on from `previous` (the feed's
    last run) when it stopped half way with the same `since`; at most `max_pages` pages
    (MAX_PAGES when not told), then stopped, saying `again` (how to carry on: "press Fetch
    again") and from which page. `may_store`, if given, is asked before each page is stored:
    words saying why not (whoever started the fetch may no longer change the data) stop the
    fetch there, that page unstored, and are its message."""
    feed = FEEDS[feed_key]
    base = base_url(feed)
    since_text = since.isoformat()
    now = runs.now()
    carried = ""  # (a fetch carrying on from one stopped half way: said in its every outcome)
    if (
        not restart
        and previous is not None
        and previous.status in ("running", "failed")
        and previous.since == since_text
        and previous.next_url
    ):
        state = previous
        state.status, state.finished_at = "running", None
        carried = (
            f"Carried on from page {state.pages + 1}, where the fetch before stopped: the counts "
            f"include the {count(state.pages, 'page')} read before."
        )
        state.message, state.carried_from = carried, state.pages
        state.run_id, state.started_at, state.started_by = None, now, started_by
        url = state.next_url
    else:
        state = Run(feed=feed_key, since=since_text, started_at=now, started_by=started_by)
        url = base
    first_page = {feed.since_param: f"{since_text}T00:00:00", feed.size_param: PAGE_SIZE}
    params = None if carried else first_page
    carried_at = url if carried else None  # the page a fetch carrying on asks for first
    state.next_url = carried_at  # (None: a run stopped before its first page starts afresh)
    store.save(state)
    own_client = client is None
    session = client or http.new_client()
    read: list[str] = []  # the pages' addresses this run asked for, in turn
    first = state.carried_from  # (the pages a run carried on from had read before it)
    limit, most = (MAX_PAGES, "one fetch reads") if max_pages is None else (max_pages, "asked for")
    try:
        while url is not None:
            if state.pages - first >= limit:
                state.message = _with(
                    f"Stopped after {count(limit, 'page')}, the most {most} at a time: {again} to "
                    f"carry on from page {state.pages + 1:,}.",
                    carried,
                )
                state.status = "failed"
                break
            try:
                page = http.get(session, url, params, backoff=backoff)
            except http.Refused as exc:
                if read or url != carried_at:
                    raise
                # the publisher has forgotten the place the fetch before stopped at (an expired
                # cursor): carrying on can never work, so start again (what is held is kept)
                _start_again(state)
                carried = (
                    "The publisher no longer knew the page the fetch before stopped at (it "
                    f"refused it: {exc.status}), so this fetch started again from the first page."
                )
                state.message, first, carried_at = carried, 0, None
                url, params = base, first_page
                state.next_url = None  # (from the start, as a new fetch asks for it)
                store.save(state)  # (a batch for the app starts from this state: spool)
                continue
            read.append(page.url)
            document = page.document
            releases = document.get("releases") if isinstance(document, dict) else None
            if not isinstance(releases, list):
                raise FeedError(
                    f"{feed.label}'s answer no longer looks like a list of notices (an OCDS "
                    "release package with 'releases'): the feed may have changed. Nothing from "
                    "this page was stored."
                )
            nxt = next_link(document, page.url)
            if nxt is not None and not _same_site(nxt, base):
                raise FeedError(f"{feed.label} sent a next page on another site; stopped there.")
            if may_store is not None and (refused := may_store()):
                state.status = "failed"
                state.message = _with(
                    f"{refused} Nothing from page {state.pages + 1:,} on was stored; the notices "
                    "of the pages before it are kept.",
                    carried,
                )
                break
            store.page(feed, state, page, len(releases))
            state.pages += 1  # (its records are counted as the store reads them)
            state.next_url = nxt
            store.save(state)
            if on_page:
                on_page(state)
            url, params = nxt, None
            if nxt is not None and nxt in read:  # a publisher's paging gone round in a circle
                again = first + read.index(nxt) + 1
                state.status = "failed"
                state.message = _with(
                    f"{feed.label} gave the address of page {again} again as the next page: "
                    "the fetch stopped there, as it would otherwise ask for the same page for "
                    "ever. The notices of the pages read are kept; run the fetch again later to "
                    "carry on.",
                    carried,
                )
                break
        else:
            state.status = "done"
            state.message = _with(carried, "No new notices." if state.notices == 0 else "")
    except FeedError as exc:
        said = str(exc)
        if not isinstance(exc, PageRefused):  # (a page refused says which itself)
            said += _at(state, url)
        then = "" if "run the fetch again" in said.lower() else f" {_sentence(again)} to carry on."
        state.status, state.message = "failed", _with(said + then, carried)
    except (httpx.HTTPError, OSError) as exc:  # anything the client did not turn into words
        state.status = "failed"
        state.message = _with(
            f"The fetch stopped: {http.in_words(exc)}. Nothing of the unfinished page was "
            f"stored.{_at(state, url)} {_sentence(again)} to carry on.",
            carried,
        )
    finally:
        if own_client:
            session.close()
        state.finished_at = runs.now()
        if state.status == "running":  # interrupted (Ctrl-C, a crash): resumable
            state.status = "failed"
            if state.message in ("", carried):
                state.message = _with("Interrupted; run the fetch again to carry on.", carried)
        store.save(state)
    return state


def _start_again(state: Run) -> None:
    """`state`, a run that carried on, as one starting from the first page: none of the counts
    of the pages read before."""
    fresh = Run(feed=state.feed, since=state.since)
    for name in ("pages", *runs.COUNTS, "refused_with_file", "carried_from", "refused_first"):
        setattr(state, name, getattr(fresh, name))
    state.snapshot_ids = []


def _at(state: Run, url: str | None) -> str:
    """Which page a fetch stopped at, without storing it, in words: ' That was page 3
    (https://...); the pages before it are kept.'"""
    where = f" ({url[:200]})" if url else ""
    before = "; the pages before it are kept" if state.pages else ""
    return f" That was page {state.pages + 1:,}{where}{before}."


def refusal(state: Run, reason: str, entries: int) -> str:
    """Why a page was refused as a whole, and which: what a fetch that stops there says (then
    how to carry on). What an uploaded file would be told to do (split it, save it again and
    upload it) means nothing for a page a publisher gives: only what is wrong is quoted."""
    return (
        f"Page {state.pages + 1:,} was refused as a whole, as a file of notices would be "
        f"(“{_page_reason(reason)}”): none of its {count(entries, 'entry', 'entries')} was "
        "counted or stored; the pages before it are kept. If the fetch is refused at this page "
        "again later, report the page to the publisher."
    )


def _page_reason(reason: str) -> str:
    """What is wrong with a page, from why a file would be refused: its first sentence (the
    rest says what to do with a file uploaded), of the page."""
    first = re.split(r"(?<=[.!?])\s+(?=[A-Z])", reason.strip(), maxsplit=1)[0]
    return re.sub(r"^This file\b", "This page", first)


def _sentence(words: str) -> str:
    return words[:1].upper() + words[1:]


def _with(first: str, then: str) -> str:
    return " ".join(part for part in (first, then) if part)


def _store_page(db: Database, feed: Feed, state: Run, page: http.Page, releases: int) -> None:
    name = f"{feed.key} {state.since} page {state.pages + 1}.json"
    if releases == 0:
        return
    prepared = ingest.prepare(page.content, name)
    if counts.refused_whole(prepared):  # (stored nothing: run again, it is read again)
        raise PageRefused(refusal(state, prepared.refused or "", releases))
    counts.read(state, prepared)
    if prepared.refused or (prepared.records.empty and not prepared.withdrawn):
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
    counts.compared(state, prepared, changes)


def import_file(db: Database, content: bytes, file_name: str, user: str) -> Run:
    """Import a downloaded notices file (any shape `citydata.ingest` reads) as published notices,
    and record it in the history. A file that is not published notices, or that is refused,
    stores nothing; the run's message says why."""
    started = runs.now()
    prepared = ingest.prepare(content, file_name)
    state = counts.file_run(prepared, file_name, user, started)
    if prepared.refused and not prepared.columns:  # no table at all (a PDF): no register either
        state.status, state.message = "failed", f"The file was refused: {prepared.refused}"
    elif getattr(prepared, "source_kind", snapshots.REGISTER) != snapshots.PUBLISHED:
        state.status = "failed"
        state.message = (
            "This file is a register, not published notices (Contracts Finder, Find a Tender "
            "or OCDS): upload it on the Upload page. Nothing was stored."
        )
        if not any(prepared.mapping.get(f) for f in ("system", "vendor")):  # (a payments list)
            state.message = (
                "This file is not published notices (Contracts Finder, Find a Tender or OCDS), "
                "nor a register: no column of it names a system or a vendor. Nothing was stored."
            )
    elif counts.nothing_kept(prepared):
        # every notice read and left out for a reason with nothing to fix (not technology,
        # another council's...): nothing went wrong, though the file holds nothing to import
        state.status, state.message = "done", counts.NOTHING_KEPT
    elif prepared.refused:
        state.status, state.message = "failed", f"The file was refused: {prepared.refused}"
    else:
        changes: list[previews.BoroughChange] = []
        try:
            changes = previews.preview(db, prepared)
            expect = {c.borough_code: c.base_snapshot_id for c in changes}
            state.snapshot_ids = snapshots.commit(
                db, prepared, content, user, expect=expect, source="upload"
            )
        except snapshots.NothingChanged as exc:  # every notice already held: nothing failed
            state.status, state.message = "done", str(exc)
            counts.compared(state, prepared, changes, stored=False)
        except previews.CommitRefused as exc:
            state.status, state.message = "failed", f"{exc} Nothing was stored."
        else:
            state.status = "done"
            counts.compared(state, prepared, changes)
    state.finished_at = runs.now()
    with db.write() as w:
        record(w, state)
    return state
