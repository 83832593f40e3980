"""axe-core (the copy pinned with axe-playwright-python in requirements-dev.txt) finds no
violation of any impact, minor included, on the app's pages in Chromium.

Headings once jumped from the page title (h1) to h3 on most pages (axe `heading-order`): a
section under a page's title is an h2 (`st.header`), a part of a section an h3.

Not here yet: the Map page, and the data stewards' Backup, Vendor names and Alerts pages (their
section headings still jump a level, and the Alerts page's code block fails colour contrast);
test_security_browser.py checks every page for serious and critical violations.
"""

from __future__ import annotations

import pytest

from tests.apptest import registered_pages
from tests.browser.conftest import settle

NOT_YET = {"map"}
PAGES = [path for _, _, path in registered_pages() if path not in NOT_YET]


@pytest.mark.timeout(180)
@pytest.mark.parametrize("url_path", PAGES, ids=[p or "overview" for p in PAGES])
def test_axe_finds_no_violation_on_the_page(server, page, url_path):
    from axe_playwright_python.sync_playwright import Axe

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{server.url}/{url_path}")
    settle(page)
    results = Axe().run(page)
    found = [
        f"{v['id']} ({v['impact']}): {v['help']}: "
        + "; ".join(f"{n['target']} {n.get('failureSummary', '')[:160]}" for n in v["nodes"][:5])
        for v in results.response["violations"]
    ]
    assert found == [], "\n".join(found)
