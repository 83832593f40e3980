"""The renewal pipeline: what ends when, and by when each borough must decide what to do.

A contract's "decide by" date is its end date minus the lead time of its service area (whole
months, clamped to the end of a shorter month: 31 Aug 2028 minus 18 months is 28 Feb 2027).
The lead times are read from their file by `citydata.core.lead_times`.

The question people bring is "what must we decide in the next N months": `decisions_due` lists
the contracts still running whose decide-by date falls on or after today and before the same day
N months on, and `decisions_overdue` apart those still running whose decide-by date has already
passed (decide now). "Ending in the next N months" (`upcoming`) means ending on or after today
and before the same day N months on, as on the Overview. Contracts past their end date and
contracts with no end date are counted separately, so none go missing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from citydata.core import dates
from citydata.core.dates import add_months
from citydata.core.lead_times import LeadTimeError as LeadTimeError  # (for other modules)
from citydata.core.lead_times import LeadTimes
from citydata.core.lead_times import lead_times_or_default as lead_times_or_default
from citydata.core.lead_times import load_lead_times as load_lead_times
from citydata.query import selection
from citydata.query.filters import FilterState, Params
from citydata.store.db import Reader
from citydata.store.versions import RESTORED_AT_KEY

WINDOWS: tuple[int, ...] = (3, 6, 12, 24)
SOON_MONTHS = 3  # a decision due within this many months is "due soon"

DECISION_OVERDUE = "Overdue: decide now"
DECISION_SOON = f"Decide within {SOON_MONTHS} months"
DECISION_LATER = "Plan ahead"


# Column names as people read them, for downloads of the lists below.
LABELS = {
    "decide_by": "Decide by",
    "decision": "Decision",
    "days_left": "Days to end",
    "days_to_decide": "Days to decide",
    "days_overdue": "Days past decide-by",
    "days_since_end": "Days since end",
    "lead_months": "Lead time (months)",
}


# ---- queries ---------------------------------------------------------------------------------

# What a row of every list shows besides its dates; money rounded in SQL. A notice bought
# jointly names the other councils that bought it: its annual value is this council's share.
_DETAIL = (
    "borough, service_area, system, vendor, contract_start, round(annual_value, 2) AS "
    "annual_value, bought_with, source_ref, borough_code"
)


def dated(
    state: FilterState, lead: LeadTimes, rows: str = "current_contracts"
) -> tuple[str, Params]:
    """The filtered records with `lead_months` and `decide_by` (NULL when no end date); `rows`
    as selection.base takes it."""
    sql, params = selection.base(state, rows)
    return _with_decide_by(sql, params, lead)


def _with_decide_by(sql: str, params: Params, lead: LeadTimes) -> tuple[str, Params]:
    """`sql` (rows with service_area and contract_end) with `lead_months` and `decide_by`; the
    lead times are bound as two lists joined as a table."""
    params.add(
        lead_areas=[a for a, _ in lead.by_area],
        lead_months=[m for _, m in lead.by_area],
        lead_default=lead.default,
    )
    return (
        f"""SELECT b.*, coalesce(l.months, $lead_default) AS lead_months,
            CAST(b.contract_end - to_months(coalesce(l.months, $lead_default)) AS DATE)
                AS decide_by
        FROM ({sql}) AS b
        LEFT JOIN (SELECT unnest($lead_areas::VARCHAR[]) AS service_area,
                          unnest($lead_months::INTEGER[]) AS months) AS l
            USING (service_area)""",
        params,
    )


# The windows every figure and list counts in (here and in alerts), so that a figure counts
# exactly what its list shows. `horizon` names the bound parameter that ends the window.
def ending_window(horizon: str) -> str:
    """Ending on or after `$today` and before the horizon."""
    return f"contract_end >= $today AND contract_end < ${horizon}"


def deciding_window(horizon: str) -> str:
    """Still running, the decide-by date on or after `$today` and before the horizon."""
    return f"contract_end >= $today AND decide_by >= $today AND decide_by < ${horizon}"


_OVERDUE = "contract_end >= $today AND decide_by < $today"


def summary(
    r: Reader, state: FilterState, lead: LeadTimes, today: date | None = None
) -> dict[str, Any]:
    """Counts for the pipeline's figures. Every record is exactly one of ended, upcoming or
    no end date; `ending_N` counts those ending in the next N months and `overdue_N` those of
    them whose decide-by date has passed; `due_N` counts the contracts still running whose
    decide-by date falls in the next N months, and `decisions_overdue` those whose has passed.
    Each counts contracts, a contract bought jointly once (selection.contracts); the same name
    with `_records` counts the records its list shows, a joint contract's of each council."""
    today = today or dates.today()
    # Records are counted per service area and end date first: the decide-by dates are then
    # worked out for a few thousand rows, not for every record (a joint contract's records
    # share both, so its contract is counted once there).
    base, params = selection.base(state)
    contracts = selection.contracts(selection.joint_held(r))
    sql, params = _with_decide_by(
        f"SELECT service_area, contract_end, count(*) AS n, {contracts} AS c "
        f"FROM ({base}) AS r GROUP BY ALL",
        params,
        lead,
    )
    params.add(today=today)
    counted = {
        "no_end_date": "contract_end IS NULL",
        "ended": "contract_end < $today",
        "upcoming": "contract_end >= $today",
        "decisions_overdue": _OVERDUE,
    }
    for n in WINDOWS:
        counted[f"ending_{n}"] = ending_window(f"h{n}")
        counted[f"overdue_{n}"] = f"{ending_window(f'h{n}')} AND decide_by < $today"
        counted[f"due_{n}"] = deciding_window(f"h{n}")
    figures = ", ".join(
        f"sum(c) FILTER (WHERE {where}) AS {name}, sum(n) FILTER (WHERE {where}) AS {name}_records"
        for name, where in counted.items()
    )
    params.update({f"h{n}": add_months(today, n) for n in WINDOWS})
    df = r.df(f"SELECT sum(n) AS records, {figures} FROM ({sql}) AS d", params)
    return {k: 0 if pd.isna(v) else int(v) for k, v in df.iloc[0].items()}


