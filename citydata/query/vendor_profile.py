"""A vendor's profile: boroughs served, systems, service areas, contract ends and value.

Supplier and manufacturer are kept apart. A record names the vendor holding the contract and,
when someone else makes the product, the manufacturer. For vendor V each record of the selection
falls in at most one role:
- "own": V holds the contract for its own product;
- "resale": V holds the contract for another maker's product (a reseller or partner);
- "made": V makes the product and another vendor holds the contract.
"Boroughs served", "systems", value and contract ends describe the contracts V holds (own and
resale); its products sold by others are counted apart. Names are canonical (aliases grouped).

The page reads the vendor's records of the selection once (`profile`), into a table of its
read, and works out every panel from that; each panel is also a function of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from citydata.core import dates
from citydata.query import selection, system_groups
from citydata.query.filters import FilterState, Params
from citydata.store import vendors
from citydata.store.db import Reader

ROLE_LABELS = {
    "own": "Own product",
    "resale": "Resells another maker's product",
    "made": "Its product, sold by another vendor",
}
CONTRACT_COLUMNS = (
    "role",
    "borough",
    "service_area",
    "system",
    "vendor",
    "vendor_as_written",
    "maker",
    "contract_start",
    "contract_end",
    "annual_value",
    "bought_with",  # a notice bought jointly: the other councils (its annual value a share)
    "hosting",
    "source_ref",
)


ORDER = """CASE role WHEN 'own' THEN 0 WHEN 'resale' THEN 1 ELSE 2 END,
    borough, service_area, system, contract_end NULLS LAST, snapshot_id, record_no"""
KEPT = "vendor_profile_rows"  # the table of one read's profile rows (`profile`)
# what the panels read of the kept rows: the records table's columns, and what they count by
KEPT_COLUMNS = (*CONTRACT_COLUMNS, "borough_code", "snapshot_id", "record_no", "system_name")


def _rows(state: FilterState, vendor: str) -> tuple[str, Params]:
    """The selection's records in which `vendor` plays a role, with that `role`, and the name
    of their system (`system_name`: "MOSAIC" and "Mosaic" are one, see
    citydata.query.system_groups) by which the panels count and group them."""
    sql, params = selection.base(state)
    params.add(profile_vendor=vendor)
    rows = f"""SELECT *, CASE WHEN vendor = $profile_vendor AND maker = $profile_vendor THEN 'own'
                      WHEN vendor = $profile_vendor THEN 'resale' ELSE 'made' END AS role
        FROM ({vendors.with_maker(vendors.involving(sql, "profile_vendor"))}) AS m
        WHERE vendor = $profile_vendor OR maker = $profile_vendor"""
    return system_groups.with_names(rows), params


def vendor_names(r: Reader, state: FilterState) -> list[str]:
    """Every vendor or maker in the selection (canonical names), alphabetically."""
    sql, params = selection.base(state)
    pairs = f"SELECT DISTINCT vendor, manufacturer FROM ({sql}) AS b"
    rows = r.rows(  # (the pairs worked out once for both sides: 0.21 s at 10M, not 0.43 s)
        f"""WITH m AS MATERIALIZED ({vendors.with_maker(pairs)})
        SELECT vendor FROM m WHERE vendor IS NOT NULL
        UNION SELECT maker FROM m WHERE maker IS NOT NULL ORDER BY 1""",
        params,
    )
    return [v for (v,) in rows]


@dataclass(frozen=True)
class Profile:
    """Every panel of a vendor's profile, worked out from one read of its records."""

    summary: dict[str, Any]
    boroughs: pd.DataFrame
    systems: pd.DataFrame
    end_years: pd.DataFrame
    contracts: pd.DataFrame  # the first `limit` records


def profile(
    r: Reader, state: FilterState, vendor: str, limit: int | None = None, today: date | None = None
) -> Profile:
    """The whole profile. The vendor's records are found in the selection once and kept, for
    this read only, in a temporary table that every panel reads: one pass over the selection
    instead of one per panel."""
    with _kept(r, state, vendor):
        return Profile(
            summary=_summary(r, KEPT, Params(), today),
            boroughs=_boroughs(r, KEPT, Params()),
            systems=_systems(r, KEPT, Params()),
            end_years=_end_years(r, KEPT, Params()),
            contracts=_contracts(r, KEPT, Params(), limit),
        )


@contextmanager
def _kept(r: Reader, state: FilterState, vendor: str) -> Iterator[None]:
    sql, params = _rows(state, vendor)
    columns = ", ".join(KEPT_COLUMNS)
    r.execute(f"CREATE OR REPLACE TEMPORARY TABLE {KEPT} AS SELECT {columns} FROM ({sql})", params)
    try:
        yield
    finally:
        r.execute(f"DROP TABLE IF EXISTS {KEPT}")


