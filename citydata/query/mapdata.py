"""The map's numbers: one value per borough for the metric the user picks.

Every metric is computed from the same filtered base query as the other pages, so the map, its
ranked table and the Overview agree. A borough with no records under the filters gets no value
(`status` 'no records'), never a zero: nothing is known about it, which is not the same as none.
Also what the Map shows of one authority, for its profile (`off_the_map`, `map_pointer`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from citydata.core import boroughs, dates, regions
from citydata.core.dates import add_months, day_label
from citydata.core.formatting import money
from citydata.query import selection, system_groups
from citydata.query.filters import FilterState
from citydata.store.db import Reader

NO_RECORDS = "no records"
NO_VALUES = "no values recorded"
OK = "ok"
NOTES = {NO_RECORDS: "No records under the filters", NO_VALUES: "No annual values recorded"}


@dataclass(frozen=True)
class Metric:
    key: str  # URL value of the metric picker
    label: str  # as shown in the picker, tooltip and table header
    unit: str  # the unit, when the label does not say it: '%', '£ a year' ('' for counts)
    sql: str  # aggregate over the borough's `rows` (allow-listed here only)
    kind: str  # 'count', 'percent' or 'money': how values are classed and written
    help: str
    rows: str = "b"  # the rows `sql` runs over: the base query's `b`, or rows made from it
    records: str = "count(*)"  # the borough's records, over `rows`


METRICS: tuple[Metric, ...] = (
    Metric("records", "Records", "", "count(*)", "count", "Contract records held."),
    Metric(
        "ending",
        "Contracts ending",
        "",
        "count(*) FILTER (WHERE contract_end >= $win_from AND contract_end <= $win_to)",
        "count",
        "Contracts whose end date falls inside the chosen window.",
    ),
    Metric(
        "vendors",
        "Distinct vendors",
        "",
        "count(DISTINCT vendor)",
        "count",
        "How many different vendors hold its contracts.",
    ),
    Metric(
        "systems",
        "Distinct systems",
        "",
        f"count(DISTINCT {system_groups.key('system')})",
        "count",
        "How many different systems it uses.",
        # (its spellings folded once each: "MOSAIC" and "Mosaic" are one system)
        "(SELECT borough_code, system, count(*) AS n FROM b GROUP BY ALL)",
        "CAST(sum(n) AS BIGINT)",
    ),
    Metric(  # (its value then rounded as the borough's profile rounds it: `_shares_held`)
        "vendor_share",
        "Share held by a vendor",
        "%",
        "round(100.0 * count(*) FILTER (WHERE vendor = $share_vendor) / count(*), 1)",
        "percent",
        "The share of its records held by the chosen vendor.",
    ),
    Metric(
        "annual_value",
        "Total annual value",
        "£ a year",
        "round(sum(annual_value), 2)",
        "money",
        "The sum of the annual values recorded (records without a value are left out).",
    ),
)
METRIC_BY_KEY = {m.key: m for m in METRICS}


def heading(metric: Metric, vendor: str | None = None) -> str:
    """The metric as the ranked table's column title: 'Records', 'Share held by Civica (%)'."""
    label = f"Share held by {vendor}" if metric.key == "vendor_share" and vendor else metric.label
    return f"{label} ({metric.unit})" if metric.unit else label


# What the map's colours give, in words, with the unit and the region's word for its councils
# (`legend_title`): {noun} the word, {vendor} the chosen vendor, {window} what 'ending' counts.
_LEGEND_TITLES = {
    "records": "Records per {noun}",
    "ending": "Contracts {window}, per {noun}",
    "vendors": "Distinct vendors per {noun}",
    "systems": "Distinct systems per {noun}",
    "vendor_share": "Share of each {noun}'s records held by {vendor} (%)",
    "annual_value": "Total annual value per {noun} (£ a year)",
}


def legend_title(
    metric: Metric,
    state: FilterState,
    window: int = 12,
    vendor: str | None = None,
    today: date | None = None,
) -> str:
    """The map legend's title: what a colour means, per borough ('Records per borough',
    'Contracts ending between 7 Dec 2026 and 6 Dec 2027, per borough', 'Share of each
    borough's records held by Civica (%)'; 'council' outside London)."""
    return _LEGEND_TITLES[metric.key].format(
        noun=boroughs.noun(),
        vendor=vendor or "the chosen vendor",
        window=window_phrase(state, window, today) if metric.key == "ending" else "",
    )


