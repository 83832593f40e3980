"""Downloads: formula injection neutralised, read back from the real files."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest

from citydata.output import exports

DANGEROUS = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "system": [*DANGEROUS, "Mosaic"],
            "vendor": ["Capita"] * 6 + ["=evil()"],
            "annual_value": [Decimal("-1000.50")] * 7,
            "contract_end": [date(2027, 3, 31)] * 7,
        }
    )


@pytest.mark.parametrize("value", DANGEROUS)
def test_every_formula_start_is_neutralised(value):
    assert exports.neutralise_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Mosaic", "", "Capita plc", 5, None, -3.5])
def test_ordinary_values_are_untouched(value):
    assert exports.neutralise_cell(value) == value


def test_csv_download_read_back_holds_no_formula():
    data = exports.to_csv(frame())
    assert data.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    for column in ("system", "vendor"):
        for cell in back[column]:
            assert not cell.startswith(exports.FORMULA_STARTS), cell
    assert back["system"].tolist()[-1] == "Mosaic"
    assert back["vendor"].tolist()[-1] == "'=evil()"
    assert back["annual_value"].tolist()[0] == "-1000.50", "numbers are not text: left alone"


def test_xlsx_download_read_back_holds_no_formula():
    book = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(frame())))
    sheet = book.active
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row]
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert texts and not any(t.startswith(exports.FORMULA_STARTS) for t in texts)
    assert all(c.data_type != "f" for c in cells)
    assert sheet.cell(row=2, column=1).value == '\'=HYPERLINK("http://x")'


def test_labels_are_what_people_read():
    df = exports.with_labels(pd.DataFrame(columns=["contract_end", "annual_value", "other"]))
    assert list(df.columns) == ["Contract end", "Annual value (£)", "other"]
