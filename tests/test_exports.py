"""Downloads: formula injection neutralised, read back from the real files."""

from __future__ import annotations

import io
import unicodedata
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest

from citydata.output import exports, workbook

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


def test_every_column_of_the_record_downloads_is_named_as_people_read_it():
    """The Overview's download named its last two columns 'source' and 'snapshot_id'."""
    from citydata.query import selection

    shown = [exports.label(c) for c in selection.RECORD_COLUMNS]
    assert not [s for s in shown if "_" in s or s in selection.RECORD_COLUMNS], shown


# ---- characters that imitate a formula start (issue: formula look-alikes) -------------------

LOOKALIKES = [
    '\uff1dHYPERLINK("http://x")',  # full-width equals
    "\uff0b1+1",  # full-width plus
    "\uff0d2+3",  # full-width hyphen-minus
    "\uff20SUM(A1)",  # full-width commercial at
    "\ufe621+1",  # small plus
    "\u22122+3",  # minus sign
    "\u202e=1+1",  # right-to-left override, then =
    "\u200f\u200b=cmd|' /C calc'!A0",  # right-to-left mark and zero-width space, then =
    "\ufeff@SUM(A1)",  # byte-order mark, then @
    "\u00a0=1+1",  # no-break space, then =
    ' =HYPERLINK("http://x")',  # a space, then = (importers that trim spaces run it)
    "  @SUM(A1)",  # spaces, then @
    "\n=1+1",  # a line feed, then =
    " \uff0b1+1",  # a space, then a full-width plus
]
LOOKALIKE_IDS = ["fw-eq", "fw-plus", "fw-minus", "fw-at", "small-plus", "minus-sign",
                 "rlo-eq", "rlm-zwsp-eq", "bom-at", "nbsp-eq", "space-eq", "spaces-at", "lf-eq",
                 "space-fw-plus"]  # fmt: skip


@pytest.mark.parametrize("value", LOOKALIKES, ids=LOOKALIKE_IDS)
def test_a_look_alike_formula_start_is_neutralised_in_csv_and_excel(value):
    df = pd.DataFrame({"system": [value, "Mosaic"]})
    assert exports.neutralise_cell(value) == "'" + value
    back = pd.read_csv(io.BytesIO(exports.to_csv(df)), encoding="utf-8-sig", dtype=str)
    assert back["system"].tolist() == ["'" + value, "Mosaic"]
    sheet = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(df))).active
    assert sheet.cell(row=2, column=1).value == "'" + value


@pytest.mark.parametrize("value", ["Mosaic", "x=1", "– a dash", " x =1 later", "\n1-2", "€5"])
def test_text_that_only_contains_a_formula_character_later_is_untouched(value):
    assert exports.neutralise_cell(value) == value


def test_every_character_whose_compatibility_form_starts_a_formula_is_a_look_alike():
    from citydata.core import text

    folded = {
        chr(cp)
        for cp in range(0x110000)
        if unicodedata.normalize("NFKC", chr(cp))[:1] in ("=", "+", "-", "@")
    }
    assert folded <= set(text.FORMULA_LEADS), sorted(folded - set(text.FORMULA_LEADS))


def test_the_invisible_characters_are_every_control_space_and_format_character():
    from citydata.core import text

    listed = {cp for a, b in text.INVISIBLE_RANGES for cp in range(a, b + 1)}
    by_category = {
        cp
        for cp in range(0x110000)
        if unicodedata.category(chr(cp)) in ("Cc", "Cf", "Zs", "Zl", "Zp")
    } - {ord(c) for c in "\t\r"}  # (they start a formula themselves)
    assert listed == by_category


def test_text_longer_than_an_excel_cell_is_cut_with_a_mark_not_silently():
    """A cell holds 32,767 characters; xlsxwriter cut longer text there and said nothing (an
    upload keeps a value of up to 131,072)."""
    long = "Mosaic " + "x" * 40_000
    sheet = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(pd.DataFrame({"s": [long]})))).active
    cell = sheet.cell(row=2, column=1).value
    assert len(cell) == workbook.EXCEL_MAX_TEXT and cell.endswith("…") and cell.startswith("Mosaic")
    back = pd.read_csv(io.BytesIO(exports.to_csv(pd.DataFrame({"s": [long]}))), dtype=str)
    assert back["s"].tolist() == [long], "a CSV has no such limit: whole"


