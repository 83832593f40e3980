"""At a laptop's 1280 px, nothing the app labels is cut off: button labels (they once read
"Download ..."), metric labels and values, tab and widget labels, and the page never scrolls
sideways. Measured in Chromium: a label whose text is wider than its box (scrollWidth >
clientWidth) is cut off, whatever the styling that hides the rest.

Tables are drawn on a canvas, so their columns cannot be measured here; their key columns
(end dates, boroughs, vendors) come first by their pages' column order, and the screenshots
this test saves (test-artifacts/fit-*.png) are for a person to look at.
"""

from __future__ import annotations

import pytest

from tests.apptest import registered_pages
from tests.browser.conftest import settle

CUT_OFF = """() => {
  const out = [];
  const cut = (e) => e.scrollWidth > e.clientWidth + 1;
  const main = document.querySelector('[data-testid="stMain"]');
  const text = (e) => e.innerText.trim().slice(0, 60);
  for (const b of main.querySelectorAll('button, [data-testid="stPageLink"] a')) {
    const p = b.querySelector('[data-testid="stMarkdownContainer"] p') || b;
    if (b.offsetParent && (cut(p) || cut(b))) out.push(`button “${text(b)}”`);
  }
  for (const m of main.querySelectorAll(
      '[data-testid="stMetricLabel"], [data-testid="stMetricValue"]')) {
    if ([m, ...m.querySelectorAll('p, div')].some(cut)) out.push(`metric “${text(m)}”`);
  }
  for (const t of main.querySelectorAll(
      '[data-testid="stTab"] p, [data-testid="stWidgetLabel"] p')) {
    if (t.offsetParent && cut(t)) out.push(`label “${text(t)}”`);
  }
  if (cut(main)) out.push(`the page scrolls sideways (${main.scrollWidth} > ${main.clientWidth})`);
  return out;
}"""
PAGES = [path for _, _, path in registered_pages()]


WIDTHS = (1280, 1440)


@pytest.mark.timeout(180)
@pytest.mark.parametrize("url_path", PAGES, ids=[p or "overview" for p in PAGES])
def test_nothing_labelled_is_cut_off_on_a_laptop_screen(server, page, artifacts, url_path):
    """The page is opened at 1280 px and the window then widened to 1440 px, as on a laptop:
    the layout follows the width without a new run (test_views_browser.py does the same)."""
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    page.goto(f"{server.url}/{url_path}")
    cut = {}
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        settle(page)
        shot = artifacts / f"fit-{url_path or 'overview'}-{width}.png"
        page.screenshot(path=shot, full_page=True)
        cut[width] = page.evaluate(CUT_OFF)
    assert cut == {width: [] for width in WIDTHS}
