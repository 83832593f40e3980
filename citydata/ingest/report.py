"""What preparing a file gives back: the accepted records and every problem found, at once.

A `Problem` carries what a person needs to find and fix it in their own file: the row number as
their spreadsheet shows it (a CSV opened in one too), the column name as written in the file,
the value as written and a plain-English reason. `severity` says what became of the row: left
out for a fault to fix ("refused"), left out because it is not a contract (a total row, a
repeated header: "skipped"), or imported with a change ("warning"). `Prepared.outcome` says it
in words, the same on the Upload page and on the command line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from citydata.core.formatting import count
from citydata.ingest import records as _records

REFUSED = "refused"
SKIPPED = "skipped"
# Formats of published notices (Contracts Finder, Find a Tender, OCDS): they are stored as the
# borough's published notices, beside (never instead of) its register.
PUBLISHED_FORMATS = frozenset({"contracts_finder", "contracts_finder_api", "ocds", "ocds_flat"})
WARNING = "warning"
# What each format `recognise` tells apart is called, for people: the upload's "Recognised as
# ..." and `import`'s "recognised as ...".
FORMAT_LABELS = {
    "template": "the City Tools Explorer template",
    "transparency": "a contracts register under the Local Government Transparency Code",
    "contracts_finder": "a Contracts Finder export",
    "contracts_finder_api": "a Contracts Finder search (its API's answer)",
    "ocds": "Open Contracting Data Standard (OCDS) JSON",
    "ocds_flat": "Open Contracting Data Standard (OCDS) notices, flattened into a table",
    "generic": "a spreadsheet of contracts (columns matched by their names)",
}


def format_label(fmt: str) -> str:
    """What the format `fmt` is called, for people ("a Contracts Finder export")."""
    return FORMAT_LABELS.get(fmt, fmt)


# How the reasons of rows of published notices left out, not refused, begin (a row of another
# council's, or not recognised, is refused on the buyer's column): citydata.ingest.published.
NOT_TECHNOLOGY = "Not a technology contract"
OLDER_RELEASE = "An older release of notice"
WITHDRAWN = "Withdrawn or cancelled"
# What became of a problem's row, in words (see `Problem.outcome`).
OUTCOMES = {
    REFUSED: "not imported",
    SKIPPED: "skipped, not imported",
    WARNING: "imported with a change",
}
# What became of a notices file's row left out with nothing to fix (`Prepared.left_out_problems`),
# as the Upload page lists it ("Rows left out, with nothing to fix") and `import` says it
LEFT_OUT = "left out"
VALUE_CHARS = 200
QUOTED_CHARS = 60  # a value quoted inside a reason
REASON_CHARS = 500
# A quoted value opens with a quote mark that a space does not follow: else the text
# between a value's closing quote and an apostrophe ("the 33 London authorities' contracts")
# would be taken for a value and cut.
_LONG_QUOTED = re.compile(rf"(?<!\w)'(?=\S)([^']{{{QUOTED_CHARS + 1},}})'(?!\w)")


class IngestError(ValueError):
    """A prepared file that cannot be stored (it was refused, or nothing in it was accepted).

    `prepare()` itself never raises for bad input; this is what the store raises when asked to
    commit a refused `Prepared`, and what `Prepared.check()` raises.
    """

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


def shown(value: Any) -> str | None:
    """A value as a person would recognise it, cut to VALUE_CHARS characters."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value)
    if len(text) > VALUE_CHARS:
        return text[: VALUE_CHARS - 1] + "…"
    return text


@dataclass(frozen=True)
class Problem:
    row: int | None  # the row as a spreadsheet shows it (a CSV too); None = the file
    column: str | None  # source column name as written in the file
    value: str | None  # the offending value as written (cut to ~200 characters)
    reason: str  # plain English: why
    severity: str  # "refused" | "skipped" (neither imported) | "warning" (imported with a change)

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "value": self.value, "reason": self.reason}

    def outcome(self, file_refused: bool = False) -> str | None:
        """What became of the row, in words: "not imported", "skipped, not imported" or
        "imported with a change" (`OUTCOMES`); "not imported" whatever it is when the whole
        file is refused (`file_refused`), as then no row of it is. None for a note about the
        whole file: it has no row, and its reason says what was done."""
        if self.about_file:
            return None
        if file_refused and self.severity == WARNING:
            return OUTCOMES[REFUSED]
        return OUTCOMES[self.severity]

    @property
    def about_file(self) -> bool:
        """A note about the whole file (its layout, a column, its encoding), not about one row.

        Such a note has no row number and is never shown with one: its reason says what and why
        on its own (see `where`)."""
        return self.row is None

    def where(self) -> str:
        """Where to look, in words: "row 12, column 'Vendor'", "column 'Value'", "the file"."""
        parts = [] if self.row is None else [f"row {self.row}"]
        if self.column:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts) or "the file"


