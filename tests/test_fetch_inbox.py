"""A scheduled `python -m citydata fetch` while the app serves: the running app imports it.

A real `streamlit run` holds the database (a session opened over the app's WebSocket, as a
browser opens one, runs the script, which opens the file); a real HTTP server on localhost
replays the recorded pages of tests/data/feeds; the command runs as a process, as cron runs it.
The tests wait on conditions (the history the command line reads, the inbox's folders), never
for a fixed time.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import connect

from citydata import lifecycle
from citydata.core import settings
from citydata.feeds import fetch, history, runs, spool
from tests import command
from tests.apptest import shown
from tests.browser.conftest import run_server
from tests.test_fetch import Replay, ok, published

FETCH = ("fetch", "contracts-finder", "--since", "2025-01-01")


@pytest.fixture
def feed(monkeypatch) -> Iterator[Replay]:
    """The recorded two pages of Contracts Finder, replayed on localhost (tests/test_fetch.py)."""
    replay = Replay()
    thread = threading.Thread(target=replay.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("CITYTOOLS_CONTRACTS_FINDER_URL", f"{replay.base}/search")
    replay.play("page1", ok(replay.page("contracts_finder_page1.json")))
    replay.play("page2", ok(replay.page("contracts_finder_page2.json")))
    yield replay
    replay.shutdown()
    replay.server_close()


def open_session(url: str) -> list[str]:
    """Open one session as a browser would and wait until its first script run has finished
    (the app then holds the database and its inbox importer is running). Returns the text of
    the run's alerts (st.error, st.warning ...), as Markdown."""
    alerts: list[str] = []
    with connect(url.replace("http", "ws", 1) + "/_stcore/stream", open_timeout=30) as ws:
        msg = BackMsg()
        msg.rerun_script.query_string = ""
        msg.rerun_script.page_script_hash = ""
        ws.send(msg.SerializeToString())
        while True:
            forward = ForwardMsg()
            forward.ParseFromString(ws.recv(timeout=120))
            if forward.WhichOneof("type") == "script_finished":
                return alerts
            element = forward.delta.new_element
            if forward.HasField("delta") and element.WhichOneof("type") == "alert":
                alerts.append(element.alert.body)


def wait_for(condition: Callable[[], object], what: str, timeout: float = 60) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)  # polling interval while waiting on the condition, not a fixed wait
    pytest.fail(f"timed out waiting for {what}")


@contextmanager
def serving(db_path: Path) -> Iterator[None]:
    with run_server(db_path, {"CITYTOOLS_INBOX_SECONDS": "0.5"}) as srv:
        open_session(srv.url)
        assert spool.listening(db_path)
        yield


