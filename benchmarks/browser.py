"""What a person waits for in the browser: every page against a real `streamlit run`, and
Datasette over the same rows as the peer.

    python -m benchmarks.browser [--sizes 10k,100k] [--repeat 2] [--pages Overview,Map]

Chromium (/usr/bin/chromium, driven by Playwright) opens each page of `app.py`'s `PAGES`:

- **link, cold**: a shared link (`/page?borough=B`, a borough no earlier step has selected) opened
  in a new browser context, timed from `goto` until the page has settled;
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

It prints markdown tables for RESULTS.md. The machine is shared: compare the ratios of one run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks import datasets

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CITYTOOLS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
TIMEOUT_MS = 120_000

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)  # polling while the server starts
    process.kill()
    raise RuntimeError(f"{url} did not answer: {log.read_text(errors='replace')[-2000:]}")


@contextmanager
def serve(command: list[str], health: str, env: dict[str, str], log: Path) -> Iterator[str]:
    port = _free_port()
    command = [c.replace("{port}", str(port)) for c in command]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=os.environ | env, stdout=out,
                                   stderr=subprocess.STDOUT)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_http(url + health, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def streamlit(db: Path, log: Path):
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
               "--server.port", "{port}", "--server.address", "127.0.0.1",
               "--server.fileWatcherType", "none",
               "--browser.gatherUsageStats", "false"]  # fmt: skip
    return serve(command, "/_stcore/health", {"CITYTOOLS_DB": str(db)}, log)


def datasette(sqlite: Path, log: Path):
    exe = Path(sys.executable).with_name("datasette")
    command = [str(exe), "serve", str(sqlite), "--port", "{port}", "--host", "127.0.0.1",
               "--setting", "facet_time_limit_ms", "20000",
               "--setting", "sql_time_limit_ms", "20000"]  # fmt: skip
    return serve(command, "/-/versions.json", {}, log)


def to_sqlite(db: Path, out: Path) -> tuple[list[str], float]:
    """The database's current records as table `contracts` in SQLite, faceted columns indexed."""
    import duckdb

    start = time.perf_counter()
    out.unlink(missing_ok=True)
    con = duckdb.connect(str(db), read_only=True)
    result = con.execute("SELECT * FROM current_contracts")
    names = [d[0] for d in result.description]
    lite = sqlite3.connect(out)
    lite.execute(f"CREATE TABLE contracts ({', '.join(names)})")  # our own column names
    marks = ", ".join("?" * len(names))
    while batch := result.fetchmany(50_000):
        rows = [tuple(v if v is None or isinstance(v, int | float | str) else str(v) for v in r)
                for r in batch]  # fmt: skip
        lite.executemany(f"INSERT INTO contracts VALUES ({marks})", rows)  # noqa: S608
    for column in ("borough", "service_area", "vendor", "hosting"):
        lite.execute(f"CREATE INDEX contracts_{column} ON contracts ({column})")
    lite.commit()
    lite.close()
    con.close()
    return names, time.perf_counter() - start


def sqlite_copy(db: Path, csv: Path) -> tuple[Path, float]:
    """The SQLite copy for Datasette, kept beside the cached database (10M rows take a quarter
    of an hour to copy) and made again when the generated CSV it comes from is newer (a
    database rebuilt from the same CSV by newer store code holds the same records); returns
    it and what copying took."""
    lite, note = db.with_suffix(".sqlite"), db.with_suffix(".sqlite.json")
    if lite.exists() and note.exists() and lite.stat().st_mtime >= csv.stat().st_mtime:
        return lite, json.loads(note.read_text())["seconds"]
    _names, seconds = to_sqlite(db, lite)
    note.write_text(json.dumps({"seconds": seconds}))
    return lite, seconds


class Wire:
    """Bytes the server sent over the page's websocket."""

    def __init__(self, page: Any):
        self.received = 0
        page.on("websocket", self._socket)

    def _socket(self, ws: Any) -> None:
        ws.on("framereceived", self._frame)

    def _frame(self, payload: str | bytes) -> None:
        self.received += len(payload.encode() if isinstance(payload, str) else payload)


def settle(page: Any) -> None:
    page.wait_for_selector('[data-testid="stApp"]', timeout=TIMEOUT_MS)
    page.wait_for_function(SETTLED, timeout=TIMEOUT_MS)


# Counts the script runs the page has finished (the app root's data-test-script-state leaving
# "running"). Right after a key press the page can still look settled, before its run has
# begun: a change is timed until a run that began after it has finished, then settled.
COUNT_RUNS = """(() => {
  window.__citytoolsRuns = 0;
  const watch = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app) { setTimeout(watch, 10); return; }
    new MutationObserver((records) => {
      for (const r of records) if (r.oldValue === 'running') window.__citytoolsRuns += 1;
    }).observe(app, {attributes: true, attributeOldValue: true,
                     attributeFilter: ['data-test-script-state']});
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', watch);
  else watch();
})();"""


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


