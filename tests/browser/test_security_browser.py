"""Every page, opened in a real browser: planted script and HTML never run.

(axe-core's accessibility check of every page is in test_accessibility_browser.py: violations of
any impact, not only the serious and critical ones this file once checked.)"""

from __future__ import annotations

import shutil
from urllib.parse import parse_qs, urlsplit

import pytest

from citydata import lifecycle
from citydata.core import dates
from citydata.store.db import Database
from tests.apptest import registered_pages
from tests.browser.conftest import POLL_MS, expect, run_server, settle

HOSTILE = {
    "system": '<script>alert("xss-system")</script>',
    "vendor": "<img src=x onerror=alert('xss-vendor')>",
    "manufacturer": "[click me](javascript:alert('xss-link'))",
    "source_ref": '=HYPERLINK("http://example.invalid","x")',
}


def plant_hostile_snapshot(path) -> None:
    """A Camden snapshot whose text fields carry script, HTML and markdown links."""
    db = Database(path)
    with db.write() as w:
        snap = w.scalar("SELECT nextval('snapshot_ids')")
        w.execute("UPDATE snapshots SET status = 'superseded' WHERE borough_code = 'E09000007'")
        w.execute(
            "INSERT INTO snapshots (id, borough_code, created_at, file_name, rows_imported,"
            " rows_rejected, status, source)"
            " VALUES (?, 'E09000007', ?, ?, 1, 0, 'active', 'upload')",
            [snap, dates.now(), "<b>register</b>.csv"],
        )
        w.execute(
            "INSERT INTO contracts (snapshot_id, record_no, borough_code, borough, service_area,"
            " system, vendor, manufacturer, contract_start, contract_end, annual_value, hosting,"
            " source_ref, source) VALUES (?, 1, 'E09000007', 'Camden', 'Housing', ?, ?, ?,"
            " DATE '2024-04-01', DATE '2027-03-31', 1000, 'On premises', ?, 'upload')",
            [
                snap,
                HOSTILE["system"],
                HOSTILE["vendor"],
                HOSTILE["manufacturer"],
                HOSTILE["source_ref"],
            ],
        )
    db.close()


@pytest.fixture(scope="module")
def hostile_server(built_db, tmp_path_factory):
    path = tmp_path_factory.mktemp("hostile") / "citytools.duckdb"
    shutil.copyfile(built_db, path)
    lifecycle.open_store(path).close()
    plant_hostile_snapshot(path)
    with run_server(path) as server:
        yield server


# The filters in the address follow a move by the sidebar; a page's own parameters do not, so
# the Borough profile (profile=Camden) is opened by its address.
QUERY = "borough=Camden&profile=Camden&q=%3Cscript%3E"
BY_ADDRESS = {"", "borough"}


@pytest.mark.timeout(300)
def test_planted_script_never_runs_and_shows_as_text(hostile_server, page, artifacts):
    """Every page, in one visitor's session moving by the sidebar as people do (a move costs
    the browser about half of opening an address: each page was a test of its own, opened by
    its address)."""
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    nav = page.get_by_test_id("stSidebarNav")
    for _, title, url_path in registered_pages():
        if url_path in BY_ADDRESS:
            page.goto(f"{hostile_server.url}/{url_path}?{QUERY}")
        else:
            nav.get_by_role("link", name=title, exact=True).click()
            page.wait_for_url(lambda url, p=url_path: urlsplit(url).path.endswith(f"/{p}"))
        settle(page)
        where = f"/{url_path}"
        # A planted <img onerror> would fire once its image failed: wait for every image to be
        # done.
        page.wait_for_function(
            "() => [...document.images].every((i) => i.complete)", polling=POLL_MS
        )
        assert dialogs == [], where
        assert page.locator("img[src='x']").count() == 0, where
        assert page.locator("a[href^='javascript']").count() == 0, where
        assert parse_qs(urlsplit(page.url).query)["q"] == ["<script>"], where
        expect(page.get_by_text("“<script>”").first, where).to_be_visible()
        page.screenshot(path=artifacts / f"hostile-{url_path or 'overview'}.png", full_page=True)
