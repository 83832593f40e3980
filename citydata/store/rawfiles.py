"""The bytes of every file a snapshot came from, kept exactly as received.

Since schema version 9 a file is kept as `raw_files` (one row: hash, name, size, when) and
`raw_file_chunks` (its bytes in pieces of at most `CHUNK` bytes, each compressed on its own with
Zstandard, in order of `chunk_no`). One large BLOB cost DuckDB several times its size in memory
to insert and commit (a 149 MiB register: 0.6-0.7 GiB and 1.5-2.5 s); a register's text
compresses to about a seventh, and pieces of a few MiB are written and read one at a time.

A file stored before version 9 was carried over as one piece with `compression` 'none'. Reading
gives back the exact bytes either way (`pieces`, `content`), checked against the SHA-256 they
are keyed by when asked to (`verified`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pyarrow as pa
import zstandard

from citydata.core import dates
from citydata.store.db import Reader

CHUNK = 4 * 1024 * 1024  # bytes of the file per piece, before compression
LEVEL = 1  # Zstandard's fastest level: 0.135 of a register's size (level 3: 0.136), least CPU
ZSTD, NONE = "zstd", "none"


class RawFileDamaged(Exception):
    """The stored bytes of a file do not give back the file they were stored as."""


def digest(content: bytes | memoryview) -> str:
    return hashlib.sha256(content).hexdigest()


def save(w: Reader, file_name: str, content: bytes) -> str:
    """Keep the bytes of a file once, keyed by their SHA-256 (a file already held is left as
    it is); returns the hash. Runs in the caller's transaction."""
    file_hash = digest(content)
    _save(w, file_hash, file_name, len(content), _compressed(_pieces(content)))
    return file_hash


class Packing:
    """A file's hash and its compressed pieces, worked out in a thread of their own while the
    caller goes on (hashlib and Zstandard let go of Python's lock): a commit compares and
    stores a register's records meanwhile. `save` then stores what `save(w, ...)` would.

        with Packing(content) as packing:
            ...
            packing.save(w, file_name)

    Leaving the block does not wait for work no longer wanted (a commit refused)."""

    def __init__(self, content: bytes) -> None:
        self.size = len(content)
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="citytools-rawfile")
        self._hash = self._pool.submit(digest, content)
        self._pieces = self._pool.submit(lambda: list(_compressed(_pieces(content))))

    def __enter__(self) -> Packing:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    @property
    def file_hash(self) -> str:
        return self._hash.result()

    def save(self, w: Reader, file_name: str) -> str:
        """`save` of the file, in the caller's transaction; returns the hash."""
        _save(w, self.file_hash, file_name, self.size, self._pieces.result())
        return self.file_hash


def save_pieces_from(w: Reader, file_hash: str, path: Path) -> None:
    """Keep the bytes of a file already listed in `raw_files` (a restore: its hash checked),
    read from `path` piece by piece, so the whole file is never in memory at once."""

    def read() -> Iterator[bytes]:
        with path.open("rb") as f:
            while piece := f.read(CHUNK):
                yield piece

    _save_pieces(w, file_hash, _compressed(read()))


def _save(w: Reader, file_hash: str, file_name: str, size: int, pieces: Iterable[bytes]) -> None:
    held = w.scalar("SELECT count(*) FROM raw_files WHERE file_hash = $h", {"h": file_hash})
    if held:
        return
    w.execute(
        "INSERT INTO raw_files (file_hash, file_name, size_bytes, received_at)"
        " VALUES ($h, $name, $size, $at)",
        {
            "h": file_hash,
            "name": file_name,
            "size": size,
            "at": dates.now(),
        },
    )
    _save_pieces(w, file_hash, pieces)


def _pieces(content: bytes) -> Iterator[memoryview]:
    """The file in pieces of CHUNK bytes (views: no copy)."""
    view = memoryview(content)
    return (view[i : i + CHUNK] for i in range(0, len(view), CHUNK))


