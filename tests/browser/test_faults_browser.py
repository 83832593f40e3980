"""The command line while a real `streamlit run` is serving the same database file.

Decided behaviour (README, "The command line and the running app"): every command that writes
refuses with a clear message, exit 1 and no traceback, and changes nothing; the commands that only
read (snapshots, export) read a copy made just now and say so; the app goes on serving the same
data. (tests/test_snapshot_cli.py checks the refusal against a bare DuckDB
connection; this checks it against the app itself, and looks at the app afterwards.)
"""

from __future__ import annotations

import json
import re
import shutil

import pytest

from tests.browser.conftest import run_server, settle
from tests.test_snapshot_cli import camden_file, cli, dump_of

IN_USE = "in use by another program (usually the running app"
READ_COPY = "is in use by the running app: reading a copy of it made just now"
TROUBLE = re.compile(r"Traceback|Exception|Error")


def figures(page, url: str) -> tuple[str, bool]:
    """The Overview's Records figure at `url`, and whether the illustrative-data notice shows."""
    page.goto(url)
    settle(page)
    page.get_by_test_id("stMetric").first.wait_for()
    settle(page)
    records = page.get_by_test_id("stMetric").filter(has_text="Records").first
    value = records.get_by_test_id("stMetricValue").inner_text()
    return value, page.get_by_text("Illustrative data").count() > 0


@pytest.mark.usefixtures("short_busy_waits")
def test_while_the_app_serves_the_file_writing_commands_refuse_and_the_app_is_unharmed(
    built_db, tmp_path, page, artifacts
):
    db = tmp_path / "citytools.duckdb"
    shutil.copyfile(built_db, db)
    register = camden_file(db, tmp_path, lambda df: df.iloc[3:])  # Camden, three records fewer
    archive = tmp_path / "backup.zip"
    assert cli("backup", "-o", str(archive), db=db).returncode == 0
    before = dump_of(db)

    with run_server(db) as srv:
        camden_url = f"{srv.url}/?borough=Camden"
        shown = figures(page, camden_url), figures(page, srv.url)
        assert shown == (("23", True), ("800", True))

        commands = [
            ["import", str(register)],
            ["import", str(register), "--dry-run"],
            ["rollback", "7", "--user", "Ann Steward"],
            ["restore", str(archive)],
            ["build", "--force"],
            ["aliases", "--sync"],
        ]
        for args in commands:
            done = cli(*args, db=db)
            assert done.returncode == 1, (args, done.stdout, done.stderr)
            assert IN_USE in done.stderr, (args, done.stderr)
            assert not TROUBLE.search(done.stdout + done.stderr), (args, done.stderr)
        for args in (["snapshots"], ["aliases"], ["export", "-o", str(tmp_path / "export.csv")]):
            done = cli(*args, db=db)
            assert done.returncode == 0, (args, done.stdout, done.stderr)
            assert READ_COPY in done.stderr, (args, done.stderr)
            assert not TROUBLE.search(done.stdout + done.stderr), (args, done.stderr)
        exported = (tmp_path / "export.csv").read_text(encoding="utf-8-sig").splitlines()
        assert len(exported) == 1 + 800  # the header and every record the app serves
        as_json = cli("import", str(register), "--json", db=db)
        assert as_json.returncode == 1 and as_json.stderr == ""
        out = json.loads(as_json.stdout)  # still one JSON object, saying why
        assert IN_USE in out["refused"] and out["snapshot_ids"] == []

        # The app still serves the same data, to a page opened before and to a new one.
        assert (figures(page, camden_url), figures(page, srv.url)) == shown
        page.goto(f"{srv.url}/history")
        settle(page)
        assert page.get_by_test_id("stException").count() == 0
        page.goto(camden_url)
        settle(page)
        page.screenshot(path=artifacts / "cli-while-serving-overview.png", full_page=True)

    assert not [ln for ln in srv.log_text().splitlines() if TROUBLE.search(ln)]
    assert dump_of(db) == before
    assert not db.with_name(db.name + ".bak").exists()  # build --force kept nothing aside
