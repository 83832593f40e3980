"""Backups: everything the database holds as one zip file, and restoring a database from one.

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

Restoring replaces the tables the archive holds in one transaction: all of it or nothing. A
backup of another region's councils is refused as such, naming both regions; one made before
backups recorded their region is known by its councils.

A restore reads the archive from its file piece by piece (`restore` takes a path, or an open
file such as the app's upload, which Streamlit holds in memory as it holds every upload). A
backup over `archive.MAX_ARCHIVE_BYTES` is refused by its size before anything is read; each
member is unpacked in chunks to a temporary file, checked there, then loaded. Only the
tables' parquet files must be whole files on disk before they are read: DuckDB reads a parquet
file from its end (the footer says where each column is), which a member being inflated
cannot offer.
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import duckdb

from citydata import __version__
from citydata.core import authorities, boroughs, dates, regions, settings
from citydata.core.formatting import count
from citydata.output import archive, exports
from citydata.query import selection
from citydata.query.filters import FilterState
from citydata.store import history as snapshot_history
from citydata.store import matches, rawfiles, snapshots, versions
from citydata.store.db import Database, Reader

# What `restore` reads an archive from: a path, an open binary file (seekable), or its bytes.
Source = str | os.PathLike[str] | IO[bytes] | bytes
PRODUCT = "City Tools Explorer"
FORMAT = "citytools-backup"
FORMAT_VERSION = 1
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_NOUNS = {  # table -> what one and many of its rows are called
    "contracts": ("record", "records"),
    "raw_files": ("stored file", "stored files"),
    "snapshots": ("snapshot", "snapshots"),
    "vendor_aliases": ("vendor alias", "vendor aliases"),
    "alert_subscriptions": ("alert", "alerts"),
    "alerts_sent": ("alert sent", "alerts sent"),
    "feed_runs": ("notice fetch", "notice fetches"),
    "notice_matches": ("matched notice", "matched notices"),
    "notice_withdrawals": ("notice withdrawn", "notices withdrawn"),
}
_PIECES = "raw_file_chunks"  # how the database keeps raw/<sha256> (citydata.store.rawfiles)
_HASH = re.compile(r"^[0-9a-f]{64}$")
_REGION_KEY = re.compile(r"^[a-z0-9-]{1,60}$")  # a regions.toml key this version may not know
_REGION_MAX = 10_000  # characters of a manifest's region: a list of every UK council fits
_NOT_OURS = (
    "This file is not a City Tools Explorer backup. Choose a .zip file made by 'Download a "
    "backup' or `python -m citydata backup`."
)


_CUT_SHORT = (
    "This backup is incomplete: it ends before the list of what it holds, as a file does when "
    "its copy or download stopped part-way. Copy or download the backup again, in full."
)
_OUR_MEMBERS = ("tables/", "raw/", "readable/", "manifest.json")  # what an archive opens with


class BackupError(Exception):
    """A backup that cannot be restored; nothing was changed. The message says why."""


@dataclass(frozen=True)
class Restored:
    tables: dict[str, int]  # table -> rows restored
    kept: list[str]  # tables of this database the archive did not hold (left as they were)
    created_at: str  # when the backup was made

    def summary(self) -> str:
        counts = ", ".join(count(n, *_NOUNS.get(t, (t, t))) for t, n in self.tables.items())
        return f"Restored the backup of {self.created_at}: {counts}."


def tables(r: Reader) -> list[str]:
    """The tables a backup holds: every table of the database except its bookkeeping."""
    names = [
        n
        for (n,) in r.rows(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
            " AND table_type = 'BASE TABLE' ORDER BY table_name"
        )
    ]
    return [n for n in names if n not in ("meta", _PIECES) and _NAME.match(n)]


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


def restore(db: Database, source: Source) -> Restored:
    """Replace the data in `db` with the archive's, atomically; BackupError when refused.

    `source`: the archive's path or an open binary file, read piece by piece (never whole in
    memory), or its bytes. Everything is checked (citydata.output.archive) before the live
    database is touched: the archive's size, the zip, the manifest, every table's columns,
    types and values. Then the tables are replaced in one write transaction, which a late
    failure rolls back.
    """
    with opened(source) as file:
        try:
            return _restore(db, file)
        except archive.ArchiveError as exc:
            raise BackupError(str(exc)) from exc


@contextmanager
def opened(source: Source) -> Iterator[IO[bytes]]:
    """The archive as a seekable binary file; BackupError, before anything in it is read, when
    it is too big to restore (over archive.MAX_ARCHIVE_BYTES). A caller that has work to do
    before restoring (open the database) refuses such a file first by opening it here."""
    if isinstance(source, bytes | bytearray | memoryview):
        file: IO[bytes] = io.BytesIO(source)
        size = len(source)
    elif isinstance(source, str | os.PathLike):
        file = open(source, "rb")  # noqa: SIM115 (closed below; a missing file: OSError)
        size = os.fstat(file.fileno()).st_size
    else:
        file = source
        try:
            with archive.reading():  # a pipe cannot be read from its end, as a zip must be
                size = file.seek(0, io.SEEK_END)
                file.seek(0)
        except archive.ArchiveError as exc:
            raise BackupError(str(exc)) from exc
    try:
        if size > archive.MAX_ARCHIVE_BYTES:
            raise BackupError(archive.too_big(size))
        yield file
    finally:
        if file is not source:
            file.close()


def _restore(db: Database, file: IO[bytes]) -> Restored:
    size = file.seek(0, io.SEEK_END)
    file.seek(0)
    if not zipfile.is_zipfile(file):
        raise BackupError(_CUT_SHORT if _begins_as_ours(file) else _NOT_OURS)
    budget = archive.Budget(size)
    with tempfile.TemporaryDirectory() as tmp, archive.reading():
        with zipfile.ZipFile(file) as zf:
            archive.check_members(zf, budget)
            manifest = _manifest(zf, budget)
            with db.read() as r:
                ours = tables(r)
            unknown = sorted(set(manifest["tables"]) - set(ours))
            if unknown:
                raise BackupError(
                    f"This backup holds tables this version does not know ({', '.join(unknown)})."
                )
            paths = {}
            for name in ours:
                if name in manifest["tables"]:
                    paths[name] = Path(tmp) / f"{name}.parquet"
                    archive.extract(zf, f"tables/{name}.parquet", paths[name], budget)
            files = _raw_files(zf, manifest, Path(tmp), budget)
        _check_region(db, manifest, paths)
        _check_tables(db, manifest, paths)
        with db.write() as w:
            before = versions.data_version(w)
            restored: dict[str, int] = {}
            for name, path in paths.items():
                w.execute(f"DELETE FROM {name}")
                if name == "raw_files":
                    w.execute(f"DELETE FROM {_PIECES}")
                try:
                    _load(w, name, path, files)
                except duckdb.Error as exc:
                    raise BackupError(
                        f"This backup is damaged: its table {name} cannot be read."
                    ) from exc
                restored[name] = int(w.scalar(f"SELECT count(*) FROM {name}"))
                if restored[name] != manifest["tables"][name]["rows"]:
                    raise BackupError(f"This backup is damaged: table {name} is incomplete.")
            _check_consistent(w)
            for version, step in versions.DATA_STEPS.items():  # (its data as that version's)
                if manifest["schema_version"] < version:
                    step(w)
            if manifest["schema_version"] < 17:  # (as opening a file of then does)
                snapshots.withdrawn_again(w)
            matches.refresh(w)  # pairs of the restored records, whatever the backup held
            _move_forward(w, before)
    return Restored(
        tables=restored,
        kept=[t for t in ours if t not in manifest["tables"]],
        created_at=str(manifest.get("created_at", "an unknown date")).replace("T", " "),
    )


def _begins_as_ours(file: IO[bytes]) -> bool:
    """Whether a file that is no whole zip begins as a backup does: a zip's first member
    (its local header, then its name), named as a backup's members are. Its end, where a zip
    lists what it holds, is then missing: the file was cut short."""
    file.seek(0)
    header = file.read(30)
    if len(header) < 30 or not header.startswith(b"PK\x03\x04"):
        return False
    name = file.read(int.from_bytes(header[26:28], "little"))
    return name.decode("utf-8", "replace").startswith(_OUR_MEMBERS)


def _region(r: Reader) -> regions.Region:
    """The region the database was built for (a file from before regions is London's), else
    the app's."""
    recorded = r.scalar("SELECT value FROM meta WHERE key = $k", {"k": regions.META_KEY})
    try:
        return regions.parse(recorded or regions.DEFAULT)
    except settings.SettingError:  # a region this version no longer defines
        return regions.current()


def _check_region(db: Database, manifest: dict[str, Any], paths: dict[str, Path]) -> None:
    """Refuse a backup of another region's councils as such, before its records are checked:
    it is not damaged, it belongs to an app set up for that region. The region is the
    manifest's, or for a backup made before manifests named it, the smallest region holding
    its councils. Councils no app knows are left to the checks of the records."""
    here = regions.current()
    codes = _codes(db, paths)
    known = authorities.by_code()
    strangers = sorted(codes - here.by_code.keys())
    if not strangers or not all(c in known for c in strangers):
        return
    made_for = _made_for(manifest, codes)
    if made_for is not None and made_for[0] == here.key:
        return  # its records are not its region's: the checks of the records refuse it
    restore = (
        "point CITYTOOLS_DB at a new file (a database is built for that region), then restore "
        "the backup there."
    )
    if made_for is None:
        raise BackupError(
            f"This backup was made for another region: it holds the records of councils "
            f"outside {here.label}, such as {known[strangers[0]].name}. To restore it, set "
            f"{regions.SETTING} to the region it was made for and {restore}"
        )
    key, label = made_for
    raise BackupError(
        f"This backup was made for {label} ({regions.SETTING} = {key}), but this app is set "
        f"up for {here.label} ({regions.SETTING} = {here.key}). To restore it, set "
        f"{regions.SETTING} to {key.removeprefix(regions.CUSTOM_PREFIX)} and {restore}"
    )


def _codes(db: Database, paths: dict[str, Path]) -> set[str]:
    """The councils' codes of the backup's snapshots and records; none when they cannot be
    read (the checks of the tables then say why)."""
    try:
        with db.read() as r:
            found = r.rows(
                "SELECT borough_code FROM read_parquet($s) UNION"
                " SELECT borough_code FROM read_parquet($c)",
                {"s": str(paths["snapshots"]), "c": str(paths["contracts"])},
            )
    except duckdb.Error:
        return set()
    return {c for (c,) in found if isinstance(c, str)}


def _made_for(manifest: dict[str, Any], codes: set[str]) -> tuple[str, str] | None:
    """(key, label) of the region the backup was made for: its manifest's, else the smallest
    region holding its councils; None when neither says."""
    key = manifest.get("region")
    if isinstance(key, str) and len(key) <= _REGION_MAX:
        try:
            region = regions.parse(key)
        except settings.SettingError:  # a region this version does not know, or none at all
            label = manifest.get("region_label")
            if _REGION_KEY.match(key) and isinstance(label, str) and 0 < len(label) <= 60:
                return key, " ".join(label.split())
        else:
            return region.key, region.label
    region = regions.holding(codes)
    return None if region is None else (region.key, region.label)


def _check_tables(db: Database, manifest: dict[str, Any], paths: dict[str, Path]) -> None:
    """Every table as the schema had it at the backup's version, the records as an upload
    could have stored them, snapshots and records agreeing; read from the unpacked files."""
    schema = archive.schema_at(manifest["schema_version"])
    with db.read() as r:
        for name, path in paths.items():
            if name not in schema:
                raise BackupError(
                    f"This backup is damaged: its table {name} did not exist in its version."
                )
            archive.check_table(r, name, path, schema[name])
        archive.check_records(r, paths["contracts"])
        if "alert_subscriptions" in paths:
            archive.check_subscriptions(r, paths["alert_subscriptions"])
        if "vendor_aliases" in paths:
            archive.check_aliases(r, paths["vendor_aliases"])
        archive.check_snapshots(r, paths["snapshots"], paths["contracts"])


def _load(w: Reader, name: str, path: Path, files: dict[str, Path]) -> None:
    if name == "raw_files":  # the files whose bytes the archive holds, with those bytes
        w.execute(
            "INSERT INTO raw_files BY NAME SELECT * FROM read_parquet($p)"
            " WHERE file_hash = ANY($held::VARCHAR[])",
            {"p": str(path), "held": list(files)},
        )
        held = {h for (h,) in w.rows("SELECT file_hash FROM raw_files")}
        for file_hash, file_path in files.items():
            if file_hash in held:
                rawfiles.save_pieces_from(w, file_hash, file_path)
    else:
        w.execute(f"INSERT INTO {name} BY NAME SELECT * FROM read_parquet($p)", {"p": str(path)})


def _manifest(zf: zipfile.ZipFile, budget: archive.Budget) -> dict[str, Any]:
    manifest = archive.manifest_json(zf, budget)
    if not isinstance(manifest, dict) or (manifest.get("product"), manifest.get("format")) != (
        PRODUCT,
        FORMAT,
    ):
        raise BackupError(_NOT_OURS)
    stated = (manifest.get("format_version"), manifest.get("schema_version"))
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in stated):
        raise BackupError("This backup is damaged: its manifest has no version.")
    if stated[0] > FORMAT_VERSION or stated[1] > versions.SCHEMA_VERSION:
        raise BackupError(
            "This backup was made by a newer version of City Tools Explorer; update the app "
            "before restoring it."
        )
    names = manifest.get("tables")
    if not isinstance(names, dict) or not {"snapshots", "contracts"} <= set(names):
        raise BackupError("This backup is damaged: its list of tables is missing.")
    for name, entry in names.items():
        if not (isinstance(name, str) and _NAME.match(name)) or not isinstance(entry, dict):
            raise BackupError("This backup is damaged: its list of tables is wrong.")
        if not isinstance(entry.get("rows"), int):
            raise BackupError(f"This backup is damaged: the size of table {name} is missing.")
    if not isinstance(manifest.get("raw_files", []), list):
        raise BackupError("This backup is damaged: its list of stored files is wrong.")
    return manifest


