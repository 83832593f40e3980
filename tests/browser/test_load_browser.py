"""Twenty people browse the app at once while a data steward keeps changing the data.

One real `streamlit run`; one Chromium driven from an asyncio loop, with 20 browser sessions (each
a tab with its own Streamlit session, spread over 5 browser contexts, which start browsing
together, the first page of each compiling the app's code) and a steward's context, where a
signed-in steward rolls Camden back and forth on the History page: each click commits a new
snapshot inside the server. Each person opens addresses with filters in the URL, then moves
through the sidebar to the Overview and on to another page, again and again.

Camden's two states have different numbers of records (23 and 30), and only the first is the
illustrative data, so every Overview and Borough profile a person sees can show exactly two
(Records figure, illustrative-data notice) pairs for its filters: anything else is a page mixing
two states of the data. People stop starting new pages CITYTOOLS_LOAD_SECONDS (15 by default)
after they begin, once the steward has committed at least three times; pages in flight finish.
Each person's first page, twenty opened at once, keeps the two cores busy for about a minute,
and the steward's three commits land while pages are under way: the test checks that at least
one commit fell between a checked page's request and its reading (`Tally.under_way`). (It once
browsed for 30 s and until five commits, 77 s and 32 page loads on the quiet machine, where
the pages after each person's first were more pages of the same kinds, at 3-5 CPU s each.)
Only this machine (loopback) is reachable from the browser. The throughput is printed and saved
to test-artifacts/load-throughput.json.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

import pandas as pd
import pytest
from playwright.async_api import TimeoutError as PlaywrightTimeout

from citydata import lifecycle
from citydata.query import borough_profile, filters, selection
from citydata.query.filters import FilterState
from citydata.store import rollbacks, snapshots
from tests.browser.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    POLL_MS,
    QUIET,
    RESTART_QUIET,
    run_server,
)
from tests.browser.runs import WATCH_RUNS
from tests.snapshot_helpers import borough_records, prepared

pytestmark = pytest.mark.slow

SESSIONS = 20
CONTEXTS = 5  # browser contexts the sessions (tabs) are spread over
BROWSE_SECONDS = float(os.environ.get("CITYTOOLS_LOAD_SECONDS", "15"))
MIN_COMMITS = 3
TIMEOUT_MS = 150_000  # generous: 21 busy tabs on two cores; a hang still fails
PASSWORD = "correct horse battery staple"
CAMDEN = "E09000007"
EXTRA = 7  # records Camden's second state has on top of its first

OVERVIEW = "City Tools Explorer"
HEADINGS = {  # sidebar link -> the page's heading
    "Overview": OVERVIEW,
    "Map": "Borough map",
    "Borough profile": "Borough profile",
    "Calendar": "Contract calendar",
    "Collaboration": "Collaboration finder",
    "Market": "Market: vendors and concentration",
}
ONWARD = ("Map", "Market", "Calendar", "Collaboration", "Borough profile")


@dataclass(frozen=True)
class Visit:
    """An address a person opens: a page (its sidebar link) and its URL parameters."""

    link: str
    params: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def url(self, base: str) -> str:
        query = urlencode([(k, v) for k, values in self.params for v in values])
        path = {"Overview": "", "Map": "map", "Borough profile": "borough", "Calendar": "calendar",
                "Collaboration": "collaborate", "Market": "market"}[self.link]  # fmt: skip
        return f"{base}/{path}" + (f"?{query}" if query else "")

    @property
    def filters(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The sidebar filters in the URL: they stay on when moving to another page."""
        return tuple((k, v) for k, v in self.params if k in filters.URL_KEYS)

    @property
    def checked(self) -> tuple | None:
        """The key of the figures this page is checked against, if any."""
        if self.link == "Overview":
            return ("Overview", self.filters)
        return ("profile", self.params) if self.profile else None

    @property
    def profile(self) -> str | None:
        return dict(self.params).get("profile", (None,))[0]


