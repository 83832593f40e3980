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

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from citydata.core.dates import day_label
from citydata.core.formatting import count, day, money_in_full
from citydata.core.text import neutralise_cell
from citydata.query import selection
from citydata.query.filters import FilterState, Params
from citydata.store.db import Reader

KEYS: dict[str, str] = {  # allow-list: what the user may group by -> how it is said
    "system": "system",
    "area_vendor": "vendor in a service area",
    "vendor": "vendor",
    "service_area": "service area",
}
# The SQL of each key, over the records aliased as {t} (allow-listed: never user text).
_KEY_SQL: dict[str, str] = {
    "system": "{t}system",
    "area_vendor": "{t}service_area || ' · ' || {t}vendor",
    "vendor": "{t}vendor",
    "service_area": "{t}service_area",
}
DEFAULT_BY = "system"
DEFAULT_WINDOW_MONTHS = 6
NEAR_MONTHS = 3  # a contract this close outside a group is named as a near miss
MAX_WINDOW_MONTHS = 60


RULE = (
    "How groups are made: contracts for the same {noun} are sorted by end date. A group starts "
    "with the earliest end date and takes every contract ending within {window} months of it "
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


def _ranked_sql(state: FilterState, q: Query, today: date) -> tuple[str, Params]:
    """CTEs `starts` (each group's first end date), `assigned` (each end date of each key with
    its group's first end date) and `ranked` (the groups, best first).

    The records are read once and cut down at once to a few rows per key and end date
    (`p`: totals, and the distinct boroughs, systems and vendors, as grouping sets), so the
    grouping works on thousands of rows however many records there are.
    """
    sql, params = selection.base(state)
    params.add(today=today, window=int(q.window_months), include_ended=q.include_ended)
    key = key_sql(q.by)
    params.add(near=NEAR_MONTHS)
    return (
        f"""
        WITH RECURSIVE
        p AS (
            SELECT key, contract_end, borough_code, borough, system, vendor,
                   GROUPING(borough_code, system, vendor) AS level,
                   count(*) AS contracts, sum(annual_value) AS value,
                   count(annual_value) AS with_value
            FROM (
                SELECT {key} AS key, contract_end, borough_code, borough, system, vendor,
                       annual_value
                FROM ({sql}) AS b
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
                   round(coalesce(sum(p.value) FILTER (WHERE level = {_ALL}), 0), 2)
                       AS combined_annual_value,
                   CAST(sum(p.with_value) FILTER (WHERE level = {_ALL}) AS BIGINT)
                       AS contracts_with_value,
                   max(p.contract_end) AS last_end,
                   string_agg(DISTINCT p.borough, ', ' ORDER BY p.borough)
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
                       ORDER BY boroughs DESC, combined_annual_value DESC, first_end, key
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
                              ', ' ORDER BY p.contract_end, p.borough) AS near_misses
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


def key_sql(by: str, table: str = "") -> str:
    """The SQL of the grouping key `by` (allow-listed in _KEY_SQL), on `table`'s columns."""
    return _KEY_SQL[by].format(t=f"{table}." if table else "")


# GROUPING(borough_code, system, vendor) of each grouping set of `p` (a bit set = not grouped).
_ALL, _BOROUGH, _SYSTEM, _VENDOR = 0b111, 0b011, 0b101, 0b110

_MEMBER_COLUMNS = (
    "b.borough, b.service_area, b.system, b.vendor, b.contract_end, "
    "round(b.annual_value, 2) AS annual_value, b.source_ref"
)


def groups(
    r: Reader,
    state: FilterState,
    q: Query,
    today: date | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """One row per group, best first: key, boroughs, contracts, value, first/last end, lists.

    With `limit`, only the best `limit` groups; every row also says how many groups there are
    in all (`groups_found`) and how many contracts they hold (`contracts_in_groups`).
    """
    ctes, params = _ranked_sql(state, q, today or date.today())
    tail = selection.limit_clause(params, limit)
    return r.df(
        f"""{ctes}
        SELECT "group", key, boroughs, contracts, combined_annual_value, first_end, last_end,
               borough_list, systems, vendors, near_misses, contracts_with_value,
               count(*) OVER () AS groups_found,
               CAST(sum(contracts) OVER () AS BIGINT) AS contracts_in_groups
        FROM ranked ORDER BY "group"{tail}
        """,
        params,
    )


def members(r: Reader, state: FilterState, q: Query, today: date | None = None) -> pd.DataFrame:
    """Every contract in a group: group number, borough, system, vendor, end date, value."""
    ctes, params = _ranked_sql(state, q, today or date.today())
    sql, _ = selection.base(state)
    return r.df(
        f"""{ctes}
        SELECT r."group", {_MEMBER_COLUMNS}
        FROM ({sql}) AS b
        JOIN assigned AS a ON a.key = {key_sql(q.by, "b")} AND a.contract_end = b.contract_end
        JOIN ranked AS r ON r.key = a.key AND r.first_end = a.first_end
        ORDER BY r."group", b.contract_end, b.borough, b.system, b.source_ref""",
        params,
    )


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
        FROM ({sql}) AS b
        WHERE {key_sql(q.by, "b")} = $key AND b.contract_end BETWEEN $first AND $last
        ORDER BY b.contract_end, b.borough, b.system, b.source_ref{tail}""",
        params,
    )


# ---- what people take away -------------------------------------------------------------------


def group_label(row: Any, q: Query) -> str:
    """'1. Housing: 5 boroughs, ending 31 Jan 2027 to 31 Jul 2027'."""
    first, last = day(row["first_end"]), day(row["last_end"])
    span = first if first == last else f"{first} to {last}"
    return f"{int(row['group'])}. {row['key']}: {int(row['boroughs'])} boroughs, ending {span}"


def briefing_frame(group_members: pd.DataFrame, with_group: bool = False) -> pd.DataFrame:
    """Members as a download: dates as dates, the group number only when several groups."""
    df = group_members.copy()
    if with_group:
        df = df.rename(columns={"group": "Group"})
    else:
        df = df.drop(columns=["group"], errors="ignore")
    df["contract_end"] = pd.to_datetime(df["contract_end"]).dt.date
    return df


ILLUSTRATIVE_NOTE = (
    "Illustrative data: the records of {boroughs} are generated examples, not real contracts. "
    "Do not act on them."
)
BRIEFING_COLUMNS = (
    "Borough",
    "System",
    "Vendor",
    "Service area",
    "Contract ends",
    "Annual value (£)",
)


@dataclass(frozen=True)
class Briefing:
    """One group's briefing as plain text parts, rendered to Markdown here and to a Word
    document by `citydata.output.word`: every format says the same."""

    title: str
    warning: str  # empty unless some records are illustrative
    intro: str
    facts: tuple[tuple[str, str], ...]
    rows: tuple[tuple[str, ...], ...]  # BRIEFING_COLUMNS
    footer: str


def briefing(
    group: Any,
    group_members: pd.DataFrame,
    q: Query,
    today: date | None = None,
    illustrative: Iterable[str] = (),
) -> Briefing:
    """The parts of a briefing on one group. `illustrative`: boroughs whose records are the
    illustrative default data (the briefing then says so first). Text is as in the data (one
    line each, no formula start); the renderer escapes it for its format."""
    today = today or date.today()
    noun = KEYS[q.by]
    value = float(group["combined_annual_value"] or 0)
    missing = int(group["contracts"]) - int(group["contracts_with_value"])
    shown = set(group_members["borough"]) if "borough" in group_members else set()
    demo = sorted(b for b in illustrative if b in shown)
    facts = [
        ("Boroughs", _plain(group["borough_list"])),
        ("Systems", _plain(group["systems"])),
        ("Vendors", _plain(group["vendors"])),
    ]
    if near := group.get("near_misses"):
        facts.append((f"Just outside (within {NEAR_MONTHS} months of the group)", _plain(near)))
    facts.append(
        (
            "Combined annual value",
            money_in_full(value)
            + (
                f" ({count(missing, 'contract has', 'contracts have')} no value recorded)"
                if missing
                else ""
            ),
        )
    )
    rows = []
    for _, m in group_members.iterrows():
        amount = "" if pd.isna(m["annual_value"]) else f"{float(m['annual_value']):,.0f}"
        cells = [m["borough"], m["system"], m["vendor"], m["service_area"]]
        rows.append((*(_plain(c) for c in cells), day(m["contract_end"]), amount))
    return Briefing(
        title=f"Collaboration opportunity: {_plain(group['key'])}",
        warning=ILLUSTRATIVE_NOTE.format(boroughs=_and(demo)) if demo else "",
        intro=(
            f"{int(group['boroughs'])} boroughs have {int(group['contracts'])} contracts for the "
            f"same {noun} ending between {day(group['first_end'])} and "
            f"{day(group['last_end'])}, within {q.window_months} months of each other."
        ),
        facts=tuple(facts),
        rows=tuple(rows),
        footer=(
            f"Grouping rule: contracts for the same {noun} ending within {q.window_months} "
            "months of the group's first end date. "
            f"Made by City Tools Explorer on {day_label(today)}; check each borough's register "
            "before acting."
        ),
    )


def briefing_markdown(
    group: Any,
    group_members: pd.DataFrame,
    q: Query,
    today: date | None = None,
    illustrative: Iterable[str] = (),
) -> str:
    """A short Markdown briefing on one group, to paste into an email or a paper.

    Data text is escaped for Markdown and cannot start a spreadsheet formula.
    """
    b = briefing(group, group_members, q, today, illustrative)
    lines = [f"# {_esc(b.title)}", ""]
    if b.warning:
        lines += [f"> **{_esc(b.warning)}**", ""]
    lines += [b.intro, ""]
    lines += [f"- {label}: {_esc(text)}" for label, text in b.facts]
    lines += [
        "",
        "| " + " | ".join(BRIEFING_COLUMNS) + " |",
        "|" + "---|" * len(BRIEFING_COLUMNS),
    ]
    for cells in b.rows:
        lines.append("| " + " | ".join(_esc(c) for c in cells) + " |")
    lines += ["", b.footer, ""]
    return "\n".join(lines)


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _plain(value: Any) -> str:
    """Data text for a briefing: one line, no formula start."""
    text = " ".join(str("" if value is None else value).split())
    return str(neutralise_cell(text))


# Inline Markdown that data text could trigger in a Markdown file (CommonMark, not Streamlit's
# widgets, which use citydata.core.text.markdown_literal): emphasis, code, links, HTML, cells.
# Fewer escapes than a widget needs, because the file is pasted into e-mails as it is.
_MD_SPECIALS = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|~"})


def _esc(text: str) -> str:
    """Briefing text for Markdown: special characters escaped."""
    return text.translate(_MD_SPECIALS)


def report(groups_df: pd.DataFrame, members_df: pd.DataFrame, q: Query, today: date) -> dict:
    """Everything found, as plain JSON-ready data (the command line's --json)."""
    out_groups = []
    for g in groups_df.to_dict("records"):
        rows = members_df[members_df["group"] == g["group"]]
        out_groups.append(
            {
                "group": int(g["group"]),
                "key": g["key"],
                "boroughs": sorted(set(rows["borough"])),
                "borough_count": int(g["boroughs"]),
                "contracts": int(g["contracts"]),
                "combined_annual_value": float(g["combined_annual_value"]),
                "first_end": _iso(g["first_end"]),
                "last_end": _iso(g["last_end"]),
                "systems": sorted(set(rows["system"])),
                "vendors": sorted(set(rows["vendor"])),
                "near_misses": g.get("near_misses") or "",
                "members": [
                    {
                        "borough": m["borough"],
                        "service_area": m["service_area"],
                        "system": m["system"],
                        "vendor": m["vendor"],
                        "contract_end": _iso(m["contract_end"]),
                        "annual_value": None
                        if pd.isna(m["annual_value"])
                        else float(m["annual_value"]),
                        "source_ref": None if pd.isna(m["source_ref"]) else m["source_ref"],
                    }
                    for m in rows.to_dict("records")
                ],
            }
        )
    return {
        "by": q.by,
        "window_months": q.window_months,
        "include_ended": q.include_ended,
        "today": today.isoformat(),
        "groups": out_groups,
    }


def as_text(groups_df: pd.DataFrame, q: Query) -> str:
    """The groups as lines a person reads in a terminal."""
    if groups_df.empty:
        return (
            f"No two boroughs have contracts for the same {KEYS[q.by]} ending within "
            f"{q.window_months} months of each other in this selection."
        )
    lines = []
    for g in groups_df.to_dict("records"):
        lines.append(group_label(g, q) + f", {money_in_full(g['combined_annual_value'])} a year")
        lines.append(f"   boroughs: {g['borough_list']}")
        lines.append(f"   systems:  {g['systems']}")
        lines.append(f"   vendors:  {g['vendors']}")
        if g.get("near_misses"):
            lines.append(f"   just outside: {g['near_misses']}")
    return "\n".join(lines)


def _as_date(value: Any) -> date:
    return pd.Timestamp(value).date()


def _iso(value: Any) -> str:
    return pd.Timestamp(value).date().isoformat()
