"""What a person waits for in the browser: every page against a real `streamlit run`, and
Datasette over the same rows as the peer.

    python -m benchmarks.browser [--sizes 10k,100k] [--repeat 2] [--pages Overview,Map]
                                 [--against OTHER_CHECKOUT] [--no-peer]

Chromium (/usr/bin/chromium, driven by Playwright) opens each page of `app.py`'s `PAGES`:

- **link, cold**: a shared link (`/page?borough=B`, a borough no earlier step has selected) opened
  in a new browser context, timed from `goto` until the page has settled; the profile pages'
  links also name what they profile (`profile=B`, `vendor_profile=V` with V the vendor with
  the most records in the borough and the service area the filter step picks), so they time a
  profile rather than the question which one;
- **link, cached**: the same link again in another new context (the server's caches hold it);
- **filter, cold**: on that page, a service area added in the sidebar's "Service area" filter
  (a selection nobody has made), timed from the key press that picks it;
- **filter, cached**: the service area removed (that selection is cached), then added again.

"Settled" is the condition the browser tests wait on: the app root's `data-test-script-state`
is `notRunning`, no running indicator, no faded element of the previous run, no placeholder,
and every visible chart, map and table has drawn its SVG or canvas. "Bytes" are the websocket
frames the server sent during the measured interval.

Datasette (installed for the benchmark only: `pip install -r benchmarks/requirements.txt`)
serves the same rows copied into SQLite with an index on each faceted column; it is timed from
`goto` until the page's load event: a table filtered by borough with three facets (service area,
vendor, hosting), and the same faceted table without a filter. Datasette's facet and SQL
time limits are raised to 20 s so that it computes every facet rather than giving up.

Where each filter change's time went (the last table): on the page's own clock from the key
press, when the script's run ended, when the last websocket message arrived and when the page
had settled; the renderer's main-thread time from Chrome's counters (all tasks, JavaScript,
style and layout); the server process's CPU time; the websocket messages and the batches of
changes to the page (about one per React commit); and how many visible charts and tables were
drawn anew (a Vega chart embedded again gets a new <svg>; one whose data changed in place keeps
it).

`--against DIR` serves another checkout of the app (a worktree of main, say) at the same time
over a copy of the same database and measures each step on both, alternating which goes
first: an A/B inside one run, which is the only comparison that means anything on a loaded
machine. `--no-peer` leaves Datasette out.

It prints markdown tables for RESULTS.md. The machine is shared: compare the ratios of one run.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import tempfile
import time
import urllib.parse
import urllib.request
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from benchmarks import datasets
from benchmarks.browser_tables import render, render_ab, render_phases
from benchmarks.servers import ROOT, SERVERS, datasette, sqlite_copy, streamlit

CHROMIUM = os.environ.get("CITYTOOLS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
TIMEOUT_MS = 120_000
FIRST_PAGE_MS = 900_000  # a new server's first page (not timed) fills its caches: minutes at 10M

# As tests/browser/conftest.py's SETTLED, and every visible chart, map and table drawn.
SETTLED = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-testid="stStatusWidget"], [data-stale="true"],'
      + ' [data-testid="stSkeleton"], [data-testid="stSkeletonElement"],'
      + ' [data-testid="stAppSkeleton"]')) return false;
  const drawers = document.querySelectorAll('[data-testid="stVegaLiteChart"],'
      + ' [data-testid="stDeckGlJsonChart"], [data-testid="stDataFrame"]');
  for (const el of drawers) {
    if (el.offsetParent !== null && !el.querySelector('svg, canvas')) return false;
  }
  if (window.__ct) window.__ct.settledAt = performance.now();
  return true;
}"""


def pages() -> list[tuple[str, str]]:
    """(title, URL path) of every page in app.py's PAGES, in order (a title chosen at run
    time, `"A" if ... else "B"`, is read as its first choice)."""
    text = (ROOT / "app.py").read_text()
    block = text.split("PAGES = [", 1)[1].split("\n]", 1)[0]
    out = []
    for entry in block.split("st.Page(")[1:]:
        file = re.search(r'"pages/(\w+)\.py"', entry)
        title = re.search(r'title="([^"]+)"', entry)
        if file and title:
            out.append((title.group(1), "" if "default=True" in entry else file.group(1)))
    return out