def visit(link: str, **params: str | tuple[str, ...]) -> Visit:
    return Visit(link, tuple((k, v if isinstance(v, tuple) else (v,)) for k, v in params.items()))


CAMDEN_OVERVIEW = visit("Overview", borough="Camden")
VISITS = (
    visit("Overview"),
    visit("Map", borough=("Camden", "Hackney")),
    CAMDEN_OVERVIEW,
    visit("Market"),
    visit("Borough profile", profile="Camden"),
    visit("Calendar", service_area="Adults' social care"),
    visit("Calendar", borough=("Camden", "Islington")),
    visit("Collaboration"),
    visit("Overview", borough=("Camden", "Barnet"), hosting="Cloud (SaaS)"),
    visit("Map", service_area="Housing"),
    visit("Market", q="Camden", end_from="2027-01-01"),
    visit("Borough profile", profile="Camden", hosting="On premises"),
    visit("Market", borough="Camden"),
    visit("Calendar"),
    visit("Collaboration", end_to="2028-12-31"),
    visit("Map", borough="Camden", vendor="OLM Systems"),
)


def state_of(params: tuple[tuple[str, tuple[str, ...]], ...]) -> FilterState:
    p = dict(params)
    return FilterState(
        **{c.key: p[c.key] for c in filters.CHOICES if c.key in p},
        end_from=date.fromisoformat(p["end_from"][0]) if "end_from" in p else None,
        end_to=date.fromisoformat(p["end_to"][0]) if "end_to" in p else None,
        q=p.get("q", ("",))[0],
    )


def demo_phrase(demo: list[str]) -> str:
    """Whom the illustrative-data notice names, as ui.selection_header words it ('' = none)."""
    if not demo:
        return ""
    if len(demo) == 1:
        return demo[0]
    return "all 33 boroughs" if len(demo) == 33 else f"{len(demo)} boroughs"


def signatures(r) -> dict[tuple, tuple[str, str]]:
    """Per checked page (Overview with a visit's filters, or a profile), what it shows now."""
    out = {}
    for v in VISITS:
        state = state_of(v.filters)
        records = selection.headline(r, state)["records"]
        out[("Overview", v.filters)] = (
            f"{records:,}",
            demo_phrase(selection.illustrative(r, state).boroughs),
        )
        if v.profile:
            p = borough_profile.build(r, state, v.profile)
            demo = selection.illustrative(r, p.state).boroughs
            out[("profile", v.params)] = f"{p.figures['records']:,}", demo_phrase(demo)
    return out


@pytest.fixture
def two_states(built_db, tmp_path):
    """A database where each rollback of Camden switches it between 23 and 30 records.

    Returns the path (Camden at 23 records, a copy of its demo snapshot, is current; the 30
    records are the previous snapshot) and, per checked page, its two right (Records, notice).
    """
    path = tmp_path / "citytools.duckdb"
    shutil.copyfile(built_db, path)
    db = lifecycle.open_store(path)
    try:
        first = borough_records(db, CAMDEN)
        extra = first.head(EXTRA).assign(
            source_ref=lambda d: d["source_ref"] + "-B",
            row=range(len(first) + 2, len(first) + EXTRA + 2),
        )
        with db.read() as r:
            demo_id = snapshots.active(r)[CAMDEN]
        snapshots.commit(db, prepared(pd.concat([first, extra])), b"register", "Load test")
        with db.read() as r:
            second = signatures(r)
            options = selection.options(r)
        rollbacks.rollback(db, demo_id, "Load test")
        with db.read() as r:
            expected = {k: {v, second[k]} for k, v in signatures(r).items()}
            assert selection.options(r) == options  # no URL value is dropped by a commit
            assert r.scalar("SELECT count(*) FROM current_contracts") == 800
    finally:
        db.close()
    camden = ("Overview", (("borough", ("Camden",)),))
    assert expected[camden] == {("23", "Camden"), ("30", "")}
    return path, expected