def summary(
    r: Reader, state: FilterState, vendor: str, today: date | None = None
) -> dict[str, Any]:
    """The profile's figures: contracts by role (a contract bought jointly once), records
    (each council's record, as the Records table lists them), boroughs, systems, areas,
    value, next end."""
    sql, params = _rows(state, vendor)
    return _summary(r, f"({sql})", params, today)


def boroughs(r: Reader, state: FilterState, vendor: str) -> pd.DataFrame:
    """Boroughs where `vendor` holds contracts: records, systems, annual value, next end."""
    sql, params = _rows(state, vendor)
    return _boroughs(r, f"({sql})", params)


def systems(r: Reader, state: FilterState, vendor: str) -> pd.DataFrame:
    """The systems in the profile, per role: who makes or supplies each, boroughs, records."""
    sql, params = _rows(state, vendor)
    return _systems(r, f"({sql})", params)


def end_years(r: Reader, state: FilterState, vendor: str) -> pd.DataFrame:
    """Contracts `vendor` holds by the year they end ('No end date' for rolling ones)."""
    sql, params = _rows(state, vendor)
    return _end_years(r, f"({sql})", params)


def contracts(r: Reader, state: FilterState, vendor: str, limit: int | None = None) -> pd.DataFrame:
    """Every record of the profile (the first `limit` when given), labelled with the vendor's
    role in it, its own contracts first."""
    sql, params = _rows(state, vendor)
    return _contracts(r, f"({sql})", params, limit)


# Each panel from `rows`: the profile's rows as a parenthesised query or the kept table's name.
def _summary(r: Reader, rows: str, params: Params, today: date | None) -> dict[str, Any]:
    selection.with_councils(params).add(today=today or dates.today())
    contracts = selection.contracts(selection.joint_held(r))  # (a joint contract once)
    out = r.one(
        f"""WITH p AS MATERIALIZED (SELECT * FROM {rows} AS r),
        h AS (SELECT * FROM p WHERE role IN ('own', 'resale'))
        SELECT (SELECT {contracts} FROM h) AS held,
               (SELECT {contracts} FROM p WHERE role = 'own') AS own,
               (SELECT {contracts} FROM p WHERE role = 'resale') AS resale,
               (SELECT {contracts} FROM p WHERE role = 'made') AS made,
               (SELECT count(*) FROM p) AS records,
               (SELECT {selection.COUNCILS} FROM h) AS boroughs,
               (SELECT count(DISTINCT system_name) FROM h) AS systems,
               (SELECT count(DISTINCT service_area) FROM h) AS service_areas,
               (SELECT round(sum(annual_value), 2) FROM h) AS annual_value,
               (SELECT min(contract_end) FROM h WHERE contract_end >= $today) AS next_end,
               (SELECT {selection.COUNCILS} FROM p WHERE role = 'made') AS made_boroughs
        """,
        params,
    )
    out["annual_value"] = selection.amount(out["annual_value"])
    return out


def _boroughs(r: Reader, rows: str, params: Params) -> pd.DataFrame:
    return r.df(
        f"""SELECT borough, count(*) AS records,
            string_agg(DISTINCT system_name, '; ' ORDER BY system_name) AS systems,
            round(sum(annual_value), 2) AS annual_value,
            min(contract_end) AS first_end, max(contract_end) AS last_end
        FROM {rows} AS p WHERE role IN ('own', 'resale')
        GROUP BY borough ORDER BY borough""",
        params,
    )


def _systems(r: Reader, rows: str, params: Params) -> pd.DataFrame:
    df = r.df(
        f"""SELECT system_name AS system, role, maker,
            string_agg(DISTINCT vendor, '; ' ORDER BY vendor) AS supplied_by,
            string_agg(DISTINCT service_area, '; ' ORDER BY service_area) AS service_areas,
            count(DISTINCT borough_code) AS boroughs, count(*) AS records,
            round(sum(annual_value), 2) AS annual_value
        FROM {rows} AS p GROUP BY system_name, role, maker
        ORDER BY CASE role WHEN 'own' THEN 0 WHEN 'resale' THEN 1 ELSE 2 END,
                 boroughs DESC, system, maker""",
        params,
    )
    df["role"] = df["role"].map(ROLE_LABELS)
    return df


def _end_years(r: Reader, rows: str, params: Params) -> pd.DataFrame:
    contracts = selection.contracts(selection.joint_held(r))  # (a joint contract once)
    return r.df(
        f"""SELECT coalesce(CAST(year(contract_end) AS VARCHAR), 'No end date') AS year,
            {contracts} AS contracts, round(sum(annual_value), 2) AS annual_value
        FROM {rows} AS p WHERE role IN ('own', 'resale')
        GROUP BY ALL ORDER BY year""",
        params,
    )


def _contracts(r: Reader, rows: str, params: Params, limit: int | None) -> pd.DataFrame:
    tail = selection.limit_clause(params, limit)
    df = r.df(
        f"SELECT {', '.join(CONTRACT_COLUMNS)} FROM {rows} AS p ORDER BY {ORDER}{tail}", params
    )
    df["role"] = df["role"].map(ROLE_LABELS)
    return df
