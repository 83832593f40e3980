"""The DuckDB file: create, migrate, build from the embedded data, snapshots.

Layout (schema version 3):
- `contracts`: every record of every snapshot ever stored, never updated in place;
- `snapshots`: one row per snapshot of one borough, `status` 'active' or 'superseded';
- `raw_files`: the bytes of every file a snapshot came from;
- `current_contracts`: the records of each borough's active snapshot (the public view);
  since v3 its `vendor` is the canonical vendor and `vendor_as_written` the spelling as written;
- `vendor_aliases`: folded vendor spelling -> canonical vendor (see citydata.vendors).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import duckdb

from citydata import demo, settings, vendors
from citydata.db import Database, Reader, StoreError
from citydata.schema import FIELD_NAMES, FIELDS

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = ROOT / "data" / "citytools.duckdb"
ENV_VAR = "CITYTOOLS_DB"
RESTORE_VAR = "CITYTOOLS_RESTORE_FROM"

_CONTRACT_COLUMNS = ",\n    ".join(f"{f.name} {f.sql_type}" for f in FIELDS)
_VIEW_COLUMNS = ", ".join(f"c.{name}" for name in FIELD_NAMES)


def _v1(r: Reader) -> None:
    r.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    r.execute("CREATE SEQUENCE snapshot_ids START 1")
    r.execute(
        """CREATE TABLE snapshots (
    id INTEGER NOT NULL,
    borough_code VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    file_name VARCHAR,
    file_hash VARCHAR,
    rows_imported INTEGER NOT NULL,
    rows_rejected INTEGER NOT NULL,
    status VARCHAR NOT NULL CHECK (status IN ('active', 'superseded')),
    source VARCHAR NOT NULL
)"""
    )
    r.execute(
        f"""CREATE TABLE contracts (
    snapshot_id INTEGER NOT NULL,
    record_no INTEGER NOT NULL,
    {_CONTRACT_COLUMNS},
    source VARCHAR NOT NULL
)"""
    )
    r.execute(
        f"""CREATE VIEW current_contracts AS
SELECT {_VIEW_COLUMNS}, c.snapshot_id, c.source
FROM contracts AS c JOIN snapshots AS s ON s.id = c.snapshot_id AND s.status = 'active'"""
    )


def _v2(r: Reader) -> None:
    """Keep what an upload needs: who, the mapping used, the raw bytes, rollbacks."""
    r.execute("ALTER TABLE snapshots ADD COLUMN created_by VARCHAR")
    r.execute("ALTER TABLE snapshots ADD COLUMN mapping VARCHAR")
    r.execute("ALTER TABLE snapshots ADD COLUMN note VARCHAR")
    r.execute("ALTER TABLE snapshots ADD COLUMN restored_from INTEGER")
    r.execute(
        """CREATE TABLE raw_files (
    file_hash VARCHAR PRIMARY KEY,
    file_name VARCHAR NOT NULL,
    size_bytes BIGINT NOT NULL,
    content BLOB NOT NULL,
    received_at TIMESTAMP NOT NULL
)"""
    )


def _v3(r: Reader) -> None:
    """Group vendor spellings: the alias table, and the view showing the canonical vendor."""
    r.execute(
        """CREATE TABLE vendor_aliases (
    alias VARCHAR PRIMARY KEY,
    vendor VARCHAR NOT NULL,
    added_by VARCHAR,
    added_at TIMESTAMP
)"""
    )
    vendors.seed(r)
    # The alias is looked up once per distinct spelling, not once per record.
    columns = ", ".join(
        "coalesce(sp.vendor, c.vendor) AS vendor" if name == "vendor" else f"c.{name}"
        for name in FIELD_NAMES
    )
    r.execute(
        f"""CREATE OR REPLACE VIEW current_contracts AS
WITH spelling AS (
    SELECT w.vendor AS written, coalesce(a.vendor, w.vendor) AS vendor
    FROM (SELECT DISTINCT vendor FROM contracts) AS w
    {vendors.canonical_sql("w.vendor", "a")}
)
SELECT {columns}, c.snapshot_id, c.source, c.vendor AS vendor_as_written
FROM contracts AS c JOIN snapshots AS s ON s.id = c.snapshot_id AND s.status = 'active'
LEFT JOIN spelling AS sp ON sp.written = c.vendor"""
    )


MIGRATIONS: tuple[Callable[[Reader], None], ...] = (_v1, _v2, _v3)
SCHEMA_VERSION = len(MIGRATIONS)


def db_path(explicit: str | Path | None = None) -> Path:
    """The database file: an explicit path, else $CITYTOOLS_DB, else data/citytools.duckdb."""
    return Path(explicit or os.environ.get(ENV_VAR) or DEFAULT_DB)


def schema_version(r: Reader) -> int:
    has_meta = r.scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
        " AND table_schema = 'main'"
    )
    if not has_meta:
        tables = r.scalar("SELECT count(*) FROM information_schema.tables")
        return 0 if tables == 0 else -1
    value = r.scalar("SELECT value FROM meta WHERE key = 'schema_version'")
    return int(value) if value is not None else -1


def migrate(db: Database, target: int = SCHEMA_VERSION) -> int:
    """Bring the file up to `target`, each step in its own transaction. Returns the version."""
    with db.write() as w:
        version = schema_version(w)
    if version < 0:
        raise StoreError(f"{db.path} is a DuckDB file, but not a City Tools Explorer database.")
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{db.path} was written by a newer version of City Tools Explorer "
            f"(schema {version}; this one knows up to {SCHEMA_VERSION})."
        )
    for step in range(version, target):
        with db.write() as w:
            MIGRATIONS[step](w)
            w.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(step + 1)])
    return max(version, target)


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
    value = settings.value(RESTORE_VAR)
    if not value:
        return None
    archive = Path(value) if Path(value).is_absolute() else ROOT / value
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
    from citydata import backup  # backup builds on this module

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


def save_raw_file(w: Reader, file_name: str, content: bytes) -> str:
    """Keep the bytes of a file once, keyed by their SHA-256; returns the hash."""
    file_hash = hashlib.sha256(content).hexdigest()
    w.execute(
        "INSERT INTO raw_files VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [file_hash, file_name, len(content), content, datetime.now().replace(microsecond=0)],
    )
    return file_hash


def data_version(db: Database | Reader) -> int:
    """A number that changes whenever any snapshot or vendor alias is added: a cache key.

    Both parts only grow, so their sum never returns to an earlier value; a restore from a
    backup (which can lower both) sets meta 'version_offset' so that it still moves forward.
    """
    return int(
        db.scalar(
            "SELECT coalesce((SELECT max(id) FROM snapshots), 0)"
            " + coalesce((SELECT sum(CAST(value AS BIGINT)) FROM meta"
            " WHERE key IN ($k, 'version_offset')), 0)",
            {"k": vendors.CHANGES_KEY},
        )
    )
