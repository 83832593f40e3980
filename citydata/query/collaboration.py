"""The collaboration finder: boroughs whose contracts for the same thing end at about the same time.

How a group is made (the same rule the README gives council staff):

1. Take the filtered contracts that have an end date (by default only those ending today or
   later) and split them by the chosen key: the system (the default), the vendor within a
   service area, the vendor, or the whole service area. A key people can act on comes first:
   a service area such as "Corporate IT" mixes firewalls, hosting and e-mail in one group.
2. Within one key, sort the contracts by end date. The first group starts with the earliest end
   date and takes every contract ending no later than that date plus the window (e.g. 6 months;
   a contract ending exactly on that day is in). The next group starts with the next end date
   after that, and so on. So a group never spans more than the window, from its first end date.
3. Keep the groups with contracts from two or more boroughs (a borough with two contracts in
   a group counts once), ranked by number of boroughs, then combined annual value, then the
   earliest end date.
4. Name the near misses: a borough not in a group whose contract for the same key ends within
   NEAR_MONTHS before the group's first end date or after its window closes, so people can
   invite it rather than miss it because it ended a few weeks the wrong side of a line.

All of it is one DuckDB query: the records are first cut down to one row per key and end date
(with the distinct boroughs, systems and vendors beside), a recursive CTE finds every group's
first end date for all keys at once (one step per successive group, each step a range join),
and an ASOF join puts each end date in the last group started on or before it. No Python loop
over pairs, and nothing per record leaves DuckDB unless a list of contracts is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from citydata.core import boroughs, dates
from citydata.query import selection, system_groups
from citydata.query.filters import FilterState, Params
from citydata.store.db import Reader

KEYS: dict[str, str] = {  # allow-list: what the user may group by -> how it is said
    "system": "system",
    "area_vendor": "vendor in a service area",
    "vendor": "vendor",
    "service_area": "service area",
}
# The SQL of each key, over the records aliased as {t} (allow-listed: never user text), as
# `_named` gives them.
_KEY_SQL: dict[str, str] = {
    "system": "{t}system_name",  # (the system's name however written: `_named`)
    "area_vendor": "{t}service_area || ' · ' || {t}vendor",
    "vendor": "{t}vendor",
    "service_area": "{t}service_area",
}
DEFAULT_BY = "system"
DEFAULT_WINDOW_MONTHS = 6
NEAR_MONTHS = 3  # a contract this close outside a group is named as a near miss
MAX_WINDOW_MONTHS = 60
PAGE_MAX_WINDOW_MONTHS = 24  # the Collaboration page's slider (the command line goes further)


RULE = (
    "How groups are made: contracts for the same {noun} are sorted by end date. A group starts "
    "with the earliest end date and takes every contract ending within {window} of it "
    "(on that day included); the next group starts with the next end date after that. Groups "
    "with contracts from only one borough are left out. Ranked by number of boroughs, then "
    'combined annual value. "Just outside" names boroughs whose contract for the same {noun} '
    f"ends up to {NEAR_MONTHS} months before a group starts or after its window closes."
)


@dataclass(frozen=True)
class Query:
    """What the user asked: group by `by`, end dates within `window_months` of each other."""

    by: str = DEFAULT_BY
    window_months: int = DEFAULT_WINDOW_MONTHS
    include_ended: bool = False

    def __post_init__(self) -> None:
        if self.by not in KEYS:
            raise ValueError(f"group by one of {', '.join(KEYS)}, not {self.by!r}")
        if not 1 <= int(self.window_months) <= MAX_WINDOW_MONTHS:
            raise ValueError(f"the window must be 1 to {MAX_WINDOW_MONTHS} months")


def _ranked_sql(state: FilterState, q: Query, today: date, held: bool = True) -> tuple[str, Params]:
    """CTEs `starts` (each group's first end date), `assigned` (each end date of each key with
    its group's first end date) and `ranked` (the groups, best first).

    The records are read once and cut down at once to a few rows per key and end date
    (`p`: totals, and the distinct boroughs, systems and vendors, as grouping sets), so the
    grouping works on thousands of rows however many records there are. A group's
    `contracts` count a contract bought jointly once (`held`: selection.joint_held), its
    `records` each council's record of it, as its list shows them.
    """
    sql, params = selection.base(state)
    params.add(today=today, window=int(q.window_months), include_ended=q.include_ended)
    key = key_sql(q.by)
    params.add(near=NEAR_MONTHS, sep=boroughs.separator())  # "; " between names with commas
    return (
        f"""
        WITH RECURSIVE
        p AS (
            SELECT key, contract_end, borough_code, borough, system, vendor,
                   GROUPING(borough_code, system, vendor) AS level,
                   {selection.contracts(held, joint="joint")} AS contracts,
                   count(*) AS records, sum(annual_value) AS value,
                   {selection.contracts(held, "annual_value IS NOT NULL", "joint")} AS with_value
            FROM (
                SELECT {key} AS key, contract_end, borough_code, borough,
                       system_name AS system, vendor, annual_value, {selection.JOINT} AS joint
                FROM ({_named(sql)}) AS b
                WHERE contract_end IS NOT NULL AND {key} IS NOT NULL
                  AND (contract_end >= $today OR $include_ended)
            ) AS k
            GROUP BY GROUPING SETS (
                (key, contract_end), (key, contract_end, borough_code, borough),
                (key, contract_end, system), (key, contract_end, vendor))
        ),
        d AS (SELECT key, contract_end FROM p WHERE level = {_ALL}),
        starts(key, first_end) AS (
            SELECT key, min(contract_end) FROM d GROUP BY key
            UNION ALL
            SELECT s.key, min(d.contract_end)
            FROM starts AS s JOIN d
              ON d.key = s.key AND d.contract_end > s.first_end + to_months($window)
            GROUP BY s.key
        ),
        assigned AS (
            SELECT d.key, d.contract_end, s.first_end
            FROM d ASOF JOIN starts AS s ON d.key = s.key AND d.contract_end >= s.first_end
        ),
        g AS (
            SELECT p.key, a.first_end,
                   count(DISTINCT p.borough_code) FILTER (WHERE level = {_BOROUGH}) AS boroughs,
                   CAST(sum(p.contracts) FILTER (WHERE level = {_ALL}) AS BIGINT) AS contracts,
                   CAST(sum(p.records) FILTER (WHERE level = {_ALL}) AS BIGINT) AS records,
                   round(sum(p.value) FILTER (WHERE level = {_ALL}), 2)
                       AS combined_annual_value,
                   CAST(sum(p.with_value) FILTER (WHERE level = {_ALL}) AS BIGINT)
                       AS contracts_with_value,
                   max(p.contract_end) AS last_end,
                   string_agg(DISTINCT p.borough, $sep ORDER BY p.borough)
                       FILTER (WHERE level = {_BOROUGH}) AS borough_list,
                   string_agg(DISTINCT p.system, ', ' ORDER BY p.system)
                       FILTER (WHERE level = {_SYSTEM}) AS systems,
                   string_agg(DISTINCT p.vendor, ', ' ORDER BY p.vendor)
                       FILTER (WHERE level = {_VENDOR}) AS vendors
            FROM p JOIN assigned AS a USING (key, contract_end)
            GROUP BY p.key, a.first_end
            HAVING count(DISTINCT p.borough_code) FILTER (WHERE level = {_BOROUGH}) >= 2
        ),
        ranked0 AS (
            SELECT row_number() OVER (
                       ORDER BY boroughs DESC, combined_annual_value DESC NULLS LAST, first_end, key
                   ) AS "group", *
            FROM g
        ),
        inside AS (
            SELECT DISTINCT a.key, a.first_end, p.borough_code
            FROM p JOIN assigned AS a USING (key, contract_end) WHERE p.level = {_BOROUGH}
        ),
        near AS (
            SELECT r."group",
                   string_agg(p.borough || ' (' || strftime(p.contract_end, '%-d %b %Y') || ')',
                              $sep ORDER BY p.contract_end, p.borough) AS near_misses
            FROM ranked0 AS r JOIN p ON p.key = r.key AND p.level = {_BOROUGH}
            WHERE ((p.contract_end > r.first_end + to_months($window)
                    AND p.contract_end <= r.first_end + to_months($window) + to_months($near))
                   OR (p.contract_end < r.first_end
                       AND p.contract_end >= r.first_end - to_months($near)))
              AND p.borough_code NOT IN (
                  SELECT borough_code FROM inside AS i
                  WHERE i.key = r.key AND i.first_end = r.first_end)
            GROUP BY r."group"
        ),
        ranked AS (
            SELECT ranked0.*, coalesce(near.near_misses, '') AS near_misses
            FROM ranked0 LEFT JOIN near USING ("group")
        )""",
        params,
    )


def _named(sql: str) -> str:
    """The base query's rows with the name of their system (`system_name`), by which they
    are grouped and listed: "MOSAIC" and "Mosaic" are one system (citydata.query.system_groups).
    Each contract keeps its system as written."""
    return system_groups.with_names(sql)


def key_sql(by: str, table: str = "") -> str:
    """The SQL of the grouping key `by` (allow-listed in _KEY_SQL), on `table`'s columns."""
    return _KEY_SQL[by].format(t=f"{table}." if table else "")


# GROUPING(borough_code, system, vendor) of each grouping set of `p` (a bit set = not grouped).
_ALL, _BOROUGH, _SYSTEM, _VENDOR = 0b111, 0b011, 0b101, 0b110

# A group's contracts as listed; a notice bought jointly names the other councils that bought
# it (`bought_with`: its annual value is this council's share, so the group's sum counts the
# contract once)
_MEMBER_COLUMNS = (
    "b.borough, b.service_area, b.system, b.vendor, b.contract_end, "
    "round(b.annual_value, 2) AS annual_value, b.bought_with, b.source_ref"
)


def groups(
    r: Reader,
    state: FilterState,
    q: Query,
    today: date | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """One row per group, best first: key, boroughs, contracts (a contract bought jointly
    once), value, first/last end, lists, and `records` (the rows of its list: a joint
    contract's record of each council).

    With `limit`, only the best `limit` groups; every row also says how many groups there are
    in all (`groups_found`) and how many contracts they hold (`contracts_in_groups`; records:
    `records_in_groups`, the rows of the download of every group).
    """
    ctes, params = _ranked_sql(state, q, today or dates.today(), selection.joint_held(r))
    tail = selection.limit_clause(params, limit)
    return r.df(
        f"""{ctes}
        SELECT "group", key, boroughs, contracts, combined_annual_value, first_end, last_end,
               borough_list, systems, vendors, near_misses, contracts_with_value, records,
               count(*) OVER () AS groups_found,
               CAST(sum(contracts) OVER () AS BIGINT) AS contracts_in_groups,
               CAST(sum(records) OVER () AS BIGINT) AS records_in_groups
        FROM ranked ORDER BY "group"{tail}
        """,
        params,
    )


def members_sql(state: FilterState, q: Query, today: date | None = None) -> tuple[str, Params]:
    """Every contract in a group: group number, borough, system, vendor, end date, value; by
    group, then end date."""
    ctes, params = _ranked_sql(state, q, today or dates.today(), held=False)  # (no counts read)
    sql, _ = selection.base(state)
    return (
        f"""{ctes}
        SELECT r."group", {_MEMBER_COLUMNS}
        FROM ({_named(sql)}) AS b
        JOIN assigned AS a ON a.key = {key_sql(q.by, "b")} AND a.contract_end = b.contract_end
        JOIN ranked AS r ON r.key = a.key AND r.first_end = a.first_end
        ORDER BY r."group", b.contract_end, b.borough, b.system, b.source_ref""",
        params,
    )


def members(r: Reader, state: FilterState, q: Query, today: date | None = None) -> pd.DataFrame:
    """The rows of `members_sql`."""
    return r.df(*members_sql(state, q, today))


def group_members(
    r: Reader,
    state: FilterState,
    q: Query,
    key: str,
    first_end: Any,
    last_end: Any,
    limit: int | None = None,
) -> pd.DataFrame:
    """The contracts of one group (a row of `groups`: its key, first and last end date), by
    end date; at most `limit`. A group holds every contract for its key ending in that span,
    so this needs no grouping."""
    sql, params = selection.base(state)
    params.add(key=key, first=_as_date(first_end), last=_as_date(last_end))
    tail = selection.limit_clause(params, limit)
    return r.df(
        f"""SELECT {_MEMBER_COLUMNS}
        FROM ({_named(sql)}) AS b
        WHERE {key_sql(q.by, "b")} = $key AND b.contract_end BETWEEN $first AND $last
        ORDER BY b.contract_end, b.borough, b.system, b.source_ref{tail}""",
        params,
    )


def _as_date(value: Any) -> date:
    return pd.Timestamp(value).date()
