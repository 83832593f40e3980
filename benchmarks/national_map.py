"""The national map: every UK council (CITYTOOLS_REGION=united-kingdom, 404 authorities, 379
district shapes) in one database, and how fast the Map page is built, sent and drawn.

    python -m benchmarks.national_map [--repeat 7] [--browser]

A small run (the region's illustrative data, about 9,800 records): it measures the map itself,
not the database at scale (see `python -m benchmarks.run` for that). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _p50(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = next(
            int(x.split()[1]) // 1024**2
            for x in Path("/proc/meminfo").read_text().splitlines()
            if x.startswith("MemTotal")
        )
    except OSError:
        mem = 0
    return f"{os.cpu_count()} cores ({cpu}), {mem} GiB, Python {platform.python_version()}"


def measure(repeat: int, browser: bool) -> list[tuple[str, str]]:
    os.environ["CITYTOOLS_REGION"] = "united-kingdom"
    from citydata import lifecycle
    from citydata.core import boroughs, regions
    from citydata.query import mapdata
    from citydata.query.filters import FilterState
    from ui.charts import boroughmap

    rows: list[tuple[str, str]] = []
    folder = Path(tempfile.mkdtemp(prefix="national-map-"))
    db_path = folder / "uk.duckdb"
    start = time.perf_counter()
    lifecycle.build(db_path)
    rows.append(
        ("build the national database (illustrative data)", f"{time.perf_counter() - start:.2f} s")
    )
    db = lifecycle.open_store(db_path)
    region = regions.current()
    with db.read() as r:
        records = r.scalar("SELECT count(*) FROM current_contracts")
    rows.append(
        (
            "authorities / district shapes / records",
            f"{len(region.authorities)} / {len(boroughs.geojson()['features'])} / {records:,}",
        )
    )

    def values():
        with db.read() as r:
            return mapdata.borough_values(r, FilterState(), "records")

    rows.append(("map values query (warm p50)", f"{_p50(values, repeat) * 1000:.0f} ms"))
    frame = values()
    bins = boroughmap.classes(frame["value"], "count")
    records_metric = mapdata.METRIC_BY_KEY["records"]

    def build_map():
        return boroughmap.choropleth(frame, records_metric, bins)

    rows.append(("build the pydeck map (p50)", f"{_p50(build_map, repeat) * 1000:.0f} ms"))
    deck = boroughmap.choropleth(frame, mapdata.METRIC_BY_KEY["records"], bins)
    rows.append(("map sent to the browser (deck JSON)", f"{len(deck.to_json()) / 1024**2:.2f} MB"))
    db.close()

    from streamlit.testing.v1 import AppTest

    os.environ["CITYTOOLS_DB"] = str(db_path)

    def map_page():
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.run()
        at.switch_page("pages/map.py")
        start = time.perf_counter()
        at.run()
        assert not at.exception, at.exception
        return time.perf_counter() - start

    map_page()  # warm the caches
    rows.append(
        (
            "Map page script run, warm (AppTest p50)",
            f"{statistics.median(map_page() for _ in range(repeat)) * 1000:.0f} ms",
        )
    )
    if browser:
        rows += _browser(db_path, repeat)
    return rows


def _browser(db_path: Path, repeat: int) -> list[tuple[str, str]]:
    """Open /map in Chromium against a real server: time to a drawn map, and hover latency."""
    import socket
    import urllib.request

    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = os.environ | {"CITYTOOLS_DB": str(db_path), "CITYTOOLS_REGION": "united-kingdom"}
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    rows = []
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as p:
            b = p.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
            )
            page = b.new_page(viewport={"width": 1400, "height": 1000})
            page.route(
                "**/*", lambda r: r.continue_() if r.request.url.startswith(url) else r.abort()
            )
            loads = []
            for _ in range(max(3, repeat // 2)):
                start = time.perf_counter()
                page.goto(f"{url}/map")
                page.wait_for_function(
                    "() => document.querySelector('[data-testid=\"stApp\"]')"
                    "?.getAttribute('data-test-script-state') === 'notRunning'"
                    " && document.querySelector('[data-testid=\"stDeckGlJsonChart\"] canvas')",
                    timeout=120_000,
                )
                loads.append(time.perf_counter() - start)
            rows.append(
                (
                    "open /map in Chromium until the map's canvas is there (p50)",
                    f"{statistics.median(loads):.2f} s",
                )
            )
            box = page.locator('[data-testid="stDeckGlJsonChart"]').bounding_box()
            hovers = []
            points = [(0.45, 0.55), (0.55, 0.75), (0.5, 0.35), (0.6, 0.85), (0.4, 0.65)]
            for i in range(repeat):
                fx, fy = points[i % len(points)]
                page.mouse.move(box["x"] + 5, box["y"] + 5)
                page.locator(".deck-tooltip").wait_for(state="hidden")
                start = time.perf_counter()
                page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
                page.locator(".deck-tooltip").wait_for(state="visible", timeout=10_000)
                hovers.append(time.perf_counter() - start)
            rows.append(
                (
                    "hover a district until its tooltip shows (p50)",
                    f"{statistics.median(hovers) * 1000:.0f} ms",
                )
            )
            b.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--browser", action="store_true", help="also time Chromium (needs it)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    rows = measure(args.repeat, args.browser)
    print(f"Machine: {machine()}\n")
    print("| step | result |\n|---|---|")
    for step, result in rows:
        print(f"| {step} | {result} |")


if __name__ == "__main__":
    main()
