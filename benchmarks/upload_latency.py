"""Other visitors' wait while a steward's large upload is being checked.

    python -m benchmarks.upload_latency [--rows 60000] [--loads 12]

A real `streamlit run` (with an upload password) and Chromium (Playwright). One visitor opens
the Overview for one borough after another (a shared link, `/?borough=B`), timed from `goto`
until the page has settled (the browser tests' condition). First with nobody uploading, then
while a signed-in steward's register of `--rows` rows (the demo generator's records in the
template layout) is being checked, once for each way of checking it:

- `CITYTOOLS_UPLOAD_WORKERS=0`: in the steward's own session thread (as before);
- `CITYTOOLS_UPLOAD_WORKERS=1`: in a worker process (ui/preparing.py).

It prints the visitor's median and worst page time in each case, and how long the steward's
check took (upload sent until the preview is on screen), as a markdown table for RESULTS.md.
The machine is shared: compare the rows of one run.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.browser import CHROMIUM, CHROMIUM_ARGS, SETTLED, streamlit
from benchmarks.ingest_prepare import _records, export_csv

PASSWORD = "benchmark-password"
BOROUGHS = ["Camden", "Hackney", "Islington", "Lambeth", "Southwark", "Newham", "Brent",
            "Ealing", "Barnet", "Croydon", "Enfield", "Haringey", "Lewisham", "Merton"]  # fmt: skip


def settle(page) -> None:
    page.wait_for_function(SETTLED, timeout=300_000, polling=50)


def visit(page, url: str, borough: str) -> float:
    start = time.perf_counter()
    page.goto(f"{url}/?borough={borough}")
    settle(page)
    return time.perf_counter() - start


def run(mode: str, workers: str, register: Path, db: Path, loads: int, browser) -> dict:
    env = {"CITYTOOLS_UPLOAD_PASSWORD": PASSWORD, "CITYTOOLS_UPLOAD_WORKERS": workers,
           "CITYTOOLS_MAX_UPLOAD_MB": "25"}  # fmt: skip
    os.environ.update(env)
    with streamlit(db, db.with_name(f"streamlit-{mode}.log")) as url:
        visitor = browser.new_context().new_page()
        steward = browser.new_context().new_page()
        visit(visitor, url, "Westminster")  # warm the server
        steward.goto(f"{url}/upload")
        settle(steward)
        steward.get_by_role("textbox", name="Your name or email").fill("Benchmark")
        steward.get_by_role("textbox", name="Upload password").fill(PASSWORD)
        steward.keyboard.press("Enter")
        steward.locator('input[type="file"]').wait_for(state="attached", timeout=120_000)
        settle(steward)
        quiet = [visit(visitor, url, b) for b in BOROUGHS[:loads]]
        steward.locator('input[type="file"]').set_input_files(register)
        sent = time.perf_counter()
        busy, checked = [], None
        for b in BOROUGHS[loads : loads * 2]:
            busy.append(visit(visitor, url, b))
            if checked is None and steward.get_by_text("What will change").count():
                checked = time.perf_counter() - sent
                break
        if checked is None:
            steward.get_by_text("What will change").wait_for(timeout=600_000)
            checked = time.perf_counter() - sent
        for context in (visitor.context, steward.context):
            context.close()
    return {"mode": mode, "quiet": quiet, "busy": busy, "checked": checked}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--loads", type=int, default=7)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from citydata import lifecycle

    tmp = Path(tempfile.mkdtemp())
    register = tmp / "register.csv"
    register.write_bytes(export_csv(_records(args.rows)))
    built = tmp / "built.duckdb"
    lifecycle.build(built)
    results = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for mode, workers in (("in the session thread", "0"), ("in a worker process", "1")):
            db = tmp / f"db-{workers}" / "citytools.duckdb"
            db.parent.mkdir()
            shutil.copyfile(built, db)
            results.append(run(mode, workers, register, db, args.loads, browser))
        browser.close()
    size = register.stat().st_size / 1024**2
    print(f"Register: {args.rows:,} rows, {size:.1f} MB. Machine: {platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, load "
          f"{os.getloadavg()[0]:.1f} at the end.\n")  # fmt: skip
    print("| Upload checked | Visitor page, nobody uploading: median / worst (s) "
          "| Visitor page while the file is checked: median / worst (s) | Pages timed "
          "| Steward's check until the preview (s) |")  # fmt: skip
    print("|---|---|---|---|---|")
    for r in results:
        q, b = r["quiet"], r["busy"] or [float("nan")]
        print(f"| {r['mode']} | {statistics.median(q):.2f} / {max(q):.2f} "
              f"| {statistics.median(b):.2f} / {max(b):.2f} | {len(q)} + {len(r['busy'])} "
              f"| {r['checked']:.1f} |")  # fmt: skip
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
