"""`python -m citydata restore FILE` reads the backup from its file piece by piece: a large
backup comes back exactly (every record and stored file) without the archive ever being held in
memory; one too big to restore, cut short or damaged is refused with its reason, and nothing
stored changes."""

from __future__ import annotations

import random
import resource
import shutil
import subprocess
import sys
import tracemalloc

import pytest

from citydata import lifecycle
from citydata.output import archive
from citydata.store import rawfiles, snapshots
from tests import command
from tests.conftest import ROOT
from tests.snapshot_helpers import dump, dump_of, edited_records, prepared

MB = 1024 * 1024
CAMDEN = "E09000007"
STORED_MB = 40  # a register file that does not compress: the backup is about as big


@pytest.fixture
def big_backup(db_path, tmp_path):
    """A backup, made by `backup`, of a database holding a 40 MB register file that does not
    compress: (its path, the file's bytes, the database's data)."""
    content = random.Random(2026).randbytes(STORED_MB * MB)
    db = lifecycle.open_store(db_path)
    try:
        upload = prepared(edited_records(db, CAMDEN), file_name="camden.csv")
        snapshots.commit(db, upload, content, "ann")
        data = dump(db)
    finally:
        db.close()
    made = tmp_path / "citytools-backup.zip"
    assert command.run("backup", "-o", str(made), db=db_path).returncode == 0
    assert made.stat().st_size > STORED_MB * MB
    return made, content, data


@pytest.mark.timeout(300)
def test_a_large_backup_is_restored_exactly_without_holding_it_in_memory(
    big_backup, built_db, tmp_path
):
    made, content, data = big_backup
    target = tmp_path / "other.duckdb"
    shutil.copyfile(built_db, target)  # the embedded data: replaced by the backup's
    tracemalloc.start()
    try:
        done = command.run("restore", str(made), db=target, text=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Restored the backup of ") and "2 stored files" in done.stdout
    assert dump_of(target) == data, "every table as it was backed up"
    db = lifecycle.open_store(target)
    try:
        with db.read() as r:
            assert rawfiles.verified(r, rawfiles.digest(content)) == content
    finally:
        db.close()
    # The archive was read whole before it was checked: 52 MB at once. Now a few pieces of
    # the stored file (4 MB each) are the most held at once: 12 MB.
    assert peak < 20 * MB, f"{peak / MB:.0f} MB allocated while restoring"


def test_a_backup_too_big_to_restore_is_refused_by_its_size_unread(db_path, tmp_path):
    # A 5 GB file (sparse: no disk) under a 2.5 GB memory limit: `restore` read every byte of
    # it before looking at it, and failed as "something went wrong inside City Tools
    # Explorer"; it is now refused by its size before anything is read or the database opened.
    huge = tmp_path / "citytools-backup.zip"
    with huge.open("wb") as f:
        f.truncate(5 * 1024 * MB)
    before, original = dump_of(db_path), db_path.read_bytes()

    def small_memory() -> None:
        # (a command reserves up to about 1.5 GiB of address space of its own, DuckDB's and
        # Arrow's, whatever it reads: 1.5 GiB left it no room once, under load; 2.5 GiB is
        # still far less than it and the whole 5 GB file would need)
        resource.setrlimit(resource.RLIMIT_AS, (2560 * MB, 2560 * MB))

    done = subprocess.run(
        [sys.executable, "-m", "citydata", "restore", str(huge), "--db", str(db_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        preexec_fn=small_memory,
        timeout=120,
    )
    assert (done.returncode, done.stdout) == (1, ""), done.stderr
    assert done.stderr == (
        "refused: This backup is 5,120 MB; the largest backup this app restores is 4,096 MB. "
        "Nothing was written.\n"
    )
    assert db_path.read_bytes() == original and dump_of(db_path) == before


@pytest.mark.timeout(300)
def test_a_backup_cut_short_or_damaged_is_refused_with_its_reason_and_nothing_changes(
    big_backup, db_path, tmp_path
):
    made, _, _ = big_backup
    whole = made.read_bytes()
    shutil.copyfile(ROOT / "tests" / "data" / "ingest" / "semicolon.csv", tmp_path / "x.csv")
    cut = tmp_path / "cut-short.zip"
    cut.write_bytes(whole[: len(whole) // 2])  # a download that stopped half way
    damaged = tmp_path / "damaged.zip"  # a byte changed inside the stored file's data
    middle = len(whole) // 2
    damaged.write_bytes(whole[:middle] + bytes([whole[middle] ^ 0xFF]) + whole[middle + 1 :])
    expected = {
        cut: "This backup is incomplete: it ends before the list of what it holds, as a file "
        "does when its copy or download stopped part-way. Copy or download the backup again, "
        "in full.",
        damaged: "This backup is damaged or was not made by City Tools Explorer: its "
        "compressed data is corrupt.",
        tmp_path / "x.csv": "This file is not a City Tools Explorer backup. Choose a .zip file "
        "made by 'Download a backup' or `python -m citydata backup`.",
    }
    before = dump_of(db_path)
    for path, reason in expected.items():
        done = command.run("restore", str(path), db=db_path, text=True)
        assert (done.returncode, done.stdout) == (1, ""), done.stderr
        assert done.stderr == f"refused: {reason} Nothing was written.\n"
    assert dump_of(db_path) == before


def test_a_large_backup_unpacking_to_more_than_any_restore_is_too_big_not_damaged():
    # A backup over 82 MB (4 GB / 50) that unpacks to more than 4 GB was called "damaged or
    # not made by City Tools Explorer ... far more than a backup of its size holds".
    large = archive.Budget(200 * MB)
    assert str(large.exceeded(5 * 1024 * MB)) == (
        "This backup is too big to restore: it says it unpacks to 5,120 MB, and the most a "
        "restore unpacks is 4,096 MB."
    )
    small = archive.Budget(1 * MB)  # a small archive claiming as much: a zip bomb, as before
    assert str(small.exceeded(2048 * MB)) == (
        f"{archive.DAMAGED}: it says it unpacks to 2,048 MB, far more than a backup of its "
        "size holds."
    )
