"""The market: vendor shares, the top N with the rest as "others", and concentration.

The selection is read once: `aggregate(r, state, role)` wraps `selection.base(state)` (so its
figures agree with every other page) and reduces it to one row per borough, service area,
vendor and `who` (the vendor, or with `role="maker"` the maker, each record is counted under).
Every panel is then worked out from that small frame (`headline_from`, `ranking_from`, ...,
and the satisfaction panels in `citydata.query.satisfaction`), in memory. Given
`(reader, state, role)` instead of a frame, a panel runs the same SQL in the database in one
statement, the aggregate as its first common table expression: the Coming to market page reads
concentration that way, needing no other panel.

Vendors are counted as the canonical vendor (aliases grouped). Money travels as whole pence,
so sums stay exact. Shares are percentages to one decimal, rounded so that a set shown
together (the ranking, an area's vendors) adds up to exactly 100 (largest remainder, see
`formatting.shares`); the Herfindahl-Hirschman index (HHI) is the sum of the squared percentage
shares of every vendor in a market, 0 to 10,000, computed from the unrounded shares.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from citydata.core import boroughs
from citydata.core.formatting import count, share_column, share_of, shares
from citydata.query import selection
from citydata.query.filters import FilterState, Params
from citydata.store import vendors
from citydata.store.db import Reader, over_table

MEASURES: dict[str, str] = {  # what vendors are ranked by -> SQL over the vendor's rows
    "records": "records",
    "boroughs": "boroughs",
    "annual_value": "annual_value",
}
MEASURE_LABELS = {"records": "Records", "boroughs": "Boroughs served", "annual_value": "Value"}
ROLES: dict[str, str] = {"supplier": "vendor", "maker": "maker"}
ROLE_LABELS = {"supplier": "Supplier", "maker": "Maker"}
# Records that name no vendor (often published notices) are no vendor: they take no rank, are
# not counted among the vendors nor in concentration, and show as one unranked row of this name
# after the others; shares of records and value are still of every record.
NOT_GIVEN = "(vendor not given)"
# A record naming a vendor but no system, in every label, briefing and calendar event.
SYSTEM_NOT_GIVEN = "system not given"
DEFAULT_TOP_N = 10
DEFAULT_HHI_THRESHOLD = 2000
# The aggregate's rows with the value back as exact pounds (DECIMAL, as summed from records).
_AGG = "SELECT *, CAST(value_pence AS DECIMAL(38, 0)) * 0.01 AS annual_value FROM agg"


def _by(state: FilterState, role: str) -> tuple[str, Params]:
    """The filtered rows with `who`: the vendor (or maker) each record is counted under, NULL
    where the record names none (see NOT_GIVEN)."""
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


def _aggregate(state: FilterState, role: str) -> tuple[str, Params]:
    sql, params = _by(state, role)
    return (
        f"""SELECT borough_code, borough, service_area, vendor, who, count(*) AS records,
            CAST(sum(annual_value) * 100 AS BIGINT) AS value_pence,
            count(satisfaction) AS scored, CAST(sum(satisfaction) AS BIGINT) AS score_total
        FROM ({sql}) AS b GROUP BY ALL""",
        params,
    )


def aggregate(r: Reader, state: FilterState, role: str = "supplier") -> pd.DataFrame:
    """The selection in one scan: per borough, service area, vendor and `who`, its records,
    annual value in whole pence (empty when no record has one), scored records and the sum of
    their satisfaction scores. Small (thousands of rows at most), whatever the selection."""
    return r.df(*_aggregate(state, role))


# What a panel is worked out from: an `aggregate()` frame, or (reader, state, role), the
# selection still in the database.
Source = pd.DataFrame | tuple[Reader, FilterState, str]


def from_aggregate(source: Source, sql: str, params: dict[str, Any], *, one: bool = False) -> Any:
    """`sql` over the table `agg` (rows as `aggregate()` returns them) on `source`: a frame
    in memory, or the selection in the database (`store.db.over_table`). A frame, or with
    `one` the first row as a dict."""
    if isinstance(source, pd.DataFrame):
        return over_table("agg", source, sql, params, one=one)
    r, state, role = source
    return over_table("agg", (r, *_aggregate(state, role)), sql, params, one=one)


# The "Others (k vendors)" row's name, in SQL, for a count `n`: "Others (1 vendor)" for one.
_OTHERS = "'Others (' || {n} || CASE WHEN {n} = 1 THEN ' vendor)' ELSE ' vendors)' END"


def ranking_from(agg: Source, by: str = "records", top_n: int = DEFAULT_TOP_N) -> pd.DataFrame:
    """Vendors ranked by `by`, the top `top_n`, one "Others (k vendors)" row and one NOT_GIVEN
    row for the records naming no vendor (both without a rank; each only when it has records).

    Shares are of the selection's records, of all the authorities in the borough registry (a
    vendor's reach: 12 of London's 33 is 36.4%, whatever the filters), and of annual value.
    """
    measure = _measure(by)
    found = from_aggregate(
        agg,
        f"""
        WITH vb AS MATERIALIZED (
            SELECT who, borough_code, CAST(sum(records) AS BIGINT) AS n,
                   sum(annual_value) AS value
            FROM ({_AGG}) AS b GROUP BY ALL),
        v AS (SELECT who AS vendor, CAST(sum(n) AS BIGINT) AS records,
                     count(*) FILTER (WHERE borough_code IN $councils) AS boroughs,
                     sum(value) AS annual_value
              FROM vb GROUP BY who),
        rk AS (SELECT *, row_number() OVER (
                   ORDER BY {measure} DESC NULLS LAST, records DESC, vendor) AS rank
               FROM v WHERE vendor IS NOT NULL),
        t AS (SELECT sum(n) AS records, count(DISTINCT borough_code) AS boroughs,
                     sum(value) AS annual_value FROM vb),
        u AS (
            SELECT rank, vendor, 1 AS vendors, records, boroughs, annual_value, 0 AS part
            FROM rk WHERE rank <= $top_n
            UNION ALL
            SELECT NULL, {_OTHERS.format(n="count(*)")}, count(*),
                   CAST(sum(records) AS BIGINT),
                   (SELECT {selection.COUNCILS} FROM vb
                    WHERE who IN (SELECT vendor FROM rk WHERE rank > $top_n)),
                   sum(annual_value), 1
            FROM rk WHERE rank > $top_n HAVING count(*) > 0
            UNION ALL
            SELECT NULL, '{NOT_GIVEN}', NULL, records, boroughs, annual_value, 2
            FROM v WHERE vendor IS NULL
        )
        SELECT u.rank, u.vendor, u.vendors, u.records,
               round(100.0 * u.records / t.records, 1) AS records_share,
               u.boroughs, round(100.0 * u.boroughs / $authorities, 1) AS boroughs_share,
               round(u.annual_value, 2) AS annual_value,
               round(100.0 * u.annual_value / nullif(t.annual_value, 0), 1) AS value_share
        FROM u, t ORDER BY u.part, u.rank""",
        {"top_n": int(top_n), "authorities": authorities(), "councils": boroughs.codes()},
    )
    # the rows are the whole selection: their shares add up to 100 as shown (a vendor's reach,
    # boroughs_share, is of every authority and adds up to no whole)
    return whole(found, {"records_share": "records", "value_share": "annual_value"})


def whole(found: pd.DataFrame, columns: dict[str, str], within: str | None = None) -> pd.DataFrame:
    """`found` with each share column (of `columns`: share -> the part it is a share of)
    rounded so that the shares shown together, all rows or those of each `within`, add up to
    exactly 100 (formatting.shares)."""
    for share, part in columns.items():
        found[share] = share_column(found[part], None if within is None else found[within])
    return found


def authorities() -> int:
    """How many authorities there are to serve: every one of the region's (33 in London)."""
    return boroughs.count()


