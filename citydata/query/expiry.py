"""The expiry calendar: when contracts end, by month, by day and as periods on a timeline.

Every query wraps `selection.base(state)`; "today" is an argument so the results are testable.
Only contracts with an end date can be placed in time; `counts()` says how many have none.
"""

from __future__ import annotations

import calendar as _cal
from datetime import date

import pandas as pd

from citydata.core import boroughs, dates
from citydata.core.dates import add_months
from citydata.query import selection
from citydata.query.filters import FilterState
from citydata.query.market import NOT_GIVEN, SYSTEM_NOT_GIVEN
from citydata.store.db import Reader

TIMELINE_GROUPS: dict[str, str] = {"borough": "Borough", "service_area": "Service area"}
TIMELINE_LIMIT = 150  # bars a page can show legibly; the nearest to today are kept
ENDED, ENDS_SOON, ENDS_LATER = "Ended", "Ends within 12 months", "Ends later"
WEEKDAYS: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def counts(r: Reader, state: FilterState, today: date | None = None) -> dict[str, int]:
    """How many filtered records there are (`records`; `dated_records` with an end date, one
    bar of the timeline and one entry of the calendar file each), and how many contracts, with
    and without an end date, ended or not (a joint contract once: selection.contracts)."""
    today = today or dates.today()
    sql, params = selection.base(state)
    params.add(today=today, horizon=add_months(today, 12))
    held = selection.joint_held(r)
    row = r.one(
        f"""SELECT count(*) AS records, count(contract_end) AS dated_records,
            {selection.contracts(held, "contract_end IS NOT NULL")} AS with_end,
            {selection.contracts(held, "contract_end IS NULL")} AS no_end,
            {selection.contracts(held, "contract_end < $today")} AS ended,
            {selection.contracts(held, "contract_end >= $today AND contract_end < $horizon")}
                AS ending_12_months
        FROM ({sql}) AS b""",
        params,
    )
    return {k: int(v) for k, v in row.items()}


def heatmap(r: Reader, state: FilterState) -> pd.DataFrame:
    """Contracts ending per year and month: year, month (1-12), contracts (a joint contract
    once), annual_value (empty where none of the month's contracts has a value: not known,
    rather than £0)."""
    sql, params = selection.base(state)
    contracts = selection.contracts(selection.joint_held(r))
    return r.df(
        f"""SELECT year(contract_end) AS year, month(contract_end) AS month,
            {contracts} AS contracts, round(sum(annual_value), 2) AS annual_value
        FROM ({sql}) AS b WHERE contract_end IS NOT NULL
        GROUP BY ALL ORDER BY year, month""",
        params,
    )


def month_key(year: int, month: int) -> str:
    return f"{int(year):04d}-{int(month):02d}"


def month_options(heat: pd.DataFrame) -> dict[str, str]:
    """Months with endings, as 'YYYY-MM' -> 'March 2027', in date order.

    The label is the month alone, with no count: it is the month's name in a shared link
    (Streamlit binds a select box by its shown label), so it must not change with the data.
    """
    return {
        month_key(row.year, row.month): f"{_cal.month_name[int(row.month)]} {int(row.year)}"
        for row in heat.itertuples(index=False)
    }


def default_month(options: dict[str, str], today: date | None = None) -> str | None:
    """The first month from this month on with endings, else the latest month with any."""
    if not options:
        return None
    today = today or dates.today()
    this = month_key(today.year, today.month)
    return next((m for m in options if m >= this), list(options)[-1])


def _month_bounds(year_month: str) -> tuple[date, date]:
    year, month = (int(p) for p in year_month.split("-"))
    first = date(year, month, 1)
    return first, add_months(first, 1)


def month_days(r: Reader, state: FilterState, year_month: str) -> pd.DataFrame:
    """The contracts ending on each day of one month ('YYYY-MM') that has any: day (1-31),
    contracts (a joint contract once), records (the rows `month` lists: a joint contract's
    record of each council), annual_value (empty where none of the day's contracts has a
    value)."""
    first, after = _month_bounds(year_month)
    sql, params = selection.base(state)
    params.add(first=first, after=after)
    contracts = selection.contracts(selection.joint_held(r))
    return r.df(
        f"""SELECT day(contract_end) AS day, {contracts} AS contracts,
            count(*) AS records,
            round(sum(annual_value), 2) AS annual_value
        FROM ({sql}) AS b WHERE contract_end >= $first AND contract_end < $after
        GROUP BY ALL ORDER BY day""",
        params,
    )


def month(r: Reader, state: FilterState, year_month: str, limit: int | None = None) -> pd.DataFrame:
    """The contracts ending in one month ('YYYY-MM'), by day (the first `limit` when given)."""
    first, after = _month_bounds(year_month)
    sql, params = selection.base(state)
    params.add(first=first, after=after)
    tail = selection.limit_clause(params, limit)
    return r.df(
        f"""SELECT contract_end, borough, service_area, system, vendor,
            round(annual_value, 2) AS annual_value, source_ref
        FROM ({sql}) AS b WHERE contract_end >= $first AND contract_end < $after
        ORDER BY contract_end, borough, service_area, system, source_ref{tail}""",
        params,
    )


