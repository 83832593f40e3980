"""Downloads people open in Excel: CSV and XLSX with formula injection neutralised.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return runs as a formula when a
spreadsheet opens it (OWASP "CSV Injection"). Such text cells get a leading apostrophe, which
spreadsheets show as plain text. Numbers and dates are left alone: they are not text.

Every filtered record (the Overview's downloads, `python -m citydata export`) is not fetched as
a DataFrame: DuckDB writes the CSV itself (`COPY ... TO`), neutralised in SQL, byte for byte as
`to_csv` writes the same records, so millions of them take disk space rather than memory.
"""

from __future__ import annotations

import io
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePath
from typing import Any, BinaryIO

import pandas as pd

from citydata.core import boroughs, dates
from citydata.core.schema import FIELD_BY_NAME
from citydata.core.text import FORMULA_STARTS as FORMULA_STARTS  # the public name here
from citydata.core.text import formula_pattern, neutralise_cell
from citydata.output import provenance, workbook
from citydata.output.workbook import About
from citydata.query import selection
from citydata.query.filters import FilterState
from citydata.store.db import Reader


def neutralise(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of `df` whose text cells (and column names) cannot run as formulas."""
    names = [neutralise_cell(str(c)) for c in df.columns]
    out = df.set_axis(range(df.shape[1]), axis=1)  # by position: names may repeat
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise_cell)
    return out.set_axis(names, axis=1)


# The records' columns beside the contract fields (selection.RECORD_COLUMNS): every column of a
# download has a name people read, the one every page's table shows it under (ui's columns).
OTHER_LABELS = {
    "total_value": "Whole contract value (£)",
    "annual_value_derived": "Annual value worked out from the whole contract value",
    "bought_with": "Bought jointly with",
    "source_kind": "Register or notice",
    "source": "Source",
    "snapshot_id": "Snapshot",
}
# What a records table says of a column when pointed at (its note): a joint contract's annual
# value is the council's share of it (citydata.ingest.joint).
NOTES = {
    "annual_value": (
        "The contract's value for one year. For a contract bought jointly with other councils "
        "(Bought jointly with), this council's equal share of the yearly figure: the whole "
        "contract value is the contract's, shared by all the councils that bought it."
    ),
    "bought_with": (
        "A published notice bought jointly by several councils: the other councils that bought "
        "it. Empty for a contract bought by this council alone, and for register records."
    ),
}


def label(name: str) -> str:
    """A column's name as people read it, in the region's words ('Contract end' rather than
    'contract_end'; 'Council' rather than 'Borough' outside London)."""
    return boroughs.reword(written_label(name))


def written_label(name: str) -> str:
    """`label` in London's words, for a label reworded where it is shown (a page's table)."""
    known = FIELD_BY_NAME.get(name)
    return known.label if known else OTHER_LABELS.get(name, name)


def with_labels(df: pd.DataFrame) -> pd.DataFrame:
    """Column names as people read them (`label`)."""
    return df.rename(columns=lambda c: label(c) if isinstance(c, str) else c)


def file_name(stem: str, ending: str, made: date) -> str:
    """'vendor-ranking-2026-12-07.csv': every download is named with the day it was made, so
    files saved on different days sit side by side instead of overwriting each other."""
    return f"{stem}-{made:%Y-%m-%d}.{ending}"


def original_name(name: str, snapshot_id: int, taken: date) -> str:
    """'Camden register-snapshot-34-2026-11-26.csv': the file a snapshot came from, under the
    name it was uploaded with (its last part only: the name comes from a browser), with the
    snapshot and its day, so the files of two snapshots never overwrite each other. The bytes
    are the same whenever it is downloaded, so the day is the snapshot's."""
    base = PurePath(str(name).replace("\\", "/")).name or "file"
    stem, dot, ending = base.rpartition(".")
    if not dot or not stem:
        stem, ending = base, ""
    return f"{stem}-snapshot-{int(snapshot_id)}-{taken:%Y-%m-%d}" + (f".{ending}" if ending else "")