def _raw_files(
    zf: zipfile.ZipFile, manifest: dict[str, Any], tmp: Path, budget: archive.Budget
) -> dict[str, Path]:
    """The stored files (hash -> where their bytes were unpacked), each streamed within the
    budget and checked by its SHA-256."""
    files = {}
    for entry in manifest.get("raw_files", []):
        file_hash = str(entry.get("file_hash", "")) if isinstance(entry, dict) else ""
        if not _HASH.match(file_hash):
            raise BackupError("This backup is damaged: a stored file is named wrongly.")
        path = tmp / f"raw-{file_hash}"
        if archive.extract(zf, f"raw/{file_hash}", path, budget) != file_hash:
            raise BackupError(f"This backup is damaged: the stored file {file_hash[:12]}… differs.")
        files[file_hash] = path
    return files


def _check_consistent(w: Reader) -> None:
    """Refuse (and so roll back) a restore whose data would not make a working database."""
    orphans = w.scalar(
        "SELECT count(*) FROM contracts WHERE snapshot_id NOT IN (SELECT id FROM snapshots)"
    )
    twice = w.scalar(
        "SELECT count(*) FROM (SELECT borough_code FROM snapshots WHERE status = 'active'"
        " GROUP BY borough_code, kind HAVING count(*) > 1)"
    )
    codes = {c for (c,) in w.rows("SELECT DISTINCT borough_code FROM snapshots")}
    if orphans or twice or codes - set(boroughs.BY_CODE):
        raise BackupError("This backup is damaged: its snapshots and records do not agree.")
    # Each snapshot a register or published notices (an active one of another kind would add
    # its records to the data, beside the register); each record in its own borough's snapshot
    # (one filed under another's stays in the data whatever that borough uploads).
    kinds = w.scalar(
        "SELECT count(*) FROM snapshots WHERE kind IS NULL OR kind NOT IN ($r, $p)",
        {"r": snapshots.REGISTER, "p": snapshots.PUBLISHED},
    )
    if kinds:
        raise BackupError(
            f"This backup is damaged: {kinds:,} of its snapshots "
            f"{'is' if kinds == 1 else 'are'} neither a register nor published notices."
        )
    strays = w.scalar(
        "SELECT count(*) FROM contracts AS c JOIN snapshots AS s ON s.id = c.snapshot_id"
        " WHERE c.borough_code IS DISTINCT FROM s.borough_code"
    )
    if strays:
        raise BackupError(
            f"This backup is damaged: {strays:,} of its records {'is' if strays == 1 else 'are'}"
            f" filed under another {boroughs.noun()}'s snapshot."
        )


def _move_forward(w: Reader, before: int) -> None:
    """New snapshot ids continue after the restored ones; the data version moves forward, and
    so does the time calendars date their events' versions from (versions.RESTORED_AT_KEY)."""
    top = int(w.scalar("SELECT coalesce(max(id), 0) FROM snapshots"))
    last = w.scalar(
        "SELECT last_value FROM duckdb_sequences() WHERE sequence_name = 'snapshot_ids'"
    )
    start = max(top, int(last or 0)) + 1
    w.execute(f"CREATE OR REPLACE SEQUENCE snapshot_ids START WITH {int(start)}")
    w.execute(
        "INSERT OR REPLACE INTO meta VALUES ($k, $v)",
        {"k": versions.RESTORED_AT_KEY, "v": dates.now().isoformat()},
    )
    now = versions.data_version(w)
    if now <= before:
        offset = int(
            w.scalar(
                "SELECT coalesce(max(CAST(value AS BIGINT)), 0) FROM meta"
                " WHERE key = 'version_offset'"
            )
        )
        w.execute(
            "INSERT OR REPLACE INTO meta VALUES ('version_offset', $v)",
            {"v": str(offset + before + 1 - now)},
        )


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