class Wire:
    """Bytes the server sent over the page's websocket."""

    def __init__(self, page: Any):
        self.received = 0
        page.on("websocket", self._socket)

    def _socket(self, ws: Any) -> None:
        ws.on("framereceived", self._frame)

    def _frame(self, payload: str | bytes) -> None:
        self.received += len(payload.encode() if isinstance(payload, str) else payload)


def settle(page: Any, timeout: int = TIMEOUT_MS) -> None:
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    page.wait_for_function(SETTLED, timeout=timeout)


# Counts the script runs the page has finished (the app root's data-test-script-state becoming
# "notRunning" again). Right after a key press the page can still look settled, before its run has
# begun: a change is timed until a run that began after it has finished, then settled.
# For the phases (`--phases`) it also notes, on the page's own clock, the last key press, the
# end of the last run, the last websocket message received and when the page settled.
COUNT_RUNS = """(() => {
  window.__citytoolsRuns = 0;
  window.__ct = {keyAt: 0, runEnd: 0, lastMessage: 0, messages: 0, settledAt: 0, updates: 0};
  document.addEventListener('keydown', () => { window.__ct.keyAt = performance.now(); }, true);
  const Socket = window.WebSocket;
  window.WebSocket = class extends Socket {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', () => {
        window.__ct.lastMessage = performance.now();
        window.__ct.messages += 1;
      });
    }
  };
  const watch = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app) { setTimeout(watch, 10); return; }
    // A run ends when the state becomes notRunning, from running or, when the frontend
    // handled the run's start and end in one go (a quick cached run), from rerunRequested.
    new MutationObserver((records) => {
      records.forEach((r, i) => {
        const next = i + 1 < records.length ? records[i + 1].oldValue
          : app.getAttribute('data-test-script-state');
        if (r.oldValue !== 'notRunning' && next === 'notRunning') {
          window.__citytoolsRuns += 1;
          window.__ct.runEnd = performance.now();
        }
      });
    }).observe(app, {attributes: true, attributeOldValue: true,
                     attributeFilter: ['data-test-script-state']});
    // Each batch of changes to the page (about one per React commit) counts once.
    new MutationObserver(() => { window.__ct.updates += 1; }).observe(
      document.body, {childList: true, subtree: true, attributes: true, characterData: true});
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', watch);
  else watch();
})();"""

# Marks what is drawn now, so that after a change `DRAWN_ANEW` can count what was drawn again
# from scratch: a Vega chart embedded anew gets a new <svg>/<canvas> (one whose data changed in
# place keeps it); a table, a map likewise.
MARK_DRAWN = """() => {
  for (const el of document.querySelectorAll('[data-testid="stVegaLiteChart"] svg,'
      + ' [data-testid="stVegaLiteChart"] canvas, [data-testid="stDataFrame"] canvas,'
      + ' [data-testid="stDeckGlJsonChart"] canvas')) el.__ctOld = true;
}"""
DRAWN_ANEW = """() => {
  const count = (sel) => {
    let shown = 0, anew = 0;
    for (const el of document.querySelectorAll(sel)) {
      if (el.offsetParent === null) continue;
      shown += 1;
      const drawn = el.querySelector('svg, canvas');
      if (drawn && !drawn.__ctOld) anew += 1;
    }
    return [shown, anew];
  };
  return {charts: count('[data-testid="stVegaLiteChart"]'),
          tables: count('[data-testid="stDataFrame"]'),
          elements: document.querySelectorAll(
            '[data-testid="stMain"] [data-testid="stElementContainer"]').length};
}"""


def runs(page: Any) -> int:
    return page.evaluate("window.__citytoolsRuns || 0")


def settle_after(page: Any, runs_before: int) -> None:
    """Wait for a script run that began after `runs_before` was read to finish, then settle."""
    page.wait_for_function(f"(window.__citytoolsRuns || 0) > {runs_before}", timeout=TIMEOUT_MS)
    settle(page)


def _new_page(browser: Any) -> tuple[Any, Any, Wire]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(COUNT_RUNS)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return context, page, Wire(page)


