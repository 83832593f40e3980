"""Timing, statistics, peak memory and the recording reader that captures a query's SQL."""

from __future__ import annotations

import math
import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from citydata.store.db import Params, Reader


@dataclass(frozen=True)
class Statement:
    """One statement a query function ran: its SQL, bound parameters and how it was fetched."""

    sql: str
    params: Params
    fetch: str  # "df" (a DataFrame), "rows" (tuples), "scalar", "one" (a row), "execute"


class RecordingReader:
    """Stands in for a Reader: runs every statement as usual and remembers it, to replay raw.

    Reader methods it does not know (e.g. `register`) are passed through and their names kept
    in `other`: such a function cannot be replayed faithfully, and is reported as such.
    """

    def __init__(self, inner: Reader):
        self._inner = inner
        self.statements: list[Statement] = []
        self.other: list[str] = []

    def df(self, sql: str, params: Params = None) -> pd.DataFrame:
        self.statements.append(Statement(sql, params, "df"))
        return self._inner.df(sql, params)

    def rows(self, sql: str, params: Params = None) -> list[tuple]:
        self.statements.append(Statement(sql, params, "rows"))
        return self._inner.rows(sql, params)

    def scalar(self, sql: str, params: Params = None) -> Any:
        self.statements.append(Statement(sql, params, "scalar"))
        return self._inner.scalar(sql, params)

    def one(self, sql: str, params: Params = None) -> dict[str, Any] | None:
        self.statements.append(Statement(sql, params, "one"))
        return self._inner.one(sql, params)

    def stream(self, sql: str, params: Params = None, size: int = 10_000) -> Any:
        self.statements.append(Statement(sql, params, "rows"))
        return self._inner.stream(sql, params, size)

    def execute(self, sql: str, params: Params = None) -> None:
        self.statements.append(Statement(sql, params, "execute"))
        self._inner.execute(sql, params)

    def __getattr__(self, name: str) -> Any:
        self.other.append(name)
        return getattr(self._inner, name)


def replay_raw(cur: duckdb.DuckDBPyConnection, statements: Sequence[Statement]) -> int:
    """Run recorded statements straight on a DuckDB cursor, fetching each in DuckDB's own form.

    DataFrame statements are fetched as an Arrow table (DuckDB's columnar export, no pandas);
    the others with fetchall(), as the data layer does. Returns the rows of the last result.
    """
    n = 0
    for s in statements:
        if s.fetch == "df":
            n = cur.sql(s.sql, params=s.params).to_arrow_table().num_rows
        elif s.fetch == "one":  # every row fetched: an unfinished result blocks the cursor
            n = min(1, len(cur.execute(s.sql, s.params).fetchall()))
        else:
            n = len(cur.execute(s.sql, s.params).fetchall())
    return n


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds taken by fn() and what it returned."""
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def quantile(samples: Sequence[float], q: float) -> float:
    """The q-quantile by linear interpolation between order statistics (q=0.5 is the median)."""
    if not samples:
        return math.nan
    xs = sorted(samples)
    pos = (len(xs) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def summary(samples: Sequence[float]) -> dict[str, float]:
    return {"p50": quantile(samples, 0.5), "p95": quantile(samples, 0.95), "n": len(samples)}


def peak_rss_bytes() -> int:
    """This process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def result_rows(value: Any) -> int | None:
    """How many rows a query function returned (None for a dict of figures)."""
    return len(value) if isinstance(value, pd.DataFrame | list | tuple) else None
