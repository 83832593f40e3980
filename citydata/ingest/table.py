"""The data type every reader produces: cells under column names, with where each row came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from citydata.ingest.report import Problem


@dataclass
class Table:
    """Cells of the data rows under their column names, with each row's number in the file."""

    columns: list[str]
    data: pd.DataFrame  # object columns named as `columns`; cell values as read
    rows: list[int]  # the row (spreadsheet row / CSV line) each data row came from
    problems: list[Problem] = field(default_factory=list)
    rows_read: int = 0
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    kind: str = "table"  # "table" | "ocds"
    columnar: Any = None  # the rows held by citydata.ingest.bulk (then `data` has no rows)
    # (a workbook) whether a cell holds a formula saved without its value (xlerrors.Uncalculated)
    uncalculated: bool = False
    # (OCDS) the release each row was read from, numbered in the file's order: a release's
    # suppliers are rows of their own. None: each row is a release (a notice) of its own.
    releases: list[int] | None = None
    # (published notices) records left out per borough code as older releases of a notice the
    # file holds a newer release of (citydata.ingest.published.newest_releases)
    older_releases: dict[str, int] = field(default_factory=dict)
    # (OCDS) entries of the file's releases that gave no row (citydata.ingest.ocds.unread)
    not_notices: int = 0
    merged_releases: int = 0
    # (published notices) notices withdrawn or cancelled (citydata.ingest.withdrawn.Withdrawal)
    withdrawn: list[Any] = field(default_factory=list)
    # (published notices) how many councils bought each row's notice jointly (1: one council),
    # its value shared equally among them (citydata.ingest.joint). None: every row's is one's.
    shares: list[int] | None = None
    # (published notices) for each row of a joint notice, the other councils that bought it, as
    # the council's record names them ("Wandsworth"; several joined by "; "), None for a notice
    # with one buyer (citydata.ingest.joint). None: no row's notice is a joint one.
    bought_with: list[str | None] | None = None
    # (published notices) the rows of a joint notice: row -> the councils' records it gives
    joint: dict[int, int] = field(default_factory=dict)
