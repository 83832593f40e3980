"""The DuckDB file: create, migrate, build from the embedded data, snapshots.

Layout (schema version 2):
- `contracts`: every record of every snapshot ever stored, never updated in place;
- `snapshots`: one row per snapshot of one borough, `status` 'active' or 'superseded';
- `raw_files`: the bytes of every file a snapshot came from;
- `current_contracts`: the records of each borough's active snapshot (the public view).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from citydata import demo
from citydata.db import Database, Reader, StoreError
from citydata.schema import FIELD_NAMES, FIELDS

DEFAULT_DB = Path(__file__).resolve().parent.parent / "data" / "citytools.duckdb"
ENV_VAR = "CITYTOOLS_DB"

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


MIGRATIONS: tuple[Callable[[Reader], None], ...] = (_v1, _v2)
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
    """Open (building it first when missing) and migrate the database at `path`."""
    path = db_path(path)
    if not path.exists():
        build(path)
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


def build(path: str | Path | None = None, csv: Path = demo.EMBEDDED_CSV) -> Path:
    """Create a new database at `path` from the embedded default data.

    The file is written beside the target under a temporary name and moved into place only
    when complete, so an interrupted build leaves no half-made database behind.
    """
    path = db_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.building-{os.getpid()}")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    db = Database(tmp)
    try:
        migrate(db)
        load_demo(db, csv)
        db.rows("CHECKPOINT")
    finally:
        db.close()
    os.replace(tmp, path)
    return path


def load_demo(db: Database, csv: Path) -> None:
    """Store the embedded CSV as one active 'demo' snapshot per borough."""
    content = csv.read_bytes()
    file_hash = hashlib.sha256(content).hexdigest()
    columns = {f.name: f.sql_type for f in FIELDS} | {"source": "VARCHAR"}
    now = datetime.now().replace(microsecond=0)
    with db.write() as w:
        w.execute(
            "CREATE TEMP TABLE staged AS SELECT *, row_number() OVER () AS record_no "
            "FROM read_csv(?, header = true, delim = ',', quote = '\"', columns = ?)",
            [str(csv), columns],
        )
        save_raw_file(w, csv.name, content)
        counts = w.rows(
            "SELECT borough_code, count(*) FROM staged GROUP BY borough_code ORDER BY borough_code"
        )
        for code, n in counts:
            snapshot_id = w.scalar("SELECT nextval('snapshot_ids')")
            w.execute(
                "INSERT INTO snapshots (id, borough_code, created_at, file_name, file_hash,"
                " rows_imported, rows_rejected, status, source, created_by, note)"
                " VALUES (?, ?, ?, ?, ?, ?, 0, 'active', 'demo', 'City Tools Explorer', ?)",
                [snapshot_id, code, now, csv.name, file_hash, n, "Illustrative default data"],
            )
            w.execute(
                f"INSERT INTO contracts SELECT ?, record_no, {', '.join(FIELD_NAMES)}, source"
                " FROM staged WHERE borough_code = ?",
                [snapshot_id, code],
            )
        w.execute("DROP TABLE staged")


def save_raw_file(w: Reader, file_name: str, content: bytes) -> str:
    """Keep the bytes of a file once, keyed by their SHA-256; returns the hash."""
    file_hash = hashlib.sha256(content).hexdigest()
    w.execute(
        "INSERT INTO raw_files VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [file_hash, file_name, len(content), content, datetime.now().replace(microsecond=0)],
    )
    return file_hash


def data_version(db: Database) -> int:
    """A number that changes whenever any snapshot is added: a cache key for results."""
    return int(db.scalar("SELECT coalesce(max(id), 0) FROM snapshots"))
