"""Restoring a backup (made by citydata.output.backup): the database's data replaced by the
archive's.

Restoring replaces the tables the archive holds in one transaction: all of it or nothing. A
backup of another region's councils is refused as such, naming both regions; one made before
backups recorded their region is known by its councils.

A restore reads the archive from its file piece by piece (`restore` takes a path, or an open
file such as the app's upload, which Streamlit holds in memory as it holds every upload). A
backup over `archive.MAX_ARCHIVE_BYTES` is refused by its size before anything is read; each
member is unpacked in chunks to a temporary file, checked there (citydata.output.archive,
citydata.output.restore_checks), then loaded. Only the tables' parquet files must be whole
files on disk before they are read: DuckDB reads a parquet file from its end (the footer says
where each column is), which a member being inflated cannot offer.
"""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import duckdb

from citydata.core import dates
from citydata.core.formatting import count
from citydata.output import archive, backup, restore_checks
from citydata.output.backup import BackupError
from citydata.store import matches, rawfiles, upgrades, versions
from citydata.store.db import Database, Reader

# What `restore` reads an archive from: a path, an open binary file (seekable), or its bytes.
Source = str | os.PathLike[str] | IO[bytes] | bytes
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
_CUT_SHORT = (
    "This backup is incomplete: it ends before the list of what it holds, as a file does when "
    "its copy or download stopped part-way. Copy or download the backup again, in full."
)
_OUR_MEMBERS = ("tables/", "raw/", "readable/", "manifest.json")  # what an archive opens with


@dataclass(frozen=True)
class Restored:
    tables: dict[str, int]  # table -> rows restored
    kept: list[str]  # tables of this database the archive did not hold (left as they were)
    created_at: str  # when the backup was made

    def summary(self) -> str:
        counts = ", ".join(count(n, *_NOUNS.get(t, (t, t))) for t, n in self.tables.items())
        return f"Restored the backup of {self.created_at}: {counts}."


def restore(db: Database, source: Source) -> Restored:
    """Replace the data in `db` with the archive's, atomically; BackupError when refused.

    `source`: the archive's path or an open binary file, read piece by piece (never whole in
    memory), or its bytes. Everything is checked (citydata.output.archive, restore_checks)
    before the live database is touched: the archive's size, the zip, the manifest, every
    table's columns, types and values. Then the tables are replaced in one write transaction,
    which a late failure rolls back.
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
        raise BackupError(_CUT_SHORT if _begins_as_ours(file) else restore_checks.NOT_OURS)
    budget = archive.Budget(size)
    with tempfile.TemporaryDirectory() as tmp, archive.reading():
        with zipfile.ZipFile(file) as zf:
            archive.check_members(zf, budget)
            manifest = restore_checks.read_manifest(zf, budget)
            with db.read() as r:
                ours = backup.tables(r)
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
            files = restore_checks.raw_files(zf, manifest, Path(tmp), budget)
        restore_checks.check_region(db, manifest, paths)
        restore_checks.check_tables(db, manifest, paths)
        with db.write() as w:
            before = versions.data_version(w)
            restored: dict[str, int] = {}
            for name, path in paths.items():
                w.execute(f"DELETE FROM {name}")
                if name == "raw_files":
                    w.execute(f"DELETE FROM {backup.PIECES}")
                try:
                    _load(w, name, path, files)
                except duckdb.Error as exc:
                    raise BackupError(
                        f"This backup is damaged: its table {name} cannot be read."
                    ) from exc
                restored[name] = int(w.scalar(f"SELECT count(*) FROM {name}"))
                if restored[name] != manifest["tables"][name]["rows"]:
                    raise BackupError(f"This backup is damaged: table {name} is incomplete.")
            restore_checks.check_consistent(w)
            upgrades.redo(w, manifest["schema_version"])  # (as opening a file of then does)
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
