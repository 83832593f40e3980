"""A borough's peers: the other boroughs using the same system, or the same vendor, in the same
service area, so a lead can see whom to call.

Peers are looked for in all the other boroughs under the same filters (the Borough filter left
out): `peer_groups` reads them once for every borough's profile, `peers_among` picks one
borough's from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from citydata.core.schema import SERVICE_AREA_LABELS
from citydata.query import selection, system_groups
from citydata.query.filters import FilterState, Params
from citydata.store.db import Reader, over_frames

PEER_COLUMNS: tuple[str, ...] = (
    "service_area",
    "system",
    "vendor",
    "contract_end",
    "match",
    "peer_borough",
    "peer_system",
    "peer_vendor",
    "peer_contract_end",
    "months_apart",
)
# What the page shows of a peer (the borough's own vendor is the peer's, or beside the point).

# The peer table's own columns as people read them, on the page and in the briefings alike.
PEER_LABELS = {
    "service_area": "Service area",
    "system": "System",
    "vendor": "Vendor",
    "contract_end": "Contract end",
    "match": "Match",
    "peer_borough": "Peer borough",
    "peer_system": "Peer's system",
    "peer_vendor": "Peer's vendor",
    "peer_contract_end": "Peer's contract end",
    "months_apart": "Months between the end dates",
}


def peer_groups(r: Reader, state: FilterState, today: date) -> pd.DataFrame:
    """One row per (borough, service area, system, vendor) of the selection in every borough
    (the Borough filter left out), with its next contract end from `today` (the last one when
    all have ended). The same for every borough's profile, so a page keeps it: a few thousand
    rows where the selection holds millions (7,782 of 10 million records, 0.28 s to make). A
    system is one however written, under its name (citydata.query.system_groups)."""
    sql, params = selection.base(state.with_(borough=()))
    params.add(today=today)
    return r.df(
        f"""SELECT borough, service_area, {system_groups.shown("g.system", "nm")} AS system, vendor,
                   coalesce(min(next_end), max(last_end)) AS contract_end
            FROM (SELECT borough, service_area, system, vendor,
                         min(contract_end) FILTER (WHERE contract_end >= $today) AS next_end,
                         max(contract_end) AS last_end
                  FROM ({sql}) AS b GROUP BY ALL) AS g
            {system_groups.named_sql("g.system", "nm")}
            GROUP BY ALL""",
        params,
    )


@dataclass(frozen=True)
class Peers:
    rows: pd.DataFrame  # PEER_COLUMNS, the first ones when a limit was given
    count: int  # every peer row
    shared: tuple[str, ...]  # the borough's systems another borough also runs


def peers_among(groups: pd.DataFrame, borough: str, limit: int | None) -> Peers:
    """The borough's peers in `peer_groups` (its first `limit` rows; all when None): other
    boroughs using the same system, or the same vendor, in the same service area.

    One row per (system of this borough in a service area, peer borough and its system there);
    same-system matches first, then the peers whose contract ends closest to this borough's
    (a borough's group carries its next contract end, so a borough holding several contracts
    for one system is one peer). The pairs are made once into a table of the query's own, then
    counted and cut from it."""
    params = Params().add(areas=list(SERVICE_AREA_LABELS))
    tail = selection.limit_clause(params, limit)
    with over_frames(groups=groups) as r:
        r.execute(
            """
            CREATE TEMP TABLE found AS
            WITH mine AS (SELECT * FROM groups WHERE borough = $me),
            others AS (SELECT * FROM groups WHERE borough <> $me)
            SELECT m.service_area, m.system, m.vendor, m.contract_end,
                   CASE WHEN o.system = m.system THEN 'Same system' ELSE 'Same vendor' END
                       AS match,
                   o.borough AS peer_borough, o.system AS peer_system,
                   o.vendor AS peer_vendor, o.contract_end AS peer_contract_end,
                   -- whole months from one end to the other (31 Mar to 1 Apr is 0, not 1),
                   -- and the days, which order the peers: nearest end date first
                   date_sub('month', m.contract_end, o.contract_end) AS months_apart,
                   abs(date_diff('day', m.contract_end, o.contract_end)) AS days_apart
            FROM mine AS m JOIN others AS o
              ON o.service_area = m.service_area AND (o.system = m.system OR o.vendor = m.vendor)
            """,
            {"me": borough},
        )
        count, shared = r.rows(
            "SELECT count(*), list(DISTINCT system ORDER BY system)"
            " FILTER (WHERE match = 'Same system') FROM found"
        )[0]
        df = r.df(
            f"""SELECT * FROM found
            ORDER BY coalesce(list_position($areas, service_area), 999), service_area, system,
                     contract_end NULLS LAST, match <> 'Same system',
                     days_apart NULLS LAST, peer_borough, peer_system, peer_vendor,
                     vendor{tail}""",
            params,
        )
    return Peers(df[list(PEER_COLUMNS)], count, tuple(shared or ()))