def describe_month_limit(shown: int, total: int) -> str | None:
    """A sentence when the month's table leaves records out (a joint contract's record of each
    council is a row of it), else None."""
    if shown >= total:
        return None
    return (
        f"Showing the first {shown:,} of the {total:,} records ending this month, by day. "
        f"Narrow the filters in the sidebar (a {boroughs.noun()} or a service area) to see "
        "every one."
    )


def month_grid(days_df: pd.DataFrame, year_month: str) -> pd.DataFrame:
    """Every day of the month as a calendar cell: date, day, weekday, week, contracts, value.

    `days_df` is `month_days()`: contracts and annual value per day that has any. A day with
    no contract ending is worth £0; one whose contracts have no value keeps it unknown.
    """
    first, after = _month_bounds(year_month)
    days = pd.date_range(first, after, inclusive="left")
    per_day = days_df.set_index(days_df["day"].astype(int))
    offset = first.weekday()
    grid = pd.DataFrame(
        {
            "date": days,
            "day": days.day,
            "weekday": [WEEKDAYS[d.weekday()] for d in days],
            "week": [(d.day - 1 + offset) // 7 + 1 for d in days],
        }
    )
    grid["contracts"] = grid["day"].map(per_day["contracts"]).fillna(0).astype(int)
    value = grid["day"].map(per_day["annual_value"]).astype(float).round(2)
    grid["annual_value"] = value.where(grid["contracts"] > 0, 0.0)
    return grid


def timeline(
    r: Reader,
    state: FilterState,
    group_by: str = "borough",
    today: date | None = None,
    limit: int = TIMELINE_LIMIT,
) -> pd.DataFrame:
    """Contract periods for a Gantt chart, grouped by borough or service area.

    At most `limit` contracts: those ending nearest to today (upcoming before ended), then
    ordered by group and end date. `contract_start` may be empty (the bar is then a point).
    """
    if group_by not in TIMELINE_GROUPS:
        raise ValueError(f"group by one of {', '.join(TIMELINE_GROUPS)}")
    today = today or dates.today()
    sql, params = selection.base(state)
    params.add(
        today=today,
        horizon=add_months(today, 12),
        limit=int(limit),
        ended=ENDED,
        soon=ENDS_SOON,
        later=ENDS_LATER,
    )
    return r.df(
        f"""WITH nearest AS (
            SELECT * FROM ({sql}) AS b WHERE contract_end IS NOT NULL
            ORDER BY contract_end < $today, abs(date_diff('day', $today, contract_end)),
                     borough, system, source_ref
            LIMIT $limit
        )
        SELECT {group_by} AS "group", borough, service_area, system, vendor,
            contract_start, contract_end, round(annual_value, 2) AS annual_value, source_ref,
            CASE WHEN contract_end < $today THEN $ended
                 WHEN contract_end < $horizon THEN $soon ELSE $later END AS status
        FROM nearest
        ORDER BY "group", contract_end, borough, system, source_ref""",
        params,
    )


def describe_limit(shown: int, with_end: int) -> str | None:
    """A sentence when the timeline leaves contracts out, else None."""
    if shown >= with_end:
        return None
    which = "the contract" if shown == 1 else f"the {shown:,} contracts"
    return (
        f"The timeline shows {which} ending nearest to today, of {with_end:,} "
        f"with an end date. Narrow the filters in the sidebar (a {boroughs.noun()} or a service "
        "area) "
        "to see every one."
    )


def timeline_row_labels(df: pd.DataFrame, group_by: str) -> list[str]:
    """One distinct label per bar: 'Camden · Mosaic (Servelec)', numbered when repeated; a
    record naming no vendor (published notices often name none) says so, never "nan"."""
    other = "service_area" if group_by == "borough" else "borough"
    seen: dict[str, int] = {}
    labels: list[str] = []
    for row in df.itertuples(index=False):
        what = f"{_given(row.system, SYSTEM_NOT_GIVEN)} " + (
            f"({row.vendor})" if _is_given(row.vendor) else NOT_GIVEN
        )
        text = f"{row.group} · {getattr(row, other)} – {what}"
        if group_by == "borough":
            text = f"{row.group} · {what}"
        seen[text] = seen.get(text, 0) + 1
        labels.append(text if seen[text] == 1 else f"{text} [{seen[text]}]")
    return labels


def _is_given(value: object) -> bool:
    return value is not None and not (not isinstance(value, str) and pd.isna(value))


def _given(value: object, missing: str) -> str:
    return str(value) if _is_given(value) else missing