def history_rows(db_path: Path) -> list[dict]:
    done = command.run("fetch-history", "--json", db=db_path, text=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def folders(db_path: Path, where: str) -> list[Path]:
    found = spool.inbox_for(db_path) / where
    return sorted(found.iterdir()) if found.is_dir() else []


def test_a_fetch_while_the_app_serves_is_queued_and_imported_once_by_the_app(db_path, feed):
    with serving(db_path):
        first = command.run(*FETCH, db=db_path, text=True)
        assert first.returncode == 0, first.stderr
        assert "The app is running and holds the database" in first.stdout
        assert "it will import these 2 pages itself" in first.stdout
        assert "Traceback" not in first.stdout + first.stderr
        wait_for(lambda: folders(db_path, "done"), "the app to import the batch")
        lines = history_rows(db_path)
        latest = lines[0]
        assert (latest["feed"], latest["status"], latest["pages"], latest["notices"]) == (
            "contracts-finder",
            "done",
            2,
            4,
        )
        assert latest["kept"] == 2
        assert lines[0]["started_by"] == "command line (queued)"
        outcome = (folders(db_path, "done")[0] / spool.OUTCOME).read_text()
        assert "2 technology records of the region's councils imported" in outcome

        # The second scheduled run fetches the same notices again: imported once, not twice.
        second = command.run(*FETCH, db=db_path, text=True)
        assert second.returncode == 0, second.stderr
        wait_for(lambda: len(folders(db_path, "done")) == 2, "the second batch")
        assert not spool.waiting(db_path)
    db = lifecycle.open_store(db_path)
    try:
        assert published(db) == [
            ("Camden", "Revenues and benefits system", "NEC Software Solutions"),
            ("Hackney", "Parking permits and enforcement software", "Taranto Systems Ltd"),
        ]
        assert runs.last_run(db, "contracts-finder").status == "done"
        assert len(history.recent(db)) == 2
    finally:
        db.close()


def test_the_same_batch_is_never_imported_twice(db_path, feed):
    with serving(db_path):
        assert command.run(*FETCH, db=db_path, text=True).returncode == 0
        wait_for(lambda: folders(db_path, "done"), "the app to import the batch")
        # As if the app had stopped after importing but before moving the batch along.
        done = folders(db_path, "done")[0]
        done.rename(spool.inbox_for(db_path) / done.name)
        wait_for(lambda: not spool.waiting(db_path), "the app to file the batch again")
        assert len(history_rows(db_path)) == 1
        again = spool.inbox_for(db_path) / "done" / done.name
        assert (again / spool.OUTCOME).read_text().strip() == "Already imported."


def test_a_corrupt_batch_is_refused_with_its_reason_and_changes_nothing(db_path, feed):
    before = lifecycle.open_store(db_path)
    try:
        records = before.rows("SELECT count(*) FROM current_contracts")
        raw = before.rows("SELECT count(*) FROM raw_files")
    finally:
        before.close()
    with serving(db_path):
        # Queue a batch while the importer cannot see it yet, then cut its second page short,
        # as a full disk or a copy gone wrong would.
        batch = spool.Batch(db_path)
        state = fetch.download(batch, "contracts-finder", date(2025, 1, 1), None)
        assert state.pages == 2
        page2 = batch.folder / "page-0002.json"
        page2.write_bytes(page2.read_bytes()[:200])
        batch.queue()
        failed = wait_for(lambda: folders(db_path, "failed"), "the app to refuse the batch")
        reason = (failed[0] / spool.OUTCOME).read_text()
        assert "Page 2 (page-0002.json) is not what was downloaded" in reason
        assert "Nothing was stored" in reason
        lines = history_rows(db_path)
        assert [(r["status"], r["kept"]) for r in lines] == [("failed", 0)]
        assert "is not what was downloaded" in lines[0]["message"]
    after = lifecycle.open_store(db_path)
    try:
        assert after.rows("SELECT count(*) FROM current_contracts") == records
        assert after.rows("SELECT count(*) FROM raw_files") == raw
        assert published(after) == []
        assert runs.last_run(after, "contracts-finder") is None  # nothing to carry on from
    finally:
        after.close()


def test_without_the_app_the_fetch_imports_directly_and_queues_nothing(db_path, feed):
    done = command.run(*FETCH, db=db_path, text=True)
    assert done.returncode == 0, done.stderr
    assert "The app is running" not in done.stdout
    assert not spool.waiting(db_path)
    assert [r["kept"] for r in history_rows(db_path)] == [2]


@contextmanager
def held_by_this_process_as_the_app(db_path: Path) -> Iterator[object]:
    """This process plays the app: it holds the database and says it imports the inbox."""
    db = lifecycle.open_store(db_path)
    spool.beat(spool.inbox_for(db_path), spool.PERIOD)
    try:
        yield db
    finally:
        db.close()


def test_a_fetch_stopped_half_way_carries_on_from_the_batch_still_waiting(db_path, feed):
    with held_by_this_process_as_the_app(db_path) as db:  # so the command is another process
        first = command.process(*FETCH, "--max-pages", "1", db=db_path, text=True)
        assert first.returncode == 1, first.stderr  # stopped early: run again to carry on
        # (said "these 1 pages", and "1 technology record of the region's councils imported."
        # of a page the app had not imported yet, holding what it may hold already)
        assert "it will import this page itself" in first.stdout
        assert first.stdout.startswith(
            "Stopped after 1 page, the most asked for at a time: run the fetch again to carry on "
            "from page 2. Contracts Finder since 2025-01-01: 1 "
            "page, 3 notices read, 1 technology record of the region's councils for the app to "
            "import (it leaves out any it holds already, as they are). Left out: 1 not "
            "technology; 1 bought by a council outside the region or not recognised.\n"
        )
        second = command.process(*FETCH, "--json", db=db_path, text=True)
        assert second.returncode == 0, second.stderr
        assert "Carrying on" not in second.stderr  # --json keeps stderr quiet
        report = json.loads(second.stdout)
        assert (report["status"], report["pages"]) == ("done", 2)
        assert Path(report["queued_for_app"]).parent == spool.inbox_for(db_path)
        # The second fetch asked only for page 2: it carried on from the waiting batch.
        assert [key for key, _ in feed.log] == ["page1", "page2"]
        batches = [spool.import_batch(db, folder) for folder in spool.waiting(db_path)]
        assert [(r.status, r.pages) for r in batches] == [("failed", 1), ("done", 2)]
        assert [r["started_by"] for r in history.recent(db).to_dict("records")] == [
            "command line (queued)"
        ] * 2
        assert len(published(db)) == 2
        assert runs.last_run(db, "contracts-finder").status == "done"


def test_batches_queued_within_one_second_wait_in_the_order_they_were_queued(db_path):
    # A fetch that carries on from a batch still waiting is often queued in the same second.
    queued = []
    for n in range(20):
        batch = spool.Batch(db_path)
        batch.save(runs.Run(feed="contracts-finder", since="2025-01-01", pages=n))
        queued.append(batch.queue())
    assert spool.waiting(db_path) == queued
    assert spool.waiting_end(db_path, "contracts-finder").pages == 19  # carries on from the last


def test_a_fetch_killed_before_queueing_leaves_nothing_the_app_imports_and_is_swept(db_path, feed):
    killed = spool.Batch(db_path)  # a fetch killed (SIGKILL) before it queued its batch
    fetch.download(killed, "contracts-finder", date(2025, 1, 1), None)
    assert spool.waiting(db_path) == []  # half a batch is never seen
    under_way = spool.Batch(db_path)
    day_old = time.time() - spool.ABANDONED_AFTER - 60
    os.utime(killed.folder, (day_old, day_old))
    assert spool.sweep(db_path) == [killed.folder]
    assert not killed.folder.exists() and under_way.folder.exists()


def queued(db_path: Path) -> Path:
    """A batch of the two recorded pages, queued in the inbox (no app needed to import it)."""
    batch = spool.Batch(db_path)
    assert fetch.download(batch, "contracts-finder", date(2025, 1, 1), None).pages == 2
    batch.queue()
    (folder,) = spool.waiting(db_path)
    return folder


@pytest.mark.parametrize(
    ("spoil", "said"),
    [
        (
            lambda manifest: manifest.write_text('{"format": 1, "feed": "contr'),
            "Its manifest (manifest.json) is not one the fetch wrote: it is not valid JSON "
            "(cut short, or changed by hand?).",
        ),
        (
            lambda manifest: manifest.unlink() or manifest.mkdir(),
            "Its manifest (manifest.json) cannot be read on this computer (is a directory).",
        ),
    ],
    ids=["not JSON", "a folder"],
)
def test_a_batch_whose_manifest_cannot_be_read_is_refused_in_words_not_pythons(
    db, db_path, feed, spoil, said
):
    """Said before with Python's text: "cannot be read: Expecting value: line 1 column 29
    (char 28)." or "[Errno 21] Is a directory: '/srv/.../manifest.json'"."""
    folder = queued(db_path)
    spoil(folder / spool.MANIFEST)
    run = spool.import_batch(db, folder)
    assert run.status == "failed"
    assert run.message == f"The queued batch {folder.name} was refused: {said} Nothing was stored."
    assert published(db) == []


def test_a_fault_importing_a_queued_page_says_what_was_kept_in_words(
    db, db_path, feed, monkeypatch
):
    """A fault of the program while storing page 2 was said as "(KeyError)": the name of an
    error class. It now says what was kept and what to do; the detail is in the server's log."""
    folder = queued(db_path)
    store_page = fetch.DatabaseStore.page

    def fails_on_page_two(self, feed, state, page, releases):
        if state.pages == 1:
            raise KeyError("borough_code")  # a bug, as a program fault would be
        store_page(self, feed, state, page, releases)

    monkeypatch.setattr(fetch.DatabaseStore, "page", fails_on_page_two)
    run = spool.import_batch(db, folder)
    assert (run.status, run.pages) == ("failed", 1)
    assert run.message == (
        "Importing the queued batch stopped at page 2: something went wrong inside City Tools "
        "Explorer (a fault in the app, not in the notices). The pages before it are kept; "
        "nothing of page 2 was stored. Run the fetch again to carry on; if it stops at the same "
        "page again, please report it (the server's log says where it happened)."
    )
    assert "KeyError" not in run.summary() and "borough_code" not in run.summary()
    assert runs.last_run(db, "contracts-finder").message == run.message


def test_a_fault_in_a_fetch_from_the_page_is_said_in_words_and_logged(db_path, feed, caplog):
    """The Published notices page said "The fetch stopped unexpectedly (ConnectionException)":
    an error class's name, and no word of what was kept. Here the fault is a database handle
    closed under the fetch (as a bug would leave it)."""
    from ui import fetching

    closed = lifecycle.open_store(db_path)
    closed.close()
    jobs = fetching.Jobs()
    assert jobs.start(closed, "contracts-finder", date(2025, 1, 1), "steward@example.org")
    job = jobs.get("contracts-finder")
    job.thread.join(timeout=60)
    job = jobs.get("contracts-finder")
    assert job.finished and job.error == (
        "The fetch stopped: something went wrong inside City Tools Explorer (a fault in the app, "
        "not in the publisher's notices or in what you chose). The notices stored before it "
        "stopped are kept; nothing of the unfinished page was stored. Fetch again to carry on; "
        "if it stops again, please report it (the server's log says where it happened)."
    )
    assert "Exception" not in job.error
    logged = [r for r in caplog.records if r.name == "ui.fetching"]
    assert logged and logged[0].exc_info, "the detail is in the server's log, with where"


def test_an_inbox_period_that_is_not_seconds_above_zero_is_named(db_path, monkeypatch):
    """'abc' was quietly the default of 30 seconds, and '0' or '-5' half a second: the app now
    says it is set up wrongly, naming the setting and its value, and imports nothing. (One
    server, for 'abc'; the others are read by the same function.) '0.001' looked in the inbox
    a thousand times a second, a core's worth of work for nothing: half a second is the least."""
    with run_server(db_path, {"CITYTOOLS_INBOX_SECONDS": "abc"}) as srv:
        said = [shown(a) for a in open_session(srv.url)]
        assert said == [
            "The app is set up wrongly. CITYTOOLS_INBOX_SECONDS is “abc”, but it must be a "
            "number of seconds from 0.5 to 3,600 (for example 30)."
        ]
        assert not spool.listening(db_path)
    for seconds in ("0", "-5", "0.001", "nan", "1e300", "3601"):
        monkeypatch.setenv("CITYTOOLS_INBOX_SECONDS", seconds)
        with pytest.raises(settings.SettingError, match=f"INBOX_SECONDS is “{seconds}”"):
            settings.inbox_seconds()
    monkeypatch.setenv("CITYTOOLS_INBOX_SECONDS", "0.5")
    assert settings.inbox_seconds() == 0.5
