"""System adoption: which boroughs use a system, and who uses what in every service area.

The borough x service-area matrix names the system and, in brackets, the vendor holding the
contract ("Mosaic (Servelec)"); a borough with several systems in one area lists them all,
the most valuable first. Every function wraps `selection.base(state)`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from citydata.core.schema import SERVICE_AREA_LABELS
from citydata.query import selection
from citydata.query.filters import FilterState
from citydata.store.db import Reader

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
    """Every system in the selection, alphabetically."""
    sql, params = selection.base(state)
    rows = r.rows(
        f"SELECT DISTINCT system FROM ({sql}) AS b WHERE system IS NOT NULL ORDER BY 1", params
    )
    return [v for (v,) in rows]


def systems(r: Reader, state: FilterState, top_n: int | None = None) -> pd.DataFrame:
    """Systems by the number of boroughs using them: their service areas, vendors, records."""
    sql, params = selection.base(state)
    tail = ""
    if top_n is not None:
        tail = " LIMIT $top_n"
        params.add(top_n=int(top_n))
    return r.df(
        f"""SELECT system, count(DISTINCT borough_code) AS boroughs, count(*) AS records,
            string_agg(DISTINCT service_area, '; ' ORDER BY service_area) AS service_areas,
            string_agg(DISTINCT vendor, '; ' ORDER BY vendor) AS vendors,
            round(sum(annual_value), 2) AS annual_value
        FROM ({sql}) AS b WHERE system IS NOT NULL
        GROUP BY system ORDER BY boroughs DESC, records DESC, system{tail}""",
        params,
    )


def system_summary(r: Reader, state: FilterState, system: str) -> dict[str, Any]:
    """How widely `system` is used in the selection: boroughs, records, vendors, value."""
    sql, params = selection.base(state)
    params.add(system=system)
    row = r.rows(
        f"""SELECT count(DISTINCT borough_code), count(*), count(DISTINCT vendor),
            round(sum(annual_value), 2), min(contract_end)
        FROM ({sql}) AS b WHERE system = $system""",
        params,
    )[0]
    out = dict(
        zip(("boroughs", "records", "vendors", "annual_value", "first_end"), row, strict=True)
    )
    out["annual_value"] = float(out["annual_value"] or 0)
    return out


def system_users(r: Reader, state: FilterState, system: str) -> pd.DataFrame:
    """The records of `system` in the selection, one per borough contract."""
    sql, params = selection.base(state)
    params.add(system=system)
    return r.df(
        f"""SELECT {", ".join(USER_COLUMNS)} FROM ({sql}) AS b WHERE system = $system
        ORDER BY borough, service_area, contract_end NULLS LAST, vendor""",
        params,
    )


def matrix(r: Reader, state: FilterState) -> pd.DataFrame:
    """Long form: borough, service_area, systems ("System (Vendor); ..."), records."""
    sql, params = selection.base(state)
    return r.df(
        f"""
        WITH s AS (
            SELECT borough, service_area, system, vendor, count(*) AS records,
                   sum(annual_value) AS value
            FROM ({sql}) AS b GROUP BY ALL)
        SELECT borough, service_area,
               string_agg(coalesce(system, '?') || ' (' || coalesce(vendor, '?') || ')', '; '
                          ORDER BY value DESC NULLS LAST, system, vendor) AS systems,
               CAST(sum(records) AS BIGINT) AS records
        FROM s GROUP BY ALL ORDER BY borough, service_area""",
        params,
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