@lru_cache(maxsize=4096)  # most reasons repeat row after row
def short_reason(reason: str) -> str:
    """A reason as shown: values it quotes cut to QUOTED_CHARS, the whole to REASON_CHARS."""
    reason = _LONG_QUOTED.sub(lambda m: f"'{m[1][: QUOTED_CHARS - 1]}…'", reason)
    return reason if len(reason) <= REASON_CHARS else reason[: REASON_CHARS - 1] + "…"


def refused(row: int | None, column: str | None, value: Any, reason: str) -> Problem:
    return Problem(row, column, shown(value), short_reason(reason), REFUSED)


def warning(row: int | None, column: str | None, value: Any, reason: str) -> Problem:
    return Problem(row, column, shown(value), short_reason(reason), WARNING)


def skipped(row: int | None, column: str | None, value: Any, reason: str) -> Problem:
    """A row (or the lines above the header) left out because it holds no contract: a total
    row, a repeated header, a title. Not imported, and nothing in the file needs fixing."""
    return Problem(row, column, shown(value), short_reason(reason), SKIPPED)


def _distinct_rows(rows: pa.ChunkedArray) -> int:
    """How many different row numbers there are: counted along them where they never go down
    (a register's, one record a row, in the file's order: 0.01 s at a million rows, where a
    hash of every number took 0.09 s), else by their hash."""
    if rows.null_count == 0 and len(rows) > 1:
        steps = np.diff(rows.to_numpy())
        if (steps >= 0).all():
            return int(np.count_nonzero(steps)) + 1
    return len(pc.unique(rows))


def _row_order(p: Problem) -> tuple[int, int]:
    return (0 if p.row is None else 1, p.row or 0)


# A file's problems are listed one by one up to SHOWN of them. More (a council's payments file
# had 639 lines with 5 values where its header names 6) are summed up by kind: EXAMPLES of each
# kind, how many more rows are like them, at most KINDS kinds; the full list is in the Upload
# page's table and its download, and in `import --json`.
SHOWN = 20
EXAMPLES = 5
KINDS = 8
# What a reason says but for its row and the values it quotes: "Line 19 has 5 values but the
# header row has 6" and "Line 20 has 4 values but the header row has 6" are one kind.
_QUOTED_VALUE = re.compile(r"(?<!\w)'[^']*'(?!\w)|“[^”]*”")
_NUMBER = re.compile(r"\d+(?:[.,:/]\d+)*")


@dataclass(frozen=True)
class Kind:
    """Problems alike but for their rows and the values they quote, in the file's order."""

    problems: tuple[Problem, ...]

    @property
    def examples(self) -> tuple[Problem, ...]:
        """The first EXAMPLES of them: the ones shown."""
        return self.problems[:EXAMPLES]

    @property
    def more(self) -> int:
        """How many are not among the examples."""
        return len(self.problems) - len(self.examples)

    def more_like_this(self) -> str:
        """'… and 634 more rows like this.' ('' when every one is an example)."""
        if not self.more:
            return ""
        return f"… and {count(self.more, 'more row')} like this."


def beyond_kinds(kinds_: list[Kind]) -> str:
    """'12 more problems of 3 other kinds' for the kinds past the first KINDS, or ''."""
    others = kinds_[KINDS:]
    if not others:
        return ""
    left = sum(len(k.problems) for k in others)
    return f"{count(left, 'more problem')} of {count(len(others), 'other kind')}"


def kinds(problems: Iterable[Problem]) -> list[Kind]:
    """`problems` by kind (severity, column and what the reason says but for its row and the
    values it quotes), each kind where its first problem comes; notes about the whole file are
    a kind of their own each."""
    found: dict[tuple[Any, ...], list[Problem]] = {}
    for i, p in enumerate(problems):
        if p.about_file:
            key: tuple[Any, ...] = ("file", i)
        else:
            pattern = _NUMBER.sub("#", _QUOTED_VALUE.sub("'…'", p.reason))
            key = (p.severity, p.column, pattern)
        found.setdefault(key, []).append(p)
    return [Kind(tuple(same)) for same in found.values()]


