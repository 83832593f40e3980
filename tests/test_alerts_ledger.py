"""Scheduled alerts while another process holds the database (as the running app does): `alerts
send` reads a checked copy, records what it sent in the ledger beside the file, and never sends
an item twice, across runs, across two runs at once, and after the ledger is folded into the
database. Real DuckDB files, a real second process holding the lock, a real SMTP server."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from citydata import lifecycle
from citydata.store import ledger, subscriptions
from tests.apptest import new_visit
from tests.conftest import ROOT
from tests.test_alerts import TODAY, add_email, send, smtp  # noqa: F401 - fixture
from tests.test_lifecycle import held_by_another_process
from tests.test_upload_app import password, sign_in  # noqa: F401 - fixtures and helpers


@pytest.fixture(autouse=True)
def _short_busy_waits(monkeypatch):
    """These tests check what a command does once it finds the file held (reads a copy, writes
    the ledger), not how long it waits first (test_lifecycle.py checks the waiting): 0.05 s
    instead of BUSY_WAITS' 3.75 s a command (about 26 s a run of this file)."""
    monkeypatch.setattr(lifecycle, "BUSY_WAITS", (0.05,))


def sent_rows(db_path) -> int:
    db = lifecycle.open_store(db_path)
    try:
        return db.scalar("SELECT count(*) FROM alerts_sent")
    finally:
        db.close()


def test_send_while_the_file_is_held_reads_a_copy_and_sends_nothing_twice(db_path, smtp):  # noqa: F811
    add_email(db_path)
    book = ledger.path_for(db_path)
    with held_by_another_process(db_path):
        first = send(db_path)
        second = send(db_path)
        assert first.returncode == 0, first.stderr
        assert "in use by the running app: reading a copy" in first.stderr
        assert book.name in first.stderr
        assert "sent" in first.stdout and len(smtp.messages) == 1
        assert second.returncode == 0 and "nothing due" in second.stdout
        assert len(smtp.messages) == 1, "the second run read the ledger: nothing sent twice"
        [entry] = [json.loads(line) for line in book.read_text().splitlines()]
        assert entry["subscription"] == 1 and entry["items"]["decision"]

    # once nobody holds the file, the next writer folds the ledger into the table and empties it
    third = send(db_path)
    assert third.returncode == 0 and "nothing due" in third.stdout
    assert len(smtp.messages) == 1
    assert book.read_text() == ""
    assert sent_rows(db_path) == sum(len(v) for v in entry["items"].values())


def test_a_failed_delivery_while_held_is_not_recorded_and_is_retried(db_path, smtp, monkeypatch):  # noqa: F811
    add_email(db_path)
    port = os.environ["CITYTOOLS_SMTP_PORT"]
    with held_by_another_process(db_path):
        monkeypatch.setenv("CITYTOOLS_SMTP_PORT", "1")  # nothing listens there
        failed = send(db_path)
        assert failed.returncode == 1 and "Nothing was sent: the mail" in failed.stderr
        assert ledger.peek(db_path).entries == []
        monkeypatch.setenv("CITYTOOLS_SMTP_PORT", port)
        retried = send(db_path)
    assert retried.returncode == 0 and "sent" in retried.stdout
    assert len(smtp.messages) == 1


def test_two_runs_at_once_send_each_item_once(db_path, smtp):  # noqa: F811
    add_email(db_path)
    with held_by_another_process(db_path):
        runs = [
            subprocess.Popen(
                [sys.executable, "-m", "citydata", "alerts", "send", "--today", TODAY],
                cwd=ROOT,
                env=_env(db_path),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [run.communicate(timeout=240) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err for _, err in outputs]
    assert sorted("nothing due" in out for out, _ in outputs) == [False, True]
    assert len(smtp.messages) == 1


def test_a_removed_alert_leaves_nothing_behind_when_the_ledger_is_folded(db_path, smtp):  # noqa: F811
    add_email(db_path)
    with held_by_another_process(db_path):
        assert send(db_path).returncode == 0
    db = lifecycle.open_store(db_path)
    try:
        subscriptions.remove(db, 1)
        again = subscriptions.add(
            db, "ann", name="New", channel="email", target="new@camden.example.gov.uk",
            view_url="", decisions_months=24, ending_months=None, changes=False,
        )  # fmt: skip
        assert again.id == 1, "the number is given again"
        assert ledger.fold(db, db_path) == 1
        assert subscriptions.already_sent(db, 1, "decision") == set()
    finally:
        db.close()


def test_the_app_folds_the_ledger_and_shows_nothing_due(db_path, smtp, password):  # noqa: F811
    add_email(db_path)
    with held_by_another_process(db_path):
        assert "sent" in send(db_path).stdout
    at = sign_in(new_visit())
    at.switch_page("pages/alerts.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Nothing is due: every alert has been sent what it watches." in [
        c.value for c in at.caption
    ]
    assert at.dataframe[0].value["Last sent"].notna().all()
    assert ledger.path_for(db_path).read_text() == ""


def _env(db_path) -> dict[str, str]:
    return os.environ | {"CITYTOOLS_DB": str(db_path)}
