"""axe-core (the copy pinned with axe-playwright-python in requirements-dev.txt) finds no
violation of any impact, minor included, on the app's pages in Chromium.

Headings once jumped from the page title (h1) to h3 on most pages (axe `heading-order`): a
section under a page's title is an h2 (`st.header`), a part of a section an h3.

Signed in, every steward's page is checked too (the Alerts page's command in grey code failed
colour contrast); only Streamlit's own file drop zone is left out (see `streamlit_chrome`).
"""

from __future__ import annotations

import pytest

from tests.apptest import registered_pages
from tests.browser.conftest import settle

PAGES = [path for _, _, path in registered_pages()]


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
def test_axe_finds_no_violation_on_the_stewards_pages_signed_in(built_db, tmp_path, browser):
    import shutil

    from axe_playwright_python.sync_playwright import Axe

    from tests.browser.conftest import run_server

    db = tmp_path / "citytools.duckdb"
    shutil.copyfile(built_db, db)
    with run_server(db, {"CITYTOOLS_UPLOAD_PASSWORD": "a long steward password"}) as srv:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(f"{srv.url}/sign_in")
        settle(page)
        page.get_by_role("textbox", name="Your name or email").fill("Ann Steward")
        page.get_by_role("textbox", name="Upload password").fill("a long steward password")
        page.get_by_role("button", name="Sign in").click()
        settle(page)
        found = []
        for title in STEWARD_PAGES:  # through the menu: a new address would be a new session
            nav = page.locator('[data-testid="stSidebarNav"]')
            nav.get_by_role("link", name=title, exact=True).click()
            settle(page)
            for v in Axe().run(page).response["violations"]:
                nodes = [n["target"] for n in v["nodes"] if not streamlit_chrome(v, n)]
                if nodes:
                    found.append(f"{title}: {v['id']} ({v['impact']}): {nodes[:5]}")
        context.close()
    assert found == [], "\n".join(found)