def headline_sentence(head: dict[str, Any], ranking: pd.DataFrame, by: str) -> str:
    """The Market's headline, in the terms of the ranking the user chose (`by`).

    Records: "10 vendors hold 62.0% of records"; value: "5 vendors hold 80.1% of annual value";
    boroughs served: "Civica leads by authorities served: 30 of 33 (90.9%)" ("councils" outside
    London, as the ranking's own label says).
    """
    _measure(by)
    if by == "boroughs":
        named = ranking[ranking["rank"].notna()]
        served_by = f"{boroughs.authorities(2)} served"  # ("councils" outside London)
        if named.empty:
            return f"No vendor serves any {boroughs.authorities()} in this selection"
        top = named.iloc[0]
        level = named[named["boroughs"] == top["boroughs"]]
        served = f"{int(top['boroughs'])} of {authorities()} ({float(top['boroughs_share']):.1f}%)"
        if len(level) == 1:
            return f"{top['vendor']} leads by {served_by}: {served}"
        return f"{len(level)} vendors lead by {served_by}, each {served}"
    if by == "annual_value":
        if head["value_share"] is None:
            return "No annual values are recorded in this selection"
        return f"{_top_hold(head['top_n'])} {head['value_share']:.1f}% of annual value"
    return f"{_top_hold(head['top_n'])} {head['share']:.1f}% of records"


