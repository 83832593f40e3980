"""Downloads people open in Excel: CSV and XLSX with formula injection neutralised.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return runs as a formula when a
spreadsheet opens it (OWASP "CSV Injection"). Such text cells get a leading apostrophe, which
spreadsheets show as plain text. Numbers and dates are left alone: they are not text.
"""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

from citydata.schema import FIELD_BY_NAME

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    """The value, with a leading apostrophe when it is text a spreadsheet would run."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of `df` whose text cells (and column names) cannot run as formulas."""
    out = df.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise_cell)
    out.columns = [neutralise_cell(str(c)) for c in out.columns]
    return out


def with_labels(df: pd.DataFrame) -> pd.DataFrame:
    """Column names as people read them ('Contract end' rather than 'contract_end')."""
    return df.rename(columns={n: f.label for n, f in FIELD_BY_NAME.items()})


def to_csv(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a byte-order mark, so Excel shows '£' and accents correctly."""
    return neutralise(df).to_csv(index=False).encode("utf-8-sig")


def to_xlsx(df: pd.DataFrame, sheet: str = "Contracts") -> bytes:
    """An Excel workbook of `df`, text cells stored as text."""
    return to_xlsx_sheets({sheet: df})


def to_xlsx_sheets(sheets: dict[str, pd.DataFrame], max_width: int = 50) -> bytes:
    """An Excel workbook with one sheet per frame, neutralised, text stored as text."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            neutralise(frame).to_excel(writer, index=False, sheet_name=name[:31])
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