@dataclass
class Tally:
    loads: int = 0
    full_loads: int = 0
    per_page: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    seen: dict[tuple, set] = field(default_factory=dict)
    checked: int = 0
    commits: list[str] = field(default_factory=list)
    steward_done: bool = False
    # When each checked page was asked for and read, and each commit's press and its message
    # (the commit itself falls between the two): monotonic seconds.
    spans: list[tuple[float, float]] = field(default_factory=list)
    commit_spans: list[tuple[float, float]] = field(default_factory=list)
    page_read: asyncio.Event = field(default_factory=asyncio.Event)  # set as a page is checked

    def under_way(self) -> int:
        """How many (checked page, commit) pairs had the commit land while the page was under
        way: asked for before the press, read after the message."""
        return sum(a < pressed and confirmed < b for a, b in self.spans
                   for pressed, confirmed in self.commit_spans)  # fmt: skip


READ_PAGE = """() => {
  const text = (sel) => [...document.querySelectorAll(sel)].map((e) => e.innerText);
  const metrics = {};
  for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
    const label = m.querySelector('[data-testid="stMetricLabel"]');
    const value = m.querySelector('[data-testid="stMetricValue"]');
    if (label && value) metrics[label.innerText.trim()] = value.innerText.trim();
  }
  return {
    exceptions: text('[data-testid="stException"]'),
    errors: text('[data-testid="stAlertContentError"]'),
    warnings: text('[data-testid="stAlertContentWarning"]'),
    infos: text('[data-testid="stAlertContentInfo"]'),
    metrics: metrics,
    body: document.body.innerText,
  };
}"""
TROUBLE = re.compile(r"Traceback|Exception|Error|Connection error|Page not found")
NOTICE = re.compile(r"Illustrative data\. The records for (.+?) (?:are|is) generated")


