"""Excel's error values (#REF!, #N/A...), and the cells of a sheet that calamine cannot tell.

`ERRORS` is every error value Excel shows in a cell whose formula failed; `error(value)` says
whether a cell read from any file holds one. The rules refuse a row whose field holds one,
whatever the field and whether the file is a workbook or a CSV saved from one (which writes the
error as its text).

calamine reads two kinds of cell of a workbook as empty, so a broken or missing value would
pass for a blank ("No end date is given") and an amount would vanish without a word:
- an error cell (type "e": #REF!, #DIV/0!, #N/A...);
- a formula saved without its value: the file holds the formula but no result, because the
  program that wrote it (a script, some exporters) does not work formulas out and Excel never
  opened it since (`<f>` with no `<v>`, or an empty `<v/>`: Excel itself writes an empty `<v/>`
  only for a formula whose result is empty text, `t="str"`, which is a value).
`cells` scans the sheet's XML for both (streamed, a piece at a time; a search for a letter
rules out most pieces of a sheet of values, and a search for a formula's tag, not every cell's,
the rest: most sheets have neither kind of cell, and then nothing else is done) and gives each
one's position: an error cell as its error text, read as a CSV of the same sheet reads it, and a
formula without a value as `Uncalculated`, which the rules refuse saying which cell it is. A
cell may leave out its reference (r="D4"; some writers do): when one of those cells does, every
cell of the sheet is placed by counting, as calamine places it (`_placed`).
`readable` lets calamine open a workbook with an error it does not know (#GETTING_DATA...).
"""

from __future__ import annotations

import html
import io
import posixpath
import re
import zipfile
from dataclasses import dataclass
from typing import Any

