"""Every page as a person reads it in Chromium: axe-core (the copy pinned with
axe-playwright-python in requirements-dev.txt) finds no violation of any impact, minor included,
and nothing the app labels is cut off, on a laptop (1280, 1440 px; 1024 zoomed in), a tablet
(768) or a phone (390).

Headings once jumped from the page title (h1) to h3 on most pages (axe `heading-order`): a
section under a page's title is an h2 (`st.header`), a part of a section an h3.

Signed in, every steward's page is checked too, by axe and for cut-off words at the same five
widths (the Alerts page's command in grey code failed colour contrast; in a narrow window its
"New or changed records" once read "New or ch…"); only Streamlit's own file drop zone is left
out of axe's findings (see `streamlit_chrome`).

Cut off: button labels (they once read "Download ..."; and again, at 1280 px, once the check
looked only at the <p> inside a button while Streamlit clipped the box around it), metric labels
and values, tab and widget labels, and the page never scrolls sideways. A label with any element
inside whose text is wider than its box and whose box hides the rest (scrollWidth > clientWidth,
overflow not visible) is cut off, whatever the styling; so is a button that sticks out of its
column (drawn under the next column's widget). Tables are
drawn on a canvas, so their columns cannot be measured here; their key columns (end dates,
boroughs, vendors) come first by their pages' column order, and the screenshots saved
(test-artifacts/fit-*.png, at 1280 and 390 px, and at any width where something is cut off)
are for a person to look at. Each page is opened once, at 1280 px,
and the window then widened to 1440 px, as on a laptop, then narrowed to 1024 px (a laptop
zoomed to 125%), a tablet's 768 px and a phone's 390 px, where council links are opened too:
the layout follows the width without a new run, so each costs a resize, not a page load. On a
tablet four headline figures once read "Top 10 vendors' share of re…" and "£54,016,0…"; on a
phone the Overview's coverage matrix pushed the whole page sideways; at 1024 px the Market's
"Value" choice stuck out of its column under the next one.

The same load of each page checks what a council officer shares from it (this was
once a test of its own, which opened every page again): at both laptop widths the page's
title and a "Copy link" button near the top (above a laptop's fold), and the link copied gives
this exact view. Four pages are opened with a view in their address (the sidebar's filters and
the page's own choices: `VIEWS`), which the copied link must keep. Then, on six pages, the
page's own choices are made one after another (test_links_browser.py `choices`: the calendar's
tab, grouping and month, the pipeline's window and list...): each goes into the address and the
copied link, which a colleague's browser opens to the same view. (Each was a test of its own
that opened its page again: eight loads of 3-5 CPU s.)
"""

from __future__ import annotations

import contextlib
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.apptest import registered_pages
from tests.browser.conftest import POLL_MS, expect, settle

