"""A shared link opened as a fresh server's very first request (ui/pagesdir.py): the page runs
through app.py, with its navigation and sidebar filters, and not on its own."""

from __future__ import annotations

import shutil

import pytest

from tests.browser.conftest import expect, run_server, settle


@pytest.mark.parametrize(
    ("path", "heading"),
    [("market?borough=Camden", "Market: vendors and concentration"), ("history", "History")],
)
def test_a_page_opened_first_on_a_fresh_server_is_drawn_inside_the_app(
    built_db, tmp_path, page, artifacts, path, heading
):
    db = tmp_path / "citytools.duckdb"
    shutil.copyfile(built_db, db)
    with run_server(db) as server:  # a fresh server: no request has run app.py yet
        page.goto(f"{server.url}/{path}")
        settle(page, timeout=60_000)
        page.get_by_role("heading", name=heading).wait_for()
        sidebar = page.get_by_test_id("stSidebar")
        sidebar.get_by_role("heading", name="Filters").wait_for()
        expect(sidebar.get_by_role("link", name="Overview"), "app.py's navigation").to_be_visible()
        # the legacy runner would list every file in pages/, steward pages included
        assert sidebar.get_by_role("link", name="upload").count() == 0
        assert sidebar.get_by_role("link", name="Upload").count() == 0
        if "borough=Camden" in path:
            expect(page.get_by_text("Camden").first, "the link's filters are kept").to_be_visible()
        page.screenshot(path=artifacts / f"first-request-{path.split('?')[0]}.png")
