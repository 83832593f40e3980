"""Typing in the sidebar's end-date boxes, and a page's own choices in its link, in Chromium.

A typed end date is applied by Enter, by Tab out of the year and by a click elsewhere (Enter
once did nothing), and at 1280 px each date box shows its whole date. Each page's choices
(calendar tab and month, timeline grouping, history borough, pipeline window...) go into the
address, and the copied link opened in a fresh browser shows the same view:
`choices_are_in_the_link`, run by test_accessibility_browser.py in its one load of each page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import POLL_MS, expect, forget, settle

SUMMARY = '[data-testid="stMain"] [data-testid="stMarkdownContainer"] strong'


def summary(page) -> str:
    """The page's plain-English summary of the sidebar filters (its first bold line)."""
    return page.locator(SUMMARY).first.inner_text()


def summary_becomes(page, start: str) -> None:
    """The summary comes to start with `start` (within `expect`'s 30 s), and the page is then
    still and still says so. The address holds an applied date before the page has run with
    it, so waiting for the address and a still page was not enough on a loaded machine (stress
    run 48)."""
    expect(page.locator(SUMMARY).first).to_have_text(re.compile("^" + re.escape(start)))
    settle(page)
    assert summary(page).startswith(start), summary(page)


def params(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def type_date(page, box: str, digits: str) -> None:
    """Click the day of the sidebar's `box` ("From" or "To") and type the date's digits, as a
    person does (the box moves from day to month to year by itself)."""
    page.get_by_role("spinbutton", name=f"day, {box}").click()
    page.keyboard.type(digits)


def the_date_boxes_show_a_whole_date(page, artifacts) -> None:
    """Side by side, each of the two filled boxes was too narrow at 1280 px and cut the year off
    (this was test_views_browser.py's test, on a page of its own)."""
    sidebar = page.get_by_test_id("stSidebar")
    fields = sidebar.get_by_test_id("stDateInputFieldsScroller")
    assert fields.count() == 2
    for i in (0, 1):
        fields.nth(i).scroll_into_view_if_needed()
        # the whole date fits: no part of the year is scrolled out of sight
        assert fields.nth(i).evaluate("e => e.scrollWidth <= e.clientWidth"), i
    for name, year in (("year, From", "2027"), ("year, To", "2027")):
        assert sidebar.get_by_role("spinbutton", name=name).inner_text() == year
    sidebar.screenshot(path=artifacts / "sidebar-dates-1280.png")


@pytest.mark.timeout(240)
def test_enter_tab_and_a_click_elsewhere_each_apply_a_typed_end_date(server, page, artifacts):
    """One load of the home page at 1280 px, three typed dates, each applied by another way out
    of the box (the last retypes a box that already holds a date); with both boxes filled, each
    shows its whole date."""
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(server.url)
    settle(page)
    assert summary(page) == "All contracts"

    type_date(page, "To", "31122027")
    page.keyboard.press("Enter")
    page.wait_for_function("() => location.search.includes('end_to=2027-12-31')", polling=POLL_MS)
    summary_becomes(page, "Contracts ending on or before 31 Dec 2027")
    page.locator('[data-testid="stSidebar"]').screenshot(path=artifacts / "date-enter.png")

    type_date(page, "From", "01012027")
    page.keyboard.press("Tab")
    page.wait_for_function("() => location.search.includes('end_from=2027-01-01')", polling=POLL_MS)
    summary_becomes(page, "Contracts ending between 1 Jan 2027 and 31 Dec 2027")
    # Tab went where it always goes (the box's calendar button), not somewhere else.
    label = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert label == "Choose date"
    the_date_boxes_show_a_whole_date(page, artifacts)

    type_date(page, "To", "30062028")
    page.get_by_role("heading", name="City Tools Explorer").click()
    page.wait_for_function("() => location.search.includes('end_to=2028-06-30')", polling=POLL_MS)
    summary_becomes(page, "Contracts ending between 1 Jan 2027 and 30 Jun 2028")


def pick(page, label: str, option: str) -> None:
    """Choose `option` in the select box labelled `label`."""
    box = page.locator('[data-testid="stMain"]').get_by_role("combobox", name=label, exact=True)
    box.click()
    box.fill(option)  # the list is long, and only its visible part is drawn: type, as people do
    page.get_by_role("option", name=option, exact=True).click()


def tab(page, name: str):
    return page.get_by_role("tab", name=name, exact=True)


def pressed(page, name: str) -> bool:
    """Whether the segmented-control button `name` is the chosen one."""
    return page.get_by_role("radio", name=name, exact=True).get_attribute("aria-checked") == "true"


def open_fresh(colleague, link: str, artifacts, name: str):
    """`link` opened at 1280 x 900 in a colleague's browser (no cookies, no session)."""
    colleague.set_viewport_size({"width": 1280, "height": 900})
    colleague.goto(link)
    settle(colleague)
    colleague.screenshot(path=artifacts / f"link-{name}.png", full_page=True)
    return colleague


def no_sidebar_note(page) -> bool:
    return page.locator('[data-testid="stSidebar"] [data-testid="stAlert"]').count() == 0


def button(page, name: str):
    return page.get_by_role("radio", name=name, exact=True)


def latest_month(built_db) -> str:
    """The latest month with contract endings: never the calendar's default one."""
    import duckdb

    with duckdb.connect(str(built_db), read_only=True) as con:
        (latest,) = con.execute("SELECT max(contract_end) FROM current_contracts").fetchone()
    return f"{latest:%B %Y}"


@dataclass(frozen=True)
class Choice:
    """What a person does on a page, the URL parameters that must follow, and what the same
    view shows when the copied link is opened."""

    act: Callable
    expected: dict[str, list[str]]
    same_view: Callable


def choices(month: str) -> dict[str, tuple[Choice, ...]]:
    """Per page (its address), the choices made there one after another on one load of it;
    `month` is the calendar's month to pick (`latest_month`)."""
    return {
        "calendar": (
            Choice(
                lambda p: (
                    tab(p, "Timeline").click(),
                    settle(p),
                    button(p, "Service area").click(),
                ),
                {"calendar_view": ["Timeline"], "timeline_group": ["Service area"]},
                lambda p: (
                    tab(p, "Timeline").get_attribute("aria-selected") == "true"
                    and pressed(p, "Service area")
                ),
            ),
            Choice(
                lambda p: (tab(p, "One month").click(), settle(p), pick(p, "Month", month)),
                {"calendar_view": ["One month"], "calendar_month": [month]},
                lambda p: (
                    tab(p, "One month").get_attribute("aria-selected") == "true"
                    and p.get_by_text(f"ending in {month}").first.is_visible()
                ),
            ),
        ),
        "history": (
            Choice(
                lambda p: pick(p, "Borough", "Camden"),
                {"h_borough": ["Camden"]},
                lambda p: (
                    p.get_by_text("Camden has one snapshot of its register so far")
                    .or_(p.get_by_text("Compare two snapshots of Camden"))
                    .first.is_visible()
                ),
            ),
        ),
        "pipeline": (
            Choice(
                lambda p: (
                    p.get_by_role("radio", name="6 months")
                    .or_(p.get_by_role("button", name="6 months"))
                    .first.click()
                ),
                {"pipeline_window": ["6 months"]},
                lambda p: p.get_by_text("Decide in next 6 months").first.is_visible(),
            ),
            Choice(
                lambda p: tab(p, "Already ended").click(),
                {"pipeline_list": ["Already ended"]},
                lambda p: tab(p, "Already ended").get_attribute("aria-selected") == "true",
            ),
        ),
        "": (
            Choice(
                lambda p: tab(p, "Table").click(),
                {"coverage_view": ["Table"]},
                lambda p: tab(p, "Table").get_attribute("aria-selected") == "true",
            ),
        ),
        "coming": (
            Choice(
                lambda p: button(p, "Decisions due").click(),
                {"coming_show": ["Decisions due"]},
                lambda p: pressed(p, "Decisions due"),
            ),
        ),
        "collaborate": (
            Choice(
                lambda p: p.get_by_text("Include ended contracts").click(),
                {"include_ended": ["true"]},
                lambda p: p.get_by_role("switch", name="Include ended contracts").is_checked(),
            ),
        ),
    }


# Every URL parameter of `expected` (a dict) has its expected values.
IN_ADDRESS = """(expected) => {
  const now = new URLSearchParams(location.search);
  return Object.entries(expected).every(
    ([key, values]) => JSON.stringify(now.getAll(key)) === JSON.stringify(values));
}"""


def choices_are_in_the_link(page, colleague, artifacts, path: str, month: str) -> None:
    """On `page` (the page at `path`, drawn, 1280 px wide): make each of the page's choices in
    turn; each goes into the address and the copied link, and the link opened in a colleague's
    browser (a new tab of its own for each) shows the same view.

    Run in test_accessibility_browser.py's load of each page, so that no page is opened again
    for it (a page load is 3-5 CPU s here)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    from tests.browser.test_accessibility_browser import copied_link

    for n, choice in enumerate(choices(month)[path]):
        choice.act(page)
        settle(page)
        with suppress(PlaywrightTimeout):  # if so, the assertion says what the address holds
            page.wait_for_function(IN_ADDRESS, arg=choice.expected, polling=POLL_MS)
        assert {k: params(page).get(k) for k in choice.expected} == choice.expected, page.url
        link = copied_link(page)
        assert {k: parse_qs(urlsplit(link).query).get(k) for k in choice.expected} == (
            choice.expected
        )
        if n:  # a colleague who has not opened the page's earlier link
            forget(colleague.context)
            colleague = colleague.context.new_page()
            colleague.set_default_timeout(30_000)
        name = f"{path or 'overview'}-{'-'.join(choice.expected)}"
        other = open_fresh(colleague, link, artifacts, name)
        assert choice.same_view(other), (name, link)
        assert no_sidebar_note(other), (name, link)


@pytest.mark.timeout(180)
def test_a_link_too_long_for_the_app_to_read_says_so(server, page, artifacts):
    # Streamlit ignores a query string of more than 1,000 parameters as a whole, before the app
    # sees it: the page showed every record while the address still showed the filters.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{server.url}/?borough=Camden")
    settle(page)
    assert summary(page).startswith("Contracts where borough is Camden")
    assert page.locator("#citytools-link-too-long").count() == 0  # an ordinary link: no note
    padding = "&".join(f"x{i}=1" for i in range(1000))
    page.goto(f"{server.url}/?borough=Camden&{padding}")
    settle(page)
    note = page.get_by_role("alert").filter(has_text="more settings than the app can read")
    note.wait_for()
    assert "none of them was applied" in note.inner_text()
    assert "Camden" not in summary(page)  # what the note says is what happened
    page.screenshot(path=artifacts / "link-too-long.png")
