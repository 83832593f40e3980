"""Bytes to a table: what kind of file this is, then CSV (or XLSX, or OCDS JSON) to rows.

Anything that is not a table a person could have saved from a spreadsheet is refused here with
a message saying what it is (an image, a ZIP, a Word document, a web page...). CSV: the
delimiter is the one of , ; tab | that splits the first rows into the most consistent number of
fields; quoted fields may hold delimiters and line breaks; each record keeps the line number it
starts on, so problems point at the line a text editor shows.
"""

from __future__ import annotations

import collections
import csv
import io
import json
import re
import zipfile

from citydata.core import boroughs, settings
from citydata.ingest import encoding, layout, notices, ocds, workbook
from citydata.ingest.report import IngestError, Problem, refused, warning
from citydata.ingest.table import Table

MAX_ROWS = 500_000  # most data rows
MAX_COLUMNS = 500  # most columns
MAX_UNPACKED_BYTES = 400 * 1024 * 1024  # most a workbook (a ZIP) may unpack to
DELIMITERS = (",", ";", "\t", "|")
_SNIFF_CHARS = 64 * 1024
_SNIFF_RECORDS = 200

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old-style Excel (.xls) or password-protected file"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\x1f\x8b", "a compressed (gzip) file"),
    (b"7z\xbc\xaf\x27\x1c", "a compressed (7-Zip) file"),
    (b"Rar!", "a compressed (RAR) file"),
    (b"{\\rtf", "a Rich Text document"),
)
_ENCODING_NAMES = {"cp1252": "Windows-1252 (Excel on Windows)", "mac_roman": "Mac Roman"}
_SAVE_AS = "Open it in Excel and save it as .xlsx or CSV, then upload that."


def too_big(size: int | None, limit: int) -> str:
    """Why a file of `size` bytes (None: more than `limit`, size unknown) is refused."""
    mb = f"{size / 1024 / 1024:.1f} MB" if size else f"more than {limit / 1024 / 1024:.0f} MB"
    return (
        f"This file is {mb}; the largest file accepted is {limit / 1024 / 1024:.0f} MB. Split "
        f"it (one {boroughs.noun()} per file) and upload each."
    )


def read(
    content: bytes, file_name: str, sheet: str | None = None, max_bytes: int | None = None
) -> Table:
    """The table in a file; IngestError (a whole-file refusal) when there is none.

    `max_bytes`: the largest file accepted (default: the CITYTOOLS_MAX_UPLOAD_MB setting).
    """
    limit = settings.upload_limit_bytes() if max_bytes is None else max_bytes
    if len(content) > limit:
        raise IngestError(too_big(len(content), limit))
    if not content.strip(b" \t\r\n\x00\xef\xbb\xbf"):
        raise IngestError("This file is empty.")
    if content.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _flat_ocds(_zip(content, sheet))
    for magic, what in _MAGIC:
        if content.startswith(magic):
            if what.startswith("an old-style Excel"):
                raise IngestError(f"This is {what}, which cannot be read. {_SAVE_AS}")
            raise IngestError(
                f"This is {what}, not a table. Upload a CSV or an Excel (.xlsx) file."
            )
    text, enc = encoding.decode(content)
    head = text.lstrip("\ufeff \t\r\n")[:512].lower()
    if head.startswith(("<!doctype html", "<html", "<table", "<?xml", "<head", "<body")):
        what = "a web page (HTML)" if "<?xml" not in head else "an XML document"
        raise IngestError(f"This is {what}, not a CSV table. {_SAVE_AS}")
    if file_name.lower().endswith(".json") or (head.startswith(("{", "[")) and _is_json(text)):
        doc = ocds.parse_json(text)
        if notices.is_cf_search(doc):
            table = notices.cf_search(doc, max_rows=MAX_ROWS)
        else:
            table = ocds.from_document(doc, max_rows=MAX_ROWS)
        table.encoding = enc
        return table
    table = read_csv(text)
    table.encoding = enc
    table = _flat_ocds(table)
    table.problems[:0] = encoding_doubts(text, enc)
    return table


def encoding_doubts(text: str, enc: str) -> list[Problem]:
    """A warning when a file read as Windows-1252 or Mac Roman still has implausible letters."""
    if enc not in encoding.WESTERN or not encoding.implausible(text[: _SNIFF_CHARS * 4]):
        return []
    return [
        warning(
            None,
            None,
            None,
            f"This file is not saved as UTF-8 and was read as {_ENCODING_NAMES[enc]}, but "
            "some letters in it look wrong (text in another alphabet?). Check the names; if "
            "they are not as written, save the file as 'CSV UTF-8' and upload that.",
        )
    ]


def _flat_ocds(table: Table) -> Table:
    """A flattened OCDS table (JSON paths as headers) read as OCDS; any other table as it is."""
    return notices.flattened(table, MAX_ROWS) if notices.is_flattened(table.columns) else table


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except RecursionError:
        return True  # JSON nested too deeply: read_json says so
    except ValueError:
        return False
    return True


