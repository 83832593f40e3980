"""System adoption: which boroughs use a system, and who uses what in every service area.

The borough x service-area matrix names the system and, in brackets, the vendor holding the
contract ("Mosaic (Servelec)"); a borough with several systems in one area lists them all,
the most valuable first. Every function wraps `selection.base(state)`. The page's two tables
(`systems`, `matrix`) are worked out from one scan of the selection (`usage`): a few thousand
rows whatever the selection, instead of each table grouping every record again. A system is one
however its records write it ("Mosaic", "MOSAIC"), under its name (citydata.query.system_groups).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from citydata.core.schema import SERVICE_AREA_LABELS
from citydata.query import selection, system_groups
from citydata.query.filters import FilterState, Params
from citydata.query.market import NOT_GIVEN, SYSTEM_NOT_GIVEN
from citydata.store.db import Reader, over_table

USER_COLUMNS = (
    "borough",
    "service_area",
    "vendor",
    "manufacturer",
    "contract_start",
    "contract_end",
    "annual_value",
    "hosting",
    "source_ref",
)


def system_names(r: Reader, state: FilterState) -> list[str]:
    """Every system in the selection, once under its name (citydata.query.system_groups),
    alphabetically."""
    sql, params = selection.base(state)
    rows = r.rows(
        f"""SELECT DISTINCT {system_groups.shown("g.system", "nm")}
        FROM (SELECT DISTINCT system FROM ({sql}) AS b WHERE system IS NOT NULL) AS g
        {system_groups.named_sql("g.system", "nm")} ORDER BY 1""",
        params,
    )
    return [v for (v,) in rows]


def _usage(state: FilterState) -> tuple[str, Params]:
    sql, params = selection.base(state)
    # (grouped by the name as written, then by the system's name: a few thousand rows named)
    return (
        f"""SELECT {system_groups.shown("g.system", "nm")} AS system, borough_code, borough,
            service_area, vendor, CAST(sum(records) AS BIGINT) AS records,
            CAST(sum(value_pence) AS BIGINT) AS value_pence
        FROM (SELECT system, borough_code, borough, service_area, vendor, count(*) AS records,
                  CAST(sum(annual_value) * 100 AS BIGINT) AS value_pence
              FROM ({sql}) AS b GROUP BY ALL) AS g
        {system_groups.named_sql("g.system", "nm")}
        GROUP BY ALL""",
        params,
    )


def usage(r: Reader, state: FilterState) -> pd.DataFrame:
    """The selection in one scan: per system, borough, service area and vendor, its records
    and annual value in whole pence (empty when no record has one)."""
    return r.df(*_usage(state))


# What the tables are worked out from: a `usage()` frame, or (reader, state): the selection
# still in the database.
Usage = pd.DataFrame | tuple[Reader, FilterState]


def _from_usage(source: Usage, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    """`sql` over the table `usage` (rows as `usage()` returns them), on a frame in memory or
    on the selection in the database (`store.db.over_table`)."""
    if isinstance(source, pd.DataFrame):
        return over_table("usage", source, sql, params)
    r, state = source
    return over_table("usage", (r, *_usage(state)), sql, params)


def systems(source: Usage, top_n: int | None = None) -> pd.DataFrame:
    """Systems by the number of boroughs using them: their service areas, vendors, records."""
    tail = " LIMIT $top_n" if top_n is not None else ""
    return _from_usage(
        source,
        f"""SELECT system, count(DISTINCT borough_code) AS boroughs,
            CAST(sum(records) AS BIGINT) AS records,
            string_agg(DISTINCT service_area, '; ' ORDER BY service_area) AS service_areas,
            string_agg(DISTINCT vendor, '; ' ORDER BY vendor) AS vendors,
            round(sum(value_pence) / 100, 2) AS annual_value
        FROM usage WHERE system IS NOT NULL
        GROUP BY system ORDER BY boroughs DESC, records DESC, system{tail}""",
        {"top_n": int(top_n)} if top_n is not None else None,
    )


def system_summary(r: Reader, state: FilterState, system: str) -> dict[str, Any]:
    """How widely `system` (however written) is used in the selection: boroughs, records,
    vendors, value."""
    sql, params = selection.base(state)
    selection.with_councils(params).add(system=[system])
    row = r.rows(
        f"""SELECT {selection.COUNCILS}, count(*), count(DISTINCT vendor),
            round(sum(annual_value), 2), min(contract_end)
        FROM ({sql}) AS b WHERE {system_groups.matching("system", "system")}""",
        params,
    )[0]
    out = dict(
        zip(("boroughs", "records", "vendors", "annual_value", "first_end"), row, strict=True)
    )
    out["annual_value"] = selection.amount(out["annual_value"])
    return out


def system_users(r: Reader, state: FilterState, system: str) -> pd.DataFrame:
    """The records of `system` (however written) in the selection, one per borough contract."""
    sql, params = selection.base(state)
    params.add(system=[system])
    return r.df(
        f"""SELECT {", ".join(USER_COLUMNS)} FROM ({sql}) AS b
        WHERE {system_groups.matching("system", "system")}
        ORDER BY borough, service_area, contract_end NULLS LAST, vendor""",
        params,
    )


def matrix(source: Usage) -> pd.DataFrame:
    """Long form: borough, service_area, systems ("System (Vendor); ..."), records."""
    return _from_usage(
        source,
        f"""SELECT borough, service_area,
               string_agg(coalesce(system, '{SYSTEM_NOT_GIVEN}') || ' '
                          || coalesce('(' || vendor || ')', '{NOT_GIVEN}'), '; '
                          ORDER BY value_pence DESC NULLS LAST, system, vendor) AS systems,
               CAST(sum(records) AS BIGINT) AS records
        FROM usage GROUP BY ALL ORDER BY borough, service_area""",
    )


def matrix_table(long: pd.DataFrame, boroughs: list[str]) -> pd.DataFrame:
    """Borough rows x service-area columns naming the systems; empty text where none.

    Columns follow the taxonomy and keep only service areas somebody has records in.
    """
    if long.empty:
        return pd.DataFrame(index=pd.Index(boroughs, name="Borough"))
    wide = long.pivot(index="borough", columns="service_area", values="systems")
    areas = [a for a in SERVICE_AREA_LABELS if a in wide.columns]
    areas += sorted(c for c in wide.columns if c not in areas)
    wide = wide.reindex(index=boroughs, columns=areas).fillna("")
    wide.index.name = "Borough"
    wide.columns.name = None
    return wide
