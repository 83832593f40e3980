"""Typing in the sidebar's end-date boxes, and a page's own choices in its link, in Chromium.

A typed end date is applied by Enter, by Tab out of the year and by a click elsewhere (Enter
once did nothing). Each page's choices (calendar tab and month, timeline grouping, history
borough...) go into the address, and the copied link opened in a fresh browser shows the
same view.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import settle


def summary(page) -> str:
    """The page's plain-English summary of the sidebar filters (its first bold line)."""
    return page.locator(
        '[data-testid="stMain"] [data-testid="stMarkdownContainer"] strong'
    ).first.inner_text()


def params(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def type_date(page, box: str, digits: str) -> None:
    """Click the day of the sidebar's `box` ("From" or "To") and type the date's digits, as a
    person does (the box moves from day to month to year by itself)."""
    page.get_by_role("spinbutton", name=f"day, {box}").click()
    page.keyboard.type(digits)


@pytest.mark.timeout(180)
def test_enter_applies_a_typed_end_date(server, page, artifacts):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(server.url)
    settle(page)
    assert summary(page) == "All contracts"

    type_date(page, "To", "31122027")
    page.keyboard.press("Enter")
    page.wait_for_function("() => location.search.includes('end_to=2027-12-31')")
    settle(page)
    assert summary(page).startswith("Contracts ending on or before 31 Dec 2027")
    page.locator('[data-testid="stSidebar"]').screenshot(path=artifacts / "date-enter.png")


@pytest.mark.timeout(180)
def test_tab_out_of_the_year_applies_a_typed_end_date(server, page):
    page.goto(server.url)
    settle(page)
    type_date(page, "From", "01012027")
    page.keyboard.press("Tab")
    page.wait_for_function("() => location.search.includes('end_from=2027-01-01')")
    settle(page)
    assert summary(page).startswith("Contracts ending on or after 1 Jan 2027")
    # Tab went where it always goes (the box's calendar button), not somewhere else.
    label = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert label == "Choose date"


@pytest.mark.timeout(180)
def test_a_click_elsewhere_applies_a_typed_end_date(server, page):
    page.goto(server.url)
    settle(page)
    type_date(page, "To", "30062026")
    page.get_by_role("heading", name="City Tools Explorer").click()
    page.wait_for_function("() => location.search.includes('end_to=2026-06-30')")
    settle(page)
    assert summary(page).startswith("Contracts ending on or before 30 Jun 2026")
