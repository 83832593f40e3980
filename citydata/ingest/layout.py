"""Find the table in a sheet of cells: the header row, the data rows, the real columns.

Spreadsheets saved as CSV bring their decoration with them: title and parameter lines above the
header, blank rows, a "Total" row at the foot, empty columns left behind by merged cells. The
header is the row among the first HEADER_SEARCH_ROWS that names the most known columns (or, when
none is known, the first row of text as wide as the table). Everything is reported, nothing is
dropped silently, except blank rows and empty unnamed columns (a row of nothing but Excel errors,
as a lookup filled down past the data leaves, is skipped and reported).
"""

from __future__ import annotations

import itertools
import re
from datetime import date, datetime, time
from typing import Any

import pandas as pd

from citydata.core import boroughs
from citydata.core.formatting import count
from citydata.ingest import recognise, xlerrors
from citydata.ingest.report import IngestError, Problem, refused, skipped, warning
from citydata.ingest.table import Table

HEADER_SEARCH_ROWS = 30
_HAS_WORD = re.compile(r"[^\W_]")
_NUMBER_OR_DATE = re.compile(r"[£$€]?\s*[-+(]?[\d.,/:\s-]+\)?%?(T[\d:.+Z-]*)?")
_TOTAL_START = frozenset("TtGgSs \u00a0")
_TOTAL = re.compile(r"(grand[\s-]*|sub[\s-]*)?totals?\s*:?", re.IGNORECASE)