def _by_decision(
    state: FilterState,
    lead: LeadTimes,
    months: int,
    today: date | None,
    limit: int | None,
    where: str,
    extra: str = "",
) -> tuple[str, Params]:
    """The dated records in `where` (with `$today` and `$horizon`, `months` on), the decision
    each calls for and `extra` columns, soonest decision first."""
    today = today or dates.today()
    sql, params = dated(state, lead)
    params.add(
        today=today,
        horizon=add_months(today, int(months)),
        soon=add_months(today, SOON_MONTHS),
        overdue=DECISION_OVERDUE,
        due_soon=DECISION_SOON,
        later=DECISION_LATER,
    )
    tail = selection.limit_clause(params, limit)
    return (
        f"""SELECT decide_by,
            CASE WHEN decide_by < $today THEN $overdue
                 WHEN decide_by < $soon THEN $due_soon ELSE $later END AS decision,
            {extra}contract_end, date_diff('day', $today, contract_end) AS days_left,
            {_DETAIL}, lead_months
        FROM ({sql}) AS d
        WHERE {where}
        ORDER BY decide_by, contract_end, borough, system, source_ref{tail}""",
        params,
    )


# Each list is a query (`<list>_sql`, for downloads DuckDB writes itself) and its rows (`<list>`,
# for the page's table).


def upcoming_sql(
    state: FilterState,
    lead: LeadTimes,
    months: int,
    today: date | None = None,
    limit: int | None = None,
) -> tuple[str, Params]:
    """Contracts ending within the next `months` months, soonest decision first (the first
    `limit` of them when given)."""
    return _by_decision(state, lead, months, today, limit, ending_window("horizon"))


def upcoming(r: Reader, state: FilterState, *args: Any, **kwargs: Any) -> pd.DataFrame:
    """The rows of `upcoming_sql`."""
    return r.df(*upcoming_sql(state, *args, **kwargs))


def decisions_due_sql(
    state: FilterState,
    lead: LeadTimes,
    months: int,
    today: date | None = None,
    limit: int | None = None,
) -> tuple[str, Params]:
    """Contracts still running whose decide-by date falls in the next `months` months (on or
    after today, before the same day `months` on), soonest decision first."""
    return _by_decision(
        state, lead, months, today, limit, deciding_window("horizon"),
        extra="date_diff('day', $today, decide_by) AS days_to_decide, ",
    )  # fmt: skip


def decisions_due(r: Reader, state: FilterState, *args: Any, **kwargs: Any) -> pd.DataFrame:
    """The rows of `decisions_due_sql`."""
    return r.df(*decisions_due_sql(state, *args, **kwargs))


