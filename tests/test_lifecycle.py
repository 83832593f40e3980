"""The database file's life (citydata.lifecycle, ui.startup): a busy file is waited for and never
rebuilt; an unusable one is rebuilt only by a signed-in steward, as on a first start, keeping the
old file; commands that only read work while another process holds the file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from citydata import lifecycle, readcopy
from citydata.core import stewards
from citydata.output import backup
from citydata.store import snapshots
from tests import command
from tests.apptest import shown
from tests.conftest import ROOT
from tests.snapshot_helpers import borough_records, prepared

JUNK = b"this is not a database\n" * 500
STEWARD = "_steward_password_user"  # ui.steward's session key for a password sign-in

HOLD = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("SELECT count(*) FROM snapshots").fetchall()
print("holding", flush=True)
sys.stdin.readline()
con.close()
"""


@contextmanager
def held_by_another_process(path: Path):
    """A real second process holding DuckDB's lock on `path` until the block ends."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        yield holder
    finally:
        if holder.poll() is None:
            holder.communicate("release\n", timeout=30)


def app(steward: bool = False) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    if steward:
        at.session_state[STEWARD] = stewards.signed_in("Ann Steward", "pw", time.monotonic())
    return at.run()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# ---- busy: another process holds the file --------------------------------------------------


def test_a_busy_file_is_waited_for_then_reported_busy_and_left_alone(db_path):
    before = db_path.read_bytes()
    busy = pytest.raises(lifecycle.FileBusy, match="in use by another program")
    with held_by_another_process(db_path), busy:
        lifecycle.open_store(db_path, waits=(0.05, 0.05))
    assert db_path.read_bytes() == before
    assert not list(db_path.parent.glob("*.unusable-*"))


def test_a_busy_file_opens_as_soon_as_the_other_process_lets_go(db_path):
    with held_by_another_process(db_path) as holder:
        with pytest.raises(lifecycle.FileBusy):
            lifecycle.open_store(db_path, waits=())
        holder.stdin.write("release\n")
        holder.stdin.flush()
        db = lifecycle.open_store(db_path, waits=(0.2,) * 100)
    try:
        assert db.scalar("SELECT count(*) FROM current_contracts") == 800
    finally:
        db.close()


@pytest.mark.parametrize("steward", [False, True], ids=["visitor", "steward"])
def test_the_app_says_busy_and_offers_no_rebuild_even_to_a_steward(db_path, steward, monkeypatch):
    monkeypatch.setenv("CITYTOOLS_UPLOAD_PASSWORD", "pw")
    monkeypatch.setattr(lifecycle, "BUSY_WAITS", (0.05,))  # the waiting: the first test above
    before = db_path.read_bytes()
    with held_by_another_process(db_path):
        at = app(steward)
        assert not at.exception
        assert any("The data is busy" in w.value for w in at.warning)
        assert [b.label for b in at.button] == ["Try again"]
        assert not at.error and not at.metric
    assert db_path.read_bytes() == before
    assert not list(db_path.parent.glob("*.unusable-*"))
    at.button[0].click().run()  # the other process has let go: the page opens
    assert not at.exception and at.metric


def test_a_rebuild_refuses_a_busy_file(db_path, monkeypatch):
    monkeypatch.setattr(lifecycle, "BUSY_WAITS", (0.05,))  # the waiting: the first test above
    with held_by_another_process(db_path), pytest.raises(lifecycle.FileBusy):
        lifecycle.rebuild(db_path)
    assert not list(db_path.parent.glob("*.unusable-*"))


# ---- unusable: not a database, or not ours --------------------------------------------------


@pytest.fixture
def junk_db(db_path) -> Path:
    db_path.unlink()
    db_path.write_bytes(JUNK)
    return db_path


def test_a_visitor_is_told_but_offered_no_rebuild_and_can_still_sign_in(junk_db, monkeypatch):
    monkeypatch.setenv("CITYTOOLS_UPLOAD_PASSWORD", "pw")
    at = app()
    assert not at.exception
    assert "The database cannot be used" in at.error[0].value
    assert not at.button
    assert "A data steward can rebuild it" in at.markdown[0].value
    at.switch_page("pages/sign_in.py").run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Your name or email", "Upload password"]
    assert junk_db.read_bytes() == JUNK


def test_only_a_signed_in_steward_is_offered_the_rebuild(junk_db, monkeypatch):
    """The click itself, and the page drawn after it, are in tests/browser/test_rebuild_browser."""
    monkeypatch.setenv("CITYTOOLS_UPLOAD_PASSWORD", "pw")
    at = app(steward=True)
    assert not at.exception
    assert "The database cannot be used" in at.error[0].value
    assert [b.label for b in at.button] == ["Rebuild from the embedded data"]
    assert junk_db.read_bytes() == JUNK


def test_a_rebuild_is_a_first_start_honouring_the_backup_and_keeps_the_file(
    db_path, db, tmp_path, monkeypatch
):
    camden = borough_records(db, "E09000007").head(3)
    snapshots.commit(db, prepared(camden), b"register bytes", user="steward@example.org")
    archive = tmp_path / "backup.zip"
    archive.write_bytes(backup.archive_bytes(db))
    db.close()
    db_path.unlink()
    db_path.write_bytes(JUNK)
    monkeypatch.setenv(lifecycle.RESTORE_VAR, str(archive))

    kept = lifecycle.rebuild(db_path)

    assert kept is not None and kept.name.startswith("citytools.duckdb.unusable-")
    assert kept.read_bytes() == JUNK
    rebuilt = lifecycle.open_store(db_path)
    try:
        camden_now = "SELECT count(*) FROM current_contracts WHERE borough = 'Camden'"
        assert rebuilt.scalar(camden_now) == 3, "the backup was restored"
    finally:
        rebuilt.close()
    assert not [name for name in leftovers(db_path.parent) if ".building-" in name]


def test_concurrent_rebuilds_each_build_their_own_file_and_one_wins(junk_db):
    results, errors = [], []

    def rebuild() -> None:
        try:
            results.append(lifecycle.rebuild(junk_db))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=rebuild) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    kept = [r for r in results if r is not None]
    assert len(kept) == 1 and kept[0].read_bytes() == JUNK, "the old file is moved aside once"
    assert results.count(None) == 2, "the others find the file rebuilt"
    assert not [name for name in leftovers(junk_db.parent) if ".building-" in name]
    db = lifecycle.open_store(junk_db)
    try:
        assert db.scalar("SELECT count(*) FROM current_contracts") == 800
    finally:
        db.close()


def test_a_rebuild_leaves_a_usable_file_alone(db_path):
    before = db_path.read_bytes()
    assert lifecycle.rebuild(db_path) is None
    assert db_path.read_bytes() == before
    assert not list(db_path.parent.glob("*.unusable-*"))


def test_a_live_builds_temporary_file_is_never_swept_away(tmp_path):
    """Each build's temporary file is its own: another build in the same process (a second
    session's rebuild) must not delete it as abandoned."""
    target = tmp_path / "citytools.duckdb"
    mine = tmp_path / f".citytools.duckdb.building-{lifecycle.os.getpid()}-abc"
    mine.write_bytes(b"half made")
    lifecycle.build(target)
    assert mine.exists()