def to_csv(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a byte-order mark, so Excel shows '£' and accents correctly.

    Lines end in CRLF, so a value holding a line break of either kind is quoted: a carriage
    return left bare would start a new row whose first cell nothing has neutralised.
    """
    return neutralise(df).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def to_xlsx(df: pd.DataFrame, sheet: str = "Contracts", about: About | None = None) -> bytes:
    """An Excel workbook of `df`, text cells stored as text; with `about`, a last sheet saying
    what the download is (`provenance.about`) and how many rows it holds."""
    return to_xlsx_sheets({sheet: df}, about=about)


def to_xlsx_sheets(
    sheets: dict[str, pd.DataFrame], max_width: int = 50, about: About | None = None
) -> bytes:
    """An Excel workbook with one sheet per frame, neutralised, text stored as text (and
    `about` as in `to_xlsx`, counting the first sheet's rows)."""
    buffer = io.BytesIO()
    cells = sum(frame.size for frame in sheets.values())
    with workbook.Writer(buffer, max_width, held=cells <= workbook.HELD_CELLS) as book:
        written = [
            book.sheet(name, [neutralise_cell(str(c)) for c in frame.columns], _rows(frame))
            for name, frame in sheets.items()
        ]
        if about is not None:
            book.about(about, written[0] if written else 0)
    return buffer.getvalue()


def _rows(frame: pd.DataFrame) -> Iterable[tuple[Any, ...]]:
    return neutralise(frame).itertuples(index=False, name=None)


# ---- every filtered record, written by DuckDB -----------------------------------------------

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# The app streams an Excel file row by row from DuckDB (xlsxwriter, constant memory; see
# benchmarks/RESULTS.md for its speed): the finished file, about 60 bytes a record, is held in
# the server's memory once clicked, as a CSV of about 150 bytes a record is.
APP_EXCEL_MAX_ROWS = 150_000
APP_CSV_MAX_ROWS = 1_500_000
_BOM = "\ufeff"  # COPY writes none: it goes in front of the first column's name instead
# text.starts_formula in DuckDB's regular expressions (RE2): the same characters, the same rule.
_FORMULA_SQL = "'^" + formula_pattern(lambda cp: f"\\x{{{cp:X}}}") + "'"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _csv_column(name: str, sql_type: str) -> str:
    """The column as `to_csv` writes its DataFrame (`Reader.df`) form."""
    c = "b." + _quoted(name)
    if sql_type == "VARCHAR":
        # neutralise_cell; an empty string is written unquoted, like NULL, as the csv module does
        return (
            f"CASE WHEN regexp_matches({c}, {_FORMULA_SQL}) THEN '''' || {c} "
            f"ELSE nullif({c}, '') END"
        )
    if sql_type.startswith("DECIMAL"):
        return f"CAST({c} AS DOUBLE)"  # a DataFrame holds DECIMAL as float64: the same digits
    if sql_type == "BOOLEAN":  # as Python writes a bool, which spreadsheets read as one
        return f"CASE WHEN {c} THEN 'True' WHEN NOT {c} THEN 'False' END"
    return c  # numbers (a negative one stays a number), dates


def copy_csv(
    r: Reader,
    sql: str,
    params: Mapping[str, Any] | None,
    path: Path,
    *,
    order_by: str = "",
    labels: bool = True,
    names: Mapping[str, str] | None = None,
) -> int:
    """Write the rows of `sql` to `path` as `to_csv(with_labels(df.rename(columns=names)))`
    would: UTF-8 with a byte-order mark, CRLF, text cells neutralised. Returns the number of
    records written.

    `order_by` is trusted SQL over the columns of `sql` aliased `b`; `labels=False` keeps the
    column names. Values and the path are bound parameters.
    """
    params = dict(params or {})
    columns = _columns(r, sql, params)
    header = [_shown(n, names) if labels else n for n, _ in columns]
    header = [neutralise_cell(n) for n in header]
    header[0] = _BOM + header[0]
    select = ", ".join(
        f"{_csv_column(name, sql_type)} AS {_quoted(shown)}"
        for (name, sql_type), shown in zip(columns, header, strict=True)
    )
    order = f" ORDER BY {order_by}" if order_by else ""
    ((written,),) = r.rows(
        f"COPY (SELECT {select} FROM ({sql}) AS b{order}) TO $export_path "
        # Python's csv module quotes only for a comma, a quote or a line break; DuckDB would
        # also quote a '#' unless there is no comment character.
        "(FORMAT csv, HEADER, DELIMITER ',', QUOTE '\"', ESCAPE '\"', NEW_LINE '\r\n', "
        "COMMENT '')",
        {**params, "export_path": str(path)},
    )
    return int(written)


def _columns(r: Reader, sql: str, params: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [
        (str(n), t)
        for n, t in r.rows(f"SELECT column_name, column_type FROM (DESCRIBE {sql})", params)
    ]


def _shown(name: str, names: Mapping[str, str] | None) -> str:
    """A column's header: its name in `names`, else its label (`label`)."""
    return label((names or {}).get(name, name))


@dataclass(frozen=True)
class Rows:
    """Rows a download holds, read by DuckDB only when someone asks for the file: `sql` with
    its bound `params`, in the order `order_by` gives (trusted SQL over its columns, aliased
    `b`), each column shown under its name in `names` or else its label."""

    sql: str
    params: Mapping[str, Any]
    order_by: str = ""
    names: Mapping[str, str] = field(default_factory=dict)


def rows_csv(r: Reader, rows: Rows) -> bytes:
    """The CSV of `rows`, written by DuckDB (check `offer` first: it is all read into memory)."""
    with tempfile.TemporaryDirectory(prefix="citytools-export-") as folder:
        path = Path(folder) / "rows.csv"
        copy_csv(r, rows.sql, rows.params, path, order_by=rows.order_by, names=rows.names)
        return path.read_bytes()


def rows_xlsx(r: Reader, rows: Rows, sheet: str = "Contracts", about: About | None = None) -> bytes:
    """The Excel workbook of `rows`, labelled and neutralised in SQL as the CSV is, streamed
    from DuckDB into a constant-memory workbook (check `offer` first: the finished file is
    held in memory); `about` as in `to_xlsx`."""
    buffer = io.BytesIO()
    write_rows_xlsx(r, rows, buffer, sheet, about=about)
    return buffer.getvalue()


def write_rows_xlsx(
    r: Reader,
    rows: Rows,
    out: BinaryIO | str,
    sheet: str = "Contracts",
    *,
    labels: bool = True,
    about: About | None = None,
) -> int:
    """`rows_xlsx` written to `out` (a path or a stream); `labels=False` keeps the column
    names; `about` as in `to_xlsx`. Returns the number of rows written under the header."""
    columns = _columns(r, rows.sql, rows.params)
    header = [neutralise_cell(_shown(n, rows.names) if labels else n) for n, _ in columns]
    select = ", ".join(_csv_column(n, t) for n, t in columns)
    order = f" ORDER BY {rows.order_by}" if rows.order_by else ""
    with workbook.Writer(out) as book:
        written = book.sheet(
            sheet, header, r.stream(f"SELECT {select} FROM ({rows.sql}) AS b{order}", rows.params)
        )
        if about is not None:
            book.about(about, written)
    return written


def records_select(state: FilterState) -> tuple[str, dict[str, Any]]:
    """Every filtered record's columns (unordered), with the filters' bound parameters."""
    sql, params = selection.base(state)
    return f"SELECT {', '.join(selection.RECORD_COLUMNS)} FROM ({sql}) AS b", params


def records(state: FilterState) -> Rows:
    """Every filtered record, in the Overview's order."""
    sql, params = records_select(state)
    return Rows(sql, params, order_by=selection.RECORD_ORDER)


def record_count(r: Reader, state: FilterState) -> int:
    """How many records the filters select: what the record downloads would hold."""
    sql, params = selection.base(state)
    return int(r.scalar(f"SELECT count(*) FROM ({sql}) AS b", params))


def write_records_csv(r: Reader, state: FilterState, path: Path, *, labels: bool = True) -> int:
    """Every filtered record, in the Overview's order (`records`), written by DuckDB to `path`."""
    rows = records(state)
    return copy_csv(r, rows.sql, rows.params, path, order_by=rows.order_by, labels=labels)


def records_xlsx(r: Reader, state: FilterState, made: datetime | None = None) -> bytes:
    """The app's Excel download of every filtered record (`rows_xlsx`), with its sheet about
    the download (`provenance.about`, made at `made`, else now)."""
    return rows_xlsx(r, records(state), about=provenance.about(r, state, made or _now()))


def _now() -> datetime:
    return dates.now()


def records_csv(r: Reader, state: FilterState) -> bytes:
    """The app's CSV download of every filtered record (`rows_csv`)."""
    return rows_csv(r, records(state))


def save_records_csv(
    r: Reader, state: FilterState, out: Path | BinaryIO, *, labels: bool = True
) -> int:
    """Every filtered record to a file (complete, or left as it was) or to a stream."""
    return _save(lambda path: write_records_csv(r, state, path, labels=labels), out, "csv")


def save_records_xlsx(
    r: Reader, state: FilterState, out: Path | BinaryIO, *, labels: bool = True
) -> int:
    """Every filtered record as an Excel workbook (the app's Excel download, streamed from
    DuckDB to the file, never whole in memory), to a file (complete, or left as it was) or to
    a stream. Check `record_count` against workbook.EXCEL_MAX_ROWS first."""
    rows, about = records(state), provenance.about(r, state, _now())
    return _save(
        lambda path: write_rows_xlsx(r, rows, str(path), labels=labels, about=about), out, "xlsx"
    )


def _save(write: Callable[[Path], int], out: Path | BinaryIO, suffix: str) -> int:
    """`write` a file to `out`: to a path in one step (a partial file beside it, renamed when
    complete), or to a stream from a temporary file. Returns what `write` returns."""
    if isinstance(out, Path):
        partial = out.with_name(f".{out.name}.{secrets.token_hex(4)}.partial")
        partial.open("xb").close()  # a folder that cannot be written: OSError, as for any file
        try:
            written = write(partial)
            os.replace(partial, out)
        finally:
            partial.unlink(missing_ok=True)
        return written
    with tempfile.TemporaryDirectory(prefix="citytools-export-") as folder:
        path = Path(folder) / f"records.{suffix}"
        written = write(path)
        with path.open("rb") as f:
            shutil.copyfileobj(f, out, 1 << 20)
    return written


@dataclass(frozen=True)
class Offer:
    """Which downloads of a selection the app offers and, when one is not, why (for the user)."""

    csv: bool = True
    excel: bool = True
    note: str = ""


def offer(records: int) -> Offer:
    """The downloads the app offers for `records` records; bigger ones are for the command line."""
    if records > APP_CSV_MAX_ROWS:
        return Offer(
            csv=False,
            excel=False,
            note=f"These {records:,} records are too many to download from the app (at most "
            f"{APP_CSV_MAX_ROWS:,} at a time). Narrow the filters in the sidebar, or ask the "
            "people who run the app for the command-line export of this selection: "
            "python -m citydata export --url LINK -o contracts.csv, with this page's share link.",
        )
    if records > workbook.EXCEL_MAX_ROWS:
        return Offer(
            excel=False,
            note="No Excel download: an Excel sheet holds at most "
            f"{workbook.EXCEL_MAX_ROWS + 1:,} rows and these are {records:,} records. Download the "
            "CSV or narrow the filters.",
        )
    if records > APP_EXCEL_MAX_ROWS:
        return Offer(
            excel=False,
            note=f"Excel downloads from the app hold at most {APP_EXCEL_MAX_ROWS:,} records and "
            f"these are {records:,}. Download the CSV (Excel opens it too) or narrow the "
            "filters.",
        )
    return Offer()


def shown_note(shown: int, total: int, what: str) -> str | None:
    """A sentence for a table showing only the first `shown` of `total` rows (else None):
    `what` names the rows and their order, e.g. "contracts, soonest decision first"."""
    if shown >= total:
        return None
    return (
        f"Showing the first {shown:,} of {total:,} {what}. Narrow the filters in the sidebar, "
        "or use the download, to see them all."
    )
