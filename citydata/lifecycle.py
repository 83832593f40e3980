"""The database file's life, in one place: where it is, opening it (waiting while another
process holds it), building it from the embedded data (and a backup, when
$CITYTOOLS_RESTORE_FROM names one) on a first start, and rebuilding an unusable file the same way
while keeping the old one. Reading a consistent copy while another process holds the file is
`citydata.readcopy`'s; the region the file holds and its illustrative records are
`citydata.store.regiondata`'s.

Two kinds of trouble, never confused:
- busy (`FileBusy`): another process holds the file, usually the running app or a command
  importing a file. The file is fine: `open_store` waits and tries again a few times, then says
  so. A busy file is never rebuilt or moved.
- unusable (`FileUnusable`): not a DuckDB file, another program's, corrupt, unreadable or from a
  newer version. `rebuild` replaces it (for a signed-in data steward, in the app).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from citydata.core import dates, demo, processes, regions, settings
from citydata.output import backup, restores
from citydata.store import matches, regiondata, upgrades, versions
from citydata.store.db import Database, FileBusy, FileUnusable, StoreError
from citydata.store.db import unusable as db_unusable

log = logging.getLogger(__name__)

__all__ = ["FileBusy", "FileUnusable", "StoreError"]

ENV_VAR = settings.DB
RESTORE_VAR = settings.RESTORE_FROM
# Seconds to wait before each new try when the file is busy (about 4 s in all).
BUSY_WAITS: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0)

# The data a schema version's new tables start with, and what it put right in the records,
# loaded by live code in the same transaction as that (frozen) migration.
DATA_LOADS = upgrades.DATA_LOADS


def migrate(db: Database) -> int:
    """Bring `db` to the current schema, loading each new table's starting data."""
    return versions.migrate(db, data=DATA_LOADS)


def db_path(explicit: str | Path | None = None) -> Path:
    """The database file: an explicit path, else $CITYTOOLS_DB, else data/citytools.duckdb."""
    if explicit:
        return Path(explicit)
    found = settings.path(ENV_VAR)
    assert found is not None  # the setting has a default
    return found


def open_store(path: str | Path | None = None, waits: tuple[float, ...] | None = None) -> Database:
    """Open (building it first when missing) and migrate the database at `path`.

    A missing database is built from the embedded data, then, when $CITYTOOLS_RESTORE_FROM names
    a backup archive, that backup is restored into it before it is used. A busy file is tried
    again after each of `waits` seconds (BUSY_WAITS unless given), then FileBusy; an unusable
    one raises FileUnusable.
    """
    path = db_path(path)
    waits = BUSY_WAITS if waits is None else waits
    if not path.exists():
        archive = restore_archive()  # (a backup that is not there: refused before building)
        with _building(path):
            if not path.exists():  # another thread or process may have built it meanwhile
                build(path, restore_from=archive)
    for wait in (*waits, None):
        try:
            db = Database(path)
            break
        except FileBusy:
            if wait is None:
                raise
            time.sleep(wait)
    try:
        migrate(db)
        regiondata.check_region(db)
        regiondata.follow_reorganisations(db)
        matches.forget_illustrative(db)
    except duckdb.Error as exc:  # a DuckDB file whose tables cannot be read
        db.close()
        raise FileUnusable(
            f"{path} could not be read as a City Tools database: {db_unusable(exc)}"
        ) from exc
    except BaseException:
        db.close()
        raise
    return db


def rebuild(path: str | Path | None = None) -> Path | None:
    """Replace an unusable database file by a new build, as on a first start (the embedded
    data, then $CITYTOOLS_RESTORE_FROM), keeping the old file beside it. Returns where the old
    file went, or None when there was nothing to rebuild (the file opens now: another rebuild
    finished first). A busy file raises FileBusy and is left alone.

    One rebuild at a time per file, across threads and processes; each build writes its own
    temporary file, and the old file is moved aside only once the new one is complete.
    """
    path = db_path(path)
    archive = restore_archive()  # (a backup that is not there: refused before anything moves)
    with _building(path):
        if not path.exists():
            build(path, restore_from=archive)
            return None
        if _usable(path):
            return None
        return build(path, restore_from=archive, keep_old=True)


