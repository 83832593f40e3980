"""Checking an upload in a worker process (ui/preparing.py): the same answer as in the session,
and a plain refusal, never a traceback, when the worker fails."""

from __future__ import annotations

import pandas as pd

from tests.conftest import DATA
from ui import preparing


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


def test_the_setting_is_bounded(monkeypatch):
    monkeypatch.setenv("CITYTOOLS_UPLOAD_WORKERS", "99")
    assert preparing.workers() == preparing.MAX_WORKERS
    monkeypatch.setenv("CITYTOOLS_UPLOAD_WORKERS", "0")
    assert preparing.workers() == 0
