"""Regions in a real browser: for Greater Manchester, Wales, a custom list of councils and the
whole United Kingdom, a server set up for the region builds its own database on first start,
the map draws the region's councils offline, a hover names one and one click opens its profile."""

from __future__ import annotations

import io
import math
from collections import Counter
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image

from citydata.core import regions
from tests import command
from tests.browser.conftest import click_to_open, expect, run_server, settle, steady_image
from tests.browser.test_map_browser import CHART, offline
from ui.charts import boroughmap

CUSTOM = "E07000223,E07000224,E10000032"  # Adur, Arun and West Sussex County Council
CASES = {
    # file name: (CITYTOOLS_REGION, the council to point at, how many are listed beside the map)
    "greater-manchester": ("greater-manchester", "Bolton", 0),
    "wales": ("wales", "Powys", 0),
    "custom": (CUSTOM, "Arun", 1),  # West Sussex County Council
    "united-kingdom": ("united-kingdom", "Leeds", 21),  # the 21 county councils
}


def pixel_of(page, view, lon: float, lat: float) -> tuple[float, float]:
    """Where a point is on screen in the map's initial view (Web Mercator, 512 px tiles)."""
    box = page.locator(CHART).bounding_box()
    world = 512 * 2**view.zoom

    def project(lo: float, la: float) -> tuple[float, float]:
        y = math.log(math.tan(math.pi / 4 + math.radians(la) / 2))
        return (lo + 180) / 360 * world, (1 - y / math.pi) / 2 * world

    cx, cy = project(view.longitude, view.latitude)
    x, y = project(lon, lat)
    return box["x"] + box["width"] / 2 + (x - cx), box["y"] + box["height"] / 2 + (y - cy)


def inside(name: str) -> tuple[float, float]:
    """A point inside the council's area (shapely's representative point)."""
    shapely_geometry = pytest.importorskip("shapely.geometry")
    feature = next(
        f for f in regions.current().geojson()["features"] if f["properties"]["name"] == name
    )
    point = shapely_geometry.shape(feature["geometry"]).representative_point()
    return point.x, point.y


@pytest.mark.parametrize("case", list(CASES))
def test_a_region_draws_its_councils_and_opens_their_profiles(
    case, page, artifacts, tmp_path, monkeypatch
):
    value, council, off_map = CASES[case]
    monkeypatch.setenv(regions.SETTING, value)  # this process computes the same view
    db = tmp_path / "region.duckdb"
    if case == "united-kingdom":  # 9,800 records: built beforehand, so the first page is quick
        assert command.run("build", "--db", str(db)).returncode == 0
    # otherwise there is none yet: the server builds the region's own on first start
    page.set_default_timeout(60_000)
    with run_server(db, {regions.SETTING: value}) as server:
        offline(page)
        page.goto(f"{server.url}/map")
        settle(page, timeout=120_000)
        page.locator(f"{CHART} canvas").first.wait_for(state="visible")
        drawn = steady_image(page.locator(CHART))  # deck.gl draws over several frames
        page.screenshot(path=artifacts / f"region-{case}-map.png", full_page=True)
        expect(page.get_by_role("heading", name="Council map")).to_be_visible()

        canvas = Image.open(io.BytesIO(drawn)).convert("RGB")
        colours = Counter(canvas.get_flattened_data())
        area = canvas.width * canvas.height
        assert area - colours[(255, 255, 255)] > 0.05 * area, "the map is nearly blank"
        assert len([c for c, n in colours.items() if n > 200]) >= 3, "one flat colour"

        # County councils have no area of their own: listed beside the map (AppTest checks
        # the names; the table is drawn on a canvas).
        listed = page.get_by_text(f"Not on the map ({off_map})", exact=True)
        assert listed.is_visible() if off_map else page.get_by_text("Not on the map").count() == 0

        x, y = pixel_of(page, boroughmap.view(), *inside(council))
        page.mouse.move(x, y)
        tooltip = page.locator(".deck-tooltip")
        tooltip.wait_for(state="visible")
        assert tooltip.inner_text().startswith(council)
        page.screenshot(path=artifacts / f"region-{case}-tooltip.png")

        # One click opens the profile, on the national map too (361 districts: it did not,
        # while pressing took the browser so long to find the district that it was no click)
        click_to_open(
            page, x, y, artifacts / f"region-{case}-click-missed.png", f"the click on {council}"
        )
        settle(page, timeout=120_000)
        assert parse_qs(urlsplit(page.url).query)["profile"] == [council]
        expect(page.get_by_role("heading", name=council, exact=True)).to_be_visible()
        expect(page.get_by_role("heading", name="Council profile")).to_be_visible()

        # On to the Overview by the sidebar, as a person goes (opening its address again was
        # a full page load, about 2 CPU s more than a move within the app).
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Overview", exact=True).click()
        page.wait_for_url(lambda url: urlsplit(url).path in ("", "/"))
        settle(page, timeout=120_000)
        n = len(regions.current().authorities)
        metric = page.get_by_test_id("stMetric").filter(has_text="Councils covered")
        assert metric.get_by_test_id("stMetricValue").inner_text() == f"{n} of {n}"
        page.screenshot(path=artifacts / f"region-{case}-overview.png")