def measure_page(browser: Any, url: str, path: str, borough: str, area: str) -> dict[str, Any]:
    link = f"{url}/{path}?borough={urllib.parse.quote_plus(borough)}"
    out: dict[str, Any] = {}
    context, page, wire = _new_page(browser)
    out["link cold"] = timed(page, wire, lambda: page.goto(link))
    context.close()
    context, page, wire = _new_page(browser)
    out["link cached"] = timed(page, wire, lambda: page.goto(link))
    box = page.get_by_test_id("stSidebar").get_by_role("combobox", name="Service area")

    def pick() -> float:
        box.click()
        page.keyboard.type(area)
        page.get_by_role("option", name=area, exact=True).wait_for()
        start = time.perf_counter()
        page.keyboard.press("Enter")
        return start

    def change(start_fn: Any) -> tuple[float, int]:
        before, finished = wire.received, runs(page)
        start = start_fn()
        settle_after(page, finished)
        page.keyboard.press("Escape")
        return time.perf_counter() - start, wire.received - before

    out["filter cold"] = change(pick)

    def unpick() -> float:
        box.click()
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
            page.goto(f"{url}/contracts/contracts?{query}", wait_until="load")
            out[kind].append(time.perf_counter() - start)
            context.close()
    return out


def _ms(seconds: list[float]) -> str:
    p50 = statistics.median(seconds)
    return f"{p50 * 1000:.0f} ms" if p50 < 10 else f"{p50:.1f} s"


def run_size(label: str, rows: int, repeat: int, only: list[str]) -> str:
    from playwright.sync_api import sync_playwright

    ctx = datasets.context(label, rows, 2015, repeat)
    datasets.prepare(ctx, lambda _s, step, c: {"ok": True, **datasets.run(c, step)})
    work = Path(tempfile.mkdtemp(prefix="citytools-browser-"))
    try:
        db = work / "citytools.duckdb"
        shutil.copyfile(ctx.db, db)
        lite, copy_seconds = sqlite_copy(Path(ctx.db), Path(ctx.csv))
        import duckdb

        con = duckdb.connect(str(ctx.db), read_only=True)
        boroughs = [b for (b,) in con.execute(
            "SELECT borough FROM current_contracts GROUP BY borough ORDER BY count(*) DESC"
        ).fetchall()]  # fmt: skip
        areas = [a for (a,) in con.execute(
            "SELECT service_area FROM current_contracts GROUP BY 1 ORDER BY count(*) DESC"
        ).fetchall()]  # fmt: skip
        con.close()
        chosen = [(t, p) for t, p in pages() if not only or any(o in t for o in only)]
        results: dict[str, list[dict[str, Any]]] = {t: [] for t, _ in chosen}
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            with streamlit(db, work / "streamlit.log") as url:
                context, page, _ = _new_page(browser)
                page.goto(url)  # the server's first page, as people open it: the home page
                settle(page)
                context.close()
                k = 0
                for _ in range(repeat):
                    for title, path in chosen:
                        borough = boroughs[k % len(boroughs)]
                        area = areas[(k * 7) % len(areas)]
                        k += 1
                        results[title].append(measure_page(browser, url, path, borough, area))
            with datasette(lite, work / "datasette.log") as url:
                page_ctx = browser.new_context()
                page_ctx.new_page().goto(f"{url}/contracts/contracts")  # warm up the process
                page_ctx.close()
                peer = measure_datasette(browser, url, boroughs[: max(3, repeat * 2)])
            browser.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return render(label, rows, repeat, results, peer, copy_seconds)


KINDS = ("filter cold", "filter cached", "link cold", "link cached")


def render(label, rows, repeat, results, peer, copy_seconds) -> str:
    filtered = statistics.median(peer["filtered"])
    lines = [
        f"#### Browser, {label} records ({rows:,}), n = {repeat} per page",
        "",
        f"Datasette over the same rows in SQLite (copied in {copy_seconds:.0f} s, four indexes): "
        f"table filtered by borough with three facets p50 {_ms(peer['filtered'])} "
        f"(n = {len(peer['filtered'])}), the faceted table without a filter p50 "
        f"{_ms(peer['unfiltered'])}.",
        "",
        "| Page | Filter change, cold | Filter change, cached | Cached / cold | Shared link, cold "
        "| Shared link, cached | Bytes sent (filter cold / cached) "
        "| Datasette filtered / filter change cold |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for title, runs in results.items():
        if not runs:
            continue
        t = {k: [r[k][0] for r in runs] for k in KINDS}
        b = {k: statistics.median(r[k][1] for r in runs) for k in KINDS}
        ratio = statistics.median(r["filter cached"][0] / r["filter cold"][0] for r in runs)
        lines.append(
            f"| {title} | {_ms(t['filter cold'])} | {_ms(t['filter cached'])} | {ratio:.2f} "
            f"| {_ms(t['link cold'])} | {_ms(t['link cached'])} "
            f"| {b['filter cold'] / 1024:.0f} / {b['filter cached'] / 1024:.0f} KiB "
            f"| {filtered / statistics.median(t['filter cold']):.1f}x |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10k,100k")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--pages", default="", help="comma-separated page titles (parts of)")
    args = parser.parse_args(argv)
    only = [p for p in args.pages.split(",") if p]
    for label, rows in datasets.parse_sizes(args.sizes):
        print(run_size(label, rows, args.repeat, only))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