def _zip(content: bytes, sheet: str | None) -> Table:
    try:
        infos = zipfile.ZipFile(io.BytesIO(content)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise IngestError(
            f"This file looks like a ZIP archive or an Excel workbook but is damaged. {_SAVE_AS}"
        ) from None
    names = {info.filename for info in infos}
    if sum(info.file_size for info in infos) > MAX_UNPACKED_BYTES:
        raise IngestError(
            f"This workbook unpacks to more than {MAX_UNPACKED_BYTES // 1024 // 1024} MB, more "
            "than any register needs. Save the register alone as CSV and upload that."
        )
    if "xl/workbook.xml" in names:
        return workbook.read_xlsx(content, sheet, max_rows=MAX_ROWS, max_columns=MAX_COLUMNS)
    if any(n.startswith("word/") for n in names):
        what = "a Word document"
    elif any(n.startswith("ppt/") for n in names):
        what = "a PowerPoint presentation"
    elif "content.xml" in names:
        what = "an OpenDocument file (.ods)"
    else:
        what = "a ZIP archive"
    raise IngestError(
        f"This is {what}, not a CSV or Excel table. Upload the .csv or .xlsx file itself."
    )


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first records into the most consistent field counts."""
    sample = text[:_SNIFF_CHARS]
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        if delimiter not in sample:
            continue
        records = _records(sample, delimiter, '"', truncated=len(text) > len(sample))
        counts = [len(r) for r in records if any(f.strip() for f in r)]
        if not counts:
            continue
        width, seen = max(collections.Counter(counts).items(), key=lambda kv: (kv[1], kv[0]))
        # the fields it splits consistently: a tab inside quoted cells (with a line break) cuts
        # a comma file into more records of two fields than it has rows of six
        score = (seen * width, seen) if width > 1 else (0, 0)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def sniff_quote(text: str, delimiter: str) -> str:
    """'"', unless the file has none and wraps fields holding the delimiter in single quotes."""
    sample = text[:_SNIFF_CHARS]
    if '"' in sample or "'" not in sample:
        return '"'
    d = re.escape(delimiter)
    quoted = re.compile(rf"(?:^|{d})'[^'\n]*{d}[^'\n]*'(?:{d}|$)", re.MULTILINE)
    lines = sample.splitlines()[:_SNIFF_RECORDS]
    hits = sum(1 for line in lines if quoted.search(line))
    return "'" if hits >= max(2, len(lines) // 4) else '"'


def _records(sample: str, delimiter: str, quote: str, truncated: bool) -> list[list[str]]:
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, quotechar=quote)
    records: list[list[str]] = []
    try:
        for record in reader:
            records.append(record)
            if len(records) >= _SNIFF_RECORDS:
                return records
    except csv.Error:
        pass
    return records[:-1] if truncated and len(records) > 1 else records


def read_csv(text: str) -> Table:
    """Rows of a decoded CSV text, each with its row as a spreadsheet numbers it, laid out as a
    table."""
    delimiter = sniff_delimiter(text)
    quote = sniff_quote(text, delimiter)
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=delimiter, quotechar=quote, strict=False
    )
    rows: list[list[str]] = []
    ends: list[int] = []
    limit = MAX_ROWS + layout.HEADER_SEARCH_ROWS * 4
    try:
        for record in reader:
            rows.append(record)
            ends.append(reader.line_num)
            if len(rows) > limit:
                raise IngestError(
                    f"This file has more than {MAX_ROWS:,} rows, the most accepted in one file. "
                    f"Split it (one {boroughs.noun()} per file) and upload each."
                )
    except csv.Error as exc:  # in Python's words: "field larger than field limit (131072)"
        at = f"Line {(ends[-1] if ends else 0) + 1:,} cannot be read as CSV"
        if "field limit" in str(exc):
            raise IngestError(
                f"{at}: one of its values is longer than {csv.field_size_limit():,} characters, "
                "far more than a register holds. Check that this is the register, shorten that "
                "value and upload it again."
            ) from None
        raise IngestError(
            f"{at}. Open the file in a spreadsheet, save it as CSV again and upload that."
        ) from None
    starts = [1, *(end + 1 for end in ends[:-1])] if ends else []  # each record's first line
    # Each record's row as a spreadsheet shows it: one row however many lines its cells take.
    numbers = list(range(1, len(rows) + 1))
    previous = ends[-1] if ends else 0
    widest = max(map(len, rows), default=0)
    if widest > MAX_COLUMNS:
        at = next(line for line, r in zip(starts, rows, strict=False) if len(r) == widest)
        raise IngestError(
            f"Line {at:,} has {widest:,} columns; the most accepted is {MAX_COLUMNS:,}. Delete "
            "the columns the register does not need and upload it again."
        )
    problems = []
    if rows and text.count(quote) % 2 == 1 and previous > starts[-1]:
        problems.append(
            refused(
                numbers[-1],
                None,
                None,
                f"A quote mark ({quote}) opened on line {starts[-1]} is never closed, so the "
                f"rest of the file (to line {previous}) was read as one value; this row was "
                "not imported.",
            )
        )
        rows.pop()
        numbers.pop()
    table = layout.tabulate(rows, numbers, ragged=True, unit="Row", max_rows=MAX_ROWS)
    table.problems[:0] = problems
    table.rows_read += len(problems)
    table.delimiter = delimiter
    return table
