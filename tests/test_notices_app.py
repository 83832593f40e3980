"""The steward's Published notices page (AppTest) against a real HTTP server on localhost.

The fetch runs in a background thread of the app, writing through the app's own Database; a
visitor's page still opens while it waits for the publisher, and the history it writes is the
one `python -m citydata fetch-history` prints.
"""

from __future__ import annotations

import threading
import time
from datetime import date
from pathlib import Path

import pytest

import ui
from citydata import lifecycle
from citydata.core import stewards
from citydata.feeds import fetch, history
from tests.apptest import new_visit, run_app, shown
from tests.command import run
from tests.test_fetch import ok
from tests.test_fetch import server as replay
from tests.test_upload_app import AUTH, PASSWORD, camden_register, sign_in
from ui import fetching

NOTICES = Path(__file__).resolve().parent / "data" / "notices"
server = replay  # the HTTP server on localhost replaying recorded pages (a fixture)


@pytest.fixture
def password(monkeypatch):
    monkeypatch.setenv("CITYTOOLS_UPLOAD_PASSWORD", PASSWORD)
    monkeypatch.delenv("CITYTOOLS_STEWARDS", raising=False)
    return PASSWORD


def wait_for(condition, timeout: float = 60.0):
    """Poll `condition` until it returns something true (no fixed sleep stands for a result)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.05)
    raise AssertionError("the condition was not met in time")


def runs(db_path) -> list[tuple]:
    db = lifecycle.open_store(db_path)
    try:
        return db.rows(
            "SELECT feed, status, pages, kept, not_technology, started_by FROM feed_runs"
            " ORDER BY id"
        )
    finally:
        db.close()


def open_notices(at):
    at.switch_page("pages/notices.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_visitor_cannot_open_the_published_notices_page(db_path):
    at = run_app()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/notices.py")


def test_a_steward_fetches_in_the_background_while_visitors_keep_reading(
    db_path,
    password,
    server,
):
    server.play("page1", ok(server.page("contracts_finder_page1.json")))
    server.play("page2", ok(server.page("contracts_finder_page2.json")))
    gate = server.gates["page2"] = threading.Event()  # the publisher is slow with page 2
    at = open_notices(sign_in(new_visit(), name="Ann Steward"))
    assert at.title[0].value == "Published notices"
    assert any("never fetched" in m.value for m in at.markdown)
    [fetch_button] = [b for b in at.button if b.label == "Fetch from Contracts Finder"]
    fetch_button.click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    # Page 1 is stored while page 2 is still on its way: the run is recorded as running.
    wait_for(lambda: [r for r in runs(db_path) if r[1] == "running" and r[2] == 1])
    visitor = run_app(page="pages/overview.py")  # another visitor's page opens meanwhile
    assert not visitor.exception and visitor.title
    at.run()  # the steward's page shows the progress, and the button is off
    bars = at.get("progress")
    assert bars and "Page 1 of at most 50" in bars[0].proto.text
    assert next(b for b in at.button if b.label == "Fetch from Contracts Finder").disabled
    gate.set()
    wait_for(lambda: [r for r in runs(db_path) if r[1] == "done"])
    assert runs(db_path) == [("contracts-finder", "done", 2, 2, 1, "Ann Steward (upload password)")]
    at.run()
    said = " ".join(m.value for m in [*at.success, *at.markdown])
    assert "2 pages, 4 notices read, 2 technology records" in said
    history = at.dataframe[0].value
    assert history[["feed", "status", "kept", "not_technology"]].values.tolist() == [
        ["contracts-finder", "done", 2, 1]
    ]
    # The same history from the command line.
    done = run("fetch-history", db=db_path, text=True)
    assert done.returncode == 0, done.stderr
    assert (
        "by Ann Steward (upload password) · done: 2 pages, 4 read, 2 kept. Left out: 1 not "
        "technology; 1 bought by a council outside the region or not recognised."
    ) in done.stdout  # Leeds's notice: a council outside the region


def test_a_fetch_stores_nothing_more_once_its_steward_may_no_longer_change_the_data(
    db_path, password, server, monkeypatch
):
    """Whoever runs the app changes the upload password while a steward's fetch runs (to take
    the right to change data from those who knew the old one): the pages read after that are
    not stored. Another steward's fetch carries on from the page it stopped at."""
    server.play("page1", ok(server.page("contracts_finder_page1.json")))
    server.play("page2", ok(server.page("contracts_finder_page2.json")))
    gate = server.gates["page2"] = threading.Event()
    at = open_notices(sign_in(new_visit(), name="Ann Steward"))
    next(b for b in at.button if b.label == "Fetch from Contracts Finder").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    wait_for(lambda: [r for r in runs(db_path) if r[1] == "running" and r[2] == 1])
    monkeypatch.setenv("CITYTOOLS_UPLOAD_PASSWORD", "a new password nobody told Ann")
    gate.set()
    wait_for(lambda: [r for r in runs(db_path) if r[1] == "failed"])
    assert runs(db_path) == [
        ("contracts-finder", "failed", 1, 1, 1, "Ann Steward (upload password)")
    ]  # page 1's technology notice, none of page 2's
    told = run("fetch-history", db=db_path, text=True)
    assert told.returncode == 0, told.stderr
    assert (
        "The fetch stopped: Ann Steward (upload password) is no longer a data steward here"
    ) in told.stdout
    assert "Nothing from page 2 on was stored" in told.stdout
    at.run()  # Ann's next click: the app no longer has the stewards' pages for her
    assert not at.exception, [e.value for e in at.exception]
    assert not [b for b in at.button if b.label == "Fetch from Contracts Finder"]
    shown = " ".join(e.value for e in [*at.error, *at.warning, *at.info, *at.markdown])
    assert "**All contracts**" in shown, shown  # the Overview, the app's first page
    assert [t.value for t in at.toast] == [
        "Signed out as a data steward. The upload password has been changed since you signed "
        "in. Sign in again."
    ]  # said where she lands, not only on the sign-in form she may never open

    monkeypatch.setenv("CITYTOOLS_UPLOAD_PASSWORD", PASSWORD)
    again = open_notices(sign_in(new_visit(), name="Bob Steward"))
    next(b for b in again.button if b.label == "Fetch from Contracts Finder").click()
    again.run()
    wait_for(lambda: [r for r in runs(db_path) if r[1] == "done"])
    last = runs(db_path)[-1]
    assert last == ("contracts-finder", "done", 2, 2, 1, "Bob Steward (upload password)")


