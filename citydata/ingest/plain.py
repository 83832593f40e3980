"""A plain CSV register: told apart from every other file, and read by DuckDB.

Most uploads are one table under one header row, one record a line. For those DuckDB reads the
file (`read_csv`, every column text, explicit options) into an in-memory table (`Columnar`),
and `citydata.ingest.bulk` normalises and checks it in SQL.

Anything else - a file DuckDB reads differently from Python's csv module or cannot read, a
record over several lines, blank, total or repeated header rows, ragged rows, published notices
(Contracts Finder, OCDS) - is not read here (`read` gives None, `bulk` raises `NotPlain`), and
the caller reads the file the Python way.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

from citydata.ingest import encoding, layout, notices
from citydata.ingest import read as _read
from citydata.ingest.table import Table

# Smaller files take the Python reader: DuckDB's fixed cost (a database, a dozen queries) is
# more than Python's whole work below about this size (some 7,000 rows).
MIN_BYTES = 1024 * 1024
_HEAD_RECORDS = layout.HEADER_SEARCH_ROWS * 4 + 1
_HEAD_CHARS = 1024 * 1024
_BLANK = re.compile(rb"[ \t\r\n\x00\xef\xbb\xbf]*")


class NotPlain(Exception):
    """This file needs the Python reader (the reason is for the log only)."""


def read(content: bytes, file_name: str, limit: int) -> Table | None:
    """The file as a Table whose rows wait in DuckDB, or None when it is not a plain CSV.

    The Table's `data` holds no rows (only its columns); `columnar` holds the reader.
    """
    if len(content) > limit or _BLANK.fullmatch(content):  # (a match, not a stripped copy)
        return None
    if content.startswith((b"PK\x03\x04", b"PK\x05\x06")) or any(
        content.startswith(magic) for magic, _ in _read._MAGIC
    ):
        return None
    if file_name.lower().endswith(".json"):
        return None
    # A UTF-8 file is read as text only as far as the sniffing needs (DuckDB checks the rest:
    # a file that is not UTF-8 after all fails there and takes the Python reader).
    found = encoding.utf8_head(content, 4 * _HEAD_CHARS + 4)
    try:
        text, enc = found or encoding.decode(content)
    except Exception:
        return None
    head = text.lstrip("\ufeff \t\r\n")[:1]
    if head in ("{", "[", "<"):
        return None
    delimiter = _read.sniff_delimiter(text)
    if _read.sniff_quote(text, delimiter) != '"':
        return None
    rows, ends = _head(text, delimiter)
    header_at = layout.find_header(rows)
    if header_at is None or ends[: header_at + 1] != list(range(1, header_at + 2)):
        return None
    if layout.second_header(rows, header_at) is not None:  # (layout.tabulate reads it)
        return None
    header = [layout.cell_text(v) for v in rows[header_at]]
    if (
        not all(header)
        or len(set(header)) != len(header)
        or len(header) > _read.MAX_COLUMNS
        or notices.is_flattened(header)
    ):
        return None
    # The UTF-8 bytes without a byte order mark: the upload's own bytes from `start` on (never
    # a copy of them), or the text of a file in another encoding as UTF-8.
    if enc in ("utf-8", "utf-8-sig"):
        data, start = content, 3 if enc == "utf-8-sig" else 0
    else:
        data, start = text.encode("utf-8"), 0
    problems = _read.encoding_doubts(text, enc) + layout.preamble(rows, ends, header_at, "Row")
    del text
    if not _one_record_a_line(data, start, delimiter):
        return None
    lines = data.count(b"\n", start) + (0 if data.endswith(b"\n") else 1)
    reader = Columnar(memoryview(data)[start:], delimiter, header, skip=header_at + 1)
    if reader.count != lines - (header_at + 1) or reader.count > _read.MAX_ROWS:
        reader.close()
        return None
    if reader.count == 0:
        reader.close()
        return None
    table = Table(
        columns=header,
        data=pd.DataFrame({name: pd.Series(dtype=object) for name in header}),
        rows=[],
        problems=problems,
        rows_read=reader.count,
        encoding=enc,
        delimiter=delimiter,
    )
    table.columnar = reader
    return table


def _head(text: str, delimiter: str) -> tuple[list[list[str]], list[int]]:
    """The first records as Python's csv module reads them, with the line each one ends on.

    Read from the start of the text only; ([], []) when those records do not fit in it.
    """
    sample = text[:_HEAD_CHARS]
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, strict=False)
    rows, ends = [], []
    try:
        for record in reader:
            rows.append(record)
            ends.append(reader.line_num)
            if len(rows) > _HEAD_RECORDS:
                break
    except csv.Error:
        return [], []
    if len(rows) <= _HEAD_RECORDS and len(sample) < len(text):
        return [], []  # the last record read may be cut short: let the Python reader decide
    return rows[:_HEAD_RECORDS], ends[:_HEAD_RECORDS]


def _one_record_a_line(data: bytes, start: int, delimiter: str) -> bool:
    """No bare carriage return, and no space beside a quote mark at a field's edge (in the
    bytes from `start` on).

    DuckDB trims spaces around a quoted field ('a, "b"' gives 'b'); Python's csv module keeps
    them (' "b"'). Such files take the Python reader.
    """
    if data.find(b"\x01", start) >= 0:
        return False
    if data.find(b"\r", start) >= 0 and data.count(b"\r", start) != data.count(b"\r\n", start):
        return False
    if data.find(b'"', start) < 0 or not any(
        data.find(edge, start) >= 0 for edge in (b' "', b'" ', b'\t"', b'"\t')
    ):  # (quick searches first: most files have no space beside a quote)
        return True
    d = re.escape(delimiter.encode())
    edge = re.compile(rb"(?:^|" + d + rb'|\n)[ \t]+"|"[ \t]+(?:' + d + rb"|\r|\n|$)", re.M)
    return edge.search(memoryview(data)[start:]) is None  # ('^' at `start` too)


class Columnar:
    """The data rows in an in-memory DuckDB table `raw` (c0, c1... as text, '' for empty)."""

    def __init__(
        self, data: bytes | memoryview, delimiter: str, header: list[str], *, skip: int
    ) -> None:
        self.header = header
        self.first_line = skip + 1  # the line of the first data row
        self.con = duckdb.connect(":memory:", config=_CONFIG)
        names = [f"c{i}" for i in range(len(header))]
        with _file(data) as path:
            columns = {name: "VARCHAR" for name in names}
            try:
                self.con.execute(
                    "CREATE TABLE raw AS SELECT * FROM read_csv($path, delim=$delim,"
                    " quote='\"', escape='\"', header=false, skip=$skip, columns=$columns,"
                    " auto_detect=false, strict_mode=true, null_padding=false,"
                    " allow_quoted_nulls=false, nullstr='\x01', ignore_errors=false, comment='',"
                    " max_line_size=100000000, parallel=true)",
                    {"path": path, "delim": delimiter, "skip": skip, "columns": columns},
                )
            except duckdb.Error:
                self.con.close()
                self.count = -1
                return
        self.count = self.con.execute("SELECT count(*) FROM raw").fetchall()[0][0]

    def column(self, name: str | None) -> str | None:
        return None if name is None else f"c{self.header.index(name)}"

    def close(self) -> None:
        """Close the database: its memory goes back to the system at once (a dropped table's
        is given back only some time later)."""
        self.con.close()


# The rows' order is the file's (rowid is the row); memory DuckDB frees goes back to the
# system after each query rather than being kept for later ones (by default DuckDB keeps up
# to 128 MiB after a task, and flushes a release only from 512 MiB).
_CONFIG = {
    "preserve_insertion_order": True,
    "allocator_background_threads": True,
    "allocator_flush_threshold": "8MB",
    "allocator_bulk_deallocation_flush_threshold": "8MB",
}


@contextmanager
def _file(data: bytes | memoryview) -> Iterator[str]:
    """The bytes as a file DuckDB can open: a file in memory where the system has them (Linux),
    so the upload is never written to the disk (at 150 MB that write took 0.1-0.35 s); else a
    file in a temporary folder."""
    if hasattr(os, "memfd_create") and os.path.isdir(_OWN_FILES):
        fd = os.memfd_create("upload.csv", os.MFD_CLOEXEC)
        try:
            view, written = memoryview(data), 0
            while written < len(view):
                written += os.write(fd, view[written:])
            yield f"{_OWN_FILES}/{fd}"
        finally:
            os.close(fd)
        return
    with tempfile.TemporaryDirectory(prefix="citytools-") as folder:
        path = Path(folder) / "upload.csv"
        path.write_bytes(data)
        yield str(path)


_OWN_FILES = "/proc/self/fd"  # (the process's open files, each a path DuckDB can open)