# ---- reading while another process holds the file ------------------------------------------


@pytest.mark.usefixtures("short_busy_waits")
def test_read_only_commands_work_while_another_process_holds_the_file(db_path, tmp_path):
    out = tmp_path / "camden.csv"
    with held_by_another_process(db_path):
        export = command.run(
            "export", "--url", "http://localhost:8501/?borough=Camden", "-o", str(out),
            db=db_path, text=True,
        )  # fmt: skip
        listed = command.run("snapshots", "--json", db=db_path, text=True)
        written = command.run("aliases", "--sync", db=db_path, text=True)
    assert export.returncode == 0, export.stderr
    assert "reading a copy of it made just now" in export.stderr
    db = lifecycle.open_store(db_path)
    try:
        camden = db.scalar("SELECT count(*) FROM current_contracts WHERE borough = 'Camden'")
    finally:
        db.close()
    assert len(out.read_text(encoding="utf-8-sig").splitlines()) == camden + 1
    assert listed.returncode == 0 and '"borough_code"' in listed.stdout
    assert written.returncode == 1 and "in use by another program" in written.stderr
    assert "Traceback" not in export.stderr + listed.stderr + written.stderr
    assert not [name for name in leftovers(db_path.parent) if ".reading-" in name]


def written_during_copies(monkeypatch, path: Path, copies: int) -> list[bytes]:
    """Make the next `copies` copies of `path` find it written to while they read it (8 bytes
    rewritten in place, the size unchanged), as the app's writes would; the bytes each wrote."""
    copy = shutil.copyfile
    written = []

    def copy_while_written(source, target):
        if Path(source) == path and len(written) < copies:
            written.append(f"{len(written):08d}".encode())
            with open(path, "r+b") as file:
                file.seek(-8, 2)
                file.write(written[-1])
        return copy(source, target)

    monkeypatch.setattr(shutil, "copyfile", copy_while_written)
    return written


