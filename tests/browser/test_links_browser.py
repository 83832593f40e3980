"""Typing in the sidebar's end-date boxes, and a page's own choices in its link, in Chromium.

A typed end date is applied by Enter, by Tab out of the year and by a click elsewhere (Enter
once did nothing). Each page's choices (calendar tab and month, timeline grouping, history
borough...) go into the address, and the copied link opened in a fresh browser shows the
same view.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import POLL_MS, settle


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
    page.wait_for_function("() => location.search.includes('end_to=2027-12-31')", polling=POLL_MS)
    settle(page)
    assert summary(page).startswith("Contracts ending on or before 31 Dec 2027")
    page.locator('[data-testid="stSidebar"]').screenshot(path=artifacts / "date-enter.png")


@pytest.mark.timeout(180)
def test_tab_out_of_the_year_applies_a_typed_end_date(server, page):
    page.goto(server.url)
    settle(page)
    type_date(page, "From", "01012027")
    page.keyboard.press("Tab")
    page.wait_for_function("() => location.search.includes('end_from=2027-01-01')", polling=POLL_MS)
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
    page.wait_for_function("() => location.search.includes('end_to=2026-06-30')", polling=POLL_MS)
    settle(page)
    assert summary(page).startswith("Contracts ending on or before 30 Jun 2026")


def copied_link(page) -> str:
    """The address the page's "Copy link" shows, as a person would copy it."""
    page.get_by_role("button", name="Copy link").click()
    link = page.locator('[data-testid="stPopoverBody"] [data-testid="stCode"] code').inner_text()
    page.keyboard.press("Escape")
    return link.strip()


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


# (page, what a person does there, the URL parameters that must follow, what the same view shows)
CHOICES = [
    (
        "calendar",
        lambda p: (tab(p, "Timeline").click(), settle(p), button(p, "Service area").click()),
        {"calendar_view": ["Timeline"], "timeline_group": ["Service area"]},
        lambda p: (
            tab(p, "Timeline").get_attribute("aria-selected") == "true"
            and pressed(p, "Service area")
        ),
    ),
    (
        "history",
        lambda p: pick(p, "Borough", "Camden"),
        {"h_borough": ["Camden"]},
        lambda p: (
            p.get_by_text("Camden has one snapshot so far")
            .or_(p.get_by_text("Compare two snapshots of Camden"))
            .first.is_visible()
        ),
    ),
    (
        "pipeline",
        lambda p: tab(p, "Already ended").click(),
        {"pipeline_list": ["Already ended"]},
        lambda p: tab(p, "Already ended").get_attribute("aria-selected") == "true",
    ),
    (
        "",
        lambda p: tab(p, "Table").click(),
        {"coverage_view": ["Table"]},
        lambda p: tab(p, "Table").get_attribute("aria-selected") == "true",
    ),
    (
        "coming",
        lambda p: button(p, "Decisions due").click(),
        {"coming_show": ["Decisions due"]},
        lambda p: pressed(p, "Decisions due"),
    ),
    (
        "collaborate",
        lambda p: p.get_by_text("Include ended contracts").click(),
        {"include_ended": ["true"]},
        lambda p: p.get_by_role("switch", name="Include ended contracts").is_checked(),
    ),
]


@pytest.mark.timeout(240)
@pytest.mark.parametrize(
    "path, act, expected, same_view",
    CHOICES,
    ids=[f"{c[0] or 'overview'}-{'-'.join(c[2])}" for c in CHOICES],
)
def test_a_page_choice_is_in_the_link_and_the_link_shows_the_same_view(
    server, colleague, page, artifacts, path, act, expected, same_view
):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{server.url}/{path}")
    settle(page)
    act(page)
    settle(page)
    for key in expected:
        page.wait_for_function(
            f"() => new URLSearchParams(location.search).has({key!r})", polling=POLL_MS
        )
    assert {k: params(page)[k] for k in expected} == expected
    link = copied_link(page)
    assert {k: parse_qs(urlsplit(link).query).get(k) for k in expected} == expected

    name = f"{path or 'overview'}-{'-'.join(expected)}"
    other = open_fresh(colleague, link, artifacts, name)
    assert same_view(other)
    assert no_sidebar_note(other)


@pytest.mark.timeout(240)
def test_the_calendar_month_is_in_the_link(server, colleague, page, artifacts, built_db):
    import duckdb

    with duckdb.connect(str(built_db), read_only=True) as con:
        (latest,) = con.execute("SELECT max(contract_end) FROM current_contracts").fetchone()
    month = f"{latest:%B %Y}"  # the latest month with endings: never the default one
    page.goto(f"{server.url}/calendar")
    settle(page)
    tab(page, "One month").click()
    settle(page)
    pick(page, "Month", month)
    settle(page)
    page.wait_for_function(
        "() => new URLSearchParams(location.search).has('calendar_month')", polling=POLL_MS
    )
    assert params(page)["calendar_month"] == [month]
    assert params(page)["calendar_view"] == ["One month"]
    link = copied_link(page)

    other = open_fresh(colleague, link, artifacts, "calendar-month")
    assert tab(other, "One month").get_attribute("aria-selected") == "true"
    assert other.get_by_text(f"ending in {month}").first.is_visible()
    assert no_sidebar_note(other)


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
