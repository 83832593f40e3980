"""Excel's error values (#REF!, #N/A...), and a sheet's error cells, which calamine reads as empty.

`ERRORS` is every error value Excel shows in a cell whose formula failed; `error(value)` says
whether a cell read from any file holds one. The rules refuse a row whose field holds one,
whatever the field and whether the file is a workbook or a CSV saved from one (which writes the
error as its text).

calamine reads an error cell as an empty one, so a broken formula would pass for a blank
("No end date is given") and an amount that failed would vanish without a word. Here the
sheet's XML is scanned for cells of type "e" (streamed, a piece at a time: most sheets have
none, and then nothing else is done), and each one's error text is given back, so the error
is read as a CSV of the same sheet reads it: as its text, which the rules refuse.
`readable` lets calamine open a workbook with an error it does not know (#GETTING_DATA...).
"""

from __future__ import annotations

import html
import io
import posixpath
import re
import zipfile
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
_ATTRS = re.compile(r"""([\w:]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_TAG = r"<(?:\w+:)?{}\b([^>]*?)/?>"
_REF = re.compile(r"([A-Z]{1,3})([0-9]{1,7})")


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


def _scan(stream: io.BufferedIOBase) -> bytes:
    """The sheet's cells of type "e", as XML: b'' when it has none. Read a piece at a time;
    a cell cut at a piece's end is read with the next piece."""
    found, tail = [], b""
    while chunk := stream.read(_CHUNK):
        text = tail + chunk
        cut = max(text.rfind(b"</c>"), text.rfind(b":c>"))  # the end of the last whole cell
        cut = text.find(b">", cut) + 1 if cut >= 0 else 0
        whole, tail = text[:cut], text[cut:]
        if _marked(whole):
            found += [m[0] for m in _CELL.finditer(whole) if _MARK.search(m[1])]
    if _marked(tail):
        found += [m[0] for m in _CELL.finditer(tail) if _MARK.search(m[1])]
    return b"".join(found)


def error_cells(content: bytes, sheet: str) -> dict[tuple[int, int], str]:
    """(row, column) from 0 -> the error text ('#REF!') of each error cell of `sheet`."""
    out: dict[tuple[int, int], str] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            part = _part(z, sheet)
            if part is None or part not in z.namelist():
                return out
            with z.open(part) as stream:
                cells = _scan(stream)
    except (KeyError, OSError, zipfile.BadZipFile, ValueError):
        return out
    for m in _CELL.finditer(cells):
        ref = _REF.fullmatch(_attrs(m[1].decode("utf-8", "replace")).get("r", ""))
        value = _VALUE.search(m[2])
        if ref and value:
            column = 0
            for letter in ref[1]:
                column = column * 26 + ord(letter) - 64
            text = html.unescape(value[1].decode("utf-8", "replace")).strip()
            if ERROR.fullmatch(text):
                out[(int(ref[2]) - 1, column - 1)] = text
    return out


def readable(content: bytes) -> bytes | None:
    """A copy of the workbook that calamine can read, or None when it has nothing this changes:
    each error cell holding an error calamine does not know (#GETTING_DATA, #SPILL!...) holds
    #N/A instead, which calamine reads as empty (`error_cells`, reading `content`, gives the error
    as it is). Only for a workbook calamine would not open: every sheet is read and written again.
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