def _top_hold(n: int) -> str:
    """'10 vendors hold', '1 vendor holds' (a selection with one vendor)."""
    return f"{count(n, 'vendor')} {'holds' if n == 1 else 'hold'}"


def headline_from(agg: Source, top_n: int = DEFAULT_TOP_N) -> dict[str, Any]:
    """ "N vendors hold X% of records": the top N's share of records, how few vendors hold
    more than half of the records that name one, and the share of annual value held by the N
    with the most value. Shares are of every record (and value), those naming no vendor too,
    each the true share rounded to a tenth: the ranking's rows, rounded so that all of them
    add up to 100, may add up to a tenth or two more or less (4 of 7 records is 57.1%, over
    rows of 28.6%, 14.3% and 14.3%)."""
    out = from_aggregate(
        agg,
        f"""
        WITH a AS MATERIALIZED (
            SELECT who, CAST(sum(records) AS BIGINT) AS n, sum(annual_value) AS value
            FROM ({_AGG}) AS b GROUP BY who),
        v AS (SELECT * FROM a WHERE who IS NOT NULL),
        rk AS (SELECT n, value, row_number() OVER (ORDER BY n DESC, who) AS rank,
                      sum(n) OVER (ORDER BY n DESC, who ROWS UNBOUNDED PRECEDING) AS cum,
                      row_number() OVER (ORDER BY value DESC NULLS LAST, n DESC, who)
                          AS value_rank
               FROM v)
        SELECT (SELECT coalesce(CAST(sum(n) AS BIGINT), 0) FROM a) AS records,
               (SELECT count(*) FROM v) AS vendors,
               (SELECT least(count(*), $top_n) FROM v) AS top_n,
               (SELECT coalesce(sum(n), 0) FROM rk WHERE rank <= $top_n) AS top_records,
               (SELECT round(100.0 * coalesce(sum(n) FILTER (WHERE rank <= $top_n), 0)
                             / nullif((SELECT sum(n) FROM a), 0), 1) FROM rk) AS share,
               (SELECT min(rank) FROM rk WHERE 2 * cum > (SELECT sum(n) FROM v)) AS half_vendors,
               (SELECT round(100.0 * sum(value) FILTER (WHERE value_rank <= $top_n)
                             / nullif((SELECT sum(value) FROM a), 0), 1) FROM rk) AS value_share
        """,
        {"top_n": int(top_n)},
        one=True,
    )
    for key in ("share", "value_share"):
        out[key] = None if out[key] is None else float(out[key])
    return out


def area_shares_from(agg: Source, top_n: int = 3) -> pd.DataFrame:
    """Per service area: its top `top_n` vendors by records, one "Others (k vendors)" row and
    one NOT_GIVEN row (each only when it has records); shares of the area's every record, adding
    up to 100 in each area."""
    found = from_aggregate(
        agg,
        f"""
        WITH v AS (SELECT service_area, who AS vendor, CAST(sum(records) AS BIGINT) AS records,
                          sum(sum(records)) OVER (PARTITION BY service_area) AS total
                   FROM agg GROUP BY service_area, who),
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
               coalesce(vendor, {_OTHERS.format(n="vendors")}) AS vendor, vendors,
               records, round(100.0 * records / total, 1) AS share
        FROM g ORDER BY service_area, part, rank""",
        {"top_n": int(top_n)},
    )
    return whole(found, {"share": "records"}, within="service_area")


