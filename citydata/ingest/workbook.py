"""Excel workbooks (.xlsx): the cells of one sheet, read with python-calamine.

Cells keep their types: dates come as dates, numbers as numbers (whole numbers as int, as Excel
shows them; a date column holding Excel serial numbers is turned into dates by the date
normaliser). Formulas give their last saved value; an error cell (#REF!, #N/A...) gives its
error's text, which the rules refuse, as in a CSV, and a formula saved without a value (never
calculated) gives `xlerrors.Uncalculated`, which the rules refuse saying which cell it is: both
found by `citydata.ingest.xlerrors` in the sheet's XML, where calamine reads an empty cell.
Without a `sheet=` the visible sheet whose header names the most known columns is read (the
first of equals).

calamine (Rust) reads a sheet many times faster than openpyxl and makes no Python object for
a cell until the rows are handed over; `read._zip` has already refused workbooks that unpack
to more than any register needs.
"""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from python_calamine import CalamineWorkbook, SheetVisibleEnum

from citydata.core import boroughs
from citydata.ingest import layout, recognise, xlerrors
from citydata.ingest.report import IngestError
from citydata.ingest.table import Table

_MIDNIGHT = datetime.min.time()
_SHOWN = SheetVisibleEnum.Visible


def _cell(value: Any) -> Any:
    """A cell as openpyxl gave it: empty as None, whole numbers as int, midnight as a date."""
    cls = value.__class__
    if cls is str:  # (Excel's error words are kept: the rules refuse them, see xlerrors)
        return None if value == "" else value
    if cls is float:
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if cls is datetime and value.time() == _MIDNIGHT:
        return value.date()
    return value


def _sheet_rows(
    wb: CalamineWorkbook, name: str, max_rows: int, max_columns: int
) -> list[list[Any]]:
    limit = max_rows + layout.HEADER_SEARCH_ROWS * 4
    # From A1 (skip_empty_area=False): row numbers in problems are the ones Excel shows.
    # Some writers record a wrong sheet size; calamine reads the cells that are there.
    cells = wb.get_sheet_by_name(name).to_python(skip_empty_area=False, nrows=limit + 1)
    rows: list[list[Any]] = []
    for values in cells:
        row = [_cell(v) for v in values]
        while row and row[-1] is None:
            row.pop()
        if len(row) > max_columns:
            raise IngestError(
                f"Sheet '{name}' has {len(row):,} columns; the most accepted is {max_columns:,}. "
                "Delete the columns the register does not need (a cell far to the right may hold "
                "a stray value) and upload it again."
            )
        rows.append(row)
    if len(rows) > limit:
        raise IngestError(
            f"Sheet '{name}' has more than {max_rows:,} rows, the most accepted in one "
            f"file. Split it (one {boroughs.noun()} per file) and upload each."
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
        try:
            found = _read_sheet(content, content, sheet, max_rows, max_columns)
        except IngestError:
            raise
        except Exception:
            # calamine refuses a whole workbook for an error cell it does not know
            # (#GETTING_DATA, #SPILL!...): read a copy where it holds one it knows, and each
            # such cell (read from the file itself) refuses its row as any error does
            copy = xlerrors.readable(content)
            if copy is None:
                raise
            found = _read_sheet(copy, content, sheet, max_rows, max_columns)
    except IngestError:
        raise
    except Exception:  # calamine raises several kinds of error for a damaged workbook
        raise IngestError(
            "This Excel file could not be opened: it is damaged, or not a whole workbook. Open "
            "it in Excel, save it again as .xlsx and upload that."
        ) from None
    chosen, names, rows, uncalculated = found
    table = layout.tabulate(
        rows, list(range(1, len(rows) + 1)), ragged=False, unit="Row", max_rows=max_rows
    )
    table.sheet, table.sheets, table.encoding = chosen, names, None
    table.uncalculated = uncalculated
    return table


def _read_sheet(
    content: bytes, file: bytes, sheet: str | None, max_rows: int, max_columns: int
) -> tuple[str, list[str], list[list[Any]], bool]:
    """(name, all names, rows, whether a cell is a formula saved without its value) of `sheet`,
    else of the first sheet that looks like a register: read by calamine from `content`, its
    error cells and formulas without a value from `file` (the same workbook as uploaded)."""
    wb = CalamineWorkbook.from_filelike(io.BytesIO(content))
    scans = ThreadPoolExecutor(max_workers=1)  # error cells, found while calamine reads
    try:
        worksheets = set(wb.sheet_names)
        sheets = [m for m in wb.sheets_metadata if m.name in worksheets]
        names = [m.name for m in sheets]
        likely = next(
            (m.name for m in sheets if m.name == sheet or (sheet is None and m.visible == _SHOWN)),
            None,
        )
        # (error cells and formulas without a value: calamine reads both as empty)
        scan = scans.submit(xlerrors.cells, file, likely) if likely else None
        if sheet is not None and sheet not in names:
            raise IngestError(
                f"This workbook has no sheet called '{sheet}'; its sheets are: "
                + ", ".join(f"'{n}'" for n in names)
                + "."
            )
        chosen, rows, uncalculated = None, None, False
        best = 1  # known columns a sheet's header must name beyond this to be the register
        for meta in [m for m in sheets if m.name == sheet] if sheet is not None else sheets:
            if sheet is None and meta.visible != SheetVisibleEnum.Visible:
                continue
            candidate = _sheet_rows(wb, meta.name, max_rows, max_columns)
            if sheet is not None:
                chosen, rows = meta.name, candidate
                break
            # the sheet naming the most known columns (the first of equals): a summary sheet
            # before the register ("Borough", "Annual value") is not taken for it
            if (score := _score(candidate)) > best:
                best, chosen, rows = score, meta.name, candidate
            elif best == 1 and rows is None and any(not layout.is_blank(r) for r in candidate):
                chosen, rows = meta.name, candidate  # the first sheet with anything, as a fallback
        if rows is not None and chosen is not None:
            found = scan.result() if scan and chosen == likely else None
            unread = xlerrors.cells(file, chosen) if found is None else found
            limit = max_rows + layout.HEADER_SEARCH_ROWS * 4
            uncalculated = _put_cells(rows, unread, max_columns, limit)
    finally:
        wb.close()
        scans.shutdown(wait=False, cancel_futures=True)
    if rows is None or chosen is None or all(layout.is_blank(r) for r in rows):
        raise IngestError("This workbook has no data: every sheet is empty.")
    return chosen, names, rows, uncalculated


def _put_cells(
    rows: list[list[Any]],
    cells: dict[tuple[int, int], str | xlerrors.Uncalculated],
    max_columns: int,
    limit: int,
) -> bool:
    """Each error cell's text, and each formula saved without a value, where calamine left the
    cell empty (a row of nothing else, past the last row calamine read, is added); whether
    any formula without a value was put."""
    uncalculated = False
    for (r, c), value in sorted(cells.items()):
        if r <= limit and c < max_columns:
            rows += [[] for _ in range(r + 1 - len(rows))]
            rows[r] += [None] * (c + 1 - len(rows[r]))
            rows[r][c] = value
            uncalculated = uncalculated or value.__class__ is xlerrors.Uncalculated
    return uncalculated
