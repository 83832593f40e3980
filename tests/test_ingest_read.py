"""Reading uploads: encodings, delimiters, the table inside the decoration, refusals, XLSX."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from citydata.core.settings import upload_limit_bytes
from citydata.ingest import encoding, prepare, read

DATA = Path(__file__).resolve().parent / "data" / "ingest"


def load(name: str, **kw):
    return prepare((DATA / name).read_bytes(), name, **kw)


def rows_of(prepared, *columns):
    return [tuple(r) for r in prepared.records[list(columns)].itertuples(index=False)]


# Encodings: the bytes in each encoding must come back as the same letters.

WESTERN_VENDORS = ["Café Systems Ltd", "Müller & Søn Ltd", "Civica"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [("cp1252_pound.csv", "cp1252"), ("mac_roman.csv", "mac_roman")],
)
def test_single_byte_encodings_give_the_right_pound_sign_and_accents(name, expected):
    p = load(name)
    assert p.encoding == expected
    assert p.records["vendor"].tolist() == WESTERN_VENDORS
    assert p.records["system"].tolist()[1] == "Renée Housing"
    assert p.records["service_area"].tolist()[0] == "Children's social care"
    assert p.records["annual_value"].tolist()[0] == Decimal("250000.00")
    assert p.records["row"].tolist() == [2, 3, 4]  # CR-only line ends counted too


def test_utf8_with_bom_keeps_the_first_header_and_accents():
    p = load("bom_utf8.csv")
    assert p.encoding == "utf-8-sig"
    assert p.columns[0] == "Borough" and p.columns[-1] == "Annual value (£)"
    assert p.records["vendor"].iloc[3] == "Société Générale Informatique"
    assert p.records["annual_value"].iloc[0] == Decimal("45000.00")


def test_utf16_tab_delimited_text_from_excel():
    p = load("utf16_tab.txt")
    assert p.encoding == "utf-16"
    assert p.records["annual_value"].tolist() == [Decimal("2000000.00"), Decimal("320000.00")]
    assert set(p.records["borough"]) == {"Westminster"}


@pytest.mark.parametrize(
    "text",
    [
        "Vendor,Value\nCafé,£5\n",
        "Vendor\nZoë Ltd\n",
        "Vendor\nMuñoz, Ramírez & Björk – “quoted” Children’s\n",
        "Vendor\nÅngström Øre Crème brûlée\n",
        "Vendor\nNaïve José École\n",
    ],
)
@pytest.mark.parametrize("codec", ["cp1252", "mac_roman"])
def test_short_western_texts_decode_to_the_letters_they_were_written_with(text, codec):
    decoded, name = encoding.decode(text.encode(codec))
    assert decoded == text
    if any(c in text for c in "éëüñ’"):
        assert name == codec


def test_strict_utf8_is_tried_first():
    assert encoding.decode("Café £5".encode()) == ("Café £5", "utf-8")


# Delimiters, quoting and layout.


@pytest.mark.parametrize(
    ("name", "delimiter"),
    [("semicolon.csv", ";"), ("pipe.csv", "|"), ("bom_utf8.csv", ","), ("utf16_tab.txt", "\t")],
)
def test_delimiter_is_detected(name, delimiter):
    table = read.read((DATA / name).read_bytes(), name)
    assert table.delimiter == delimiter


def test_tabs_and_line_breaks_inside_quoted_cells_do_not_make_it_a_tab_file():
    # (found by test_ingest_properties) a comma file whose quoted cells hold a tab, a line
    # break and a tab was read as tab-separated: "No header row was found"
    content = (
        b'Borough,System,Vendor,Notes\r\nCamden,Mosaic,Servelec,"a\t\r\tb"\r\n'
        b'Camden,Spydus,Civica,"c\t\r\td"\r\nCamden,Uniform,Idox,"e\t\r\tf"\r\n'
    )
    assert read.sniff_delimiter(content.decode()) == ","
    p = prepare(content, "camden.csv")
    assert p.refused is None and p.records["system"].tolist() == ["Mosaic", "Spydus", "Uniform"]


def test_semicolon_file_keeps_quoted_delimiters_and_thousands_commas():
    p = load("semicolon.csv")
    assert p.records["system"].tolist()[1] == "Taranto; PCN module"
    assert p.records["annual_value"].tolist()[:2] == [Decimal("1234567.00"), Decimal("12500.00")]
    assert p.records["contract_start"].tolist() == [
        date(2022, 4, 1),
        date(2021, 4, 1),
        date(2020, 4, 1),
    ]


def test_single_quote_quoting_is_detected():
    text = "Borough,System,Vendor\nCamden,'Mosaic, adults',Servelec\nCamden,'A, B',Idox\n"
    p = prepare(text.encode(), "q.csv")
    assert p.records["system"].tolist() == ["Mosaic, adults", "A, B"]


def test_preamble_lines_are_skipped_and_reported():
    p = load("preamble.csv", borough="Merton")
    assert p.columns == ["Service area", "System", "Vendor", "Contract end", "Hosting"]
    assert p.records["row"].tolist() == [6, 7]
    assert p.records["hosting"].tolist() == ["Cloud (SaaS)", "Cloud (SaaS)"]
    notes = [x for x in p.problems if "above the header row (row 5)" in x.reason]
    assert len(notes) == 1 and notes[0].value.startswith("London Borough of Merton")


def test_one_title_line_or_row_above_the_header_is_said_in_the_singular():
    text = "Camden ICT contracts\nBorough,System,Vendor\nCamden,Mosaic,Servelec\n"
    notes = [x.reason for x in prepare(text.encode(), "c.csv").file_notes if "above" in x.reason]
    assert notes == [
        "The row above the header row (row 2) holds a title or notes, not contracts; it was "
        "skipped."
    ]

    def titled(wb):
        wb.active.append(["Camden ICT contracts"])
        wb.active.append(["Borough", "System", "Vendor"])
        wb.active.append(["Camden", "Mosaic", "Servelec"])

    p = prepare(workbook_bytes(titled), "c.xlsx")
    notes = [x.reason for x in p.file_notes if "above" in x.reason]
    assert notes[0].startswith("The row above the header row (row 2) holds a title or notes")


def test_footer_total_and_junk_rows_are_not_contracts():
    p = load("footer_total.csv")
    assert p.records["system"].tolist() == ["Mosaic", "Agresso"]
    assert p.rows_read == 2
    assert any(x.reason == "Row 5 is a total row and was skipped." for x in p.problems)


def test_spacer_columns_are_dropped():
    p = load("spacer_columns.csv")
    assert p.columns == ["Borough", "System", "Vendor", "Contract end"]
    assert p.records["contract_end"].tolist() == [date(2029, 3, 31), date(2030, 9, 30)]
    assert not [x for x in p.problems if x.row is not None]


def test_a_short_row_of_one_value_says_one_value():
    content = b"System,Vendor,Service area\nMosaic,Servelec,Housing\nUniform\n"
    p = prepare(content, "x.csv", borough="Camden")
    assert next(x.reason for x in p.warnings if x.row == 3) == (
        "Row 3 has 1 value but the header row has 3; the missing values at the end were taken "
        "as blank."
    )


def test_embedded_newlines_are_kept_and_each_record_is_one_row_as_a_spreadsheet_shows_it():
    table = read.read((DATA / "embedded_newlines.csv").read_bytes(), "e.csv")
    assert table.data["Notes"].iloc[1].splitlines() == ["Line one", "line two", "line three"]
    assert table.rows == [2, 3, 4]
    p = load("embedded_newlines.csv")
    assert p.records["row"].tolist() == [2, 4]
    assert [(x.row, x.column, x.value) for x in p.rejects] == [(3, "Contract end", "31/02/2026")]


def test_ragged_rows_are_reported_by_row_number():
    p = load("ragged.csv")
    assert p.records["row"].tolist() == [2, 3, 5]
    short = [x for x in p.warnings if x.row == 3]
    assert len(short) == 1 and "has 4 values but the header row has 5" in short[0].reason
    assert p.records["hosting"].tolist()[1] is None
    assert [(x.row, x.value) for x in p.rejects] == [(4, "extra value")]
    assert "may be in the wrong columns" in p.rejects[0].reason


def test_unclosed_quote_refuses_the_row_it_swallows():
    text = 'Borough,System,Vendor\nCamden,Mosaic,Servelec\nCamden,"Uniform,Idox\nCamden,A,B\n'
    p = prepare(text.encode(), "q.csv")
    assert p.records["system"].tolist() == ["Mosaic"]
    assert p.rejects[0].row == 3 and "never closed" in p.rejects[0].reason


# Whole-file refusals: a clear message, never an exception.


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("empty.csv", "This file is empty."),
        ("header_only.csv", "no data rows"),
        ("no_header.csv", "No header row was found"),
        ("picture.csv", "This is a PNG image, not a table."),
        ("archive.csv", "This is a ZIP archive, not a CSV or Excel table."),
        ("binary.csv", "not a text file"),
        ("old_excel.xls", "old-style Excel (.xls)"),
        ("webpage.csv", "web page (HTML)"),
        ("not_ocds.json", "not an Open Contracting (OCDS) release package"),
    ],
)
def test_files_that_are_not_registers_are_refused_with_a_reason(name, words):
    p = load(name)
    assert p.refused is not None and words in p.refused
    assert p.records.empty and list(p.records.columns)[-1] == "row"


def test_blank_only_file_is_empty():
    assert prepare(b"\xef\xbb\xbf \r\n\r\n", "x.csv").refused == "This file is empty."


def test_size_limit(monkeypatch):
    p = prepare(b"a" * (upload_limit_bytes() + 1), "big.csv")
    assert "the largest file accepted is 25 MB" in p.refused


def test_row_and_column_limits(monkeypatch):
    monkeypatch.setattr(read, "MAX_ROWS", 3)
    rows = "".join(f"Camden,S{i},V\n" for i in range(4))
    p = prepare(("Borough,System,Vendor\n" + rows).encode(), "x.csv")
    assert "the most accepted in one file is 3" in p.refused
    monkeypatch.setattr(read, "MAX_COLUMNS", 4)
    p = prepare(b"Borough,System,Vendor,A,B\nCamden,S,V,1,2\n", "x.csv")
    assert p.refused == (
        "Line 1 has 5 columns; the most accepted is 4. Delete the columns the register does not "
        "need and upload it again."
    )


def test_other_zip_contents_are_named():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("word/document.xml", "<w/>")
    assert "This is a Word document" in prepare(buffer.getvalue(), "r.csv").refused


# XLSX.


def workbook_bytes(build) -> bytes:
    wb = Workbook()
    build(wb)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def register_sheets(wb):
    notes = wb.active
    notes.title = "Read me"
    notes.append(["This workbook holds Croydon's ICT contracts."])
    ws = wb.create_sheet("Register")
    ws.append(["Croydon ICT register"])
    ws.append([])
    ws.append(["Service Area", "System", "Supplier", None, "Start", "Contract End", "Value pa"])
    ws.append(["Housing", "NEC Housing", "NEC Software Solutions", None, date(2021, 4, 1),
               datetime(2027, 3, 31), 12345.5])  # fmt: skip
    ws.append(["Planning", "Uniform", "Idox", None, 44287, 46477, "£1,000"])
    ws.append(["Planning", "Uniform", "Idox", None, "01/04/2021", "31/02/2026", -5])
    ws.append(["Total", None, None, None, None, None, 13345.5])


def test_xlsx_sheet_dates_serials_preamble_and_total():
    p = prepare(workbook_bytes(register_sheets), "croydon.xlsx", borough="Croydon")
    assert p.refused is None
    assert p.sheet == "Register" and p.sheets == ["Read me", "Register"]
    assert p.encoding is None
    assert p.columns == ["Service Area", "System", "Supplier", "Start", "Contract End", "Value pa"]
    assert rows_of(p, "row", "contract_start", "contract_end", "annual_value") == [
        (4, date(2021, 4, 1), date(2027, 3, 31), Decimal("12345.50")),
        (5, date(2021, 4, 1), date(2027, 3, 31), Decimal("1000.00")),
    ]
    assert sorted((x.row, x.column) for x in p.rejects) == [
        (6, "Contract End"),
        (6, "Value pa"),
    ]
    assert any(x.reason == "Row 7 is a total row and was skipped." for x in p.problems)


def test_xlsx_register_after_a_summary_sheet_is_the_sheet_read():
    # A summary sheet first ("Borough", "Contracts", "Annual value": two known columns) was
    # taken for the register and the workbook refused for having no system or vendor column,
    # though the register was on the next sheet; the command line cannot choose a sheet.
    def build(wb):
        register_sheets(wb)
        summary = wb.create_sheet("Summary", 0)
        summary.append(["Borough", "Contracts", "Annual value"])
        summary.append(["Croydon", 2, 13345.5])
        summary.append(["Total", 2, 13345.5])

    p = prepare(workbook_bytes(build), "croydon.xlsx", borough="Croydon")
    assert p.refused is None
    assert p.sheet == "Register" and p.sheets == ["Summary", "Read me", "Register"]
    assert [r for r, *_ in rows_of(p, "row", "system")] == [4, 5]


def test_xlsx_error_cells_are_read_as_a_csv_of_the_sheet_reads_them():
    # A formula that failed (#REF!, #DIV/0!) was read as an empty cell: its row was imported
    # with "No end date is given", or with no value and no word. It is now refused, as the same
    # sheet saved as CSV is, saying why. #N/A too: it was read as blank, so a lookup that found
    # nothing imported the row with no value and no word.
    rows = [
        ["Borough", "System", "Vendor", "Contract end", "Annual value"],
        ["Camden", "Mosaic", "Servelec", "#REF!", 1000],
        ["Camden", "Spydus", "Civica", date(2027, 3, 31), "#DIV/0!"],
        ["Camden", "Uniform", "Idox", "#N/A", "#N/A"],
        ["Camden", "Academy", "Capita", date(2027, 3, 31), 2000],
    ]

    def build(wb):
        wb.active.title = "Notes"
        wb.active.append(["Read me first"])
        ws = wb.create_sheet("Register")
        for row in rows:
            ws.append(row)  # (openpyxl writes '#REF!' as an error cell, type "e")

    xlsx = prepare(workbook_bytes(build), "camden.xlsx")
    assert len(load_workbook_cells(workbook_bytes(build))) == 4  # the file holds error cells
    text = "\n".join(",".join(str(c) for c in r).replace("2027-03-31", "31/03/2027") for r in rows)
    csv = prepare(text.encode(), "camden.csv")
    said = [(x.row, x.column, x.reason) for x in xlsx.rejects]
    assert said == [(x.row, x.column, x.reason) for x in csv.rejects]
    assert sorted(said) == [
        (2, "Contract end", "'#REF!' is an Excel error (the cell's formula failed), not a date."),
        (
            3,
            "Annual value",
            "'#DIV/0!' is an Excel error (the cell's formula failed), not an amount.",
        ),
        (4, "Annual value", "'#N/A' is an Excel error (the cell's formula failed), not an amount."),
        (4, "Contract end", "'#N/A' is an Excel error (the cell's formula failed), not a date."),
    ]
    assert xlsx.records["system"].tolist() == ["Academy"]


def with_cells(content: bytes, cells: dict[str, str]) -> bytes:
    """The workbook with each placeholder text cell of its first sheet ('@@name', as openpyxl
    writes it) replaced by the XML given for `name` ({ref} is the cell's reference)."""

    def placed(data: bytes) -> bytes:
        data = re.sub(
            rb'<c r="([A-Z]+[0-9]+)" t="inlineStr"><is><t>@@(\w+)</t></is></c>',
            lambda m: cells[m[2].decode()].format(ref=m[1].decode()).encode(),
            data,
        )
        assert b"@@" not in data
        return data

    return with_sheet(content, placed)


def with_sheet(content: bytes, change) -> bytes:
    """The workbook with its first sheet's XML changed by `change` (bytes -> bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as z, zipfile.ZipFile(buffer, "w") as out:
        for info in z.infolist():
            data = z.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = change(data)
            out.writestr(info, data)
    return buffer.getvalue()


UNCALCULATED = [
    # How programs that do not work formulas out save one: openpyxl (an empty value), others
    # with no value at all, a self-closed value, or a copy of a shared formula.
    ('<c r="{ref}"><f>C5*12</f><v></v></c>', "=C5*12"),
    ('<c r="{ref}"><f>C5*12</f></c>', "=C5*12"),
    ('<c r="{ref}"><f>C5*12</f><v/></c>', "=C5*12"),
    ('<c r="{ref}"><f t="shared" si="0"/></c>', None),
    ('<c r="{ref}" t="str"><f>"1"&amp;"2"</f></c>', '="1"&"2"'),  # text, and no value either
]


def uncalculated_register(wb) -> None:
    ws = wb.active
    ws.title = "Register"
    ws.append(["Borough", "System", "Vendor", "Contract end", "Annual value", "Notes"])
    ws.append(["Camden", "Mosaic", "Servelec", date(2027, 3, 31), 1000, "@@note"])
    ws.append(["Camden", "Spydus", "Civica", date(2028, 3, 31), 2000, None])
    ws.append(["Camden", "Uniform", "Idox", "@@end", 3000, None])
    ws.append(["Camden", "Academy", "Capita", date(2029, 3, 31), "@@value", None])


@pytest.mark.parametrize(("xml", "formula"), UNCALCULATED)
def test_a_formula_saved_without_its_value_refuses_its_row_naming_the_cell(xml, formula):
    # A workbook written by a script holds its formulas but not their values, until Excel
    # opens it and saves it. The value read as blank: the contract's annual value and end date
    # vanished without a word ("No end date is given: recorded as no end date").
    content = with_cells(
        workbook_bytes(uncalculated_register),
        {
            "note": '<c r="{ref}"><f>A2&amp;B2</f><v></v></c>',  # a column not imported
            "end": xml.replace("C5*12", "TODAY()+365"),
            "value": xml,
        },
    )
    p = prepare(content, "camden.xlsx")
    assert p.refused is None
    said = [(x.where(), x.value, x.reason, x.outcome()) for x in p.row_problems]
    assert said == [
        (
            "row 4, column 'Contract end'",
            formula and formula.replace("C5*12", "TODAY()+365"),
            "The formula in cell D4 of sheet 'Register' was never calculated: the file was saved "
            "by a program that does not work formulas out, so it holds no value for this cell. "
            "Open the file in Excel and save it, so its values are stored, then upload it again.",
            "not imported",
        ),
        (
            "row 5, column 'Annual value'",
            formula,
            "The formula in cell E5 of sheet 'Register' was never calculated: the file was saved "
            "by a program that does not work formulas out, so it holds no value for this cell. "
            "Open the file in Excel and save it, so its values are stored, then upload it again.",
            "not imported",
        ),
    ]
    # Nothing else changes: the other rows as they are, the formula in Notes (not imported)
    # refuses nothing.
    assert rows_of(p, "row", "system", "contract_end", "annual_value") == [
        (2, "Mosaic", date(2027, 3, 31), Decimal("1000.00")),
        (3, "Spydus", date(2028, 3, 31), Decimal("2000.00")),
    ]


def test_a_formula_without_its_value_is_found_in_a_sheet_whose_tags_have_a_prefix():
    # Some writers (the .NET Open XML SDK among them) name every element <x:c>, <x:f>, <x:v>.
    content = with_cells(
        workbook_bytes(uncalculated_register),
        {"note": "", "end": '<c r="{ref}"><f>TODAY()</f></c>', "value": '<c r="{ref}"/>'},
    )

    def prefixed(data: bytes) -> bytes:
        data = re.sub(rb"<(/?)(?!\?)(\w+)", rb"<\1x:\2", data)
        return data.replace(b"<x:worksheet xmlns=", b"<x:worksheet xmlns:x=")

    p = prepare(with_sheet(content, prefixed), "camden.xlsx")
    said = [(x.where(), x.value) for x in p.rejects]
    assert said == [("row 4, column 'Contract end'", "=TODAY()")]
    assert "cell D4 of sheet 'Register' was never calculated" in p.rejects[0].reason


def test_a_formula_with_its_value_and_excels_empty_text_result_are_read_as_before():
    # Excel saves a formula whose result is empty text (=IF(...,"",...)) with an empty value of
    # type "str": a value, blank, not a formula it never calculated. A calculated formula gives
    # its value.
    content = with_cells(
        workbook_bytes(uncalculated_register),
        {
            "note": '<c r="{ref}"><f>A2&amp;B2</f><v>CamdenMosaic</v></c>',
            "end": '<c r="{ref}" t="str"><f>IF(TRUE,"","x")</f><v/></c>',
            "value": '<c r="{ref}"><f>1000*4</f><v>4000</v></c>',
        },
    )
    p = prepare(content, "camden.xlsx")
    assert p.refused is None and p.rejects == []
    assert rows_of(p, "row", "contract_end", "annual_value") == [
        (2, date(2027, 3, 31), Decimal("1000.00")),
        (3, date(2028, 3, 31), Decimal("2000.00")),
        (4, None, Decimal("3000.00")),
        (5, date(2029, 3, 31), Decimal("4000.00")),
    ]
    assert [(x.row, x.reason) for x in p.row_problems] == [
        (4, "No end date is given: recorded as no end date.")
    ]


def test_a_row_of_nothing_but_formulas_without_values_is_refused_not_dropped():
    # calamine may end the sheet at its last value: formulas past it are still the sheet's.
    def build(wb):
        uncalculated_register(wb)
        wb.active.append(["@@borough", "@@system", "@@vendor"])

    formula = '<c r="{ref}"><f>Lookup!A1</f></c>'
    content = with_cells(
        workbook_bytes(build),
        {"note": "", "end": "", "value": "", "borough": formula, "system": formula,
         "vendor": formula},
    )  # fmt: skip
    p = prepare(content, "camden.xlsx")
    assert [(x.row, x.column) for x in p.rejects] == [
        (6, "Borough"),
        (6, "System"),
        (6, "Vendor"),
    ]
    assert "cell B6 of sheet 'Register' was never calculated" in p.rejects[1].reason
    assert p.records["row"].tolist() == [2, 3, 4, 5]


ERROR_CELLS = ["#NAME?", "#NULL!", "#NUM!", "#GETTING_DATA", "#SPILL!", "#CALC!", "#N/A"]


@pytest.mark.parametrize("error", ERROR_CELLS)
def test_every_excel_error_refuses_its_row_in_any_field_and_as_text(error):
    # Each as an error cell (type "e", with and without its formula), as the text result of a
    # formula (type "str") and as typed text: in a text field it was kept as the vendor's or
    # system's name ("#N/A" among the vendors); in an amount, #GETTING_DATA, #SPILL! and #CALC!
    # were read as blank.
    def build(wb):
        ws = wb.active
        ws.title = "Register"
        ws.append(["Borough", "System", "Vendor", "Contract end", "Annual value"])
        ws.append(["Camden", "Mosaic", "@@cell", date(2027, 3, 31), 1000])
        ws.append(["Camden", "Spydus", "Civica", date(2027, 3, 31), "@@formula"])
        ws.append(["Camden", "@@text", "Idox", date(2027, 3, 31), 3000])
        ws.append(["Camden", "Academy", "Capita", "@@typed", 4000])
        ws.append(["Camden", "Uniform", "Idox", date(2027, 3, 31), 5000])

    content = with_cells(
        workbook_bytes(build),
        {
            "cell": f'<c r="{{ref}}" t="e"><v>{error}</v></c>',
            "formula": f'<c r="{{ref}}" t="e"><f>1/0</f><v>{error}</v></c>',
            "text": f'<c r="{{ref}}" t="str"><f>IFERROR(X1,"{error}")</f><v>{error}</v></c>',
            "typed": f'<c r="{{ref}}" t="inlineStr"><is><t>{error}</t></is></c>',
        },
    )
    p = prepare(content, "camden.xlsx")
    why = f"'{error}' is an Excel error (the cell's formula failed), not"
    assert [(x.where(), x.value, x.reason) for x in p.row_problems] == [
        ("row 2, column 'Vendor'", error, f"{why} a vendor's name."),
        ("row 3, column 'Annual value'", error, f"{why} an amount."),
        ("row 4, column 'System'", error, f"{why} a system's name."),
        ("row 5, column 'Contract end'", error, f"{why} a date."),
    ]
    assert all(x.outcome() == "not imported" for x in p.row_problems)
    assert rows_of(p, "row", "system", "vendor") == [(6, "Uniform", "Idox")]


def load_workbook_cells(content: bytes) -> list:
    """The error cells of the sheet 'Register' as openpyxl reads them."""
    ws = load_workbook(io.BytesIO(content))["Register"]
    return [c for row in ws.iter_rows() for c in row if c.data_type == "e"]


def test_xlsx_named_sheet_and_unknown_sheet():
    content = workbook_bytes(register_sheets)
    p = prepare(content, "croydon.xlsx", borough="Croydon", sheet="Read me")
    assert p.refused is not None and p.sheet is None
    p = prepare(content, "croydon.xlsx", sheet="Contracts")
    assert (
        p.refused
        == "This workbook has no sheet called 'Contracts'; its sheets are: 'Read me', 'Register'."
    )


def test_xlsx_unnamed_column_with_data_is_named_by_letter():
    def build(wb):
        ws = wb.active
        ws.append(["Borough", "System", "Vendor"])
        ws.append(["Camden", "Mosaic", "Servelec", "note"])

    p = prepare(workbook_bytes(build), "x.xlsx")
    assert p.columns == ["Borough", "System", "Vendor", "Column D"]


def test_damaged_xlsx_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("xl/workbook.xml", "not xml at all")
    p = prepare(buffer.getvalue(), "x.xlsx")
    assert p.refused.startswith("This Excel file could not be opened")


def test_empty_workbook_is_refused():
    assert prepare(workbook_bytes(lambda wb: None), "x.xlsx").refused == (
        "This workbook has no data: every sheet is empty."
    )


def test_workbook_that_unpacks_too_large_is_refused(monkeypatch):
    monkeypatch.setattr(read, "MAX_UNPACKED_BYTES", 1000)
    p = prepare(workbook_bytes(register_sheets), "x.xlsx")
    assert p.refused.startswith("This workbook unpacks to more than")


def test_bytes_like_uploads_are_read():
    content = bytearray(b"Borough,System,Vendor\nCamden,Mosaic,Servelec\n")
    assert prepare(memoryview(content), "x.csv").records["system"].tolist() == ["Mosaic"]


def without_references(content: bytes, rows: bool) -> bytes:
    """The workbook with no cell of its first sheet saying where it is (no r="D4"), and with
    `rows` no row either (no r="4"), as some writers save a sheet: each comes after the last."""

    def unplaced(data: bytes) -> bytes:
        data = re.sub(rb'(<c) r="[A-Z]+[0-9]+"', rb"\1", data)
        return re.sub(rb'(<row) r="[0-9]+"', rb"\1", data) if rows else data

    return with_sheet(content, unplaced)


@pytest.mark.parametrize("rows", [True, False], ids=["no row numbers", "row numbers"])
def test_a_formula_without_its_value_or_an_error_is_found_in_cells_that_give_no_reference(rows):
    # A cell's reference is optional in the file format, and calamine reads such a sheet cell
    # after cell. The check for uncalculated formulas and error cells skipped every cell that
    # had no reference: the row was imported with no end date and no value, without a word.
    content = with_cells(
        workbook_bytes(uncalculated_register),
        {
            "note": '<c t="e"><v>#N/A</v></c>',  # a column not imported: refuses nothing
            "end": "<c><f>TODAY()+365</f><v></v></c>",
            "value": '<c t="e"><v>#REF!</v></c>',
        },
    )
    content = without_references(content, rows)
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        assert b'<c r="' not in z.read("xl/worksheets/sheet1.xml")  # (no cell says where it is)
    p = prepare(content, "camden.xlsx")
    assert p.refused is None
    said = [(x.where(), x.value) for x in p.rejects]
    assert said == [("row 4, column 'Contract end'", "=TODAY()+365"),
                    ("row 5, column 'Annual value'", "#REF!")]  # fmt: skip
    assert "The formula in cell D4 of sheet 'Register' was never calculated" in p.rejects[0].reason
    assert rows_of(p, "row", "system") == [(2, "Mosaic"), (3, "Spydus")]


def _two_row_header(merged: bool) -> list[list]:
    dates = ["Contract", "", ] if merged else ["Contract", "Contract"]  # fmt: skip
    return [
        ["Borough", "Service area", "System", "Vendor", *dates, "Annual value"],
        ["", "", "", "", "Start", "End", ""],
        ["Camden", "Housing", "Mosaic", "Servelec", "01/04/2021", "31/03/2027", "120000"],
        ["Camden", "Planning", "Uniform", "Idox", "01/04/2020", "30/09/2026", "45000"],
    ]


@pytest.mark.parametrize("kind", ["xlsx, merged", "csv", "csv, merged"])
def test_a_header_of_two_rows_is_read_as_one(kind):
    """A workbook with "Contract" merged over two columns and "Start" and "End" under it: the
    second header row was refused as a contract with no borough, and every contract was stored
    with no start or end date."""
    rows = _two_row_header(merged="merged" in kind)
    if kind.startswith("xlsx"):
        wb = Workbook()
        for row in rows:
            wb.active.append(row)
        wb.active.merge_cells("E1:F1")
        buffer = io.BytesIO()
        wb.save(buffer)
        p = prepare(buffer.getvalue(), "register.xlsx")
    else:
        p = prepare("\n".join(",".join(r) for r in rows).encode(), "register.csv")
    assert p.refused is None, p.refused
    assert p.rows_read == 2 and len(p.records) == 2
    assert p.records["contract_start"].tolist() == [date(2021, 4, 1), date(2020, 4, 1)]
    assert p.records["contract_end"].tolist() == [date(2027, 3, 31), date(2026, 9, 30)]
    assert p.records["row"].tolist() == [3, 4]
    assert [q.reason for q in p.problems] == [
        "The header is two rows (1 and 2), read as one: “Contract Start”, “Contract End”."
    ]


def test_a_row_of_words_under_the_header_is_data_when_it_names_a_system():
    """The second header row's test must not take a data row of words for one."""
    rows = [
        ["Borough", "Service area", "System", "Vendor", "Notes"],
        ["Camden", "Housing", "Mosaic", "Servelec", "Start date to be agreed"],
    ]
    p = prepare("\n".join(",".join(r) for r in rows).encode(), "register.csv")
    assert p.refused is None and len(p.records) == 1
    assert p.records["system"].tolist() == ["Mosaic"]
