"""Supplier satisfaction (1 poor .. 5 good) per vendor and per borough, and the original finding.

City Tools found that boroughs with more suppliers reported lower satisfaction. `summary` gives
the correlation between a borough's number of suppliers and its average score, always with the
number of scored records and boroughs, so nobody over-reads a handful. Averages are rounded to
two decimals; only scored records count towards them.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from citydata import queries
from citydata.db import Reader
from citydata.filters import FilterState

MIN_BOROUGHS_FOR_CORRELATION = 3


def by_vendor(r: Reader, state: FilterState) -> pd.DataFrame:
    """Vendors with at least one scored record: records, scored records, average score."""
    sql, params = queries.base(state)
    return r.df(
        f"""SELECT vendor, count(*) AS records, count(satisfaction) AS scored,
            round(avg(satisfaction), 2) AS average
        FROM ({sql}) AS b GROUP BY vendor HAVING count(satisfaction) > 0
        ORDER BY scored DESC, average DESC, vendor""",
        params,
    )


def by_borough(r: Reader, state: FilterState) -> pd.DataFrame:
    """Every borough in the selection: its suppliers (distinct vendors), records, scored
    records and average score (empty when none is scored)."""
    sql, params = queries.base(state)
    return r.df(
        f"""SELECT borough, count(DISTINCT vendor) AS suppliers, count(*) AS records,
            count(satisfaction) AS scored, round(avg(satisfaction), 2) AS average
        FROM ({sql}) AS b GROUP BY borough ORDER BY borough""",
        params,
    )


def summary(r: Reader, state: FilterState) -> dict[str, Any]:
    """Scored records, boroughs with a score, the average, and the suppliers-satisfaction
    correlation (Pearson's r over boroughs with a score; None for fewer than three)."""
    sql, params = queries.base(state)
    params["min_boroughs"] = MIN_BOROUGHS_FOR_CORRELATION
    row = r.rows(
        f"""
        WITH b AS MATERIALIZED ({sql}),
        per AS (SELECT borough, count(DISTINCT vendor) AS suppliers,
                       avg(satisfaction) AS average, count(satisfaction) AS scored
                FROM b GROUP BY borough)
        SELECT (SELECT count(*) FROM b), (SELECT count(satisfaction) FROM b),
               (SELECT round(avg(satisfaction), 2) FROM b),
               (SELECT count(*) FROM per WHERE scored > 0),
               (SELECT CASE WHEN count(*) >= $min_boroughs
                            THEN round(corr(suppliers, average), 2) END
                FROM per WHERE scored > 0)""",
        params,
    )[0]
    keys = ("records", "scored", "average", "boroughs_scored", "correlation")
    out = dict(zip(keys, row, strict=True))
    for key in ("average", "correlation"):
        value = out[key]
        out[key] = None if value is None or value != value else float(value)
    return out


def correlation_words(r: float | None) -> str:
    """Pearson's r in plain English: "a weak link: more suppliers, lower satisfaction"."""
    if r is None:
        return "too few boroughs with scores to say"
    size = abs(r)
    if size < 0.1:
        return f"no clear link (r = {r:+.2f})"
    strength = "a weak" if size < 0.3 else "a moderate" if size < 0.5 else "a strong"
    direction = "lower" if r < 0 else "higher"
    return f"{strength} link: more suppliers, {direction} satisfaction (r = {r:+.2f})"