def test_a_steward_imports_a_notices_file_and_a_register_is_sent_to_upload(db_path, password):
    at = open_notices(sign_in(new_visit(), name="Bob Steward"))
    content = (NOTICES / "ocds_record_package_1_0.json").read_bytes()
    at.get("file_uploader")[0].set_value(
        ("ocds_record_package_1_0.json", content, "application/json")
    )
    at.run()
    next(b for b in at.button if b.label == "Import these notices").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "3 technology records of the region's councils kept" in at.success[0].value
    # A register is not published notices: refused, nothing stored, told where it goes.
    before = runs(db_path)
    at.run()  # the box is emptied after an import
    assert not [b for b in at.button if b.label == "Import these notices"]
    at.get("file_uploader")[0].set_value(("camden.csv", camden_register(db_path), "text/csv"))
    at.run()
    next(b for b in at.button if b.label == "Import these notices").click()
    at.run()
    assert "This file is a register, not published notices" in at.error[0].value
    after = runs(db_path)
    assert after[: len(before)] == before
    assert after[-1][:2] == ("file", "failed")  # recorded in the history as refused
    db = lifecycle.open_store(db_path)
    try:
        assert db.scalar("SELECT count(*) FROM snapshots WHERE file_name = 'camden.csv'") == 0
    finally:
        db.close()
    done = run("fetch-history", "--json", db=db_path, text=True)
    assert '"file_name":"ocds_record_package_1_0.json"' in done.stdout.replace(" ", "")


