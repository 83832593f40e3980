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
    correlation (Pearson's r over boroughs with a score; None for fewer than three).

    One scan: the selection is reduced to one row per borough, and every figure read from that
    (the filtered rows themselves are never held in memory)."""
    sql, params = queries.base(state)
    params["min_boroughs"] = MIN_BOROUGHS_FOR_CORRELATION
    row = r.rows(
        f"""
        WITH per AS MATERIALIZED (
            SELECT borough, count(*) AS records, count(DISTINCT vendor) AS suppliers,
                   count(satisfaction) AS scored, sum(satisfaction) AS total,
                   avg(satisfaction) AS average
            FROM ({sql}) AS b GROUP BY borough)
        SELECT coalesce(CAST(sum(records) AS BIGINT), 0),
               coalesce(CAST(sum(scored) AS BIGINT), 0),
               round(sum(total) / nullif(sum(scored), 0), 2),
               count(*) FILTER (WHERE scored > 0),
               CASE WHEN count(*) FILTER (WHERE scored > 0) >= $min_boroughs
                    THEN round(corr(suppliers, average) FILTER (WHERE scored > 0), 2) END
        FROM per""",
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