def _concentration_measure(by: str) -> str:
    if by not in ("records", "annual_value"):
        raise ValueError("by must be 'records' or 'annual_value'")
    return by


def concentration_from(
    agg: Source, threshold: int = DEFAULT_HHI_THRESHOLD, by: str = "records"
) -> pd.DataFrame:
    """Per service area: vendors, the leader, top-1 and top-3 shares, HHI, and whether the HHI
    is above `threshold`. Shares are of the records naming a vendor, or of their annual value
    with `by="annual_value"` (records without a value then count for nothing), rounded as the
    area's bar rounds them (`top_shares`); `records` is every record of the area. Most
    concentrated first."""
    by = _concentration_measure(by)
    found = from_aggregate(
        agg,
        f"""
        WITH v AS (SELECT service_area, who AS vendor,
                          CAST(sum(records) AS BIGINT) AS records,
                          sum(annual_value) AS annual_value
                   FROM ({_AGG}) AS b GROUP BY ALL),
        s AS (SELECT *, CAST({by} AS DOUBLE) AS m,
                     sum(CAST({by} AS DOUBLE)) OVER (PARTITION BY service_area) AS total,
                     row_number() OVER (PARTITION BY service_area
                                        ORDER BY {by} DESC NULLS LAST, vendor) AS rank
              FROM v WHERE vendor IS NOT NULL),
        -- (no largest vendor where nothing is measured: no vendor's value recorded, or £0)
        c AS (SELECT service_area, count(*) AS vendors,
                     CASE WHEN any_value(total) > 0 THEN arg_min(vendor, rank) END AS top_vendor,
                     max(m) FILTER (WHERE rank = 1) AS m1, max(m) FILTER (WHERE rank = 2) AS m2,
                     max(m) FILTER (WHERE rank = 3) AS m3, any_value(total) AS total,
                     10000 * sum(m * m) / nullif(any_value(total) * any_value(total), 0)
                         AS hhi
              FROM s GROUP BY service_area),
        n AS (SELECT service_area, CAST(sum(records) AS BIGINT) AS records
              FROM v GROUP BY service_area)
        SELECT service_area, n.records, coalesce(c.vendors, 0) AS vendors, c.top_vendor,
               m1, m2, m3, total, CAST(round(hhi) AS INTEGER) AS hhi,
               coalesce(round(hhi) > $threshold, false) AS above_threshold
        FROM n LEFT JOIN c USING (service_area)
        ORDER BY hhi DESC NULLS LAST, service_area""",
        {"threshold": int(threshold)},
    )
    return top_shares(found)


CONCENTRATION_COLUMNS = ("service_area", "records", "vendors", "top_vendor", "top1_share",
                         "top3_share", "hhi", "above_threshold")  # fmt: skip


def top_shares(found: pd.DataFrame) -> pd.DataFrame:
    """`found` (a row per market: the three largest vendors' measures `m1`-`m3` and the
    market's `total`) with the largest vendor's share, rounded as the shares of the market's
    vendors are shown (`area_shares_from`: the three largest and the rest, adding up to 100),
    so that it is the same figure (rounded on its own, the concentration table said 33.3% for
    a vendor its service area's bar showed with 33.4%), and the top three's share, the true
    share rounded once, as "N vendors hold X%" is: adding up their rounded shares put it off
    the truth (three vendors with 2 records each, beside three with 1, hold 6 of 9 records,
    66.7%, shown as 22.2% each, 66.6% added up)."""
    top1, top3 = [], []
    measures = zip(found["m1"], found["m2"], found["m3"], found["total"], strict=True)
    for m1, m2, m3, total in measures:
        if pd.isna(total) or total <= 0 or pd.isna(m1):
            top1.append(float("nan"))
            top3.append(float("nan"))
            continue
        parts = [float(m) if not pd.isna(m) else 0.0 for m in (m1, m2, m3)]
        shown = shares([*parts, max(float(total) - sum(parts), 0.0)])
        top1.append(shown[0])
        top3.append(share_of(math.fsum(parts), total))
    out = found.assign(top1_share=top1, top3_share=top3)
    return out[list(CONCENTRATION_COLUMNS)].astype({"top1_share": float, "top3_share": float})
