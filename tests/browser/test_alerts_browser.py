"""Scheduled alerts while a real `streamlit run` serves (and holds) the database: `alerts send`,
run as cron runs it, sends through a real SMTP server (aiosmtpd) from a checked copy of the
database, records what it sent in the ledger beside the file, and a second run sends nothing.
Once the app has stopped, the next run folds the ledger into the database and still sends
nothing twice."""

from __future__ import annotations

import shutil

import pytest

from citydata import lifecycle
from citydata.store import ledger
from tests import command
from tests.browser.conftest import run_server, settle
from tests.test_alerts import TODAY, add_email, smtp  # noqa: F401 - fixture


@pytest.mark.usefixtures("short_busy_waits")
def test_cron_alerts_send_while_the_app_serves_sends_nothing_twice(
    built_db,
    tmp_path,
    page,
    smtp,  # noqa: F811
):
    db = tmp_path / "citytools.duckdb"
    shutil.copyfile(built_db, db)
    add_email(db)
    send = ("alerts", "send", "--today", TODAY)
    with run_server(db) as server:
        page.goto(server.url)
        settle(page)  # the app has opened the file and holds DuckDB's lock on it
        page.get_by_test_id("stMetricValue").first.wait_for()
        held = command.run("alerts", "remove", "1", db=db, text=True)

        first = command.run(*send, db=db, text=True)
        after_first = len(smtp.messages)
        second = command.run(*send, db=db, text=True)
        after_second = len(smtp.messages)

        page.reload()
        settle(page)
        page.get_by_test_id("stMetricValue").first.wait_for()  # the app still serves
    assert held.returncode == 1 and "in use by another program" in held.stderr
    assert first.returncode == 0, first.stderr
    assert "in use by the running app: reading a copy" in first.stderr
    assert "alert 1 “Camden housing”: sent" in first.stdout
    assert after_first == 1
    assert second.returncode == 0 and "nothing due" in second.stdout, second.stderr
    assert after_second == 1, "the second run read the ledger and sent nothing twice"
    [(rcpt, msg)] = smtp.messages
    assert rcpt == ["lead@camden.example.gov.uk"] and "decide by" in msg.get_content()
    assert ledger.path_for(db).read_text().count("\n") == 1

    # the app has stopped: the next run folds the ledger into the database, sends nothing
    third = command.run(*send, db=db, text=True)
    assert third.returncode == 0 and "nothing due" in third.stdout, third.stderr
    assert len(smtp.messages) == 1
    assert ledger.path_for(db).read_text() == ""
    reopened = lifecycle.open_store(db)
    try:
        assert reopened.scalar("SELECT count(*) FROM alerts_sent WHERE subscription_id = 1") > 0
    finally:
        reopened.close()
    assert not [p for p in tmp_path.iterdir() if ".reading-" in p.name]
