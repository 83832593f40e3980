"""Excel workbooks as the app writes them: row by row or held, every value by its type (text
always as text), within Excel's limits (`EXCEL_MAX_ROWS` rows a sheet, `EXCEL_MAX_TEXT` UTF-16
units a cell), with a last sheet saying what the download is (`About`). What goes in them is
`citydata.output.exports`'.
"""

from __future__ import annotations

import math
import numbers
import tempfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, BinaryIO

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from citydata.core.text import neutralise_cell, shorten_utf16
from citydata.output import provenance


def for_excel(value: Any) -> Any:
    """Text a worksheet can hold: control characters other than tab and line breaks dropped."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


EXCEL_MAX_ROWS = 1_048_575  # a worksheet holds 1,048,576 rows, one of them the header
# What a cell holds: 32,767 UTF-16 units, as Excel counts (an emoji is two); longer text is cut,
# ending in '…'.
EXCEL_MAX_TEXT = 32_767

# What a download says about itself: (item, value) rows (citydata.output.provenance.about).
About = Sequence[tuple[str, Any]]


class TooManyRows(ValueError):
    """More rows than an Excel sheet holds (callers check `offer` first)."""


# Frames of at most this many cells are written as a workbook held in memory, with each text
# written once and shared (xlsxwriter's default mode): for a borough's briefing of 6,000
# records (half a million cells, most of them repeated names) that takes a quarter less time
# than writing every row out as it comes. It holds about 200 bytes a cell until the file is
# made, which the frames (already in memory) outweigh; bigger ones (an upload's problems can be
# a million rows) are written row by row.
HELD_CELLS = 1_000_000
_EXCEL_EPOCH = datetime(1899, 12, 31)


class Writer:
    """A workbook written row by row (xlsxwriter's constant-memory mode): each row goes to a
    temporary file as it is written, so a sheet of many rows needs no more memory than one
    (`held=True`: the cells are held until the file is made, and each text is stored once; the
    cells read back the same either way).

    Every value is written by its type: text always as text (never as a formula, a number or
    a link, whatever it starts with), dates with a date format, missing values as empty cells.
    Callers neutralise text first; control characters a worksheet cannot hold are dropped.
    """

    def __init__(self, out: BinaryIO | str, max_width: int = 50, *, held: bool = False):
        import xlsxwriter  # only when an Excel file is made

        self.book = xlsxwriter.Workbook(
            out,
            {
                "constant_memory": not held,
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
                "tmpdir": tempfile.gettempdir(),
            },
        )
        self.date = self.book.add_format({"num_format": "yyyy-mm-dd"})
        self.datetime = self.book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        self.max_width = max_width
        self.days: dict[Any, tuple[float | None, Any, int]] = {}

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.book.close()

    def sheet(self, name: str, header: list[str], rows: Iterable[Iterable[Any]]) -> int:
        """Write one sheet; returns the number of rows written under the header."""
        ws = self.book.add_worksheet(for_excel(name)[:31])
        widths = [len(h) for h in header]
        for col, text in enumerate(header):
            ws.write_string(0, col, for_excel(text))
        count = 0
        for count, values in enumerate(rows, start=1):
            if count > EXCEL_MAX_ROWS:  # (xlsxwriter would leave the rest out without a word)
                raise TooManyRows(
                    f"An Excel sheet holds at most {EXCEL_MAX_ROWS + 1:,} rows: download the "
                    "CSV or narrow the filters."
                )
            for col, value in enumerate(values):
                width = self._write(ws, count, col, value)
                if width > widths[col]:
                    widths[col] = width
        for col, width in enumerate(widths):
            ws.set_column(col, col, min(max(width, 6) + 2, self.max_width))
        return count

    def _day(self, value: date) -> tuple[float | None, Any, int]:
        """(Excel's serial number of `value`, its format, its width). A contract's dates repeat
        down a sheet, so each is worked out once (xlsxwriter works out every cell's): days and
        the fraction of a day since 31 Dec 1899, and one more from 1 Mar 1900 (Excel counts a
        29 Feb 1900), as xlsxwriter writes them. None before 1901: xlsxwriter writes those."""
        if isinstance(value, datetime):
            value = value.replace(tzinfo=None) if value.tzinfo is not None else value
            fmt, width = (
                (self.date, 10) if value.time() == datetime.min.time() else (self.datetime, 16)
            )
            delta = value - _EXCEL_EPOCH
        else:
            fmt, width = self.date, 10
            delta = datetime.fromordinal(value.toordinal()) - _EXCEL_EPOCH
        if value.year < 1901:
            return None, fmt, width
        serial = delta.days + (float(delta.seconds) + float(delta.microseconds) / 1e6) / 86400
        return serial + 1, fmt, width

    def about(self, rows: About, written: int) -> None:
        """The sheet saying what the download is (`provenance`), with the rows it holds."""
        items = [*rows, ("Rows", written)]
        self.sheet(
            provenance.SHEET, ["Item", "Value"], (map(neutralise_cell, row) for row in items)
        )

    def _write(self, ws: Any, row: int, col: int, value: Any) -> int:
        cls = value.__class__
        if cls is str:
            if ILLEGAL_CHARACTERS_RE.search(value):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)
            if not value:  # an empty cell, as for a missing value: Excel's blanks count none
                return 0
            if len(value) > EXCEL_MAX_TEXT // 2:  # (xlsxwriter would cut it without a mark)
                value = shorten_utf16(value, EXCEL_MAX_TEXT)
            ws.write_string(row, col, value)
            return len(value)
        if value is None or value is pd.NaT or value is pd.NA:
            return 0
        if cls is bool or isinstance(value, bool):
            ws.write_boolean(row, col, value)
            return 5
        if isinstance(value, numbers.Number):
            number = float(value)  # Decimal, numpy numbers
            if math.isfinite(number):
                ws.write_number(row, col, number)
                return len(str(value))
            return 0  # NaN: missing
        if isinstance(value, date):  # (and datetime, pandas' Timestamp)
            found = self.days.get(value)
            if found is None:
                found = self.days[value] = self._day(value)
            serial, fmt, width = found
            if serial is None:
                ws.write_datetime(row, col, value, fmt)
            else:  # the number Excel stores a date as, with the date's format: the same cell
                ws.write_number(row, col, serial, fmt)
            return width
        text = for_excel(str(value))
        ws.write_string(row, col, text)
        return len(text)