def timed(page: Any, wire: Wire, action: Any) -> tuple[float, int]:
    before = wire.received
    start = time.perf_counter()
    action()  # a new page: its counter starts at 0
    settle_after(page, 0)
    return time.perf_counter() - start, wire.received - before


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Phases:
    """Where one change's time went: on the page's clock from the key press, when the script's
    run ended (the root's state leaving "running"), when the last websocket message arrived and
    when the page had settled; the renderer's main-thread time (Chrome's own counters: all
    tasks, of them JavaScript, and style and layout); the server's CPU time; and how many of the
    visible charts and tables were drawn anew rather than updated in place."""

    METRICS = ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration")

    def __init__(self, page: Any, url: str):
        self.page = page
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Performance.enable")
        self.pid = SERVERS[url].pid

    def _metrics(self) -> dict[str, float]:
        got = self.cdp.send("Performance.getMetrics")["metrics"]
        return {m["name"]: m["value"] for m in got if m["name"] in self.METRICS}

    def before(self) -> None:
        self.page.evaluate(MARK_DRAWN)
        self.page.evaluate(
            "window.__ct.settledAt = 0; window.__ct.runEnd = 0; window.__ct.messages = 0;"
            " window.__ct.updates = 0"
        )
        self.m0, self.cpu0 = self._metrics(), _cpu_seconds(self.pid)

    def after(self) -> dict[str, float]:
        m1, cpu1 = self._metrics(), _cpu_seconds(self.pid)
        ct = self.page.evaluate("window.__ct")
        drawn = self.page.evaluate(DRAWN_ANEW)
        ms = {k: (m1[k] - self.m0[k]) * 1000 for k in self.METRICS}
        return {
            "script end": ct["runEnd"] - ct["keyAt"],
            "last message": ct["lastMessage"] - ct["keyAt"],
            "drawn": ct["settledAt"] - ct["keyAt"],
            "renderer busy": ms["TaskDuration"],
            "renderer JS": ms["ScriptDuration"],
            "style+layout": ms["LayoutDuration"] + ms["RecalcStyleDuration"],
            "server CPU": (cpu1 - self.cpu0) * 1000,
            "messages": ct["messages"],
            "page updates": ct["updates"],
            "charts": drawn["charts"][0],
            "charts anew": drawn["charts"][1],
            "tables": drawn["tables"][0],
            "tables anew": drawn["tables"][1],
            "elements": drawn["elements"],
        }


def profile_params(path: str, borough: str, vendor: str) -> str:
    """The query string naming what a profile page shows, so that it is timed as a profile."""
    if path == "borough":
        return "&profile=" + urllib.parse.quote_plus(borough)
    if path == "vendor":
        return "&vendor_profile=" + urllib.parse.quote_plus(vendor)
    return ""


def measure_page(
    browser: Any, url: str, path: str, borough: str, area: str, vendor: str = ""
) -> dict[str, Any]:
    link = f"{url}/{path}?borough={urllib.parse.quote_plus(borough)}"
    link += profile_params(path, borough, vendor)
    out: dict[str, Any] = {}
    context, page, wire = _new_page(browser)
    out["link cold"] = timed(page, wire, lambda: page.goto(link))
    context.close()
    context, page, wire = _new_page(browser)
    out["link cached"] = timed(page, wire, lambda: page.goto(link))
    phases = Phases(page, url)
    box = page.get_by_test_id("stSidebar").get_by_role("combobox", name="Service area")

    def pick() -> float:
        box.click()
        page.keyboard.type(area)
        page.get_by_role("option", name=area, exact=True).wait_for()
        phases.before()
        start = time.perf_counter()
        page.keyboard.press("Enter")
        return start

    def change(start_fn: Any) -> tuple[float, int, dict[str, float]]:
        before, finished = wire.received, runs(page)
        start = start_fn()
        settle_after(page, finished)
        took = time.perf_counter() - start
        found = phases.after()
        page.keyboard.press("Escape")
        return took, wire.received - before, found

    out["filter cold"] = change(pick)

    def unpick() -> float:
        box.click()
        phases.before()
        start = time.perf_counter()
        page.keyboard.press("Backspace")
        return start

    change(unpick)
    out["filter cached"] = change(pick)
    context.close()
    return out


def measure_datasette(browser: Any, url: str, boroughs: list[str]) -> dict[str, list[float]]:
    facets = "_facet=service_area&_facet=vendor&_facet=hosting"
    out: dict[str, list[float]] = {"filtered": [], "unfiltered": []}
    for borough in boroughs:
        for kind, query in (
            ("filtered", f"borough={urllib.parse.quote_plus(borough)}&{facets}"),
            ("unfiltered", facets),
        ):
            context = browser.new_context()
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            start = time.perf_counter()
            answer = page.goto(f"{url}/contracts/contracts?{query}", wait_until="load")
            out[kind].append(time.perf_counter() - start)
            if not answer or not answer.ok or not page.get_by_text("service_area").count():
                raise RuntimeError(f"Datasette did not serve the faceted table: {page.url}")
            context.close()
    return out


