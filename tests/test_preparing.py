"""Checking an upload in a worker process (ui/preparing.py): the same answer as in the session,
and a plain refusal, never a traceback, when the worker fails."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from citydata.core import settings
from tests.conftest import DATA
from ui import preparing


@pytest.fixture(autouse=True)
def _no_spare_left_over():
    """The spare worker a test's last check started is stopped when the test ends. No later
    test could use it (each test's environment is its own, and a spare started in another is
    let go, as test_a_spare_started_in_another_environment_is_not_used checks), and closing
    its pipe, as the app does at exit, would first let it finish its imports: about 0.8 CPU s
    for nothing, after each test."""
    yield
    spare = preparing._take_spare()
    if spare is not None:
        spare.kill()
        preparing._end(spare)


def test_a_worker_process_gives_the_same_check_as_the_session_thread():
    content = (DATA / "real" / "lambeth_payments_2012-06.csv").read_bytes()[:20_000]
    here = preparing.prepare(content, "payments.csv", 0)
    there = preparing.prepare(content, "payments.csv", 1)
    assert there.refused == here.refused and there.columns == here.columns
    assert there.problems == here.problems
    pd.testing.assert_frame_equal(there.records, here.records)


def test_a_failed_worker_refuses_the_file_in_words(caplog):
    failed = preparing.prepare(b"a,b\n1,2\n", "x.csv", 1, no_such_option=True)
    assert failed.refused == preparing.BROKEN
    assert failed.records.empty
    assert "worker failed" in caplog.text


def test_the_setting_is_bounded_and_a_value_outside_is_named_not_taken_as_another(monkeypatch):
    """99 was taken as 4 and -1 as 0 without a word: the steward's page now says which setting
    to correct, as for every numeric setting."""
    for outside in ("99", "-1", "1.5"):
        monkeypatch.setenv("CITYTOOLS_UPLOAD_WORKERS", outside)
        with pytest.raises(settings.SettingError) as refused:
            preparing.workers()
        assert str(refused.value) == (
            f"CITYTOOLS_UPLOAD_WORKERS is “{outside}”, but it must be a whole number of worker "
            "processes from 0 to 4 (for example 1)."
        )
    for inside in (0, preparing.MAX_WORKERS):
        monkeypatch.setenv("CITYTOOLS_UPLOAD_WORKERS", str(inside))
        assert preparing.workers() == inside


def _wait_for(condition, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("the condition was not met in time")


def test_the_next_check_runs_in_a_worker_started_before_it_was_asked_for():
    content = (DATA / "real" / "lambeth_payments_2012-06.csv").read_bytes()[:20_000]
    here = preparing.prepare(content, "payments.csv", 0)
    preparing.prepare(content, "payments.csv", 1)
    spare = preparing._spare
    assert spare is not None and spare.poll() is None, "a spare waits for the next check"
    there = preparing.prepare(content, "payments.csv", 1)
    assert spare.returncode == 0, "the spare did the check and ended"
    assert preparing._spare is not spare and preparing._spare.poll() is None
    pd.testing.assert_frame_equal(there.records, here.records)


def test_a_spare_started_in_another_environment_is_not_used(monkeypatch):
    """A register naming Manchester's council: refused in London, accepted once the server's
    region is Greater Manchester, though the spare waiting was started under London."""
    register = (
        b"Council,Service area,System,Vendor,Contract end\n"
        b"Manchester City Council,Housing,Northgate Housing,Northgate,31/03/2027\n"
    )
    assert preparing.prepare(register, "r.csv", 1).records.empty
    spare = preparing._spare
    monkeypatch.setenv("CITYTOOLS_REGION", "greater-manchester")
    there = preparing.prepare(register, "r.csv", 1)
    assert there.records["borough"].tolist() == ["Manchester"]
    assert spare.poll() is not None, "the old spare was let go"


def test_a_spare_nobody_needs_ends_by_itself(monkeypatch):
    monkeypatch.setattr(preparing, "IDLE_SECONDS", 0.5)
    preparing.prepare(b"a,b\n1,2\n", "x.csv", 1)
    spare = preparing._spare
    _wait_for(lambda: spare.poll() is not None)
    assert spare.returncode == 0 and spare.stderr.read() == b""
    # The next check notices, and starts a worker of its own.
    assert preparing.prepare(b"a,b\n1,2\n", "x.csv", 1).refused != preparing.BROKEN


def test_a_spare_that_ends_as_it_is_taken_leaves_the_check_to_a_new_worker():
    """A spare can reach its idle end just as a check takes it: it answers nothing and exits
    0. The check then runs in a new worker instead of being refused as broken."""
    import os
    import subprocess
    import sys

    ending = preparing._Worker(
        [sys.executable, "-c", "import time; time.sleep(1)"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    ending.environment = dict(os.environ)
    preparing._end_spare()
    preparing._spare = ending
    content = (DATA / "real" / "lambeth_payments_2012-06.csv").read_bytes()[:20_000]
    there = preparing.prepare(content, "payments.csv", 1)
    assert ending.returncode == 0, "the ending spare was taken"
    here = preparing.prepare(content, "payments.csv", 0)
    assert there.refused == here.refused != preparing.BROKEN
    assert there.problems == here.problems
