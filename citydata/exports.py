"""Downloads people open in Excel: CSV and XLSX with formula injection neutralised.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return runs as a formula when a
spreadsheet opens it (OWASP "CSV Injection"). Such text cells get a leading apostrophe, which
spreadsheets show as plain text. Numbers and dates are left alone: they are not text.
"""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from citydata.schema import FIELD_BY_NAME

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    """The value, with a leading apostrophe when it is text a spreadsheet would run."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of `df` whose text cells (and column names) cannot run as formulas."""
    names = [neutralise_cell(str(c)) for c in df.columns]
    out = df.set_axis(range(df.shape[1]), axis=1)  # by position: names may repeat
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise_cell)
    return out.set_axis(names, axis=1)


def _for_excel(value: Any) -> Any:
    """Text a worksheet can hold: control characters other than tab and line breaks dropped."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def with_labels(df: pd.DataFrame) -> pd.DataFrame:
    """Column names as people read them ('Contract end' rather than 'contract_end')."""
    return df.rename(columns={n: f.label for n, f in FIELD_BY_NAME.items()})


def to_csv(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a byte-order mark, so Excel shows '£' and accents correctly.

    Lines end in CRLF, so a value holding a line break of either kind is quoted: a carriage
    return left bare would start a new row whose first cell nothing has neutralised.
    """
    return neutralise(df).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def to_xlsx(df: pd.DataFrame, sheet: str = "Contracts") -> bytes:
    """An Excel workbook of `df`, text cells stored as text."""
    return to_xlsx_sheets({sheet: df})


def to_xlsx_sheets(sheets: dict[str, pd.DataFrame], max_width: int = 50) -> bytes:
    """An Excel workbook with one sheet per frame, neutralised, text stored as text."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            safe = neutralise(frame).map(_for_excel)
            safe.columns = [_for_excel(c) for c in safe.columns]
            safe.to_excel(writer, index=False, sheet_name=name[:31])
            sheet_obj = writer.sheets[name[:31]]
            for cells in sheet_obj.iter_rows(min_row=2):
                for cell in cells:
                    if isinstance(cell.value, str):
                        cell.data_type = "s"
            for column in sheet_obj.columns:
                width = max((len(str(c.value)) for c in column if c.value is not None), default=8)
                sheet_obj.column_dimensions[column[0].column_letter].width = min(
                    width + 2, max_width
                )
    return buffer.getvalue()
