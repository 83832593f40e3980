"""Backups: everything the database holds as one zip file (restoring one:
citydata.output.restores).

A hosted copy whose disk is rebuilt starts again from the illustrative data; restoring the last
backup brings back every snapshot, record, uploaded file, mapping and vendor alias.

The archive (format 1):
- `manifest.json`: what it is (product, format, schema version, when, the region it was made
  for), every table with its columns and row count, every stored file with its SHA-256;
- `tables/<table>.parquet`: each table, types kept (for `raw_files`, without the bytes; the
  database's own pieces of them, `raw_file_chunks`, are not a table of the archive);
- `raw/<sha256>`: the bytes of every stored file, exactly as received;
- `readable/*.csv`: the history and the current records for people to open in a spreadsheet
  (formula starts neutralised). Restoring does not read them.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from citydata import __version__
from citydata.core import dates, regions, settings
from citydata.output import exports
from citydata.query import selection
from citydata.query.filters import FilterState
from citydata.store import history as snapshot_history
from citydata.store import rawfiles, snapshots, versions
from citydata.store.db import Database, Reader

PRODUCT = "City Tools Explorer"
FORMAT = "citytools-backup"
FORMAT_VERSION = 1
TABLE_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
PIECES = "raw_file_chunks"  # how the database keeps raw/<sha256> (citydata.store.rawfiles)


class BackupError(Exception):
    """A backup that cannot be restored; nothing was changed. The message says why."""


def tables(r: Reader) -> list[str]:
    """The tables a backup holds: every table of the database except its bookkeeping."""
    names = [
        n
        for (n,) in r.rows(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
            " AND table_type = 'BASE TABLE' ORDER BY table_name"
        )
    ]
    return [n for n in names if n not in ("meta", PIECES) and TABLE_NAME.match(n)]


def write(db: Database, target: IO[bytes]) -> dict[str, Any]:
    """Write the archive of everything in `db` to `target`; return its manifest."""
    with tempfile.TemporaryDirectory() as tmp, db.read() as r:
        region = _region(r)
        manifest: dict[str, Any] = {
            "product": PRODUCT,
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "schema_version": versions.schema_version(r),
            "app_version": __version__,
            "created_at": dates.now().isoformat(),
            "region": region.key,
            "region_label": region.label,
            "tables": {},
            "raw_files": [],
        }
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
            for name in tables(r):
                path = Path(tmp) / f"{name}.parquet"
                r.execute(f"COPY (SELECT * FROM {name}) TO '{_quoted(path)}' (FORMAT parquet)")
                zf.write(path, f"tables/{name}.parquet")
                manifest["tables"][name] = {
                    "rows": r.scalar(f"SELECT count(*) FROM {name}"),
                    "columns": [c for (c, *_) in r.rows(f"DESCRIBE {name}")],
                }
            for file_hash, file_name, size in rawfiles.listing(r):
                written = 0  # streamed piece by piece: one piece in memory at a time
                with zf.open(f"raw/{file_hash}", "w", force_zip64=size >= 2**31) as member:
                    for piece in rawfiles.pieces(r, file_hash):
                        member.write(piece)
                        written += len(piece)
                manifest["raw_files"].append(
                    {"file_hash": file_hash, "file_name": file_name, "size_bytes": written}
                )
            history = snapshots.history(r).drop(columns=["borough_code"])
            readable = exports.with_labels(history.rename(columns=snapshot_history.LABELS))
            zf.writestr("readable/snapshots.csv", exports.to_csv(readable))
            current = Path(tmp) / "current_contracts.csv"
            _write_current(r, current)
            zf.write(current, "readable/current_contracts.csv")
            zf.writestr("manifest.json", json.dumps(manifest, indent=2, default=str))
    return manifest


def archive_bytes(db: Database) -> bytes:
    buffer = io.BytesIO()
    write(db, buffer)
    return buffer.getvalue()


def file_name(now: datetime | None = None) -> str:
    return f"citytools-backup-{(now or dates.now()):%Y-%m-%d-%H%M}.zip"


def _region(r: Reader) -> regions.Region:
    """The region the database was built for (a file from before regions is London's), else
    the app's."""
    recorded = r.scalar("SELECT value FROM meta WHERE key = $k", {"k": regions.META_KEY})
    try:
        return regions.parse(recorded or regions.DEFAULT)
    except settings.SettingError:  # a region this version no longer defines
        return regions.current()


def _write_current(r: Reader, path: Path) -> None:
    """Every current record, as the Overview's CSV download writes it without its snapshot id,
    written by DuckDB (never every record in memory: ten million are a backup too)."""
    sql, params = selection.base(FilterState())
    columns = ", ".join(c for c in selection.RECORD_COLUMNS if c != "snapshot_id")
    ordered = f"SELECT {columns} FROM ({sql}) AS b ORDER BY {selection.RECORD_ORDER}"
    exports.copy_csv(r, ordered, params, path)


def _quoted(path: Path) -> str:
    """A generated temporary path as an SQL string literal's body (COPY takes no parameter)."""
    return str(path).replace("'", "''")