# Every error value Excel shows in a cell (ECMA-376's eight, #GETTING_DATA among them, and
# those of newer versions: dynamic arrays, linked data types, Python in Excel)
ERRORS = (
    "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
    "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#PYTHON!",
)  # fmt: skip
# Any of ERRORS, in any case (the rules match it against text they have lower-cased)
ERROR = re.compile("|".join(re.escape(e) for e in ERRORS), re.I)
# The errors calamine reads in an error cell (as empty); any other makes it refuse the whole
# workbook ("Unsupported cell error value '#GETTING_DATA'"): see `readable`
_CALAMINE_READS = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"}
_UNREADABLE = [e.encode() for e in ERRORS if e not in _CALAMINE_READS]
_CHUNK = 1 << 20
_MARK = re.compile(rb"""\bt=["']e["']""")
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*)>(.*?)</(?:\w+:)?c>", re.S)
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_EMPTY_VALUE = re.compile(rb"<(?:\w+:)?v\s*/>")
_FORMULA = re.compile(rb"<(?:\w+:)?f\b[^>]*?(?:/>|>([^<]*)</(?:\w+:)?f>)", re.S)
_ATTRS = re.compile(r"""([\w:]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_TAG = r"<(?:\w+:)?{}\b([^>]*?)/?>"
_R = re.compile(rb"""\br=["']([A-Z]{1,3})([0-9]{1,7})["']""")
_T = re.compile(rb"""\bt=["'](\w*)["']""")
_SHEET_DATA = re.compile(rb"<(\w+:)?sheetData\b")
# A row's start tag (its attributes, group 1) or a whole cell (its attributes, group 2)
_ROW_OR_CELL = re.compile(
    rb"<(?:\w+:)?(?:row\b([^>]*?)/?>|c\b([^>]*?)(?:/>|>.*?</(?:\w+:)?c>))", re.S
)
_ROW_NUMBER = re.compile(rb"""\br=["']([0-9]{1,7})["']""")


@dataclass(frozen=True)
class Uncalculated:
    """A formula cell saved without its value: Excel never calculated it."""

    cell: str  # as Excel names it: 'E5'
    sheet: str
    formula: str | None  # as the formula bar shows it ('=B5*12'); None for a shared copy

    def __str__(self) -> str:
        return self.formula or ""

    def reason(self) -> str:
        """Why its row is refused, and what to do, in words."""
        return (
            f"The formula in cell {self.cell} of sheet '{self.sheet}' was never calculated: the "
            "file was saved by a program that does not work formulas out, so it holds no value "
            "for this cell. Open the file in Excel and save it, so its values are stored, then "
            "upload it again."
        )


def error(value: Any) -> str | None:
    """The Excel error a cell holds ('#N/A', as written, without spaces around it), or None."""
    if value.__class__ is not str or "#" not in value:
        return None
    text = value.strip()
    return text if ERROR.fullmatch(text) else None


def reason(written: str, what: str) -> str:
    """Why a cell holding the Excel error `written` is refused, where `what` was expected."""
    return f"'{written}' is an Excel error (the cell's formula failed), not {what}."


def _attrs(text: str) -> dict[str, str]:
    return {m[1]: html.unescape(m[2] if m[2] is not None else m[3]) for m in _ATTRS.finditer(text)}


def _part(z: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip member holding the sheet named `sheet`, or None."""
    book = z.read("xl/workbook.xml").decode("utf-8", "replace")
    rid = None
    for m in re.finditer(_TAG.format("sheet"), book):
        attrs = _attrs(m[1])
        if attrs.get("name") == sheet:
            rid = next((v for k, v in attrs.items() if k.endswith(":id")), None)
    rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    for m in re.finditer(_TAG.format("Relationship"), rels):
        attrs = _attrs(m[1])
        if rid is not None and attrs.get("Id") == rid and attrs.get("Target"):
            target = attrs["Target"]
            return target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
    return None


def _marked(text: bytes) -> bool:
    """Whether `text` may hold a cell of type "e" (a plain search: most sheets have none)."""
    return b't="e"' in text or b"t='e'" in text


class _Marks:
    """What a formula cell saved without its value looks like in a sheet whose elements are
    written with `prefix` (b'' or b'x:'): a formula, then an empty value or none, then the
    cell's end."""

    def __init__(self, prefix: bytes) -> None:
        f, v, c = (b"<" + prefix + name for name in (b"f", b"v", b"c"))
        formula = rb"\b[^>]*?(?:/>|>[^<]*</" + prefix + rb"f>)"
        empty = rb"(?:" + v + rb"\s*/>|" + v + rb"></" + prefix + rb"v>)"
        # From the formula (a search for its tag, rare in a sheet, not for every cell's): an
        # empty value or none, except Excel's own empty text result, a value (type "str" with
        # an empty value; a lookbehind, so such cells cost no Python: a sheet of
        # =IF(...,"",...) is common). The type "str" with no value at all is matched.
        self.cell = re.compile(
            re.escape(f)
            + rb"(?:(?<!t=\"str\">"
            + re.escape(f)
            + rb")"
            + formula
            + empty
            + rb"?|"
            + formula
            + rb")</"
            + re.escape(prefix)
            + rb"c>"
        )
        self.open = c

    def cells(self, text: bytes) -> list[bytes]:
        """The cells of `text` (whole cells only) that may be formulas without a value."""
        found = []
        for m in self.cell.finditer(text):
            start = text.rfind(self.open, 0, m.start())  # (the cell's start: just before)
            if start >= 0:
                found.append(text[start : m.end()])
        return found


def _suspects(text: bytes, marks: _Marks | None) -> list[bytes]:
    """The cells of `text` that may be error cells or formulas without a value.

    (A sheet of shared strings and numbers, as Excel writes one, has no 'e' and no 'f' in its
    cells: a search for the letter alone, far quicker than for longer text, rules most of it
    out.)"""
    found = []
    if b"e" in text and _marked(text):
        found += [m[0] for m in _CELL.finditer(text) if _MARK.search(m[1])]
    if marks is not None and b"f" in text:
        found += marks.cells(text)
    return found


def _scan(stream: io.BufferedIOBase) -> list[bytes]:
    """The sheet's cells that may be error cells or formulas without a value, each as its XML:
    none for most sheets. Read a piece at a time; a cell cut at a piece's end is read with the
    next piece."""
    found, tail, marks = [], b"", None
    while chunk := stream.read(_CHUNK):
        text = tail + chunk
        if marks is None and (m := _SHEET_DATA.search(text)):  # (cells come after it)
            marks = _Marks(m[1] or b"")
        cut = _whole(text)
        whole, tail = text[:cut], text[cut:]
        found += _suspects(whole, marks)
    found += _suspects(tail, marks)
    return found


def _at(cell: bytes) -> tuple[int, int]:
    """(row, column) from 0 of a cell that gives its reference (r="D4")."""
    ref = _R.search(cell.partition(b">")[0])
    assert ref is not None
    return int(ref[2]) - 1, _column(ref[1].decode())


def _placed(stream: io.BufferedIOBase) -> list[tuple[tuple[int, int], bytes]]:
    """Each cell of the sheet that may be an error cell or a formula without a value, with its
    (row, column) from 0: for a sheet whose rows or cells do not all say where they are.

    A row or cell without a reference comes right after the one before it (ECMA-376: `r` is
    optional), as calamine reads it. Slower than `_scan` (a step per cell), so only for sheets
    written that way, which are rare."""
    placed, tail, marks, row, column = [], b"", None, -1, -1
    while True:
        chunk = stream.read(_CHUNK)
        text = tail + chunk
        if marks is None and (m := _SHEET_DATA.search(text)):
            marks = _Marks(m[1] or b"")
        cut = _whole(text) if chunk else len(text)  # the rest waits for the next piece
        for m in _ROW_OR_CELL.finditer(text, 0, cut):
            if m[1] is not None:  # a row: its number, or the one after the row before
                number = _ROW_NUMBER.search(m[1])
                row, column = (int(number[1]) - 1 if number else row + 1), -1
                continue
            ref = _R.search(m[2])
            row, column = (int(ref[2]) - 1, _column(ref[1].decode())) if ref else (row, column + 1)
            if _suspects(m[0], marks):
                placed.append(((row, column), m[0]))
        if not chunk:
            return placed
        tail = text[cut:]


def _whole(text: bytes) -> int:
    """Where the last whole cell of `text` ends (0 when none does): after its end tag, </c> or
    </x:c>, never after a prefixed cell's start tag with no attributes (<x:c>)."""
    end = text.rfind(b"</c>")
    end = end + 4 if end >= 0 else 0
    colon = text.rfind(b":c>")
    while colon >= end:
        if text[text.rfind(b"<", 0, colon) + 1 : colon].startswith(b"/"):
            return colon + 3
        colon = text.rfind(b":c>", 0, colon)
    return end


def cells(content: bytes, sheet: str) -> dict[tuple[int, int], str | Uncalculated]:
    """(row, column) from 0 -> what calamine read as empty in that cell of `sheet`: an error
    cell's error text ('#REF!'), or `Uncalculated` for a formula saved without its value."""
    out: dict[tuple[int, int], str | Uncalculated] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            part = _part(z, sheet)
            if part is None or part not in z.namelist():
                return out
            with z.open(part) as stream:
                found = _scan(stream)
            if all(_R.search(cell.partition(b">")[0]) for cell in found):
                placed = [(_at(cell), cell) for cell in found]
            else:  # a writer that leaves out cells' references: place every cell by counting
                with z.open(part) as stream:
                    placed = _placed(stream)
    except (KeyError, OSError, zipfile.BadZipFile, ValueError):
        return out
    for at, cell in placed:
        head, _, body = cell.partition(b">")  # (the cell's attributes, and what it holds)
        kind = _T.search(head)
        value = _VALUE.search(body)
        if kind and kind[1] == b"e":
            text = html.unescape(value[1].decode("utf-8", "replace")).strip() if value else ""
            if ERROR.fullmatch(text):
                out[at] = text
            continue
        formula = _FORMULA.search(body)
        if formula is None or (value is not None and value[1].strip()) or b"<is>" in body:
            continue  # not a formula, or one with its value
        if kind and kind[1] == b"str" and (value is not None or _EMPTY_VALUE.search(body)):
            continue  # a formula whose value is empty text, as Excel saves one
        written = html.unescape(formula[1].decode("utf-8", "replace")).strip() if formula[1] else ""
        cell_ref = f"{_letters(at[1])}{at[0] + 1}"
        out[at] = Uncalculated(cell_ref, sheet, "=" + written if written else None)
    return out


def readable(content: bytes) -> bytes | None:
    """A copy of the workbook that calamine can read, or None when it has nothing this changes:
    each error cell holding an error calamine does not know (#GETTING_DATA, #SPILL!...) holds
    #N/A instead, which calamine reads as empty (`cells`, reading `content`, gives the error as
    it is). Only for a workbook calamine would not open: every sheet is read and written again.
    """

    def known(m: re.Match[bytes]) -> bytes:
        value = _VALUE.search(m[2])
        if not _MARK.search(m[1]) or value is None or value[1].strip().upper() not in _UNREADABLE:
            return m[0]
        body = m[2][: value.start(1)] + b"#N/A" + m[2][value.end(1) :]
        return m[0][: m.start(2) - m.start()] + body + m[0][m.end(2) - m.start() :]

    buffer, changed = io.BytesIO(), False
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as z, zipfile.ZipFile(buffer, "w") as out:
            for info in z.infolist():
                data = z.read(info)
                if info.filename.startswith("xl/worksheets/") and any(
                    e in data.upper() for e in _UNREADABLE
                ):
                    new = _CELL.sub(known, data)
                    changed, data = changed or new != data, new
                out.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    except (KeyError, OSError, zipfile.BadZipFile, ValueError):
        return None
    return buffer.getvalue() if changed else None


def _letters(column: int) -> str:
    """A column's number from 0 as its letters (0 is 'A', 26 is 'AA')."""
    letters = ""
    column += 1
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column(letters: str) -> int:
    """A column's letters as its number from 0 ('A' is 0, 'AA' is 26)."""
    column = 0
    for letter in letters:
        column = column * 26 + ord(letter) - 64
    return column - 1