@pytest.fixture
def busy_copy(db_path, tmp_path):
    """A database file with 1 MiB of room at its end, and an empty folder to copy it into."""
    (tmp_path / "copies").mkdir()
    busy = tmp_path / "busy.duckdb"
    busy.write_bytes(db_path.read_bytes() + bytes(1024 * 1024))
    return busy, tmp_path / "copies"


def test_a_copy_that_keeps_changing_is_refused(busy_copy, monkeypatch):
    """A file written to while it is copied is not read: the copy would mix two states."""
    busy, into = busy_copy
    written = written_during_copies(monkeypatch, busy, copies=10)
    with pytest.raises(lifecycle.FileBusy, match="kept changing"):
        readcopy._consistent_copy(busy, into, waits=(0.01, 0.01, 0.01))
    assert len(written) == 4  # the first try and three more


def test_a_copy_is_made_again_once_the_writing_stops(busy_copy, monkeypatch):
    busy, into = busy_copy
    written = written_during_copies(monkeypatch, busy, copies=2)
    copy = readcopy._consistent_copy(busy, into, waits=(0.01, 0.01, 0.01))
    assert copy.read_bytes() == busy.read_bytes()
    assert copy.read_bytes().endswith(written[-1])


def test_a_file_whose_time_falls_inside_the_copy_is_copied_again(busy_copy, monkeypatch):
    """Two writes in one tick of the file system's clock leave one time: a file whose time falls
    between the copy's beginning and end may have been written during it, though its time did
    not change. Here the clock is a day ahead in the file and two days ahead when the copy ends."""
    busy, into = busy_copy
    day = 86_400 * 10**9
    os.utime(busy, ns=(time.time_ns() + day,) * 2)
    copy = shutil.copyfile
    copies = []

    def copy_as_the_clock_moves_on(source, target):
        copies.append(copy(source, target))
        os.utime(target, ns=(time.time_ns() + 2 * day,) * 2)

    monkeypatch.setattr(shutil, "copyfile", copy_as_the_clock_moves_on)
    with pytest.raises(lifecycle.FileBusy, match="kept changing"):
        readcopy._consistent_copy(busy, into, waits=(0.01,))
    assert len(copies) == 2
    monkeypatch.setattr(shutil, "copyfile", copy)  # the clock as it is: the file is a day ahead
    assert readcopy._consistent_copy(busy, into, waits=()).read_bytes() == busy.read_bytes()


def test_a_database_setting_in_a_folder_that_cannot_be_made_is_named(tmp_path, monkeypatch):
    """CITYTOOLS_DB under a folder that cannot be made (here a file stands where the folder
    should be; on a host, a disk not mounted or not writable) showed Streamlit's "This app has
    encountered an error" to every visitor, and `snapshots` refused with "File exists:
    .../not-a-folder", naming no setting. Both now name the setting and the folder."""
    (tmp_path / "not-a-folder").write_text("a file")
    target = tmp_path / "not-a-folder" / "citytools.duckdb"
    monkeypatch.setenv("CITYTOOLS_DB", str(target))
    said = (
        f"CITYTOOLS_DB is “{target}”: the database file cannot be made there, as its folder "
        f"{target.parent} cannot be made ({target.parent} is a file, not a folder). Give a file "
        "in a folder this computer can write to."
    )
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert [shown(e.value) for e in at.error] == [f"The app is set up wrongly. {said}"]

    done = command.run("snapshots", text=True)
    assert (done.returncode, done.stderr.strip()) == (1, f"refused: {said} Nothing was written.")