def _usable(path: Path) -> bool:
    """Whether the file opens as a City Tools database now; FileBusy when another holds it."""
    try:
        db = Database(path)
    except FileUnusable:
        return False
    try:
        migrate(db)
        return True
    except (FileUnusable, duckdb.Error):
        return False
    finally:
        db.close()


_BUILD_LOCK = threading.Lock()


@contextlib.contextmanager
def _building(path: Path) -> Iterator[None]:
    """Hold the build lock of `path`: a thread lock, and an OS lock on its folder (no file is
    left behind). A folder that cannot be made or written raises SettingError (`_folder_for`)."""
    _folder_for(path)
    with _BUILD_LOCK:
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            fcntl.flock(folder, fcntl.LOCK_EX)
            yield
        finally:
            os.close(folder)  # closing releases the lock


def _folder_for(path: Path) -> None:
    """Make the database file's folder if need be, and make sure a file can be made in it: else
    SettingError naming CITYTOOLS_DB (when the path is the setting's), the folder and why,
    rather than the temporary file a build writes first, which nobody asked for."""
    named = f"{ENV_VAR} is “{path}”: " if path == settings.path(ENV_VAR) else ""
    fix = "Give a file in a folder this computer can write to"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        in_the_way = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
        why = f"{in_the_way} is a file, not a folder" if in_the_way else exc.strerror or exc
        raise settings.SettingError(
            f"{named}the database file cannot be made there, as its folder {path.parent} "
            f"cannot be made ({why}). {fix}."
        ) from None
    if (why := unwritable(path.parent)) is not None:
        raise settings.SettingError(
            f"{named}the database file cannot be made there, as its folder {path.parent} "
            f"cannot be written{why}. {fix}, or let this user write to that one."
        )


def unwritable(folder: Path) -> str | None:
    """None when a file can be made in `folder` (one is made and removed: only trying tells,
    for root too, and on a disk mounted read-only); else why not, as " (Permission denied)",
    or "" where the system's words would mislead ("No such file" for a folder that is there)."""
    try:
        handle, probe = tempfile.mkstemp(prefix=".citytools-probe-", dir=folder)
    except OSError as exc:
        return f" ({exc.strerror})" if exc.strerror and exc.errno != errno.ENOENT else ""
    os.close(handle)
    os.unlink(probe)
    return None


def set_aside(path: str | Path) -> Path:
    """Move an unusable database file (and its WAL) out of the way, never deleting it.

    Returns where it went: `<name>.unusable-<timestamp>` beside it.
    """
    path = Path(path)
    stamp = dates.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.unusable-{stamp}")
    if target.exists():
        target = target.with_name(f"{target.name}-{uuid.uuid4().hex[:8]}")
    path.replace(target)
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        wal.replace(target.with_name(target.name + ".wal"))
    return target


def keep_backup(path: str | Path) -> tuple[Path, Path | None]:
    """Keep the current file as `<name>.bak` before it is rebuilt, without ever moving it; an
    earlier `.bak` is kept too, as `<name>.bak-<when it was made>` (it may be the only copy of
    a steward's data: a second rebuild must not delete it). Returns both paths (the second None
    when there was no earlier backup).

    Opening and closing it first refuses when another program holds it and folds any WAL into
    the file; the backup is a hard link (a copy where links are not possible), so the database
    path always holds a complete database, even if the rebuild is killed.
    """
    path = Path(path)
    Database(path).close()
    bak = path.with_name(path.name + ".bak")
    earlier = None
    if bak.exists():
        made = f"{dates.now(datetime.fromtimestamp(bak.stat().st_mtime, UTC)):%Y%m%d-%H%M%S}"
        earlier = bak.with_name(f"{bak.name}-{made}")
        n = 1
        while earlier.exists():  # (two in one second: never over another)
            n += 1
            earlier = bak.with_name(f"{bak.name}-{made}-{n}")
        bak.replace(earlier)
    try:
        os.link(path, bak)
    except OSError:
        shutil.copy2(path, bak)
    return bak, earlier