def test_notices_stored_from_the_upload_page_are_in_the_history(db_path, password):
    # However notices come in, the history says when, by whom and what was kept.
    at = sign_in(new_visit(), name="Cat Steward")
    at.switch_page("pages/upload.py").run()
    content = (NOTICES / "ocds_record_package_1_0.json").read_bytes()
    at.get("file_uploader")[0].set_value(
        ("ocds_record_package_1_0.json", content, "application/json")
    ).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    next(b for b in at.button if b.label == "Commit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Stored" in at.success[0].value
    assert runs(db_path)[-1] == ("file", "done", 1, 3, 0, "Cat Steward (upload password)")
    at = open_notices(at)
    [history] = [d.value for d in at.dataframe if "file_name" in d.value.columns]
    assert history.iloc[0]["file_name"] == "ocds_record_package_1_0.json"
    assert (history.iloc[0]["status"], history.iloc[0]["kept"]) == ("done", 3)
    # A register stored from the Upload page is not a notices import.
    at.switch_page("pages/upload.py").run()
    at.get("file_uploader")[0].set_value(("camden.csv", camden_register(db_path), "text/csv"))
    at.run()
    next(s for s in at.selectbox if s.label == "Which borough is this file for?").set_value(
        "Camden"
    ).run()
    next(b for b in at.button if b.label == "Commit").click().run()
    assert "Stored 1 new snapshot: Camden" in at.success[0].value
    assert len(runs(db_path)) == 1


def test_a_feed_failing_night_after_night_says_when_its_notices_were_last_fetched(
    db_path, password, server
):
    """After a fetch that ran to the end and two that stopped (the publisher down), the page
    said only "last run 2026-12-07 02:00:03: Stopped after 4 tries…": nothing said the notices
    held were from the fetch before, nor that the fetch had failed more than once."""
    server.play("page1", ok(server.page("contracts_finder_page1.json")))
    server.play("page2", ok(server.page("contracts_finder_page2.json")))
    db = lifecycle.open_store(db_path)
    try:
        fetched = fetch.run(db, "contracts-finder", date(2025, 1, 1), backoff=0.01)
        assert history.standing(db, "contracts-finder") == ""  # up to date: nothing to say
        server.play("page1", (503, {}, b"Service Unavailable"))
        for _ in range(2):
            failed = fetch.run(db, "contracts-finder", date(2025, 1, 1), backoff=0.01, restart=True)
            assert failed.status == "failed"
        finished = history.moment(fetched.finished_at)
    finally:
        db.close()
    behind = (
        f"Notices from Contracts Finder were last fetched to the end on {finished}; the 2 "
        "fetches since have stopped before the end, so notices it published after that may "
        "not be held yet."
    )
    at = open_notices(sign_in(new_visit(), name="Ann Steward"))
    assert [w.value for w in at.warning] == [ui.plain(behind)]  # (as the page writes text)
    shown = " ".join(m.value for m in at.markdown)
    last = history.moment(failed.finished_at)
    assert f"**Contracts Finder**, last run {ui.plain(last + ': Stopped')}" in shown
    listed = run("fetch-history", db=db_path, text=True)
    assert listed.stdout.startswith(behind + "\n")


def test_a_feed_that_never_ran_to_the_end_says_so(db, server):
    server.play("page1", (503, {}, b"Service Unavailable"))
    fetch.run(db, "contracts-finder", date(2025, 1, 1), backoff=0.01)
    assert history.standing(db, "contracts-finder") == (
        "No fetch from Contracts Finder has run to the end yet: the one fetch so far stopped "
        "before it, so some of its notices may not be held."
    )
    assert history.standing(db, "find-a-tender") == ""  # never run: "never fetched" says it


def test_a_table_that_is_neither_notices_nor_a_register_is_not_sent_to_upload(db_path, password):
    """A list of payments imported as notices was called "a register", to "upload on the
    Upload page", which then refuses it for having no system or vendor column."""
    at = open_notices(sign_in(new_visit()))
    payments = b"Date,Amount,Payee\n01/04/2026,120.00,Acme Cleaning\n"
    at.get("file_uploader")[0].set_value(("payments.csv", payments, "text/csv")).run()
    next(b for b in at.button if b.label == "Import these notices").click().run()
    assert not at.exception, [e.value for e in at.exception]
    said = shown(at.error[0].value)
    assert said.startswith(
        "This file is not published notices (Contracts Finder, Find a Tender or OCDS), nor a "
        "register: no column of it names a system or a vendor. Nothing was stored."
    )
    assert "Upload page" not in said


def test_a_fetch_stops_at_the_next_page_once_its_steward_is_taken_off_the_list(
    db_path, server, monkeypatch
):
    """Ann, signed in with her organisation account, starts a fetch; whoever runs the app
    takes her off the list of stewards while it runs. Her fetch stores no page read after that
    (the ones before are kept, as a fetch stopped half way keeps them), and another steward's
    fetch carries on from there. (The app's fetch thread asks the settings as they are: the
    Jobs layer is driven here, since AppTest lends its secrets to a run only while it runs.)"""
    monkeypatch.delenv("CITYTOOLS_UPLOAD_PASSWORD", raising=False)
    monkeypatch.delenv("CITYTOOLS_STEWARDS", raising=False)
    server.play("page1", ok(server.page("contracts_finder_page1.json")))
    server.play("page2", ok(server.page("contracts_finder_page2.json")))
    gate = server.gates["page2"] = threading.Event()
    listed = {"auth": AUTH, "CITYTOOLS_STEWARDS": ["ann@camden.gov.uk", "bob@camden.gov.uk"]}
    ann = {"is_logged_in": True, "email": "ann@camden.gov.uk", "email_verified": True}
    bob = ann | {"email": "bob@camden.gov.uk"}

    def still(user):
        return lambda: stewards.still_allowed(listed, user, None, time.monotonic())

    db = lifecycle.open_store(db_path)
    try:
        jobs = fetching.Jobs()
        assert jobs.start(db, "contracts-finder", date(2025, 1, 1), ann["email"], still(ann))
        wait_for(lambda: [r for r in runs(db_path) if r[1] == "running" and r[2] == 1])
        listed["CITYTOOLS_STEWARDS"] = ["bob@camden.gov.uk"]  # Ann taken off the list
        gate.set()
        wait_for(lambda: jobs.get("contracts-finder").finished)
        assert runs(db_path) == [("contracts-finder", "failed", 1, 1, 1, "ann@camden.gov.uk")]
        [message] = db.rows("SELECT message FROM feed_runs")[0]
        assert message.startswith(
            "The fetch stopped: ann@camden.gov.uk is no longer a data steward here"
        )
        assert "Nothing from page 2 on was stored; the notices of the pages before" in message
        assert jobs.start(db, "contracts-finder", date(2025, 1, 1), bob["email"], still(bob))
        wait_for(lambda: jobs.get("contracts-finder").finished)
        assert runs(db_path)[-1] == ("contracts-finder", "done", 2, 2, 1, "bob@camden.gov.uk")
    finally:
        db.close()
