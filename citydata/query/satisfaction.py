"""Supplier satisfaction (1 poor .. 5 good) per vendor and per borough, and the original finding.

City Tools found that boroughs with more suppliers reported lower satisfaction. `summary_from`
gives the correlation between a borough's number of suppliers and its average score, always
with the number of scored records and boroughs, so nobody over-reads a handful. Averages are
rounded to two decimals; only scored records count towards them.

Every figure is worked out from the selection's `market.aggregate` (see
`market.from_aggregate`), which holds each group's scored records and the sum of their scores.
Suppliers are the canonical vendors holding the contracts, whichever role the aggregate counts
records under.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from citydata.core import boroughs
from citydata.core.formatting import count
from citydata.query import market

MIN_BOROUGHS_FOR_CORRELATION = 3


def by_vendor_from(agg: market.Source) -> pd.DataFrame:
    """Vendors with at least one scored record: records, scored records, average score (records
    naming no vendor are no vendor's)."""
    return market.from_aggregate(
        agg,
        """SELECT vendor, CAST(sum(records) AS BIGINT) AS records,
            CAST(sum(scored) AS BIGINT) AS scored,
            round(sum(score_total) / nullif(sum(scored), 0), 2) AS average
        FROM agg WHERE vendor IS NOT NULL GROUP BY vendor HAVING sum(scored) > 0
        ORDER BY scored DESC, average DESC, vendor""",
        {},
    )


def by_borough_from(agg: market.Source) -> pd.DataFrame:
    """Every borough in the selection: its suppliers (distinct vendors), records, scored
    records and average score (empty when none is scored)."""
    return market.from_aggregate(
        agg,
        """SELECT borough, count(DISTINCT vendor) AS suppliers,
            CAST(sum(records) AS BIGINT) AS records, CAST(sum(scored) AS BIGINT) AS scored,
            round(sum(score_total) / nullif(sum(scored), 0), 2) AS average
        FROM agg GROUP BY borough ORDER BY borough""",
        {},
    )


def summary_from(agg: market.Source) -> dict[str, Any]:
    """Scored records, boroughs with a score, the average, and the suppliers-satisfaction
    correlation (Pearson's r over boroughs with a score; None for fewer than three).

    The aggregate is reduced to one row per borough, and every figure read from that."""
    out = market.from_aggregate(
        agg,
        """
        WITH per AS MATERIALIZED (
            SELECT borough, sum(records) AS records, count(DISTINCT vendor) AS suppliers,
                   sum(scored) AS scored, sum(score_total) AS total,
                   sum(score_total) / nullif(sum(scored), 0) AS average
            FROM agg GROUP BY borough)
        SELECT coalesce(CAST(sum(records) AS BIGINT), 0) AS records,
               coalesce(CAST(sum(scored) AS BIGINT), 0) AS scored,
               round(sum(total) / nullif(sum(scored), 0), 2) AS average,
               count(*) FILTER (WHERE scored > 0) AS boroughs_scored,
               CASE WHEN count(*) FILTER (WHERE scored > 0) >= $min_boroughs
                    THEN round(corr(suppliers, average) FILTER (WHERE scored > 0), 2)
               END AS correlation
        FROM per""",
        {"min_boroughs": MIN_BOROUGHS_FOR_CORRELATION},
        one=True,
    )
    for key in ("average", "correlation"):
        value = out[key]
        out[key] = None if value is None or value != value else float(value)
    return out


def correlation_words(r: float | None, per_borough: pd.DataFrame | None = None) -> str:
    """Pearson's r in plain English: "a weak link: more suppliers, lower satisfaction".

    Without an r, `per_borough` (`by_borough_from`) says why when there are boroughs enough:
    r cannot be worked out when every borough with scores has the same number of suppliers
    (one each, as in a single service area) or the same average score."""
    if r is None:
        return _no_link(per_borough) or f"too few {boroughs.noun(2)} with scores to say"
    size = abs(r)
    if size < 0.1:
        return f"no clear link (r = {r:+.2f})"
    strength = "a weak" if size < 0.3 else "a moderate" if size < 0.5 else "a strong"
    direction = "lower" if r < 0 else "higher"
    return f"{strength} link: more suppliers, {direction} satisfaction (r = {r:+.2f})"


def _no_link(per_borough: pd.DataFrame | None) -> str | None:
    """Why there is no r for `MIN_BOROUGHS_FOR_CORRELATION` or more boroughs with scores: all of
    them alike in suppliers or in average score (None when there are fewer)."""
    if per_borough is None:
        return None
    scored = per_borough[per_borough["scored"] > 0]
    if len(scored) < MIN_BOROUGHS_FOR_CORRELATION:
        return None
    if scored["suppliers"].nunique() == 1:
        return f"no link to measure: each has {count(int(scored['suppliers'].iloc[0]), 'supplier')}"
    if scored["average"].nunique() == 1:
        return f"no link to measure: each averages {float(scored['average'].iloc[0]):.2f}"
    return None