def restore_archive() -> Path | None:
    """The backup named by $CITYTOOLS_RESTORE_FROM (relative to the app's folder), if any.

    One that is not there, or cannot be read, raises SettingError naming the setting and the
    path: a setting to correct, not a damaged database (which would offer a rebuild that fails
    the same way). Read before anything is built, so that nothing is written.
    """
    archive = settings.path(RESTORE_VAR)
    if archive is None:
        return None
    if not archive.is_file():
        raise settings.SettingError(f"{RESTORE_VAR} is “{archive}”, but there is no file there.")
    try:
        with archive.open("rb"):
            pass
    except OSError as exc:
        raise settings.SettingError(
            f"{RESTORE_VAR} is “{archive}”, but that file cannot be read ({exc.strerror or exc})."
        ) from None
    return archive


def build(
    path: str | Path | None = None,
    csv: Path | None = None,
    restore_from: Path | None = None,
    keep_old: bool = False,
) -> Path:
    """Create a new database at `path` from the embedded default data (and a backup, if given).

    The embedded data is the region's: London's committed file, or for another region records
    generated for its authorities (the same seed, so the same records each time). The file is
    written beside the target under a temporary name of its own and moved into place only when
    complete, so an interrupted or failed build leaves no half-made database behind. Returns
    `path`; with `keep_old`, an existing file is first moved aside (`set_aside`) and where it
    went is returned instead.
    """
    path = db_path(path)
    region = regions.current()
    if csv is None and not region.is_london:
        with tempfile.TemporaryDirectory(prefix="citytools-demo-") as folder:
            made = Path(folder) / f"demo_contracts_{region.key.split(':')[0]}.csv"
            demo.write_csv(made, rows=demo.rows_for(region.authorities))
            return build(path, made, restore_from, keep_old)
    csv = csv or demo.EMBEDDED_CSV
    _folder_for(path)
    _remove_abandoned_builds(path)
    tmp = path.with_name(f".{path.name}.building-{os.getpid()}-{uuid.uuid4().hex[:12]}")
    db = Database(tmp)
    try:
        migrate(db)
        with db.write() as w:
            w.execute(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)", [regiondata.REGION_KEY, region.key]
            )
        regiondata.load_demo(db, csv)
        if restore_from is not None:
            _restore_into(db, restore_from)
        db.rows("CHECKPOINT")
    except BaseException as exc:
        db.close()
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            leftover.unlink(missing_ok=True)
        if isinstance(exc, duckdb.Error):  # the CSV is not in the embedded data's shape
            log.warning("building %s from %s failed: %s", path, csv, exc)
            raise StoreError(
                f"{path} could not be built from {csv}: it is not a file of contract records "
                "with the embedded data's columns (as `python -m citydata demo` writes, or "
                "data/demo_contracts.csv). Nothing was changed."
            ) from exc
        raise
    db.close()
    kept = set_aside(path) if keep_old and path.exists() else None
    os.replace(tmp, path)
    return kept or path


def _restore_into(db: Database, archive: Path) -> None:
    try:
        restores.restore(db, archive)  # read from the file piece by piece
    except backup.BackupError as exc:
        raise StoreError(f"The backup {archive} could not be restored: {exc}") from exc


def _remove_abandoned_builds(path: Path) -> None:
    """Delete half-made files of builds whose process is gone (killed, power cut). A build of
    this process or of another live one may be under way: its files are left alone."""
    for leftover in path.parent.glob(f".{path.name}.building-*"):
        pid = leftover.name.removeprefix(f".{path.name}.building-").split("-")[0].split(".")[0]
        if pid.isdigit() and not processes.alive(int(pid)):
            leftover.unlink(missing_ok=True)
