"""Excel workbooks (.xlsx): the cells of one sheet, read with openpyxl in read-only mode.

Cells keep their types: dates come as dates, numbers as numbers (a date column holding Excel
serial numbers is turned into dates by the date normaliser). Formulas give their last saved
value. Without a `sheet=` the first sheet whose header names known columns is read.
"""

from __future__ import annotations

import io
import warnings
from datetime import datetime
from typing import Any

from openpyxl import load_workbook

from citydata.ingest import layout, recognise
from citydata.ingest.report import IngestError
from citydata.ingest.table import Table

_ERRORS = {"#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!"}


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date() if value.time() == datetime.min.time() else value
    if isinstance(value, str) and value.strip() in _ERRORS:
        return None
    return value


def _sheet_rows(ws: Any, max_rows: int, max_columns: int) -> list[list[Any]]:
    ws.reset_dimensions()  # some writers record a wrong size; read what is there
    rows: list[list[Any]] = []
    for values in ws.iter_rows(values_only=True):
        row = [
            _cell(v) if v.__class__ is datetime or (v.__class__ is str and v[:1] == "#") else v
            for v in values
        ]
        while row and row[-1] is None:
            row.pop()
        if len(row) > max_columns:
            raise IngestError(
                f"Sheet '{ws.title}' has {len(row)} columns; the most accepted is {max_columns}."
            )
        rows.append(row)
        if len(rows) > max_rows + layout.HEADER_SEARCH_ROWS * 4:
            raise IngestError(
                f"Sheet '{ws.title}' has more than {max_rows:,} rows, the most accepted in one "
                "file. Split it (one borough per file) and upload each."
            )
    return rows


def _score(rows: list[list[Any]]) -> int:
    """How many known columns the sheet's header names (0: not a register)."""
    at = layout.find_header(rows)
    if at is None:
        return 0
    texts = [layout.cell_text(v) for v in rows[at]]
    return len({f for t in texts if t and (f := recognise.header_field(t))})


def read_xlsx(content: bytes, sheet: str | None, *, max_rows: int, max_columns: int) -> Table:
    try:
        chosen, names, rows = _read_sheet(content, sheet, max_rows, max_columns)
    except IngestError:
        raise
    except Exception as exc:  # openpyxl raises many kinds of error for a damaged workbook
        raise IngestError(
            f"This Excel file could not be opened ({type(exc).__name__}). Open it in Excel, "
            "save it again as .xlsx and upload that."
        ) from None
    table = layout.tabulate(
        rows, list(range(1, len(rows) + 1)), ragged=False, unit="Row", max_rows=max_rows
    )
    table.sheet, table.sheets, table.encoding = chosen, names, None
    return table


def _read_sheet(
    content: bytes, sheet: str | None, max_rows: int, max_columns: int
) -> tuple[str, list[str], list[list[Any]]]:
    """(name, all names, rows) of `sheet`, else of the first sheet that looks like a register."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        names = list(wb.sheetnames)
        if sheet is not None and sheet not in names:
            raise IngestError(
                f"This workbook has no sheet called '{sheet}'; its sheets are: "
                + ", ".join(f"'{n}'" for n in names)
                + "."
            )
        chosen, rows = None, None
        for name in [sheet] if sheet is not None else names:
            ws = wb[name]
            if getattr(ws, "sheet_state", "visible") != "visible" and sheet is None:
                continue
            candidate = _sheet_rows(ws, max_rows, max_columns)
            if sheet is not None or _score(candidate) >= 2:
                chosen, rows = name, candidate
                break
            if rows is None and any(not layout.is_blank(r) for r in candidate):
                chosen, rows = name, candidate  # the first sheet with anything, as a fallback
    finally:
        wb.close()
    if rows is None or chosen is None or all(layout.is_blank(r) for r in rows):
        raise IngestError("This workbook has no data: every sheet is empty.")
    return chosen, names, rows