def measure(
    metric: Metric,
    state: FilterState,
    window: int = 12,
    vendor: str | None = None,
    today: date | None = None,
) -> str:
    """The value's name beside one borough's figure (the map's tooltip): the metric's label,
    or which contracts and which vendor ('Contracts ending between 7 Dec 2026 and 6 Dec 2027',
    'Share of its records held by Civica')."""
    if metric.key == "ending":
        return f"Contracts {window_phrase(state, window, today)}"
    if metric.key == "vendor_share":
        return f"Share of its records held by {vendor or 'the chosen vendor'}"
    return metric.label


# Windows for "Contracts ending": months ahead of today, or 0 for the sidebar's end-date filter.
WINDOWS: dict[int, str] = {
    6: "Next 6 months",
    12: "Next 12 months",
    24: "Next 24 months",
    0: "The end-date filter",
}


def window_bounds(
    state: FilterState, window: int, today: date | None = None
) -> tuple[date | None, date | None]:
    """The first and last end date counted by the 'ending' metric (None: open)."""
    if window == 0:
        return state.end_from, state.end_to
    if window not in WINDOWS:
        raise ValueError(f"unknown window {window!r}; choose one of {sorted(WINDOWS)}")
    today = today or dates.today()
    return today, add_months(today, window) - timedelta(days=1)


def window_phrase(state: FilterState, window: int, today: date | None = None) -> str:
    """'ending between 26 Nov 2026 and 25 Nov 2027': what the 'ending' metric counts."""
    start, end = window_bounds(state, window, today)
    if start and end:
        return f"ending between {day_label(start)} and {day_label(end)}"
    if start:
        return f"ending on or after {day_label(start)}"
    if end:
        return f"ending on or before {day_label(end)}"
    return "with any known end date (no end-date filter is set)"


def borough_values(
    r: Reader,
    state: FilterState,
    metric: str = "records",
    window: int = 12,
    vendor: str | None = None,
    today: date | None = None,
) -> pd.DataFrame:
    """One row per authority (all 33, in GSS order) with the metric's value under the filters.

    Columns: borough_code, borough, value (float, NaN when there is none), records, top_vendors
    (the three vendors with most records, 'Vendor (n)'), status (OK, NO_RECORDS or NO_VALUES).
    """
    chosen = METRIC_BY_KEY.get(metric)
    if chosen is None:
        raise ValueError(f"unknown metric {metric!r}; choose one of {list(METRIC_BY_KEY)}")
    sql, params = selection.base(state)
    if chosen.key == "ending":
        start, end = window_bounds(state, window, today)
        params.add(win_from=start or date.min, win_to=end or date.max)
    held: dict[str, float] | None = None
    if chosen.key == "vendor_share":
        params.add(share_vendor=vendor or "")
        held = _shares_held(r, state, vendor or "")  # (read first: the last read is the map's)
    rows = r.df(
        f"""
        WITH b AS ({sql}),
        per AS (SELECT borough_code, {chosen.records} AS records, {chosen.sql} AS value
                FROM {chosen.rows} AS m GROUP BY borough_code),
        v AS (SELECT borough_code, vendor, count(*) AS n,
                     row_number() OVER (PARTITION BY borough_code
                                        ORDER BY count(*) DESC, vendor) AS rk
              FROM b WHERE vendor IS NOT NULL GROUP BY borough_code, vendor),
        top AS (SELECT borough_code,
                       string_agg(vendor || ' (' || n || ')', ', ' ORDER BY rk) AS top_vendors
                FROM v WHERE rk <= 3 GROUP BY borough_code)
        SELECT per.borough_code, per.records, CAST(per.value AS DOUBLE) AS value, top.top_vendors
        FROM per LEFT JOIN top USING (borough_code)
        """,
        params,
    )
    if held is not None:
        rows["value"] = rows["borough_code"].map(held)
    return _all_boroughs(rows)


def _shares_held(r: Reader, state: FilterState, vendor: str) -> dict[str, float]:
    """Each borough's share of its records held by `vendor` (0 where it holds none), rounded
    with the borough's other vendors as its profile rounds them (selection.vendor_shares), so
    the Map and the Borough profile give a vendor the same share."""
    sql, params = selection.base(state)
    counts = r.df(
        f"SELECT borough_code, vendor, count(*) AS records FROM ({sql}) AS b GROUP BY ALL",
        params,
    )
    counts["share"] = 0.0
    for _, rows in counts.groupby("borough_code", sort=False):
        counts.loc[rows.index, "share"] = selection.vendor_shares(rows["vendor"], rows["records"])
    held = counts[counts["vendor"] == vendor].set_index("borough_code")["share"]
    return {code: float(held.get(code, 0.0)) for code in counts["borough_code"].unique()}


