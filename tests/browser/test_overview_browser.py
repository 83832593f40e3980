"""On a laptop's screen (the coverage matrix fits it), a user picks a borough, shares the link,
reopens it, and downloads what they see."""

from __future__ import annotations

import csv
import io
from urllib.parse import parse_qs, urlsplit

from tests.browser.conftest import POLL_MS, expect, settle


def pick(page, label: str, option: str) -> None:
    box = page.get_by_role("combobox", name=label)
    box.click()
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")
    settle(page)


def the_coverage_matrix_fits(page, artifacts) -> None:
    """The whole coverage matrix (every borough) fits the page at 1280 px: nothing drawn past
    the main column's right edge. (A test of its own once, on a page load of its own.)"""
    chart = page.get_by_test_id("stVegaLiteChart").first
    chart.locator("canvas, svg").first.wait_for()
    chart.screenshot(path=artifacts / "overview-coverage-1280.png")
    drawn = chart.locator("canvas, svg").first.bounding_box()
    main = page.get_by_test_id("stMainBlockContainer")
    room = main.bounding_box()
    padding = main.evaluate("e => parseFloat(getComputedStyle(e).paddingRight)")
    assert drawn["x"] + drawn["width"] <= room["x"] + room["width"] - padding + 1, (drawn, room)


def test_pick_a_borough_share_the_link_reopen_and_download(server, page, colleague, artifacts):
    page.set_viewport_size({"width": 1280, "height": 1600})  # a laptop's width
    page.goto(server.url)
    settle(page)
    page.screenshot(path=artifacts / "overview.png", full_page=True)
    the_coverage_matrix_fits(page, artifacts)
    expect(page.get_by_text("Illustrative data").first).to_be_visible()

    pick(page, "Borough", "Camden")
    page.wait_for_function("() => location.search.includes('borough=Camden')", polling=POLL_MS)
    # The address changes first, then the page runs with the choice: wait for what it shows.
    page.get_by_text("Contracts where borough is Camden").first.wait_for()
    settle(page)
    assert parse_qs(urlsplit(page.url).query)["borough"] == ["Camden"]
    records = page.get_by_test_id("stMetricValue").first.inner_text()
    page.screenshot(path=artifacts / "overview-camden.png", full_page=True)

    shared = page.url
    other = colleague
    other.goto(shared)
    settle(other)
    expect(other.get_by_text("Contracts where borough is Camden").first).to_be_visible()
    assert other.get_by_test_id("stMetricValue").first.inner_text() == records
    chips = other.get_by_test_id("stMultiSelect").first.inner_text()
    assert "Camden" in chips
    other.screenshot(path=artifacts / "overview-shared-link.png", full_page=True)

    with page.expect_download() as info:
        page.get_by_role("button", name="Download CSV").click()
    download = info.value
    text = download.path().read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and {r["Borough"] for r in rows} == {"Camden"}
    assert f"{len(rows):,}" == records