def decisions_overdue_sql(
    state: FilterState,
    lead: LeadTimes,
    today: date | None = None,
    limit: int | None = None,
) -> tuple[str, Params]:
    """Contracts still running whose decide-by date has passed: decide now. The contract
    ending soonest first, since it leaves the least time."""
    today = today or dates.today()
    sql, params = dated(state, lead)
    params.add(today=today)
    tail = selection.limit_clause(params, limit)
    return (
        f"""SELECT contract_end, date_diff('day', $today, contract_end) AS days_left,
            decide_by, date_diff('day', decide_by, $today) AS days_overdue,
            {_DETAIL}, lead_months
        FROM ({sql}) AS d
        WHERE {_OVERDUE}
        ORDER BY contract_end, decide_by, borough, system, source_ref{tail}""",
        params,
    )


def decisions_overdue(r: Reader, state: FilterState, *args: Any, **kwargs: Any) -> pd.DataFrame:
    """The rows of `decisions_overdue_sql`."""
    return r.df(*decisions_overdue_sql(state, *args, **kwargs))


def ended_sql(
    state: FilterState, today: date | None = None, limit: int | None = None
) -> tuple[str, Params]:
    """Contracts already past their end date (often running on): most recently ended first."""
    today = today or dates.today()
    sql, params = selection.base(state)
    params.add(today=today)
    tail = selection.limit_clause(params, limit)
    return (
        f"""SELECT contract_end, date_diff('day', contract_end, $today) AS days_since_end,
            {_DETAIL}
        FROM ({sql}) AS b WHERE contract_end < $today
        ORDER BY contract_end DESC, borough, system, source_ref{tail}""",
        params,
    )


def ended(r: Reader, state: FilterState, *args: Any, **kwargs: Any) -> pd.DataFrame:
    """The rows of `ended_sql`."""
    return r.df(*ended_sql(state, *args, **kwargs))


def undated_sql(state: FilterState, limit: int | None = None) -> tuple[str, Params]:
    """Contracts with no end date (unknown or rolling): listed so they are not missed."""
    sql, params = selection.base(state)
    tail = selection.limit_clause(params, limit)
    return (
        f"""SELECT {_DETAIL}
        FROM ({sql}) AS b WHERE contract_end IS NULL
        ORDER BY borough, service_area, system, source_ref{tail}""",
        params,
    )


def undated(r: Reader, state: FilterState, *args: Any, **kwargs: Any) -> pd.DataFrame:
    """The rows of `undated_sql`."""
    return r.df(*undated_sql(state, *args, **kwargs))


def with_decide_by(
    r: Reader,
    state: FilterState,
    lead: LeadTimes,
    limit: int | None = None,
    today: date | None = None,
) -> pd.DataFrame:
    """Every filtered record that has an end date, with its decide-by date (for calendars), by
    end date. With `limit`, only the `limit` contracts ending nearest to `today`: those still
    to end first, soonest first, then the most recently ended. `vendor_as_written` is there for
    the calendar's UIDs (see citydata.output.ics.uid), which an alias must not change;
    `revised_at` for its events' versions: the last moment anything a calendar shows of the
    record could have changed, the latest of its snapshot's time (an upload, a fetch, a
    rollback), the last vendor grouping (its vendor's name), the lead-time file's change (its
    decide-by date) and the last restore of a backup (whose records keep their older times).
    Each only moves forward, so neither does `revised_at`."""
    sql, params = dated(state, lead)
    params.add(lead_changed=lead.changed_at, restored_key=RESTORED_AT_KEY)
    nearest = ""
    if limit is not None:
        params.add(today=today or dates.today())
        nearest = (
            "ORDER BY contract_end < $today, abs(date_diff('day', $today, contract_end)), "
            "borough, service_area, system, vendor, source_ref"
            + selection.limit_clause(params, limit)
        )
    return r.df(
        f"""SELECT n.*, greatest(
            s.created_at,
            CAST($lead_changed AS TIMESTAMP),
            (SELECT max(added_at) FROM vendor_aliases),
            (SELECT max(TRY_CAST(value AS TIMESTAMP)) FROM meta WHERE key = $restored_key)
        ) AS revised_at FROM (
            SELECT {_DETAIL}, vendor_as_written, contract_end, lead_months, decide_by,
                snapshot_id
            FROM ({sql}) AS d WHERE contract_end IS NOT NULL
            {nearest}
        ) AS n
        LEFT JOIN snapshots AS s ON s.id = n.snapshot_id
        ORDER BY contract_end, borough, service_area, system, vendor, source_ref""",
        params,
    )