@pytest.mark.parametrize("offset", [0, 1])
def test_a_cell_of_emoji_is_cut_by_excels_count_not_pythons(offset):
    """Excel counts a cell's 32,767 in UTF-16 units, where an emoji is two: a cut by Python's
    count left such a cell twice too long (xlsxwriter then cut it again, without the mark), and
    a cut must never leave half an emoji. `offset` puts the cut on either half of a pair."""
    long = "x" * offset + "🚀" * 20_000
    sheet = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(pd.DataFrame({"s": [long]})))).active
    cell = sheet.cell(row=2, column=1).value
    units = len(cell.encode("utf-16-le")) // 2
    assert units <= workbook.EXCEL_MAX_TEXT and units >= workbook.EXCEL_MAX_TEXT - 1
    assert cell.endswith("…") and cell[:-1] == long[: len(cell) - 1]
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in cell), "no half of a surrogate pair"


def test_a_snapshot_s_file_keeps_its_name_with_the_snapshot_and_its_day():
    day = date(2026, 11, 26)
    assert exports.original_name("Camden register.csv", 34, day) == (
        "Camden register-snapshot-34-2026-11-26.csv"
    )
    assert exports.original_name("C:\\Users\\ann\\reg.v2.xlsx", 3, day) == (
        "reg.v2-snapshot-3-2026-11-26.xlsx"
    ), "the last part of a browser's path only"
    assert exports.original_name("register", 3, day) == "register-snapshot-3-2026-11-26"
    assert exports.original_name("", 3, day) == "file-snapshot-3-2026-11-26"


DAYS = [
    date(1900, 1, 1),  # (before 1901: left to xlsxwriter, which knows Excel's first days)
    date(1900, 3, 1),
    date(1999, 12, 31),
    date(2027, 3, 31),
    datetime(2027, 3, 31),
    datetime(2026, 12, 7, 9, 30, 15, 250_000),
    pd.Timestamp("2028-02-29"),
    pd.Timestamp("2026-12-07 23:59:59", tz="Europe/London"),
]


def test_a_date_is_the_same_cell_whether_worked_out_once_or_by_xlsxwriter_each_time():
    """The briefing's dates (a few thousand repeated down its sheets) are worked out once
    each: the cells must be what xlsxwriter's write_datetime made of every one."""
    import re
    import zipfile

    import xlsxwriter

    def cells(data: bytes) -> list[str]:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            sheet = z.read("xl/worksheets/sheet1.xml").decode()
        return re.findall(r'<c r="A\d+" s="\d+"><v>[^<]*</v></c>', sheet)

    ours = exports.to_xlsx(pd.DataFrame({"d": pd.Series(DAYS * 2, dtype=object)}))
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    ws = book.add_worksheet()
    day, moment = (book.add_format({"num_format": f}) for f in ("yyyy-mm-dd", "yyyy-mm-dd hh:mm"))
    ws.write_string(0, 0, "d")
    for row, value in enumerate(DAYS * 2, start=1):
        plain = value.replace(tzinfo=None) if isinstance(value, datetime) else value
        timed = isinstance(plain, datetime) and plain.time() != datetime.min.time()
        ws.write_datetime(row, 0, plain, moment if timed else day)
    book.close()
    assert cells(ours) == cells(buffer.getvalue()) and len(cells(ours)) == 2 * len(DAYS)


def test_a_workbook_of_frames_is_held_with_each_text_once_and_a_big_one_is_streamed(monkeypatch):
    """A briefing of 6,000 records took 14 s, most of it xlsxwriter writing every cell of its
    half a million out as it came; held in memory with each text stored once, it takes about
    half the time. Frames bigger than HELD_CELLS are still written row by row."""
    import zipfile

    frame = pd.DataFrame({"borough": ["Camden", "Hackney"] * 50, "n": range(100)})

    def shared(data: bytes) -> bool:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "xl/sharedStrings.xml" in z.namelist()

    held = exports.to_xlsx(frame)
    assert shared(held)
    monkeypatch.setattr(workbook, "HELD_CELLS", 199)
    streamed = exports.to_xlsx(frame)
    assert not shared(streamed)
    read = [openpyxl.load_workbook(io.BytesIO(b)).active for b in (held, streamed)]
    assert [list(s.values) for s in read[:1]] == [list(s.values) for s in read[1:]]