# What a page that is not still is doing: a run asked for and not finished, the script's state,
# Streamlit's running indicator, elements of an earlier run still shown faded, placeholders,
# the heading.
NOT_STILL = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const status = document.querySelector('[data-testid="stStatusWidget"]');
  const h1 = document.querySelector('h1');
  return {
    run_asked_for: !!(window.__runs && window.__runs.open),
    script: app ? app.getAttribute('data-test-script-state') : 'no app',
    running_indicator: status ? status.innerText.trim() : null,
    faded: document.querySelectorAll('[data-stale="true"]').length,
    placeholders: document.querySelectorAll(
      '[data-testid="stSkeleton"], [data-testid="stSkeletonElement"], [data-testid="stAppSkeleton"]'
    ).length,
    heading: h1 ? h1.innerText.trim() : null,
  };
}"""


class NotStill(AssertionError):
    """A page that did not become still within TIMEOUT_MS (kept, for a screenshot)."""

    def __init__(self, page, message: str):
        super().__init__(message)
        self.page = page


async def settle(page) -> None:
    """As conftest.settle, for the async API, and until every element is drawn. A page that
    does not get there says what it was doing (slow, or stuck)."""
    started = time.monotonic()
    try:
        await page.wait_for_selector('[data-testid="stApp"]', timeout=TIMEOUT_MS)
        await page.evaluate(RESTART_QUIET)
        await page.wait_for_function(QUIET, timeout=TIMEOUT_MS, polling=POLL_MS)
    except PlaywrightTimeout:
        state = await page.evaluate(NOT_STILL)
        waited = time.monotonic() - started
        raise NotStill(page, f"{page.url} not still after {waited:.0f} s: {state}") from None


async def shown(page, link: str) -> dict:
    """Wait for the page behind the sidebar `link` to be drawn; what it shows."""
    heading = page.get_by_role("heading", name=HEADINGS[link], level=1)
    await heading.wait_for(timeout=TIMEOUT_MS)
    await settle(page)
    return await page.evaluate(READ_PAGE)


def check(
    tally: Tally, where: str, page: dict, key: tuple | None = None, since: float | None = None
) -> None:
    for kind in ("exceptions", "errors", "warnings"):
        for text in page[kind]:
            tally.problems.append(f"{where}: {kind[:-1]} shown: {text[:300]}")
    if m := TROUBLE.search(page["body"]):
        tally.problems.append(f"{where}: the page says {m.group(0)!r}")
    if key is not None:
        notices = [m.group(1) for t in page["infos"] if (m := NOTICE.search(t))]
        seen = (page["metrics"].get("Records"), notices[0] if notices else "")
        tally.seen.setdefault(key, set()).add(seen)
        tally.checked += 1
        if since is not None:
            tally.spans.append((since, time.monotonic()))
            tally.page_read.set()


def count(tally: Tally, link: str) -> None:
    tally.loads += 1
    tally.per_page[link] = tally.per_page.get(link, 0) + 1


async def browse(page, n: int, base: str, deadline: float, tally: Tally) -> None:
    """One person: open an address, go to the Overview, go on to another page; again."""

    def more() -> bool:
        return time.monotonic() < deadline or not tally.steward_done

    i = n
    while more():
        v = VISITS[i % len(VISITS)]
        asked = time.monotonic()
        await page.goto(v.url(base), timeout=TIMEOUT_MS)
        where = f"session {n} at {v.url('')}"
        check(tally, where, await shown(page, v.link), v.checked, asked)
        count(tally, v.link)
        tally.full_loads += 1
        for link in ("Overview", ONWARD[i % len(ONWARD)]):
            if link == v.link or not more():
                continue
            asked = time.monotonic()
            await (
                page.get_by_test_id("stSidebarNav")
                .get_by_role("link", name=link, exact=True)
                .click()
            )
            key = ("Overview", v.filters) if link == "Overview" else None
            check(tally, f"{where}, then {link}", await shown(page, link), key, asked)
            count(tally, link)
        i += 1


async def sign_in_at_history(context, base: str, tally: Tally):
    """The steward opens the app (warming the server up), signs in and opens Camden's history."""
    page = await context.new_page()
    for v in (VISITS[0], VISITS[4]):
        await page.goto(v.url(base))
        check(tally, f"steward at {v.url('')}", await shown(page, v.link))
    await page.goto(f"{base}/sign_in")
    await settle(page)
    await page.get_by_role("textbox", name="Your name or email").fill("Ann Steward")
    await page.get_by_role("textbox", name="Upload password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await settle(page)
    await page.get_by_text("Signed in as Ann Steward").wait_for()
    await page.get_by_role("link", name="History and rollback").click()
    await settle(page)
    main = page.get_by_test_id("stMain")
    await main.get_by_role("combobox", name="Borough").click()
    await page.get_by_role("option", name="Camden", exact=True).click()
    await settle(page)
    return page


async def steward(page, deadline: float, tally: Tally, artifacts) -> None:
    """Press Camden's rollback button again and again: each press commits a new snapshot."""
    main = page.get_by_test_id("stMain")
    button = main.get_by_role("button", name=re.compile(r"^Roll back Camden to snapshot \d+$"))
    try:
        while time.monotonic() < deadline or len(tally.commits) < MIN_COMMITS:
            target = (await button.inner_text()).rsplit(" ", 1)[1]
            pressed = time.monotonic()
            await button.click()
            await settle(page)
            await main.get_by_text(f"Camden is back to the records of snapshot {target}").wait_for()
            tally.commit_spans.append((pressed, time.monotonic()))
            await settle(page)  # the rerun that shows the message has drawn the new button too
            check(tally, f"steward after rollback to {target}", await page.evaluate(READ_PAGE))
            tally.commits.append(target)
            await seen_since(tally, time.monotonic(), deadline)
        await page.screenshot(path=artifacts / "load-steward-history.png", full_page=True)
    finally:
        tally.steward_done = True


async def seen_since(tally: Tally, since: float, deadline: float) -> None:
    """Until someone has read a checked page they asked for after `since` (a person saw the
    data as the last commit left it), or browsing time is over: the steward's pace."""
    while not any(asked > since for asked, _ in tally.spans):
        tally.page_read.clear()
        left = deadline - time.monotonic()
        if left <= 0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(tally.page_read.wait(), left)


async def load(base: str, artifacts) -> tuple[Tally, float]:
    from playwright.async_api import async_playwright

    tally = Tally()
    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,  # (loopback only, by its proxy)
        )
        try:
            contexts = []
            for _ in range(CONTEXTS + 1):
                context = await browser.new_context(
                    viewport={"width": 1280, "height": 900}, reduced_motion="reduce"
                )
                context.set_default_timeout(TIMEOUT_MS)
                await context.add_init_script(WATCH_RUNS)  # as conftest's contexts (runs.py)
                contexts.append(context)
            ready = await sign_in_at_history(contexts[0], base, tally)
            # No page opened beforehand to warm a context up: it would be five page loads more
            # (3-5 CPU s each) that check nothing; the people's first pages compile the code.
            pages = [await contexts[1 + n % CONTEXTS].new_page() for n in range(SESSIONS)]
            started = time.monotonic()
            deadline = started + BROWSE_SECONDS
            try:
                await asyncio.gather(
                    steward(ready, deadline, tally, artifacts),
                    *(browse(page, n, base, deadline, tally) for n, page in enumerate(pages)),
                )
            except NotStill as exc:
                await exc.page.screenshot(path=artifacts / "load-not-still.png", full_page=True)
                raise AssertionError(
                    f"{exc} ({len(tally.commits)} commits, {tally.loads} page loads so far)"
                ) from None
            elapsed = time.monotonic() - started
            await pages[7].screenshot(path=artifacts / "load-session-7.png", full_page=True)
            # Once the steward has stopped, a fresh page shows the last committed state.
            await pages[0].goto(CAMDEN_OVERVIEW.url(base))
            last = await shown(pages[0], "Overview")
            await pages[0].screenshot(path=artifacts / "load-camden-after.png", full_page=True)
            check(tally, "after the run", last, ("last", CAMDEN_OVERVIEW.filters))
        finally:
            await browser.close()
    return tally, elapsed