@dataclass
class Prepared:
    file_name: str
    format: str  # "template" | "transparency" | "contracts_finder" | "ocds" | "generic"
    encoding: str | None
    columns: list[str]
    mapping: dict[str, str | None]
    suggested_mapping: dict[str, str | None]
    records: pd.DataFrame  # accepted rows: schema.FIELD_NAMES + ["row"]
    problems: list[Problem]
    refused: str | None
    rows_read: int
    sheet: str | None = None  # the XLSX sheet read (None for other formats)
    sheets: list[str] = field(default_factory=list)  # every sheet of an XLSX workbook
    # The accepted records as typed values, for a file read by DuckDB (citydata.ingest.records;
    # None otherwise). Then `records` is made from it only when something reads it.
    table: pa.Table | None = None
    # (published notices) records left out per borough code: older releases of a notice the
    # file also holds a newer release of (citydata.ingest.published.newest_releases)
    older_releases: dict[str, int] = field(default_factory=dict)
    # (Contracts Finder's CSV) columns a field is read from where its mapped column is blank
    # in a row (citydata.ingest.recognise.fallbacks)
    also_read: list[str] = field(default_factory=list)
    # (OCDS) entries of the file's list of releases that gave no row: `not_notices` are not a
    # release at all (a number, text, null), `merged_releases` are earlier releases of a notice
    # merged into its newest in the same file (citydata.ingest.ocds.unread)
    not_notices: int = 0
    merged_releases: int = 0
    # (published notices) the notices the file says were withdrawn, cancelled or unsuccessful
    # (citydata.ingest.withdrawn.Withdrawal): left out of `records`, and taken out of those held
    withdrawn: list[Any] = field(default_factory=list)
    # (published notices) the rows of a notice bought jointly by several of the region's
    # councils: row -> the records it gives, one for each council (citydata.ingest.joint)
    joint: dict[int, int] = field(default_factory=dict)

    def set_table(self, table: pa.Table) -> None:
        """Accepted records as a typed table; `records` follows from it when first read."""
        self.__dict__.pop("records", None)
        self.table = table

    def __getattr__(self, name: str) -> Any:
        # Called only for an attribute not found: `records` of a file whose records are a table.
        table = self.__dict__.get("table")
        if name != "records" or table is None:
            raise AttributeError(name)
        frame = self.__dict__["records"] = _records.frame(table)
        return frame

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "records":  # new records replace the table they were made from
            self.__dict__["table"] = None
        super().__setattr__(name, value)

    @property
    def format_label(self) -> str:
        """What the file was recognised as, for people ("a Contracts Finder export")."""
        return format_label(self.format)

    @property
    def records_accepted(self) -> int:
        """The records the accepted rows give (a row naming two suppliers gives two)."""
        table = self.__dict__.get("table")
        return table.num_rows if table is not None else len(self.records)

    @property
    def rows_accepted(self) -> int:
        """The file's rows that give at least one record: with `rows_refused` and the rows
        skipped, what `rows_read` adds up to."""
        table = self.__dict__.get("table")
        if table is not None:
            rows = table["row"] if "row" in table.column_names else None
            return table.num_rows if rows is None else _distinct_rows(rows)
        if "row" not in self.records.columns:
            return len(self.records)
        rows = self.records["row"]
        return int(rows.nunique()) + int(rows.isna().sum())

    @property
    def source_kind(self) -> str:
        """'published' for notices from a publisher, 'register' for a borough's own register."""
        return "published" if self.format in PUBLISHED_FORMATS else "register"

    @property
    def rows_refused(self) -> int:
        """Rows not imported for a fault (for published notices, not those `rows_left_out`)."""
        refused = {p.row for p in self.problems if p.severity == REFUSED and p.row is not None}
        return len(refused - self.left_out_rows)

    @property
    def rows_left_out(self) -> int:
        """(published notices) rows not imported for what they are, with nothing to fix: not
        technology, another council's (or a buyer not recognised), an older release of a
        notice the file holds a newer release of, or a notice withdrawn or cancelled. 0 for a
        register."""
        return len(self.left_out_rows)

    @property
    def left_out_rows(self) -> set[int]:
        """The rows `rows_left_out` counts."""
        return {p.row for p in self.left_out_problems if p.row is not None}

    @property
    def left_out_problems(self) -> list[Problem]:
        """(published notices) why each row `rows_left_out` counts was left out, in the file's
        order of rows: not a fault to fix, so not among the problems to show as such."""
        if self.source_kind != "published":
            return []
        buyer = self.mapping.get("borough")
        return [
            p
            for p in self.in_order
            if p.row is not None
            and (
                (
                    p.severity == REFUSED
                    and (p.column == buyer or p.reason.startswith(NOT_TECHNOLOGY))
                )
                or (
                    p.severity == SKIPPED
                    and (p.reason.startswith(OLDER_RELEASE) or p.reason.startswith(WITHDRAWN))
                )
            )
        ]

    @property
    def row_faults(self) -> list[Problem]:
        """`row_problems` but for the rows left out with nothing to fix (`left_out_problems`):
        the rows' problems to show as such."""
        why = {id(p) for p in self.left_out_problems}
        return [p for p in self.row_problems if id(p) not in why]

    @property
    def rows_warned(self) -> int:
        """Accepted rows that were imported with at least one change (a skipped total row or
        repeated header has its row number, but is not imported)."""
        warned = {p.row for p in self.problems if p.severity == WARNING and p.row is not None}
        if self.table is not None:
            found = pc.is_in(self.table["row"], value_set=pa.array(sorted(warned), pa.int64()))
            return int(pc.sum(found).as_py() or 0)
        if "row" in self.records.columns:
            return len(warned & set(self.records["row"].tolist()))
        return len(warned - {p.row for p in self.problems if p.severity == REFUSED})

    @property
    def file_notes(self) -> list[Problem]:
        """Notes about the whole file (no row number)."""
        return [p for p in self.problems if p.about_file]

    @property
    def row_problems(self) -> list[Problem]:
        """Problems of single rows, each with its row number, in the file's order of rows."""
        return [p for p in self.in_order if not p.about_file]

    @property
    def in_order(self) -> list[Problem]:
        """Every problem as a person reads them: notes about the whole file first, then the
        rows' problems in the file's order of rows (a row's own problems as they were found),
        as the Upload page, `import` and `import --json` list them."""
        return sorted(self.problems, key=_row_order)

    @property
    def kinds(self) -> list[Kind]:
        """`in_order` by kind (see `kinds`): how a long list of problems is summed up."""
        return kinds(self.in_order)

    @property
    def unused_columns(self) -> list[str]:
        """The file's columns that no field is read from: they will not be imported."""
        used = {c for c in self.mapping.values() if c} | set(self.also_read)
        return [c for c in self.columns if c not in used]

    @property
    def boroughs(self) -> list[str]:
        if self.table is not None:
            return sorted(c for c in pc.unique(self.table["borough_code"]).to_pylist() if c)
        if self.records.empty:
            return []
        return sorted(self.records["borough_code"].dropna().unique().tolist())

    @property
    def rejects(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == REFUSED]

    @property
    def warnings(self) -> list[Problem]:
        """Every problem that is not a refusal: changes to imported rows, rows skipped, notes
        about the file (each says what became of its row: `Prepared.outcome`)."""
        return [p for p in self.problems if p.severity != REFUSED]

    def outcome(self, p: Problem) -> str | None:
        """What became of the row of `p`, one of this file's problems (`Problem.outcome`)."""
        return p.outcome(file_refused=bool(self.refused))

    def _as_dict(self, p: Problem, left_out: set[int]) -> dict[str, Any]:
        """`outcome` as it always was ("skipped, not imported" for an older release too);
        `left_out` beside it: true for a row left out with nothing to fix, as the Upload page
        and `import` list it."""
        return p.as_dict() | {"outcome": self.outcome(p), "left_out": id(p) in left_out}

    def check(self) -> Prepared:
        """Self, or IngestError when nothing from this file may be stored."""
        if self.refused:
            raise IngestError(self.refused, self.problems)
        if self.rows_accepted == 0:
            raise IngestError("No rows of this file can be imported.", self.problems)
        return self

    def to_json(self) -> dict[str, Any]:
        """A plain dict for `--json` output: format, mapping, counts, rejects and warnings."""
        left = {id(p) for p in self.left_out_problems}
        return {
            "file_name": self.file_name,
            "format": self.format,
            "source_kind": self.source_kind,
            "encoding": self.encoding,
            "sheet": self.sheet,
            "refused": self.refused,
            "mapping": dict(self.mapping),
            "suggested_mapping": dict(self.suggested_mapping),
            "boroughs": self.boroughs,
            "rows_read": self.rows_read,
            "rows_accepted": self.rows_accepted,
            "records_accepted": self.records_accepted,
            "rows_rejected": self.rows_refused,
            "rows_left_out": self.rows_left_out,
            "not_notices": self.not_notices,
            "rows_warned": self.rows_warned,
            "rejects": [self._as_dict(p, left) for p in sorted(self.rejects, key=_row_order)],
            "warnings": [self._as_dict(p, left) for p in sorted(self.warnings, key=_row_order)],
        }