PAGES = [path for _, _, path in registered_pages()]
WIDTHS = (1280, 1440)
# A laptop zoomed to 125% (the menu still open), a tablet and a phone: checked for cut-off
# words in the same page load.
NARROW = (1024, 768, 390)
# Saved for a person to look at (tables are drawn on a canvas, which the checks cannot read): a
# laptop and a phone; any other width only when something is cut off there. A full-page
# screenshot costs the browser about 0.4 CPU s, and the suite is CPU-bound.
SHOWN = (1280, 390)
# A view with the sidebar's filters and the page's own choices in its address.
VIEWS = {
    "": "borough=Camden&borough=Hackney",
    "pipeline": "service_area=Housing&pipeline_window=24+months",
    "market": "market_by=Boroughs+served",
    "collaborate": "group_by=Vendor&window=12",
}
CUT_OFF = """() => {
  const out = [];
  // Cut off: wider than its box, in a box that hides the rest (an ellipsis or a clip).
  const cut = (e) =>
    e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible';
  // (any element inside: Streamlit 1.67 clips a button's words in the markdown box around
  // its <p>, which itself measures 0 wide)
  const clipped = (e) => [e, ...e.querySelectorAll('*')].some(cut);
  const main = document.querySelector('[data-testid="stMain"]');
  const text = (e) => e.innerText.trim().slice(0, 60);
  for (const b of main.querySelectorAll('button, [data-testid="stPageLink"] a')) {
    if (b.offsetParent && clipped(b)) out.push(`button “${text(b)}”`);
  }
  for (const m of main.querySelectorAll(
      '[data-testid="stMetricLabel"], [data-testid="stMetricValue"]')) {
    if (clipped(m)) out.push(`metric “${text(m)}”`);
  }
  for (const t of main.querySelectorAll('[data-testid="stTab"], [data-testid="stWidgetLabel"]')) {
    if (t.offsetParent && clipped(t)) out.push(`label “${text(t)}”`);
  }
  // Wider than its column, so drawn under the next one (a segmented control's last option)
  for (const b of main.querySelectorAll('[data-testid="stColumn"] button')) {
    const column = b.closest('[data-testid="stColumn"]').getBoundingClientRect();
    if (b.offsetParent && b.getBoundingClientRect().right > column.right + 1) {
      out.push(`button “${text(b)}” sticks out of its column`);
    }
  }
  if (main.scrollWidth > main.clientWidth + 1) {
    out.push(`the page scrolls sideways (${main.scrollWidth} > ${main.clientWidth})`);
  }
  return out;
}"""


def cut_off(page, timeout: float = 10_000) -> list[str]:
    """What CUT_OFF finds once the page has laid itself out at its size: nothing as soon as
    nothing is cut off, else what still is after `timeout` ms. A new window size is laid out
    over the page's next frames, and an element that measures its box and draws again (the
    map) can come after `settle`'s quiet period on a loaded machine: stress run 87 found the
    Map page 761 px wide in a 390 px window, and its screenshot a moment later fitted."""
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(
            f"() => ({CUT_OFF})().length === 0", timeout=timeout, polling=POLL_MS
        )
    return page.evaluate(CUT_OFF)


def copied_link(page) -> str:
    """The address the page's "Copy link" button offers."""
    page.get_by_role("button", name="Copy link").first.click()
    code = page.get_by_test_id("stPopoverBody").get_by_test_id("stCode").first
    code.wait_for()
    text = code.inner_text().strip()
    close_popover(page)
    return text


def close_popover(page) -> None:
    """Close the open popover with Escape and wait until it is gone: on a loaded machine it can
    still be open when the next press of its button arrives, which would then close it."""
    page.keyboard.press("Escape")
    page.get_by_test_id("stPopoverBody").first.wait_for(state="hidden")


def feed_address_copies(page) -> None:
    """Coming to market's calendar address is a link, and "Copy address" offers it to copy."""
    link = page.get_by_role("link", name=re.compile(r"coming-to-market\.ics$"))
    address = link.get_attribute("href")
    assert address.endswith("/app/static/feeds/coming-to-market.ics"), address
    page.get_by_role("button", name="Copy address").click()
    code = page.get_by_test_id("stPopoverBody").get_by_test_id("stCode").first
    code.wait_for()
    assert code.inner_text().strip() == address
    close_popover(page)


def shares_this_view(page, where: str, query: str) -> None:
    """The title and "Copy link" are in sight near the top, and the copied link is this view."""
    expect(page.get_by_role("heading", level=1).first, where).to_be_visible()
    button = page.get_by_role("button", name="Copy link").first
    expect(button, where).to_be_visible()
    assert button.bounding_box()["y"] < 200, where  # above the fold of a laptop screen
    link = copied_link(page)
    got, now = urlsplit(link), urlsplit(page.url)
    assert got.path.rstrip("/") == now.path.rstrip("/"), (where, link)
    assert parse_qs(got.query) == parse_qs(now.query), (where, link)
    for key in parse_qs(query):
        assert key in parse_qs(got.query), (where, key, link)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("url_path", PAGES, ids=[p or "overview" for p in PAGES])
