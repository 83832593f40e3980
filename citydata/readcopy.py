"""Reading the database while another process holds it: a command that only reads (export,
lists, backup) reads a private copy made just now and checked to be complete, and a check that
must write nothing at all (`import --dry-run`) reads the file as an import would find it, from a
copy made ready when opening would write. Opening, building and rebuilding the file are
`citydata.lifecycle`'s.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb

from citydata import lifecycle
from citydata.core import dates, regions, settings
from citydata.store import matches, regiondata, versions
from citydata.store.db import Database, FileBusy, StoreError


@contextlib.contextmanager
def open_for_reading(
    path: str | Path | None = None, on_copy: Callable[[str], object] | None = None
) -> Iterator[Database]:
    """The database for a command that only reads (export, lists, backup), even while another
    process holds the file.

    DuckDB lets one process write a file, and then no other process may open it at all, not
    even read-only. So when the file is busy (the app is serving), the command reads a private
    copy made just now, checked to be complete: the file and its write-ahead log did not change
    while they were copied (the app writes only when a steward commits, rolls back or restores).
    `on_copy` is told when that happens, with a sentence to show. The copy is deleted after.
    """
    path = lifecycle.db_path(path)
    try:
        db = lifecycle.open_store(path, waits=())
    except FileBusy:
        db = None
    if db is not None:
        try:
            yield db
        finally:
            db.close()
        return
    with tempfile.TemporaryDirectory(prefix=f".{path.name}.reading-", dir=path.parent) as tmp:
        copy = _consistent_copy(path, Path(tmp))
        if on_copy is not None:
            on_copy(
                f"{path} is in use by the running app: reading a copy of it made just now "
                f"({dates.now():%H:%M:%S})."
            )
        db = Database(copy)
        try:
            lifecycle.migrate(db)
            # (refused as the file itself would be: the app holding it may run for another
            # region, and a command set up for this one must not read that region's records)
            regiondata.check_region(db, shown=path)
            yield db
        finally:
            db.close()


@contextlib.contextmanager
def open_for_preview(path: str | Path | None = None) -> Iterator[Database]:
    """The database as an import would find it, for a check that must write nothing at all
    (`import --dry-run`): not the file, not its folder, not a log beside it.

    Opening a file can write to it: a missing one is built, one of an older schema is migrated,
    one whose region's councils were reorganised is brought in step. When opening would do any
    of that, the check reads a private copy made ready the same way (built from the embedded
    data, or copied and then opened), deleted afterwards; otherwise the file itself. A file
    another process holds is waited for, then refused, as by `open_store`."""
    path = lifecycle.db_path(path)
    if path.exists() and _opens_unchanged(path):
        db = lifecycle.open_store(path)
        try:
            yield db
        finally:
            db.close()
        return
    with tempfile.TemporaryDirectory(prefix="citytools-preview-") as tmp:
        if path.exists():
            copy = _consistent_copy(path, Path(tmp))
        else:
            copy = Path(tmp) / path.name
            lifecycle.build(copy, restore_from=lifecycle.restore_archive())
        db = lifecycle.open_store(copy)
        try:
            yield db
        finally:
            db.close()


def _opens_unchanged(path: Path) -> bool:
    """Whether `open_store` would leave the file as it is: its schema is current and neither
    its region's record nor its illustrative data needs bringing in step (True when another
    process holds it or it cannot be read: `open_store` then refuses it without writing)."""
    try:
        db = Database(path, read_only=True)
    except StoreError:
        return True
    try:
        if versions.recorded_version(db) < versions.SCHEMA_VERSION:
            return False
        if db.scalar(matches.ILLUSTRATIVE_PAIRS):
            return False
        if regiondata.followed_region(regiondata.region_of(db)) == regions.current().key:
            return False
        return not regiondata.outside_demo(db)
    except (duckdb.Error, settings.SettingError):
        return True
    finally:
        db.close()


def _consistent_copy(path: Path, into: Path, waits: tuple[float, ...] | None = None) -> Path:
    """Copy the database file and its write-ahead log into `into`, again until neither changed
    while being copied; FileBusy when they keep changing.

    "Changed" is told by size and modification time. A write in the same tick of the file
    system's clock as the one before it leaves the time as it was, so a copy counts only when
    neither file's time falls inside the copy's own span, read from the same clock (the times of
    the copy's files as it begins and ends): a file written that recently is copied again."""
    wal = path.with_name(path.name + ".wal")
    target = into / path.name
    target_wal = target.with_name(target.name + ".wal")
    waits = lifecycle.BUSY_WAITS if waits is None else waits
    for wait in (*waits, None):
        before = _fingerprint(path), _fingerprint(wal)
        try:
            target.unlink(missing_ok=True)
            target_wal.unlink(missing_ok=True)
            target.touch()
            began = target.stat().st_mtime_ns
            shutil.copyfile(path, target)
            if before[1] is not None:
                shutil.copyfile(wal, target_wal)
            ended = max(f.stat().st_mtime_ns for f in (target, target_wal) if f.exists())
        except FileNotFoundError:  # the log was folded into the file meanwhile
            pass
        else:
            settled = all(seen is None or not began <= seen[1] <= ended for seen in before)
            if settled and (_fingerprint(path), _fingerprint(wal)) == before:
                return target
        if wait is None:
            break
        time.sleep(wait)
    raise FileBusy(
        f"{path} kept changing while a copy was read (the app is writing to it). Try again in a "
        "moment."
    )


def _fingerprint(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_size, stat.st_mtime_ns