def cell_text(value: Any) -> str:
    """A cell as text for the header and for blank/total checks."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return re.sub(r"\s+", " ", str(value).replace("\u00a0", " ")).strip()


def is_blank(row: list[Any]) -> bool:
    """No cell holds a letter or a digit (spaces, dashes and stray symbols do not count)."""
    for v in row:
        if v is None or v == "":
            continue
        if not isinstance(v, str) or _HAS_WORD.search(v):
            return False
    return True


def only_errors(row: list[Any]) -> str:
    """The Excel errors of a row that holds nothing else ('#N/A', '#N/A and #REF!'), or ''.

    A lookup formula filled down below the data fills such rows: they are no record."""
    found: list[str] = []
    for v in row:
        if v is None or v == "" or (isinstance(v, str) and not v.strip()):
            continue
        error = xlerrors.error(v)
        if error is None:
            return ""
        if error.upper() not in found:
            found.append(error.upper())
    return " and ".join(found)


def _has_value(v: Any) -> bool:
    return v is not None and (not isinstance(v, str) or bool(v.strip()))


def _text_like(value: Any) -> bool:
    if value is None or value == "":
        return True
    if isinstance(value, (int, float, date, datetime, time)):
        return False
    return _NUMBER_OR_DATE.fullmatch(cell_text(value)) is None


def find_header(rows: list[list[Any]]) -> int | None:
    """Index of the header among the first rows, or None when no row looks like one."""
    window = [(i, r) for i, r in enumerate(rows[: HEADER_SEARCH_ROWS * 4]) if not is_blank(r)]
    window = window[:HEADER_SEARCH_ROWS]
    if not window:
        return None
    widest = max(sum(1 for v in r if cell_text(v)) for _, r in window)
    best: tuple[int, int] | None = None
    for i, row in window:
        texts = [cell_text(v) for v in row]
        filled = sum(1 for t in texts if t)
        if sum(1 for v in row if not _text_like(v)) > filled // 5:
            continue  # a row of figures, not of names
        known = len({f for t in texts if t and (f := recognise.header_field(t))})
        if known and (best is None or known > best[1]):
            best = (i, known)
    if best is not None:
        return best[0]
    for i, row in window:
        filled = sum(1 for v in row if cell_text(v))
        if filled >= 2 and filled * 2 >= widest and all(_text_like(v) for v in row):
            return i
    return None


# The fields a data row names and a second header row never does: a row giving one is data.
_IDENTITY = frozenset({"borough", "service_area", "system"})


def second_header(rows: list[list[Any]], header_at: int) -> list[str] | None:
    """The column names when the row under the header is a second header row, each name the
    header's above it and its own ("Contract" merged over two columns, "Start" and "End" under
    it: "Contract Start", "Contract End"); None when it is not one.

    It is one when all of it is words (no figure, no date, no digit), it gives nothing under a
    column the header alone names as a borough, service area or system (a data row does), and
    read together the two rows name more known columns than the header alone.
    """
    if header_at + 1 >= len(rows) or is_blank(below := rows[header_at + 1]):
        return None
    header = [cell_text(v) for v in rows[header_at]]
    subs = [cell_text(v) for v in below]
    if any(not _text_like(v) or any(c.isdigit() for c in cell_text(v)) for v in below):
        return None
    width = max(len(header), len(subs))
    header += [""] * (width - len(header))
    subs += [""] * (width - len(subs))
    names, parent = [], ""
    for above, sub in zip(header, subs, strict=True):
        parent = above or parent  # a merged cell's name is in its first column only
        if sub and recognise.header_field(above) in _IDENTITY:
            return None
        names.append(f"{above or parent} {sub}".strip() if sub else above)
    known = len({f for t in header if t and (f := recognise.header_field(t))})
    if len({f for t in names if t and (f := recognise.header_field(t))}) <= known:
        return None
    return names


def preamble(rows: list[list[Any]], lines: list[int], header_at: int, unit: str) -> list[Problem]:
    """The note that title or note rows above the header were skipped, if there are any."""
    if not any(not is_blank(rows[i]) for i in range(header_at)):
        return []
    title = next(cell_text(v) for r in rows[:header_at] for v in r if cell_text(v))
    above, unit = lines[header_at] - 1, unit.lower()
    header = f"the header row ({unit} {lines[header_at]})"
    if above == 1:
        reason = f"The {unit} above {header} holds a title or notes, not contracts; it was skipped."
    else:
        reason = (
            f"The {above:,} {unit}s above {header} hold a title or notes, not contracts; they "
            "were skipped."
        )
    return [skipped(None, None, title, reason)]


def _column_name(position: int, by_letter: bool) -> str:
    if by_letter:  # a workbook: name columns by letter, as Excel shows them
        letters, n = "", position + 1
        while n:
            n, rem = divmod(n - 1, 26)
            letters = chr(65 + rem) + letters
        return f"Column {letters}"
    return f"Column {position + 1}"


def tabulate(
    rows: list[list[Any]], lines: list[int], *, ragged: bool, unit: str, max_rows: int
) -> Table:
    """The table in `rows` (cells as read; `lines` their rows as a spreadsheet numbers them);
    `unit` the word for a row; `ragged` for a CSV."""
    header_at = find_header(rows)
    if header_at is None:
        raise IngestError(
            "No header row was found: the first row of the table should name its columns "
            f"(for example {boroughs.noun(capital=True)}, Service area, System, Vendor, "
            "Contract end)."
        )
    problems = preamble(rows, lines, header_at, unit)
    header = [cell_text(v) for v in rows[header_at]]
    if (two := second_header(rows, header_at)) is not None:
        read = [f"“{n}”" for n, h in zip(two, header, strict=False) if n and n != h]
        problems.append(
            skipped(None, None, None, f"The header is two {unit.lower()}s "
                    f"({lines[header_at]} and {lines[header_at + 1]}), read as one: "
                    + ", ".join(read) + ".")
        )  # fmt: skip
        headers = [header, [cell_text(v) for v in rows[header_at + 1]]]  # (repeated below)
        header, header_at = two, header_at + 1
    else:
        headers = [header]
    body, numbers = _body(rows[header_at + 1 :], lines[header_at + 1 :], headers, unit, problems)
    if len(body) > max_rows:
        raise IngestError(
            f"This file has {len(body):,} rows; the most accepted in one file is {max_rows:,}. "
            f"Split it (one {boroughs.noun()} per file) and upload each."
        )
    rows_read = len(body)
    named = [i for i, h in enumerate(header) if h]
    last_named = named[-1] + 1 if named else 0
    width = max([len(header), *(len(r) for r in body)])
    if ragged:
        body, numbers = _ragged(body, numbers, header, last_named, unit, problems)
        width = last_named
    header = header[:width] + [""] * (width - len(header))
    columns = list(itertools.zip_longest(*body, fillvalue=None))[:width] if body else []
    columns += [()] * (width - len(columns))
    keep = [i for i in range(width) if header[i] or any(map(_has_value, columns[i]))]
    # (a CSV's unnamed columns by number, a workbook's by letter)
    names = _unique([header[i] or _column_name(i, not ragged) for i in keep])
    frame = pd.DataFrame(
        {
            name: pd.Series(list(columns[i]) or None, index=range(len(body)), dtype=object)
            for name, i in zip(names, keep, strict=True)
        }
    )
    return Table(columns=names, data=frame, rows=numbers, problems=problems, rows_read=rows_read)


def _body(
    rows: list[list[Any]],
    lines: list[int],
    headers: list[list[str]],
    unit: str,
    problems: list[Problem],
) -> tuple[list[list[Any]], list[int]]:
    """The data rows: blank rows dropped, total rows and repeated header rows (any of `headers`,
    as the file has them) skipped and reported."""
    body: list[list[Any]] = []
    numbers: list[int] = []
    for row, number in zip(rows, lines, strict=True):
        if is_blank(row):
            continue
        if errors := only_errors(row):
            problems.append(
                skipped(number, None, errors, f"{unit} {number} holds nothing but Excel errors "
                        f"({errors}), as formulas copied below the data do, and was skipped.")
            )  # fmt: skip
            continue
        first = next((v for v in row if v is not None and v != ""), "")
        first = cell_text(first) if isinstance(first, str) and first[:1] in _TOTAL_START else ""
        if first and _TOTAL.fullmatch(first):
            problems.append(
                skipped(number, None, first, f"{unit} {number} is a total row and was skipped.")
            )
            continue
        if any(row[:1] == h[:1] and [cell_text(v) for v in row] == h for h in headers):
            problems.append(
                skipped(number, None, None, f"{unit} {number} repeats the header and was skipped.")
            )
            continue
        body.append(row)
        numbers.append(number)
    return body, numbers


def _ragged(
    body: list[list[Any]],
    numbers: list[int],
    header: list[str],
    width: int,
    unit: str,
    problems: list[Problem],
) -> tuple[list[list[Any]], list[int]]:
    """CSV rows with more or fewer values than the header names: refuse or pad, and report."""
    used = [
        bool(header[i]) or any(_has_value(r[i]) for r in body if i < len(r)) for i in range(width)
    ]
    kept_rows, kept_numbers = [], []
    for row, number in zip(body, numbers, strict=True):
        n = len(row)
        if n > width and any(_has_value(v) for v in row[width:]):
            extra = " | ".join(cell_text(v) for v in row[width:] if _has_value(v))
            problems.append(
                refused(
                    number,
                    None,
                    extra,
                    f"{unit} {number} has {count(n, 'value')} but the header row has {width}, so "
                    "its values may be in the wrong columns; this row was not imported.",
                )
            )
            continue
        if n < width and any(used[n:width]):
            problems.append(
                warning(
                    number,
                    None,
                    None,
                    f"{unit} {number} has {count(n, 'value')} but the header row has {width}; the "
                    "missing values at the end were taken as blank.",
                )
            )
        kept_rows.append(row)
        kept_numbers.append(number)
    return kept_rows, kept_numbers


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out
