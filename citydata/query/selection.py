"""The read side: one filtered base query, wrapped for every breakdown.

Every function takes a `Reader` (so a page can run several inside one consistent read) and a
`FilterState`, and builds on `base()`, so numbers agree across panels and pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from citydata.core import boroughs, dates, service_types
from citydata.core.dates import add_months
from citydata.core.formatting import share_column
from citydata.core.schema import FIELD_NAMES
from citydata.query import corrections, filters, system_groups
from citydata.query.filters import FilterState, Params
from citydata.store import vendors
from citydata.store.db import Reader

# `source_kind` says whether a record is the register's or a published notice's: `source` alone
# says "upload" for both when a notices file was uploaded. A notice's annual value may be worked
# out from its total (`annual_value_derived`), and the total is shown beside it; a notice bought
# jointly names the other councils that bought it (`bought_with`: its annual value is a share).
RECORD_COLUMNS: tuple[str, ...] = (
    *FIELD_NAMES,
    "total_value",
    "annual_value_derived",
    "bought_with",
    "source_kind",
    "source",
    "snapshot_id",
)
# The records' order, on the base query aliased `b` (qualified: an output alias never shadows
# it). The other columns break ties, so the same data always lists (and downloads) alike.
_FIRST = ("borough", "service_area", "system", "vendor", "contract_end")
RECORD_ORDER = ", ".join(
    f"b.{c} NULLS LAST" for c in (*_FIRST, *(c for c in RECORD_COLUMNS if c not in _FIRST))
)


# Unless only published notices are asked for, a notice matched to a register record is that
# record's evidence, not a second contract: the record is counted once, as the register record
# (the pairs are kept by citydata.store.matches; the view's `matched` says which).
ONCE = "NOT (source_kind = 'published' AND matched)"


# How many of the region's authorities the rows hold (`$councils`, bound by `with_councils`): a
# record kept under a council the region no longer has (Craven's register, after North Yorkshire
# replaced it) is not one of them, so "3 of 2" can never be said, and the map agrees.
COUNCILS = "count(DISTINCT borough_code) FILTER (WHERE borough_code IN $councils)"


# A notice bought jointly is a record of each council that bought it (citydata.ingest.joint),
# alike but for the council: a count of contracts across councils counts it once (a council's own
# figures count its record, as count(*) does). JOINT is its key, NULL for a contract bought alone:
# the supplier is part of it, since a notice with several suppliers is several contracts.
JOINT = (
    "CASE WHEN bought_with IS NOT NULL THEN "
    "(source_ref, system, vendor_as_written, contract_start, contract_end) END"
)


def joint_held(r: Reader) -> bool:
    """Whether any record is a joint notice's: where none is, count(*) counts the contracts,
    and the distinct count of `contracts` is not paid for (ten million records, the
    Calendar's months: 0.4 s against 1.4 s)."""
    return bool(r.scalar("SELECT EXISTS (SELECT 1 FROM contracts WHERE bought_with IS NOT NULL)"))


def contracts(held: bool, where: str | None = None, joint: str = JOINT) -> str:
    """The SQL counting the contracts of the rows (`where`: of those rows only), a contract
    bought jointly once however many councils' records it has. `held`: `joint_held`; `joint`:
    the JOINT key as already worked out in a column of the rows, when it is."""
    only = f" FILTER (WHERE {where})" if where else ""
    if not held:
        return f"count(*){only}"
    return f"(count(*){only} - count({joint}){only} + count(DISTINCT {joint}){only})"


def with_councils(params: Params) -> Params:
    """`params` with `$councils` (the region's authorities' codes) bound, for COUNCILS."""
    return params.add(councils=boroughs.codes())


def base(state: FilterState, rows: str = "current_contracts") -> tuple[str, Params]:
    """The filtered rows of current_contracts as a subquery, with its bound parameters.

    With both sources (or registers only) a published notice matched to a register record is
    left out (see ONCE). The parameters are a `Params`: add a query's own with
    `params.add(name=value)` (or `|=`); binding a name twice raises instead of silently
    replacing a filter's value. `rows`: another relation of the view's columns to filter, by
    its name in the caller's WITH (the records current at an earlier snapshot: see
    citydata.query.alerts.removed), never a value from outside.
    """
    if not rows.isidentifier():
        raise ValueError(f"not a relation's name: {rows!r}")
    w = filters.where(state)
    once = "" if state.source_kind == ("published",) else f"{ONCE} AND "
    return f"SELECT * FROM {rows} WHERE {once}{w.sql}", w.params.copy()


def headline(r: Reader, state: FilterState, today: date | None = None) -> dict[str, Any]:
    """The Overview's figures for the current selection (a system once however written)."""
    today = today or dates.today()
    sql, params = base(state)
    with_councils(params).add(today=today, horizon=add_months(today, 12))
    out = r.one(
        f"""
        WITH b AS ({sql}),
        v AS (SELECT vendor, count(*) AS n, row_number() OVER (ORDER BY count(*) DESC, vendor)
              AS rk FROM b WHERE vendor IS NOT NULL GROUP BY vendor)
        SELECT
            (SELECT count(*) FROM b) AS records,
            (SELECT {COUNCILS} FROM b) AS boroughs,
            (SELECT count(DISTINCT vendor) FROM b) AS vendors,
            (SELECT count(DISTINCT {system_groups.key("system")})
                FROM (SELECT DISTINCT system FROM b)) AS systems,
            (SELECT {contracts(joint_held(r))} FROM b
                WHERE contract_end >= $today AND contract_end < $horizon) AS ending_12_months,
            -- (of every record: those naming no vendor are held by no vendor we know)
            (SELECT round(100.0 * coalesce(sum(n) FILTER (WHERE rk <= 10), 0)
                          / nullif((SELECT count(*) FROM b), 0), 1) FROM v)
                AS top10_vendor_share,
            (SELECT round(sum(annual_value), 2) FROM b) AS annual_value
        """,
        params,
    )
    out["annual_value"] = amount(out["annual_value"])
    out["top10_vendor_share"] = float(out["top10_vendor_share"] or 0)
    return out


def amount(value: Any) -> float | None:
    """A summed amount as a number; None when no record summed had a value (not £0: the
    amount is not known)."""
    return None if value is None or pd.isna(value) else float(value)


def vendor_shares(vendors: pd.Series, records: pd.Series) -> pd.Series:
    """Each vendor's share of a borough's records (`vendors`: None for the records naming no
    vendor, one part of the whole), rounded together so that they add up to exactly 100
    (formatting.shares), in the one order that decides who gets a tenth left over on a tie:
    most records first, then by name, the records naming no vendor last. The Borough profile's
    vendors and the Map's "Share held by a vendor" both use it, so the two agree (rounding each
    on its own, the Map said 5.6% where the profile said 5.5%)."""
    key = pd.DataFrame(
        {"none": vendors.isna(), "n": -records.astype("int64"), "name": vendors.fillna("")},
        index=records.index,
    )
    order = key.sort_values(["none", "n", "name"], kind="stable").index
    return share_column(records.loc[order]).reindex(records.index)


def coverage(r: Reader, state: FilterState) -> pd.DataFrame:
    """Records per borough and service area (long form: borough, service_area, records)."""
    sql, params = base(state)
    return r.df(
        f"SELECT borough, service_area, count(*) AS records FROM ({sql}) AS b "
        "GROUP BY ALL ORDER BY borough, service_area",
        params,
    )


def limit_clause(params: Params, limit: int | None) -> str:
    """' LIMIT $limit' (bound in `params`) when `limit` is given, else nothing."""
    if limit is None:
        return ""
    params.add(limit=int(limit))
    return " LIMIT $limit"


def records(r: Reader, state: FilterState, limit: int | None = None) -> pd.DataFrame:
    """The filtered records themselves, in a stable order."""
    sql, params = base(state)
    tail = limit_clause(params, limit)
    return r.df(
        f"SELECT {', '.join(RECORD_COLUMNS)} FROM ({sql}) AS b ORDER BY {RECORD_ORDER}{tail}",
        params,
    )


def snapshots(r: Reader, state: FilterState) -> pd.DataFrame:
    """The snapshots the selected records come from (id, borough_code, kind, created_at,
    source, file_name), by borough, its register first: what a download was made of."""
    sql, params = base(state)
    return r.df(
        f"""SELECT s.id, s.borough_code, s.kind, s.created_at, s.source, s.file_name
        FROM snapshots AS s WHERE s.id IN (SELECT DISTINCT snapshot_id FROM ({sql}) AS b)
        ORDER BY s.borough_code, s.kind = 'published', s.id""",
        params,
    )


def options(r: Reader) -> dict[str, list[str]]:
    """Every value each choice filter can take, from the current data (one scan for all; a
    system once, under its name: citydata.query.system_groups)."""
    from_data = [c for c in filters.CHOICES if c.fixed_options() is None]
    lists = ", ".join(c.options_sql() for c in from_data)
    row = r.rows(f"SELECT {lists} FROM current_contracts")[0]
    found = {c.key: list(values or []) for c, values in zip(from_data, row, strict=True)}
    return {c.key: found.get(c.key) or list(c.fixed_options() or ()) for c in filters.CHOICES}


def regrouped(r: Reader, state: FilterState) -> tuple[FilterState, list[str]]:
    """The one reading of a vendor a link or a command names that has since been grouped under
    another (an alias, see citydata.store.vendors): read as the vendor it is grouped under, with
    a note saying so (corrections.regroup). Links, the sidebar, commands and alerts all use it."""
    if not state.vendor:
        return state, []
    return corrections.regroup(state, vendors.grouped_as(r, state.vendor))


@dataclass(frozen=True)
class Illustrative:
    """The selection's boroughs whose register is still the illustrative default data, and how
    many of their published notices in the selection are real all the same (a notice once,
    however many records its suppliers give it)."""

    boroughs: list[str]
    published: int = 0


def illustrative(r: Reader, state: FilterState) -> Illustrative:
    """Which boroughs of the selection show illustrative records (see `Illustrative`). Their
    published notices are counted only when the data holds some: grouping every record of the
    selection by borough costs more than finding the boroughs with illustrative records (ten
    million records: 0.10 s against 0.07-0.08 s)."""
    sql, params = base(state)
    notices = "SELECT count(*) FROM snapshots WHERE status = 'active' AND kind = 'published'"
    if not r.scalar(notices):
        found = f"SELECT DISTINCT borough FROM ({sql}) AS b WHERE source = 'demo' ORDER BY 1"
        return Illustrative([b for (b,) in r.rows(found, params)])
    rows = r.rows(  # (a notice is one however many records its suppliers give it)
        f"""SELECT borough, count(DISTINCT source_ref) FILTER (WHERE source_kind = 'published')
                + count(*) FILTER (WHERE source_kind = 'published' AND source_ref IS NULL)
            FROM ({sql}) AS b GROUP BY borough HAVING bool_or(source = 'demo') ORDER BY 1""",
        params,
    )
    return Illustrative([b for b, _ in rows], sum(n for _, n in rows))


def service_type_split(r: Reader, state: FilterState) -> pd.DataFrame:
    """Records and annual value of the selection by service type (frontline or corporate, see
    citydata.core.service_types), with each one's share of the records; empty when the
    service-type file cannot be used."""
    pairs = service_types.current()
    if not pairs:
        return pd.DataFrame(columns=["service_type", "records", "records_share", "annual_value"])
    sql, params = base(state)
    params |= {"st_areas": [a for a, _ in pairs], "st_types": [t for _, t in pairs]}
    found = r.df(
        f"""SELECT coalesce(t.service_type, 'Not classified') AS service_type,
            count(*) AS records,
            round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS records_share,
            round(sum(b.annual_value), 2) AS annual_value
        FROM ({sql}) AS b
        LEFT JOIN (SELECT unnest($st_areas::VARCHAR[]) AS service_area,
                          unnest($st_types::VARCHAR[]) AS service_type) AS t USING (service_area)
        GROUP BY ALL ORDER BY service_type DESC""",
        params,
    )
    found["records_share"] = share_column(found["records"])  # adding up to 100 as shown
    return found
