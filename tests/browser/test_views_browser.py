"""A link a council officer copies opens the same view, and the sidebar's date boxes show a
whole date at 1280 px. (Every page's "Copy link" near the top, at 1280 and 1440 px, giving the
exact view: test_accessibility_browser.py, in its load of each page.)"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.browser.conftest import POLL_MS, settle
from tests.browser.test_accessibility_browser import VIEWS, copied_link


def test_a_copied_link_opens_the_same_view(server, page):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.set_default_timeout(60_000)
    page.goto(f"{server.url}/pipeline?{VIEWS['pipeline']}")
    settle(page, 60_000)
    page.get_by_role("radio", name="6 months").or_(
        page.get_by_role("button", name="6 months")
    ).first.click()
    settle(page, 60_000)
    page.wait_for_function("() => location.search.includes('pipeline_window=6')", polling=POLL_MS)
    link = copied_link(page)
    assert parse_qs(urlsplit(link).query)["pipeline_window"] == ["6 months"]
    other = page.context.new_page()  # another tab: a Streamlit session of its own
    other.goto(link)
    settle(other, 60_000)
    assert other.get_by_text("Decide in next 6 months").first.is_visible()


def test_the_sidebar_date_boxes_show_a_whole_date(server, page, artifacts):
    """Side by side, each box was too narrow at 1280 px and cut the year off."""
    page.set_viewport_size({"width": 1280, "height": 900})
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
