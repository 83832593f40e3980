"""Every page as a council officer sees it on a laptop: a "Copy link" at the top that gives
this exact view, and screenshots at 1280 and 1440 px wide (test-artifacts/) to look at."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.apptest import registered_pages
from tests.browser.conftest import settle

PAGES = registered_pages()
# A view with the sidebar's filters and the page's own choices in its address.
VIEWS = {
    "": "borough=Camden&borough=Hackney",
    "pipeline": "service_area=Housing&pipeline_window=24+months",
    "market": "market_by=Boroughs+served",
    "collaborate": "group_by=Vendor&window=12",
}


def copied_link(page) -> str:
    page.get_by_role("button", name="Copy link").first.click()
    code = page.get_by_test_id("stPopoverBody").get_by_test_id("stCode").first
    code.wait_for()
    text = code.inner_text().strip()
    page.keyboard.press("Escape")
    return text


WIDTHS = (1280, 1440)


def test_every_page_offers_copy_link_of_the_exact_view(server, browser, artifacts):
    """Each page is opened once and looked at in a window 1280 and then 1440 px wide (the
    window resized, as on a laptop: the layout follows the width without a new run)."""
    context = browser.new_context(viewport={"width": WIDTHS[0], "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        for _file, title, path in PAGES:
            query = VIEWS.get(path, "")
            page.set_viewport_size({"width": WIDTHS[0], "height": 900})
            page.goto(f"{server.url}/{path}" + (f"?{query}" if query else ""))
            settle(page, 60_000)
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                settle(page, 60_000)
                where = f"{title} at {width} px"
                assert page.get_by_role("heading", level=1).first.is_visible(), where
                button = page.get_by_role("button", name="Copy link").first
                assert button.is_visible(), where
                # near the top: above the fold of a laptop screen
                assert button.bounding_box()["y"] < 200, where
                stem = path or "overview"
                page.screenshot(path=artifacts / f"view-{stem}-{width}.png")
                link = copied_link(page)
                got, now = urlsplit(link), urlsplit(page.url)
                assert got.path.rstrip("/") == now.path.rstrip("/"), (where, link)
                assert parse_qs(got.query) == parse_qs(now.query), (where, link)
                for key in parse_qs(query):
                    assert key in parse_qs(got.query), (where, key, link)
    finally:
        context.close()


def test_a_copied_link_opens_the_same_view(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{server.url}/pipeline?{VIEWS['pipeline']}")
    settle(page, 60_000)
    page.get_by_role("radio", name="6 months").or_(
        page.get_by_role("button", name="6 months")
    ).first.click()
    settle(page, 60_000)
    page.wait_for_function("() => location.search.includes('pipeline_window=6')")
    link = copied_link(page)
    assert parse_qs(urlsplit(link).query)["pipeline_window"] == ["6 months"]
    other = context.new_page()
    other.goto(link)
    settle(other, 60_000)
    assert other.get_by_text("Decide in next 6 months").first.is_visible()
    context.close()


def test_the_sidebar_date_boxes_show_a_whole_date(server, browser, artifacts):
    """Side by side, each box was too narrow at 1280 px and cut the year off."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{server.url}/?end_from=2027-04-01&end_to=2027-12-31")
    settle(page, 60_000)
    sidebar = page.get_by_test_id("stSidebar")
    assert page.get_by_text("ending between 1 Apr 2027 and 31 Dec 2027").first.is_visible()
    fields = sidebar.get_by_test_id("stDateInputFieldsScroller")
    assert fields.count() == 2
    for i in (0, 1):
        fields.nth(i).scroll_into_view_if_needed()
        # the whole date fits: no part of the year is scrolled out of sight
        assert fields.nth(i).evaluate("e => e.scrollWidth <= e.clientWidth"), i
    for name, year in (("year, From", "2027"), ("year, To", "2027")):
        assert sidebar.get_by_role("spinbutton", name=name).inner_text() == year
    sidebar.screenshot(path=artifacts / "sidebar-dates-1280.png")
    context.close()