def test_axe_finds_no_violation_nothing_is_cut_off_and_the_link_copies_the_view(
    server, page, artifacts, url_path, built_db, request
):
    from axe_playwright_python.sync_playwright import Axe

    from tests.browser.test_links_browser import choices, choices_are_in_the_link, latest_month

    query = VIEWS.get(url_path, "")
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    page.goto(f"{server.url}/{url_path}" + (f"?{query}" if query else ""))
    settle(page)
    results = Axe().run(page)
    if url_path == "coming":
        feed_address_copies(page)
    found = [
        f"{v['id']} ({v['impact']}): {v['help']}: "
        + "; ".join(f"{n['target']} {n.get('failureSummary', '')[:160]}" for n in v["nodes"][:5])
        for v in results.response["violations"]
    ]
    cut = {}
    for width in WIDTHS + NARROW:
        page.set_viewport_size({"width": width, "height": 900})
        settle(page)
        cut[width] = cut_off(page)
        if width in SHOWN or cut[width]:
            page.screenshot(
                path=artifacts / f"fit-{url_path or 'overview'}-{width}.png", full_page=True
            )
        if width in WIDTHS:
            shares_this_view(page, f"/{url_path} at {width} px", query)
    assert found == [], "\n".join(found)
    assert cut == {width: [] for width in WIDTHS + NARROW}

    month = latest_month(built_db)
    if url_path in choices(month):  # the page's own choices, back at 1280 px
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        settle(page)
        choices_are_in_the_link(
            page, request.getfixturevalue("colleague"), artifacts, url_path, month
        )


STEWARD_PAGES = ["Sign out", "Upload", "Backup and restore", "History", "Vendor names", "Alerts"]


def streamlit_chrome(violation: dict, node: dict) -> bool:
    """Streamlit's own markup, not the app's: the file uploader's drop zone is a
    `<section role="presentation" tabindex="-1" aria-label=...>` written by Streamlit 1.67's
    st.file_uploader (a presentation role with a label and a tab stop: axe's minor
    `presentation-role-conflict`). The app passes only the label; it cannot change the role."""
    return (
        violation["id"] == "presentation-role-conflict"
        and 'data-testid="stFileUploaderDropzone"' in node["html"]
    )


@pytest.mark.timeout(300)
def test_axe_finds_no_violation_on_the_stewards_pages_signed_in(built_db, tmp_path, page):
    import shutil

    from axe_playwright_python.sync_playwright import Axe

    from tests.browser.conftest import run_server

    db = tmp_path / "citytools.duckdb"
    shutil.copyfile(built_db, db)
    with run_server(db, {"CITYTOOLS_UPLOAD_PASSWORD": "a long steward password"}) as srv:
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"{srv.url}/sign_in")
        settle(page)
        page.get_by_role("textbox", name="Your name or email").fill("Ann Steward")
        page.get_by_role("textbox", name="Upload password").fill("a long steward password")
        page.get_by_role("button", name="Sign in").click()
        settle(page)
        found, cut = [], []
        for title in STEWARD_PAGES:  # through the menu: a new address would be a new session
            nav = page.locator('[data-testid="stSidebarNav"]')
            nav.get_by_role("link", name=title, exact=True).click()
            settle(page)
            for v in Axe().run(page).response["violations"]:
                nodes = [n["target"] for n in v["nodes"] if not streamlit_chrome(v, n)]
                if nodes:
                    found.append(f"{title}: {v['id']} ({v['impact']}): {nodes[:5]}")
            # Nothing cut off at any width, in the same load; back to 1280 px (menu open) for
            # the next page's link.
            for width in (*WIDTHS, *NARROW, WIDTHS[0]):
                page.set_viewport_size({"width": width, "height": 900})
                settle(page)
                cut += [f"{title} at {width} px: {c}" for c in cut_off(page)]
    assert found == [], "\n".join(found)
    assert cut == [], "\n".join(cut)
