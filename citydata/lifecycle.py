"""The database file's life: where it is, opening it, building it from the embedded data (and a
backup, when $CITYTOOLS_RESTORE_FROM names one), and keeping the old file when it is rebuilt."""

from __future__ import annotations

import hashlib
import os
import shutil
from datetime import datetime
from pathlib import Path

import duckdb

from citydata.core import demo, settings
from citydata.core.schema import FIELD_NAMES, FIELDS
from citydata.output import backup
from citydata.store import migrations, vendors
from citydata.store.db import Database, StoreError
from citydata.store.snapshots import save_raw_file

ENV_VAR = settings.DB
RESTORE_VAR = settings.RESTORE_FROM

# The data a schema version's new tables start with, loaded from the live data files in the
# same transaction as that (frozen) migration: v3 created the vendor alias table.
DATA_LOADS = {3: vendors.seed}


def migrate(db: Database) -> int:
    """Bring `db` to the current schema, loading each new table's starting data."""
    return migrations.migrate(db, data=DATA_LOADS)


def db_path(explicit: str | Path | None = None) -> Path:
    """The database file: an explicit path, else $CITYTOOLS_DB, else data/citytools.duckdb."""
    if explicit:
        return Path(explicit)
    found = settings.path(ENV_VAR)
    assert found is not None  # the setting has a default
    return found


def open_store(path: str | Path | None = None) -> Database:
    """Open (building it first when missing) and migrate the database at `path`.

    A missing database is built from the embedded data, then, when $CITYTOOLS_RESTORE_FROM names
    a backup archive, that backup is restored into it before it is used.
    """
    path = db_path(path)
    if not path.exists():
        build(path, restore_from=restore_archive())
    db = Database(path)
    try:
        migrate(db)
    except BaseException:
        db.close()
        raise
    return db


def set_aside(path: str | Path) -> Path:
    """Move an unusable database file (and its WAL) out of the way, never deleting it.

    Returns where it went: `<name>.unusable-<timestamp>` beside it.
    """
    path = Path(path)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.unusable-{stamp}")
    path.replace(target)
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        wal.replace(target.with_name(target.name + ".wal"))
    return target


def keep_backup(path: str | Path) -> Path:
    """Keep the current file as `<name>.bak` before it is rebuilt, without ever moving it.

    Opening and closing it first refuses when another program holds it and folds any WAL into
    the file; the backup is a hard link (a copy where links are not possible), so the database
    path always holds a complete database, even if the rebuild is killed.
    """
    path = Path(path)
    Database(path).close()
    bak = path.with_name(path.name + ".bak")
    bak.unlink(missing_ok=True)
    try:
        os.link(path, bak)
    except OSError:
        shutil.copy2(path, bak)
    return bak


def restore_archive() -> Path | None:
    """The backup named by $CITYTOOLS_RESTORE_FROM (relative to the app's folder), if any."""
    archive = settings.path(RESTORE_VAR)
    if archive is None:
        return None
    if not archive.is_file():
        raise StoreError(f"{RESTORE_VAR} names {archive}, but there is no such file.")
    return archive


def build(
    path: str | Path | None = None,
    csv: Path = demo.EMBEDDED_CSV,
    restore_from: Path | None = None,
) -> Path:
    """Create a new database at `path` from the embedded default data (and a backup, if given).

    The file is written beside the target under a temporary name and moved into place only
    when complete, so an interrupted or failed build leaves no half-made database behind.
    """
    path = db_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_builds(path)
    tmp = path.with_name(f".{path.name}.building-{os.getpid()}")
    db = Database(tmp)
    try:
        migrate(db)
        load_demo(db, csv)
        if restore_from is not None:
            _restore_into(db, restore_from)
        db.rows("CHECKPOINT")
    except BaseException as exc:
        db.close()
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            leftover.unlink(missing_ok=True)
        if isinstance(exc, duckdb.Error):  # the CSV is not in the embedded data's shape
            reason = str(exc).splitlines()[0].rstrip(".")
            raise StoreError(
                f"{path} could not be built from {csv}: {reason}. Nothing was changed."
            ) from exc
        raise
    db.close()
    os.replace(tmp, path)
    return path


def _restore_into(db: Database, archive: Path) -> None:
    try:
        backup.restore(db, archive.read_bytes())
    except backup.BackupError as exc:
        raise StoreError(f"The backup {archive} could not be restored: {exc}") from exc


def _remove_abandoned_builds(path: Path) -> None:
    """Delete half-made files of builds whose process is gone (killed, power cut)."""
    for leftover in path.parent.glob(f".{path.name}.building-*"):
        pid = leftover.name.rsplit("-", 1)[-1].removesuffix(".wal")
        if pid.isdigit() and (int(pid) == os.getpid() or not _alive(int(pid))):
            leftover.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# A file bigger than this (a generated benchmark set, never an upload) keeps only its hash:
# `python -m citydata demo --rows N --seed S` makes the same bytes again.
RAW_FILE_MAX_BYTES = 64 * 1024 * 1024


def load_demo(db: Database, csv: Path) -> None:
    """Store the embedded CSV as one active 'demo' snapshot per borough.

    DuckDB streams the file twice (counts per borough, then one INSERT); it is never held whole
    in memory, so a 10-million-record set builds in well under 1 GB. Its bytes go to raw_files
    when it is at most RAW_FILE_MAX_BYTES.
    """
    with csv.open("rb") as handle:
        file_hash = hashlib.file_digest(handle, "sha256").hexdigest()
    columns = {f.name: f.sql_type for f in FIELDS} | {"source": "VARCHAR"}
    source = "read_csv($csv, header = true, delim = ',', quote = '\"', columns = $columns)"
    params = {"csv": str(csv), "columns": columns}
    now = datetime.now().replace(microsecond=0)
    with db.write() as w:
        if csv.stat().st_size <= RAW_FILE_MAX_BYTES:
            save_raw_file(w, csv.name, csv.read_bytes())
        counts = w.rows(
            f"SELECT borough_code, count(*) FROM {source} GROUP BY ALL ORDER BY 1", params
        )
        ids = []
        for code, n in counts:
            snapshot_id = w.scalar("SELECT nextval('snapshot_ids')")
            w.execute(
                "INSERT INTO snapshots (id, borough_code, created_at, file_name, file_hash,"
                " rows_imported, rows_rejected, status, source, created_by, note)"
                " VALUES (?, ?, ?, ?, ?, ?, 0, 'active', 'demo', 'City Tools Explorer', ?)",
                [snapshot_id, code, now, csv.name, file_hash, n, "Illustrative default data"],
            )
            ids.append(snapshot_id)
        w.execute(
            "INSERT INTO contracts SELECT s.id, c.record_no, "
            f"{', '.join(f'c.{name}' for name in FIELD_NAMES)}, c.source"
            f" FROM (SELECT *, row_number() OVER () AS record_no FROM {source}) AS c"
            " JOIN (SELECT unnest($codes) AS code, unnest($ids) AS id) AS s"
            " ON s.code = c.borough_code",
            params | {"codes": [code for code, _ in counts], "ids": ids},
        )
