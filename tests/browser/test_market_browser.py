"""A user opens a vendor's profile from the market ranking, shares its link and reopens it."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.browser.conftest import expect, settle

ROW_HEIGHT = 35  # Streamlit's data grid: header and rows


def ranking_table(page):
    """The ranking table: the page's first table, scrolled into view."""
    grid = page.get_by_test_id("stDataFrame").first
    grid.scroll_into_view_if_needed()
    return grid


def test_open_a_vendor_from_the_ranking_share_and_reopen(server, page, colleague, artifacts):
    # A fresh server's first request opening a page is tested in test_map_browser and
    # test_upload_browser; this test starts where most people do, on the home page.
    page.goto(server.url)
    settle(page)
    # and goes on by the sidebar, as people do (opening the address again was a full page load)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Market", exact=True).click()
    page.wait_for_url("**/market**")
    settle(page)
    expect(page.get_by_role("heading", name="Market: vendors and concentration")).to_be_visible()
    headline = page.get_by_role("heading", name="vendors hold").first.inner_text()
    assert "of records" in headline
    page.screenshot(path=artifacts / "market.png", full_page=True)

    # select the first row of the ranking (the row marker column is at the grid's left edge)
    grid = ranking_table(page)
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 16, box["y"] + ROW_HEIGHT * 1.5)
    settle(page)
    link = page.get_by_role("link", name="Open the profile of")
    link.scroll_into_view_if_needed()
    name = link.inner_text().split("Open the profile of", 1)[1].strip()
    assert name
    page.screenshot(path=artifacts / "market-vendor-selected.png", full_page=False)

    link.click()
    page.wait_for_url("**/vendor?**")
    settle(page)
    params = parse_qs(urlsplit(page.url).query)
    assert params["vendor_profile"] == [name]
    expect(page.get_by_role("heading", name="Vendor profile")).to_be_visible()
    held = page.get_by_test_id("stMetricValue").nth(1).inner_text()
    assert int(held.replace(",", "")) > 0
    page.screenshot(path=artifacts / "vendor-profile.png", full_page=True)

    shared = page.url
    other = colleague
    other.goto(shared)
    settle(other)
    chosen = other.get_by_test_id("stSelectbox").first
    assert name in chosen.inner_text() + chosen.locator("input").first.input_value()
    assert other.get_by_test_id("stMetricValue").nth(1).inner_text() == held
    link = other.get_by_role("link", name="this link").get_attribute("href")
    assert parse_qs(urlsplit(link).query) == parse_qs(urlsplit(shared).query)
    assert urlsplit(link).path.endswith("/vendor")
    other.screenshot(path=artifacts / "vendor-profile-shared.png", full_page=True)


def test_the_adoption_page_names_each_borough_s_systems(server, page, artifacts):
    page.goto(f"{server.url}/adoption?adoption_system=Mosaic")
    settle(page)
    expect(page.get_by_role("heading", name="System adoption")).to_be_visible()
    assert page.get_by_test_id("stMetricValue").first.inner_text().endswith("of 33")
    page.screenshot(path=artifacts / "adoption.png", full_page=True)