def _all_boroughs(rows: pd.DataFrame) -> pd.DataFrame:
    """The per-borough rows reindexed to all 33 authorities, gaps marked rather than zeroed."""
    found = rows.set_index("borough_code")
    out = pd.DataFrame(
        {
            "borough_code": [b.code for b in boroughs.BOROUGHS],
            "borough": list(boroughs.NAMES),
        }
    )
    out["value"] = out["borough_code"].map(found["value"]).astype("float64")
    out["records"] = out["borough_code"].map(found["records"]).fillna(0).astype("int64")
    out["top_vendors"] = out["borough_code"].map(found["top_vendors"]).astype(object)
    out["top_vendors"] = out["top_vendors"].where(out["top_vendors"].notna(), "")
    out["status"] = OK
    out.loc[out["value"].isna(), "status"] = NO_VALUES
    out.loc[out["records"] == 0, "status"] = NO_RECORDS
    out.loc[out["records"] == 0, "value"] = float("nan")
    return out


def vendor_options(r: Reader, state: FilterState, limit: int = 200) -> list[str]:
    """Vendors under the filters, most records first: the choices for 'Share held by a vendor'."""
    sql, params = selection.base(state)
    params.add(limit=int(limit))
    rows = r.rows(
        f"SELECT vendor FROM ({sql}) AS b WHERE vendor IS NOT NULL "
        "GROUP BY vendor ORDER BY count(*) DESC, vendor LIMIT $limit",
        params,
    )
    return [v for (v,) in rows]


def ranked(values: pd.DataFrame) -> pd.DataFrame:
    """The map's numbers as a ranked table: highest value first, boroughs without one last."""
    out = values.sort_values(
        ["value", "borough"], ascending=[False, True], na_position="last", kind="stable"
    ).reset_index(drop=True)
    has_value = out["value"].notna()
    out.insert(0, "rank", pd.Series(pd.NA, index=out.index, dtype="Int64"))
    out.loc[has_value, "rank"] = out.loc[has_value, "value"].rank(method="min", ascending=False)
    out["note"] = out["status"].map(NOTES).fillna("")
    return out


def labelled(table: pd.DataFrame, title: str) -> pd.DataFrame:
    """The ranked table with the column names people read (for downloads)."""
    names = {
        "rank": "Rank",
        "borough_code": boroughs.reword("Borough code"),
        "borough": boroughs.reword("Borough"),
        "value": title,
        "records": "Records",
        "top_vendors": "Largest vendors (records)",
        "note": "Note",
    }
    if title == names["records"]:  # the measure is the record count: one column of it
        del names["records"]
    out = table[list(names)].rename(columns=names)
    for name in (title, "Records"):  # counts as the page writes them: 17, not 17.0
        if name in out and pd.api.types.is_float_dtype(out[name]):
            known = out[name].dropna()
            if (known == known.round()).all():
                out[name] = out[name].astype("Int64")
    return out


def format_value(value: Any, kind: str) -> str:
    """A metric value as people write it: '1,234', '45.5%', '£1.23m'."""
    if value is None or pd.isna(value):
        return "no value"
    if kind == "percent":
        return f"{value:.1f}%"
    if kind == "money":
        return money(value)
    return f"{value:,.0f}"


def map_pointer() -> str:
    """Where else a profile opens from, for the page's choice of borough: a click on the Map,
    or, in a region with county councils (which have no area of their own there), the Map's
    ranking, which links every authority's profile."""
    noun = boroughs.noun()
    if not regions.current().without_shape:
        return f"Or click a {noun} on the Map page."
    return (
        f"Or click a {noun} on the Map page; a county council has no area of its own there: "
        "open its profile from the Map's ranking."
    )


def off_the_map(b: boroughs.Borough) -> str | None:
    """What the Map shows of an authority it draws no area for (a county council), for its
    profile; None when the Map draws it."""
    if regions.current().draws(b):
        return None
    return (
        f"{b.name} has no area of its own on the Map: a county council shares its ground with "
        "its district councils. The Map lists its figures beside the map, under “Not on the "
        "map”, and in its ranking."
    )