def test_twenty_people_browse_while_a_steward_commits_and_every_page_shows_one_state(
    two_states, artifacts
):
    db, expected = two_states
    # The load runs in a thread of its own: no clash with the sync Playwright of other tests.
    with (
        run_server(db, {"CITYTOOLS_UPLOAD_PASSWORD": PASSWORD}) as srv,
        ThreadPoolExecutor(1) as ex,
    ):
        tally, elapsed = ex.submit(asyncio.run, load(srv.url, artifacts)).result()
    report = {
        "sessions": SESSIONS,
        "seconds": round(elapsed, 1),
        "page_loads": tally.loads,
        "full_page_loads": tally.full_loads,
        "loads_per_second": round(tally.loads / elapsed, 2),
        "per_page": tally.per_page,
        "commits": len(tally.commits),
        "checked_pages": tally.checked,
        "commits_under_way": tally.under_way(),
        "seen": {str(k): sorted(v) for k, v in tally.seen.items()},
    }
    print(f"\nLoad: {json.dumps(report)}")
    (artifacts / "load-throughput.json").write_text(json.dumps(report, indent=2) + "\n")

    assert tally.problems == [], tally.problems[:20]
    assert len(tally.commits) >= MIN_COMMITS, tally.commits
    # Camden started at 23 records; each commit switched it between 23 and 30.
    last = tally.seen.pop(("last", CAMDEN_OVERVIEW.filters))
    assert last == {("30", "") if len(tally.commits) % 2 else ("23", "Camden")}
    mixed = {k: sorted(seen - expected[k]) for k, seen in tally.seen.items() if seen - expected[k]}
    assert not mixed, f"pages mixing two states of the data: {mixed}"
    assert tally.checked >= SESSIONS // 4, tally.seen
    # The commits landed among pages under way, not before or after them all.
    assert tally.under_way() > 0, (tally.spans, tally.commit_spans)
    lines = [ln for ln in srv.log_text().splitlines() if TROUBLE.search(ln)]
    assert lines == [], lines[:20]