def run_size(
    label: str,
    rows: int,
    repeat: int,
    only: list[str],
    against: Path | None = None,
    peer: bool = True,
) -> str:
    """Every chosen page `repeat` times; with `against` (another checkout of the app) each
    measurement is made on both, served at once over copies of the same database, this
    checkout and the other alternating first."""
    from playwright.sync_api import sync_playwright

    ctx = datasets.context(label, rows, 2015, repeat)
    datasets.prepare(ctx, lambda _s, step, c: {"ok": True, **datasets.run(c, step)})
    work = Path(tempfile.mkdtemp(prefix="citytools-browser-"))
    roots = {"this": ROOT} | ({"against": against} if against else {})
    try:
        if peer:
            lite, copy_seconds = sqlite_copy(Path(ctx.db), Path(ctx.csv))
        else:
            lite, copy_seconds = Path(), 0.0
        import duckdb

        con = duckdb.connect(str(ctx.db), read_only=True)
        boroughs = [b for (b,) in con.execute(
            "SELECT borough FROM current_contracts GROUP BY borough ORDER BY count(*) DESC"
        ).fetchall()]  # fmt: skip
        areas = [a for (a,) in con.execute(
            "SELECT service_area FROM current_contracts GROUP BY 1 ORDER BY count(*) DESC"
        ).fetchall()]  # fmt: skip
        # the vendor profile shows the vendor with the most records in the borough and area
        vendors = {(b, a): v for b, a, v in con.execute(
            "SELECT borough, service_area, arg_max(vendor, n) FROM (SELECT borough, service_area,"
            " vendor, count(*) AS n FROM current_contracts GROUP BY ALL) GROUP BY ALL"
        ).fetchall()}  # fmt: skip
        con.close()
        chosen = [(t, p) for t, p in pages() if not only or any(o in t for o in only)]
        results = {side: {t: [] for t, _ in chosen} for side in roots}
        peer_times: dict[str, list[float]] = {}
        with sync_playwright() as pw, ExitStack() as servers:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            urls = {}
            for side, root in roots.items():
                db = work / f"{side}.duckdb"
                shutil.copyfile(ctx.db, db)
                urls[side] = servers.enter_context(
                    streamlit(db, work / f"streamlit-{side}.log", root)
                )
                context, page, _ = _new_page(browser)
                page.goto(urls[side])  # the server's first page, as people open it: the home page
                settle(page, timeout=FIRST_PAGE_MS)
                context.close()
            k = 0
            for _ in range(repeat):
                for title, path in chosen:
                    borough = boroughs[k % len(boroughs)]
                    area = areas[(k * 7) % len(areas)]
                    vendor = vendors.get((borough, area), "")
                    sides = list(roots) if k % 2 == 0 else list(reversed(roots))
                    k += 1
                    for side in sides:
                        try:
                            took = measure_page(browser, urls[side], path, borough, area, vendor)
                        except Exception as exc:
                            exc.add_note(f"measuring {title} on {side} ({borough}, {area})")
                            raise
                        results[side][title].append(took)
            servers.close()
            if peer:
                with datasette(lite, work / "datasette.log") as url:
                    page_ctx = browser.new_context()
                    page_ctx.new_page().goto(f"{url}/contracts/contracts")  # warm the process
                    page_ctx.close()
                    peer_times = measure_datasette(browser, url, boroughs[: max(3, repeat * 2)])
            browser.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out = [render(label, rows, repeat, results["this"], peer_times, copy_seconds)]
    if against:
        out.append(render_ab(label, repeat, results["this"], results["against"], against))
    out.append(render_phases(label, results))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10k,100k")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--pages", default="", help="comma-separated page titles (parts of)")
    parser.add_argument(
        "--against",
        type=Path,
        help="another checkout of the app (e.g. a worktree of main): served at the same time "
        "over a copy of the same database and measured alternately, for an A/B in one run",
    )
    parser.add_argument("--no-peer", action="store_true", help="leave Datasette out")
    args = parser.parse_args(argv)
    only = [p for p in args.pages.split(",") if p]
    for label, rows in datasets.parse_sizes(args.sizes):
        against = args.against.resolve() if args.against else None
        print(run_size(label, rows, args.repeat, only, against, not args.no_peer))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
