"""The database file while a real `streamlit run` serves it: the command line's export works
(on a copy made just now), and a file held by another process at start is "busy", never
offered for rebuilding."""

from __future__ import annotations

import shutil
from urllib.parse import quote

import pytest

from citydata import lifecycle
from tests import command
from tests.browser.conftest import run_server, settle
from tests.test_lifecycle import held_by_another_process


@pytest.mark.usefixtures("short_busy_waits")
def test_the_command_line_exports_a_shared_link_while_the_app_serves(
    built_db, tmp_path, page, artifacts
):
    db = tmp_path / "citytools.duckdb"
    shutil.copyfile(built_db, db)
    out = tmp_path / "camden.csv"
    with run_server(db) as server:
        link = f"{server.url}/?borough={quote('Camden')}"
        page.goto(link)
        settle(page)  # the app has opened the file and holds DuckDB's lock on it
        shown = int(page.get_by_test_id("stMetricValue").first.inner_text().replace(",", ""))

        export = command.run("export", "--url", link, "-o", str(out), db=db, text=True)
        writing = command.run("aliases", "--sync", db=db, text=True)

        page.reload()
        settle(page)
        assert page.get_by_test_id("stMetricValue").first.inner_text() == f"{shown:,}"
    assert export.returncode == 0, export.stderr
    assert "in use by the running app: reading a copy of it made just now" in export.stderr
    assert len(out.read_text(encoding="utf-8-sig").splitlines()) == shown + 1
    assert writing.returncode == 1 and "in use by another program" in writing.stderr
    assert not [p for p in tmp_path.iterdir() if ".reading-" in p.name]


def test_a_file_held_by_another_process_at_start_is_busy_not_broken(
    built_db, tmp_path, page, artifacts
):
    db = tmp_path / "citytools.duckdb"
    shutil.copyfile(built_db, db)
    with run_server(db, {"CITYTOOLS_UPLOAD_PASSWORD": "pw"}) as server:
        with held_by_another_process(db):
            page.goto(server.url)
            settle(page, timeout=60_000)
            page.get_by_text("The data is busy").wait_for()
            assert page.get_by_role("button", name="Rebuild from the embedded data").count() == 0
            page.screenshot(path=artifacts / "busy-start.png")
        page.get_by_role("button", name="Try again").click()
        settle(page)
        page.get_by_test_id("stMetricValue").first.wait_for()
    assert not list(tmp_path.glob("*.unusable-*")), "a busy file is never moved aside"
    reopened = lifecycle.open_store(db)
    try:
        assert reopened.scalar("SELECT count(*) FROM current_contracts") == 800
    finally:
        reopened.close()
