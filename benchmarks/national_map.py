"""The national map: every UK council (CITYTOOLS_REGION=united-kingdom, 382 authorities, 361
district shapes) in one database, and how fast the Map page is built, sent and drawn.

    python -m benchmarks.national_map [--repeat 7] [--browser]

A small run (the region's illustrative data, about 9,800 records): it measures the map itself,
not the database at scale (see `python -m benchmarks.run` for that). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
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
    from citydata.core import boroughs, mapshapes, regions
    from citydata.query import mapdata
    from citydata.query.filters import FilterState
    from ui.charts import boroughmap, mapclasses

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
    bins = mapclasses.classes(frame["value"], "count")
    records_metric = mapdata.METRIC_BY_KEY["records"]

    shapes = mapshapes.publish(region.key)  # as the app does: the shapes file, written once

    def build_map():
        boroughmap._choropleth.cache_clear()  # a new answer: built and written afresh
        return boroughmap.choropleth(frame, records_metric, bins, shapes).to_json()

    rows.append(("build the pydeck map (p50)", f"{_p50(build_map, repeat) * 1000:.0f} ms"))
    deck = boroughmap.choropleth(frame, mapdata.METRIC_BY_KEY["records"], bins, shapes)
    rows.append(
        (
            "map sent to the browser on each change (deck JSON)",
            f"{len(deck.to_json()) / 1024**2:.2f} MB",
        )
    )
    rows.append(
        (
            "the shapes file, fetched once (the browser keeps it)",
            f"{len(mapshapes.document(region.key)) / 1024**2:.2f} MB",
        )
    )
    db.close()

    # The browser's server gets its own copy: the AppTest runs below keep this process's
    # connection to the file open, and DuckDB lets only one process write-open a file.
    server_db = folder / "uk-server.duckdb"
    shutil.copyfile(db_path, server_db)

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
        rows += _browser(server_db, repeat)
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
            received: list[int] = []
            page.on(
                "websocket", lambda ws: ws.on("framereceived", lambda f: received.append(len(f)))
            )
            loads, paints = [], []
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
                _first_paint(page)
                paints.append(time.perf_counter() - start)
            rows.append(
                (
                    "open /map in Chromium until the map's canvas is there (p50)",
                    f"{statistics.median(loads):.2f} s",
                )
            )
            rows.append(
                (
                    "open /map until the districts are drawn (first paint of the map, p50)",
                    f"{statistics.median(paints):.2f} s",
                )
            )
            sizes = []
            for choice in ("Distinct vendors", "Records", "Distinct systems"):
                received.clear()
                page.get_by_role("combobox", name="Colour councils by").click()
                page.get_by_role("option", name=choice, exact=True).click()
                page.wait_for_function(
                    "() => document.querySelector('[data-testid=\"stApp\"]')"
                    "?.getAttribute('data-test-script-state') === 'notRunning'"
                    " && !document.querySelector('[data-stale=\"true\"]')",
                    timeout=120_000,
                )
                sizes.append(sum(received))
            rows.append(
                (
                    "bytes the server sends for one rerun of the map page (a choice changed, p50)",
                    f"{statistics.median(sizes) / 1024**2:.2f} MB",
                )
            )
            box = page.locator('[data-testid="stDeckGlJsonChart"]').bounding_box()
            hovers = []
            points = [_on_screen(box, name) for name in HOVERED]
            for i in range(repeat):
                x, y = points[i % len(points)]
                page.mouse.move(box["x"] + 5, box["y"] + 5)
                page.locator(".deck-tooltip").wait_for(state="hidden")
                start = time.perf_counter()
                page.mouse.move(x, y)
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


HOVERED = ("Leeds", "Birmingham", "Cornwall", "Highland", "Powys")


def _on_screen(box: dict, name: str) -> tuple[float, float]:
    """Where the middle of a district's largest part is in the map's initial view."""
    import math

    from citydata.core import regions
    from ui.charts import boroughmap, mapgeometry

    feature = next(
        f for f in regions.current().geojson()["features"] if f["properties"]["name"] == name
    )
    lon, lat = mapgeometry.centroid(mapgeometry.main_ring(feature["geometry"]))
    view = boroughmap.view()
    world = 512 * 2**view.zoom

    def project(lo: float, la: float) -> tuple[float, float]:
        y = math.log(math.tan(math.pi / 4 + math.radians(la) / 2))
        return (lo + 180) / 360 * world, (1 - y / math.pi) / 2 * world

    cx, cy = project(view.longitude, view.latitude)
    x, y = project(lon, lat)
    return box["x"] + box["width"] / 2 + (x - cx), box["y"] + box["height"] / 2 + (y - cy)


def _first_paint(page, timeout: float = 120.0) -> None:
    """Wait until the map's canvas shows the districts: a screenshot with many colours."""
    from io import BytesIO

    from PIL import Image

    chart = page.locator('[data-testid="stDeckGlJsonChart"]')
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shot = Image.open(BytesIO(chart.screenshot())).convert("RGB")
        if shot.getcolors(maxcolors=20) is None:  # more than 20 colours: shapes are drawn
            return
    raise TimeoutError("the map was not drawn")


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