def _compressed(pieces: Iterable[bytes | memoryview]) -> Iterator[bytes]:
    """Each piece compressed on its own; one empty piece for an empty file."""
    compressor = zstandard.ZstdCompressor(level=LEVEL)
    empty = True
    for piece in pieces:
        empty = False
        yield compressor.compress(piece)
    if empty:
        yield compressor.compress(b"")


def _save_pieces(w: Reader, file_hash: str, pieces: Iterable[bytes]) -> None:
    """Store the compressed pieces, in order."""
    batch: list[bytes] = []
    number = 0
    for piece in pieces:
        batch.append(piece)
        if sum(map(len, batch)) >= CHUNK:  # a few MiB per INSERT: little held at once
            _insert(w, file_hash, number, batch)
            number, batch = number + len(batch), []
    if batch:
        _insert(w, file_hash, number, batch)


def _insert(w: Reader, file_hash: str, first: int, pieces: list[bytes]) -> None:
    staged = pa.table(
        {
            "chunk_no": pa.array(range(first, first + len(pieces)), pa.int32()),
            "content": pa.array(pieces, pa.binary()),
        }
    )
    w.register("raw_pieces", staged)
    try:
        w.execute(
            "INSERT INTO raw_file_chunks (file_hash, chunk_no, compression, content)"
            " SELECT $h, chunk_no, $z, content FROM raw_pieces ORDER BY chunk_no",
            {"h": file_hash, "z": ZSTD},
        )
    finally:
        w.unregister("raw_pieces")


def pieces(r: Reader, file_hash: str) -> Iterator[bytes]:
    """The file's bytes in order, one stored piece at a time (nothing if it is not held)."""
    numbers = r.rows(
        "SELECT chunk_no FROM raw_file_chunks WHERE file_hash = $h ORDER BY chunk_no",
        {"h": file_hash},
    )
    decompressor = zstandard.ZstdDecompressor()
    for (number,) in numbers:
        compression, stored = r.rows(
            "SELECT compression, content FROM raw_file_chunks WHERE file_hash = $h"
            " AND chunk_no = $n",
            {"h": file_hash, "n": number},
        )[0]
        if compression == NONE:
            yield bytes(stored)
        elif compression == ZSTD:
            yield decompressor.decompress(stored)
        else:
            raise RawFileDamaged(f"The stored file {file_hash[:12]}… uses an unknown compression.")


def content(r: Reader, file_hash: str) -> bytes | None:
    """The file's exact bytes, or None when no file of that hash is held."""
    if not r.scalar("SELECT count(*) FROM raw_files WHERE file_hash = $h", {"h": file_hash}):
        return None
    return b"".join(pieces(r, file_hash))


def verified(r: Reader, file_hash: str) -> bytes | None:
    """`content`, checked against its SHA-256 (RawFileDamaged when it differs)."""
    data = content(r, file_hash)
    if data is not None and digest(data) != file_hash:
        raise RawFileDamaged(f"The stored file {file_hash[:12]}… does not match its hash.")
    return data


def of_snapshot(r: Reader, snapshot_id: int) -> tuple[str, str, date] | None:
    """(the file's name, its hash, the day the snapshot was taken) of the file snapshot
    `snapshot_id` came from (a rollback: the file of the snapshot it copies), when its bytes
    are kept; None when they are not (a published fetch, or a generated set too big to keep),
    or there is no such snapshot."""
    found = r.rows(
        "SELECT s.file_name, s.file_hash, CAST(s.created_at AS DATE) FROM snapshots AS s"
        " JOIN raw_files AS f ON f.file_hash = s.file_hash WHERE s.id = $id",
        {"id": int(snapshot_id)},
    )
    return (str(found[0][0] or "file"), str(found[0][1]), found[0][2]) if found else None


def listing(r: Reader) -> list[tuple[str, str, int]]:
    """Every stored file: (hash, name, size in bytes), by hash."""
    return [
        (str(h), str(n), int(s))
        for h, n, s in r.rows(
            "SELECT file_hash, file_name, size_bytes FROM raw_files ORDER BY file_hash"
        )
    ]