def a_folder_this_process_cannot_write(tmp_path: Path) -> Path:
    """A folder that is there and that this process cannot write to: one made read-only, or,
    for root (who writes whatever a folder's permissions say), one of the kernel's own folders
    that refuse a new file even to root, when this machine has one."""
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o555)
        return folder
    for folder in (Path("/sys"), Path("/proc")):
        try:
            handle, probe = tempfile.mkstemp(dir=folder)
        except OSError:
            return folder
        os.close(handle)
        os.unlink(probe)
    pytest.skip("running as root, and every folder of this machine takes a new file from root")


def test_a_database_setting_in_a_folder_that_cannot_be_written_names_the_folder(
    tmp_path, monkeypatch
):
    """CITYTOOLS_DB in a folder that is there but cannot be written was refused as
    "/srv/ro/.citytools.duckdb.building-123-ab12 could not be opened as a City Tools
    database…": a file nobody had named, and no setting. The app and the commands (those that
    build the file first, and `build`) now name the setting, the folder, and that it cannot be
    written."""
    folder = a_folder_this_process_cannot_write(tmp_path)
    target = folder / "citytools.duckdb"
    monkeypatch.setenv("CITYTOOLS_DB", str(target))
    said = (
        f"CITYTOOLS_DB is “{target}”: the database file cannot be made there, as its folder "
        f"{folder} cannot be written"
    )
    fix = "Give a file in a folder this computer can write to, or let this user write to that one."
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.run()
        assert not at.exception
        [error] = [shown(e.value) for e in at.error]
        assert error.startswith(f"The app is set up wrongly. {said}") and error.endswith(fix)
        for args in (("snapshots",), ("build",)):
            done = command.run(*args, text=True)
            assert done.returncode == 1 and done.stderr.startswith(f"refused: {said}")
            assert f"{fix} Nothing was written." in done.stderr and "building" not in done.stderr
        assert not target.exists()
    finally:
        if folder.is_relative_to(tmp_path):
            folder.chmod(0o755)  # (so that the test's folder can be removed)


def test_a_backup_to_restore_that_is_not_there_is_named_and_nothing_is_built(tmp_path, monkeypatch):
    """CITYTOOLS_RESTORE_FROM naming a file that is not there was said as "The database cannot
    be used", and a steward was offered a rebuild that failed the same way. It is a setting to
    correct: named with its path, before anything is built, and no rebuild is offered."""
    missing = tmp_path / "backup.zip"
    target = tmp_path / "data" / "citytools.duckdb"
    monkeypatch.setenv("CITYTOOLS_DB", str(target))
    monkeypatch.setenv(lifecycle.RESTORE_VAR, str(missing))
    monkeypatch.setenv("CITYTOOLS_UPLOAD_PASSWORD", "pw")
    said = f"CITYTOOLS_RESTORE_FROM is “{missing}”, but there is no file there."

    at = app(steward=True)
    assert not at.exception
    assert [shown(e.value) for e in at.error] == [f"The app is set up wrongly. {said}"]
    assert not at.button
    done = command.run("snapshots", text=True)
    assert (done.returncode, done.stderr.strip()) == (1, f"refused: {said} Nothing was written.")
    assert not target.parent.exists() or not list(target.parent.iterdir())


def test_an_unusable_file_is_offered_no_rebuild_from_a_backup_that_is_not_there(
    junk_db, tmp_path, monkeypatch
):
    missing = tmp_path / "gone.zip"
    monkeypatch.setenv(lifecycle.RESTORE_VAR, str(missing))
    monkeypatch.setenv("CITYTOOLS_UPLOAD_PASSWORD", "pw")
    at = app(steward=True)
    assert not at.exception
    assert shown(at.error[-1].value) == (
        f"The app is set up wrongly. CITYTOOLS_RESTORE_FROM is “{missing}”, but there is no "
        "file there."
    )
    assert not at.button, "no rebuild is offered: it would fail the same way"
    assert junk_db.read_bytes() == JUNK
    assert not list(junk_db.parent.glob("*.unusable-*"))
