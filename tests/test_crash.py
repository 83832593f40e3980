"""Kill -9 in the middle of a build: the database path always holds a whole database."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import duckdb
import pytest

from citydata import lifecycle
from citydata.core import demo
from tests.conftest import ROOT


def state(path) -> tuple[int, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            "SELECT count(*), count(DISTINCT borough_code) FROM current_contracts"
        ).fetchone()
    finally:
        con.close()


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("big") / "big.csv"
    demo.write_csv(path, rows=300_000, seed=11)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.4, 1.2, 2.5])
def test_a_rebuild_killed_at_any_moment_leaves_the_old_or_the_new_database(
    built_db, big_csv, tmp_path, delay
):
    path = tmp_path / "citytools.duckdb"
    shutil.copyfile(built_db, path)
    before = state(path)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "citydata",
            "build",
            "--db",
            str(path),
            "--force",
            "--csv",
            str(big_csv),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert state(path) in (before, (300_000, 33))
    # The next open cleans up what the killed build left behind and works as usual.
    database = lifecycle.open_store(path)
    database.close()
    lifecycle.build(path)
    assert not [p for p in os.listdir(tmp_path) if ".building-" in p]
