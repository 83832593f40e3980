"""Faults in the middle of a change to the data: the old data or the new, never a mix.

Kill -9 during `python -m citydata rollback`: the rollback copies a large snapshot (about 225,000
of Camden's records), so it spends a while writing. A watcher follows the database file and its
write-ahead log (WAL) and kills the process at a chosen moment of the rollback:

- writing: the copied records are being written into the file, nothing committed yet;
- committed: the WAL (the commit's record) has appeared;
- checkpointing: the committed change is being copied from the WAL into the file;
- closing: the WAL is gone, the process is tidying up before it exits.

After each kill the database opens, and every row of it equals those before the rollback or
those after an uninterrupted one; then it takes the next change as usual. (Kill during a build:
tests/test_crash.py; during an import: tests/test_snapshot_cli.py.)

A commit landing while a page is half drawn: the page shows one state of the data, whole.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from citydata import lifecycle
from citydata.core import demo
from citydata.output import exports
from citydata.query import selection
from citydata.query.filters import FilterState
from citydata.store import history, rollbacks, snapshots
from tests import command
from tests.apptest import metric, run_app
from tests.conftest import ROOT
from tests.snapshot_helpers import borough_records, prepared

CAMDEN = "E09000007"
USER = "Ann Steward"
KEPT = 2_000  # records of the smaller Camden register imported over the large snapshot


def fingerprint(path: Path, new_ids: range = range(0)) -> dict[str, tuple[int, int]]:
    """Open the database (as the app would) and digest every row of every table.

    Per table: its number of rows and the sum of DuckDB's hash of each whole row, worked out
    in DuckDB (the tables hold about 530,000 records: Python spent seconds on each dump);
    equal rows give equal digests, in any order. `new_ids`: snapshots made by the rollback
    under test, whose creation time is left out (it is the clock's, not the data's).
    """
    db = lifecycle.open_store(path)
    try:
        with db.read() as r:
            tables = [t for (t,) in r.rows(TABLES)]
            out = {}
            for name in tables:
                rows = f'"{name}"'  # a name from the database's own catalogue
                if name == "snapshots":
                    stamps = [c for (c,) in r.rows(STAMPS, {"table": name})]
                    if stamps and new_ids:
                        kept = ", ".join(
                            f"CASE WHEN id BETWEEN {new_ids.start} AND {new_ids.stop - 1}"
                            f" THEN NULL ELSE {c} END AS {c}"
                            for c in stamps
                        )
                        rows = f"(SELECT * REPLACE ({kept}) FROM snapshots)"
                count, digest = r.rows(f"SELECT count(*), sum(hash(t)) FROM {rows} AS t")[0]
                out[name] = (count, int(digest or 0))
    finally:
        db.close()
    return out


TABLES = (
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
    " AND table_type = 'BASE TABLE' ORDER BY 1"
)
STAMPS = (
    "SELECT column_name FROM information_schema.columns WHERE table_schema = 'main'"
    " AND table_name = $table AND data_type LIKE 'TIMESTAMP%' ORDER BY ordinal_position"
)


@dataclass
class Run:
    """One rollback process as the watcher saw it."""

    killed: bool = False
    returncode: int | None = None
    phases: dict[str, float] = field(default_factory=dict)  # phase -> seconds after start
    stderr: str = ""


PHASES = ("writing", "committed", "checkpointing", "closing")


def rollback(path: Path, target: int, kill_at: str | None = None, delay: float = 0.0) -> Run:
    """Run `python -m citydata rollback target` on `path`; SIGKILL it `delay` s into `kill_at`."""
    wal = path.with_name(path.name + ".wal")
    assert not wal.exists()
    untouched = path.stat().st_mtime_ns
    at_commit = None
    run = Run()
    process = subprocess.Popen(
        [sys.executable, "-m", "citydata", "rollback", str(target), "--db", str(path),
         "--user", USER],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    started = time.monotonic()
    while process.poll() is None:
        mtime, logged = path.stat().st_mtime_ns, wal.exists()
        now = time.monotonic() - started
        if logged:
            run.phases.setdefault("committed", now)
            at_commit = at_commit or mtime
            if mtime != at_commit:
                run.phases.setdefault("checkpointing", now)
        elif "committed" in run.phases:
            run.phases.setdefault("closing", now)
        elif mtime != untouched:
            run.phases.setdefault("writing", now)
        if kill_at in run.phases:
            time.sleep(delay)
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
                run.killed = True
            break
        time.sleep(0.001)
    run.stderr = process.communicate(timeout=120)[1]
    run.returncode = process.returncode
    if run.killed and run.returncode != -signal.SIGKILL:
        run.killed = False  # it finished between the last look and the signal: not killed
    return run


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> dict:
    """A database whose Camden rollback copies ~225,000 records, and what it holds before/after.

    Built as a steward's would be: `build --csv` of a generated set of 300,000 records (three in
    four of them Camden's), then a smaller Camden register imported with `python -m citydata
    import`; rolling back to the large snapshot is what gets killed.
    """
    folder = tmp_path_factory.mktemp("faults")
    generated, skewed = folder / "generated.csv", folder / "camden-heavy.csv"
    demo.write_csv(generated, rows=300_000, seed=11)
    duckdb.sql(
        "SELECT * EXCLUDE (n) REPLACE ("
        "  CASE WHEN n % 4 = 0 THEN borough_code ELSE $code END AS borough_code,"
        "  CASE WHEN n % 4 = 0 THEN borough ELSE 'Camden' END AS borough)"
        " FROM (SELECT *, row_number() OVER () AS n FROM read_csv($src, all_varchar = true))",
        params={"code": CAMDEN, "src": str(generated)},
    ).write_csv(str(skewed))
    path = folder / "citytools.duckdb"
    cli("build", "--csv", str(skewed), "--db", str(path))

    db = lifecycle.open_store(path)
    try:
        with db.read() as r:
            large = snapshots.active(r)[CAMDEN]
            kept = selection.records(r, FilterState(borough=("Camden",)), KEPT)
    finally:
        db.close()
    register = folder / "camden register.csv"
    register.write_bytes(
        exports.to_csv(exports.with_labels(kept.drop(columns=["source", "snapshot_id"])))
    )
    cli("import", str(register), "--db", str(path), "--user", USER)

    db = lifecycle.open_store(path)
    try:
        with db.read() as r:
            small = snapshots.active(r)[CAMDEN]
            count = r.scalar(
                "SELECT count(*) FROM contracts WHERE snapshot_id = $id", {"id": large}
            )
            top = r.scalar("SELECT max(id) FROM snapshots")
    finally:
        db.close()
    assert count > 200_000 and small != large

    reference = folder / "reference.duckdb"
    shutil.copyfile(path, reference)
    done = rollback(reference, large)
    assert done.returncode == 0 and not done.killed, done.stderr
    new = range(top + 1, top + 2)  # the one snapshot a rollback adds
    return {
        "path": path,
        "large": large,
        "small": small,
        "top": top,
        "before": fingerprint(path),
        "after": fingerprint(reference, new),
        "phases": done.phases,
    }


def cli(*args: str) -> None:
    done = command.run(*args, text=True)
    assert done.returncode == 0, done.stderr


def phase_length(phases: dict[str, float], phase: str) -> float:
    """How long `phase` lasted in the uninterrupted rollback (until the next one began)."""
    following = PHASES[PHASES.index(phase) + 1]
    return max(0.0, phases.get(following, 0.0) - phases.get(phase, 0.0))


@pytest.mark.slow
@pytest.mark.parametrize(
    "kill_at, part",
    [
        ("writing", 0.0),
        ("writing", 0.5),
        ("committed", 0.0),
        ("checkpointing", 0.0),
        ("checkpointing", 0.5),
        ("closing", 0.0),
    ],
)
def test_a_rollback_killed_at_any_moment_leaves_the_old_data_or_the_new(
    big, tmp_path, kill_at, part
):
    delay = part * phase_length(big["phases"], kill_at) if kill_at != "closing" else 0.0
    path = tmp_path / "citytools.duckdb"
    wal = path.with_name(path.name + ".wal")
    for _ in range(3):  # on a busy machine a moment can pass between two looks: try again
        for leftover in (path, wal):
            leftover.unlink(missing_ok=True)
        shutil.copyfile(big["path"], path)
        run = rollback(path, big["large"], kill_at, delay)
        # Killed before the commit reached the WAL: it never appeared, and none is left.
        uncommitted = run.killed and "committed" not in run.phases and not wal.exists()
        if run.killed and (uncommitted or kill_at != "writing" or part):
            break
    assert run.killed, f"the rollback ended before {kill_at}: {run.phases}"
    assert run.returncode == -signal.SIGKILL
    # What must survive follows from what the watcher saw before the kill.
    must_be = "old" if uncommitted else "new" if "checkpointing" in run.phases else None
    if kill_at == "writing" and not part:
        assert must_be == "old", run.phases  # this case covers a kill before the commit

    new = range(big["top"] + 1, big["top"] + 2)
    state = fingerprint(path, new)  # opens: a committed change is replayed from the WAL
    assert state in (big["before"], big["after"]), "the database holds neither state"
    outcome = "old" if state == big["before"] else "new"
    if must_be:
        assert outcome == must_be, run.phases
    # Opening folds a committed WAL into the file. A kill while the commit's record was still
    # being written leaves a WAL that ends mid-record: DuckDB replays nothing from it (the old
    # data, checked above) and keeps it until the next change overwrites it.
    assert not wal.exists() or outcome == "old", "a committed WAL was not folded in"

    # The next change works as usual. After "old": the same rollback, done in full, gives
    # exactly what an uninterrupted one gives (same snapshot id: nothing half-made remains).
    db = lifecycle.open_store(path)
    try:
        if outcome == "old":
            assert rollbacks.rollback(db, big["large"], USER) == big["top"] + 1
        else:
            assert rollbacks.rollback(db, big["small"], USER) == big["top"] + 2
        with db.read() as r:
            current = r.scalar(
                "SELECT count(*) FROM current_contracts WHERE borough_code = $code",
                {"code": CAMDEN},
            )
    finally:
        db.close()
    assert not wal.exists()  # the next change, closed, leaves nothing in a WAL
    if outcome == "old":
        assert fingerprint(path, new) == big["after"]
    else:
        assert current == KEPT


def test_a_wal_cut_off_in_its_commit_opens_as_the_old_data_and_the_next_change_lands(
    db_path, tmp_path
):
    """What a kill while the commit's record is being written leaves (the `committed` moment
    above, when it lands early): the change's WAL, ending mid-record. Made here on purpose, by
    copying the file and its WAL while a change is committed but not yet checkpointed, and
    cutting the WAL's last bytes off."""
    before = fingerprint(db_path)
    torn = tmp_path / "torn.duckdb"
    wal = torn.with_name(torn.name + ".wal")
    con = duckdb.connect(str(db_path))
    try:
        con.execute("SET checkpoint_threshold = '1TB'")  # the change stays in the WAL
        con.execute("DELETE FROM contracts WHERE borough_code = $code", {"code": CAMDEN})
        shutil.copyfile(db_path, torn)
        shutil.copyfile(db_path.with_name(db_path.name + ".wal"), wal)
    finally:
        con.close()
    with wal.open("r+b") as log:
        log.truncate(wal.stat().st_size - 8)

    assert fingerprint(torn) == before  # the half-written commit is not replayed
    db = lifecycle.open_store(torn)
    try:
        camden = borough_records(db, CAMDEN)
        assert len(camden) > 0
        [new_id] = snapshots.commit(db, prepared(camden.head(5)), b"five records", USER)
        with db.read() as r:
            assert snapshots.active(r)[CAMDEN] == new_id
            assert len(history.records(r, new_id)) == 5
    finally:
        db.close()
    assert not wal.exists()  # the change overwrote the cut-off WAL and was checkpointed
    db = lifecycle.open_store(torn)
    try:
        assert len(borough_records(db, CAMDEN)) == 5
    finally:
        db.close()


def test_a_commit_landing_while_the_overview_is_half_drawn_leaves_one_state_on_the_page(
    db_path, monkeypatch
):
    """A steward commits just after the illustrative-data notice is worked out and before the
    figures are: the page must not show Camden's new records under the old state's notice."""
    import ui

    db = lifecycle.open_store(db_path)
    try:
        first = borough_records(db, CAMDEN)
    finally:
        db.close()
    extra = first.head(7).assign(
        source_ref=lambda d: d["source_ref"] + "-B", row=range(len(first) + 2, len(first) + 9)
    )
    real, committed = selection.illustrative, []

    def notice_then_someone_commits(r, state):
        out = real(r, state)
        if not committed:
            register = prepared(pd.concat([first, extra]))
            committed.extend(snapshots.commit(ui.database(), register, b"register", "Ann Steward"))
        return out

    monkeypatch.setattr(selection, "illustrative", notice_then_someone_commits)
    at = run_app({"borough": "Camden"})
    assert committed
    notice = any("Illustrative data" in i.value for i in at.info)
    assert (metric(at, "Records"), notice) == ("30", False)  # the new state, whole
