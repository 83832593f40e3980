"""The Market page's figures as they were read before `market.aggregate`: one query per panel,
each over the whole selection. Kept to prove that every panel worked out from the aggregate
is the same, to the row, column, type and rounding."""

from __future__ import annotations

from typing import Any

import pandas as pd

from citydata.core.formatting import share_column
from citydata.query import market, selection
from citydata.query.filters import FilterState
from citydata.query.market import DEFAULT_HHI_THRESHOLD, DEFAULT_TOP_N, MEASURES, NOT_GIVEN, ROLES
from citydata.query.satisfaction import MIN_BOROUGHS_FOR_CORRELATION
from citydata.store import vendors
from citydata.store.db import Reader


def _by(state: FilterState, role: str) -> tuple[str, dict[str, Any]]:
    """The filtered rows with `who`: the vendor (or maker) each record is counted under."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {sorted(ROLES)}")
    sql, params = selection.base(state)
    if role == "maker":
        sql = vendors.with_maker(sql)
    return f"SELECT *, {ROLES[role]} AS who FROM ({sql}) AS x", params


def _measure(by: str) -> str:
    if by not in MEASURES:
        raise ValueError(f"by must be one of {sorted(MEASURES)}")
    return MEASURES[by]


def vendor_ranking(
    r: Reader,
    state: FilterState,
    by: str = "records",
    top_n: int = DEFAULT_TOP_N,
    role: str = "supplier",
) -> pd.DataFrame:
    """Vendors ranked by `by`, the top `top_n` and one "Others (k vendors)" row (rank empty).

    Shares are of the selection's records, boroughs (a vendor's reach: boroughs it serves of
    those in the selection) and annual value.
    """
    sql, params = _by(state, role)
    params["top_n"] = int(top_n)
    found = r.df(
        f"""
        WITH vb AS MATERIALIZED (
            SELECT who, borough_code, count(*) AS n, sum(annual_value) AS value
            FROM ({sql}) AS b GROUP BY ALL),
        v AS (SELECT who AS vendor, CAST(sum(n) AS BIGINT) AS records, count(*) AS boroughs,
                     sum(value) AS annual_value
              FROM vb GROUP BY who),
        rk AS (SELECT *, row_number() OVER (
                   ORDER BY {_measure(by)} DESC NULLS LAST, records DESC, vendor) AS rank
               FROM v WHERE vendor IS NOT NULL),
        t AS (SELECT sum(n) AS records, count(DISTINCT borough_code) AS boroughs,
                     sum(value) AS annual_value FROM vb),
        u AS (
            SELECT rank, vendor, 1 AS vendors, records, boroughs, annual_value, 0 AS part
            FROM rk WHERE rank <= $top_n
            UNION ALL
            SELECT NULL, 'Others (' || count(*) || CASE WHEN count(*) = 1 THEN ' vendor)'
                                                    ELSE ' vendors)' END, count(*),
                   CAST(sum(records) AS BIGINT),
                   (SELECT count(DISTINCT borough_code) FROM vb
                    WHERE who IN (SELECT vendor FROM rk WHERE rank > $top_n)),
                   sum(annual_value), 1
            FROM rk WHERE rank > $top_n HAVING count(*) > 0
            UNION ALL
            SELECT NULL, '{NOT_GIVEN}', NULL, records, boroughs, annual_value, 2
            FROM v WHERE vendor IS NULL
        )
        SELECT u.rank, u.vendor, u.vendors, u.records,
               round(100.0 * u.records / t.records, 1) AS records_share,
               u.boroughs, round(100.0 * u.boroughs / 33, 1) AS boroughs_share,
               round(u.annual_value, 2) AS annual_value,
               round(100.0 * u.annual_value / nullif(t.annual_value, 0), 1) AS value_share
        FROM u, t ORDER BY u.part, u.rank""",
        params,
    )
    # shares shown together add up to 100: the one rounding every page uses
    found["records_share"] = share_column(found["records"])
    found["value_share"] = share_column(found["annual_value"])
    return found


def headline(
    r: Reader, state: FilterState, top_n: int = DEFAULT_TOP_N, role: str = "supplier"
) -> dict[str, Any]:
    """ "N vendors hold X% of records": the top N's share of records, how few vendors hold
    more than half of them, and the share of annual value held by the N with the most value."""
    sql, params = _by(state, role)
    params["top_n"] = int(top_n)
    row = r.rows(
        f"""
        WITH a AS MATERIALIZED (
            SELECT who, count(*) AS n, sum(annual_value) AS value FROM ({sql}) AS b GROUP BY who),
        v AS (SELECT * FROM a WHERE who IS NOT NULL),
        rk AS (SELECT n, value, row_number() OVER (ORDER BY n DESC, who) AS rank,
                      sum(n) OVER (ORDER BY n DESC, who ROWS UNBOUNDED PRECEDING) AS cum,
                      row_number() OVER (ORDER BY value DESC NULLS LAST, n DESC, who)
                          AS value_rank
               FROM v)
        SELECT (SELECT coalesce(CAST(sum(n) AS BIGINT), 0) FROM a), (SELECT count(*) FROM v),
               (SELECT least(count(*), $top_n) FROM v),
               (SELECT coalesce(sum(n), 0) FROM rk WHERE rank <= $top_n),
               (SELECT round(100.0 * coalesce(sum(n) FILTER (WHERE rank <= $top_n), 0)
                             / nullif((SELECT sum(n) FROM a), 0), 1) FROM rk),
               (SELECT min(rank) FROM rk WHERE 2 * cum > (SELECT sum(n) FROM v)),
               (SELECT round(100.0 * sum(value) FILTER (WHERE value_rank <= $top_n)
                             / nullif((SELECT sum(value) FROM a), 0), 1) FROM rk)
        """,
        params,
    )[0]
    keys = ("records", "vendors", "top_n", "top_records", "share", "half_vendors", "value_share")
    out = dict(zip(keys, row, strict=True))
    for key in ("share", "value_share"):
        out[key] = None if out[key] is None else float(out[key])
    return out


def area_shares(
    r: Reader, state: FilterState, top_n: int = 3, role: str = "supplier"
) -> pd.DataFrame:
    """Per service area: its top `top_n` vendors by records and one "Others (k vendors)" row."""
    sql, params = _by(state, role)
    params["top_n"] = int(top_n)
    found = r.df(
        f"""
        WITH b AS ({sql}),
        v AS (SELECT service_area, who AS vendor, count(*) AS records,
                     sum(count(*)) OVER (PARTITION BY service_area) AS total
              FROM b GROUP BY service_area, who),
        rk AS (SELECT *, row_number() OVER (
                   PARTITION BY service_area ORDER BY records DESC, vendor) AS rank
               FROM v WHERE vendor IS NOT NULL),
        g AS (SELECT service_area, CASE WHEN rank <= $top_n THEN rank END AS rank,
                     CASE WHEN rank <= $top_n THEN vendor END AS vendor,
                     count(*) AS vendors, CAST(sum(records) AS BIGINT) AS records,
                     any_value(total) AS total, CASE WHEN rank <= $top_n THEN 0 ELSE 1 END AS part
              FROM rk GROUP BY ALL
              UNION ALL
              SELECT service_area, NULL, '{NOT_GIVEN}', NULL, records, total, 2
              FROM v WHERE vendor IS NULL)
        SELECT service_area, rank,
               coalesce(vendor, 'Others (' || vendors || CASE WHEN vendors = 1 THEN ' vendor)'
                                                           ELSE ' vendors)' END) AS vendor,
               vendors,
               records, round(100.0 * records / total, 1) AS share
        FROM g ORDER BY service_area, part, rank""",
        params,
    )
    found["share"] = share_column(found["records"], found["service_area"])
    return found


def concentration(
    r: Reader,
    state: FilterState,
    threshold: int = DEFAULT_HHI_THRESHOLD,
    by: str = "records",
    role: str = "supplier",
) -> pd.DataFrame:
    """Per service area: vendors, the leader, top-1 and top-3 shares, HHI, and whether the HHI
    is above `threshold`. Shares are of records, or of annual value with `by="annual_value"`
    (records without a value then count for nothing). Most concentrated first."""
    if by not in ("records", "annual_value"):
        raise ValueError("by must be 'records' or 'annual_value'")
    sql, params = _by(state, role)
    params["threshold"] = int(threshold)
    found = r.df(
        f"""
        WITH b AS ({sql}),
        v AS (SELECT service_area, who AS vendor, count(*) AS records,
                     sum(annual_value) AS annual_value
              FROM b GROUP BY ALL),
        s AS (SELECT *, CAST({by} AS DOUBLE) AS m,
                     sum(CAST({by} AS DOUBLE)) OVER (PARTITION BY service_area) AS total,
                     row_number() OVER (
                        PARTITION BY service_area ORDER BY {by} DESC NULLS LAST, vendor) AS rank
              FROM v WHERE vendor IS NOT NULL),
        c AS (SELECT service_area, count(*) AS vendors,
                     CASE WHEN any_value(total) > 0 THEN arg_min(vendor, rank) END AS top_vendor,
                     max(m) FILTER (WHERE rank = 1) AS m1, max(m) FILTER (WHERE rank = 2) AS m2,
                     max(m) FILTER (WHERE rank = 3) AS m3, any_value(total) AS total,
                     10000 * sum(m * m) / nullif(any_value(total) * any_value(total), 0) AS hhi
              FROM s GROUP BY service_area),
        n AS (SELECT service_area, CAST(sum(records) AS BIGINT) AS records
              FROM v GROUP BY service_area)
        SELECT service_area, n.records, coalesce(c.vendors, 0) AS vendors, c.top_vendor,
               m1, m2, m3, total, CAST(round(hhi) AS INTEGER) AS hhi,
               coalesce(round(hhi) > $threshold, false) AS above_threshold
        FROM n LEFT JOIN c USING (service_area)
        ORDER BY hhi DESC NULLS LAST, service_area""",
        params,
    )
    # the largest vendor's and the top three's shares, rounded as the area's bar shows them
    return market.top_shares(found)


def by_vendor(r: Reader, state: FilterState) -> pd.DataFrame:
    """Vendors with at least one scored record: records, scored records, average score."""
    sql, params = selection.base(state)
    return r.df(
        f"""SELECT vendor, count(*) AS records, count(satisfaction) AS scored,
            round(avg(satisfaction), 2) AS average
        FROM ({sql}) AS b WHERE vendor IS NOT NULL GROUP BY vendor
        HAVING count(satisfaction) > 0
        ORDER BY scored DESC, average DESC, vendor""",
        params,
    )


def by_borough(r: Reader, state: FilterState) -> pd.DataFrame:
    """Every borough in the selection: its suppliers (distinct vendors), records, scored
    records and average score (empty when none is scored)."""
    sql, params = selection.base(state)
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
    sql, params = selection.base(state)
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
