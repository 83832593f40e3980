"""One borough on one page: its systems, vendors, renewals, peers, and where the data came from.

The profile shows one borough, so the Borough filter is replaced by that borough; every other
filter applies, through the same base query as every other page. This module holds the profile
and its own figures (systems, vendors, the service areas and details its records leave out);
its peers are citydata.query.peers', where its records came from citydata.query.record_sources',
and what the Map shows of it citydata.query.mapdata's.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import pandas as pd

from citydata.core import boroughs, dates
from citydata.core.dates import add_months
from citydata.core.formatting import count
from citydata.core.schema import FIELDS, SERVICE_AREA_LABELS
from citydata.query import filters, selection, system_groups
from citydata.query.filters import FilterState
from citydata.query.market import NOT_GIVEN
from citydata.query.peers import PEER_COLUMNS, Peers, peer_groups, peers_among
from citydata.query.record_sources import source, source_sentence
from citydata.store.db import Reader
from citydata.store.history import REGISTER

SYSTEM_COLUMNS: tuple[str, ...] = (
    "service_area",
    "system",
    "vendor",
    "manufacturer",
    "contract_start",
    "contract_end",
    "annual_value",
    "bought_with",  # a joint notice: the other councils that bought it (the value is a share)
    "hosting",
    "source_ref",
)

FIELD_TYPES = {f.name: f.sql_type for f in FIELDS}

# The vendor table's own columns as people read them, on the page and in the briefings alike
# (the records' columns: citydata.output.exports.label; the peers': peers.PEER_LABELS).
VENDOR_LABELS = {
    "vendor": "Vendor",
    "records": "Records",
    "share": "Share of records (%)",
    "annual_value": "Annual value (£)",
    "systems": "Systems",
}


@dataclass(frozen=True)
class Gap:
    """One detail of a record (a field), and how many of the records that could give it do
    not: of `of` records (all of them, or the registers' own for a register-only field)."""

    name: str
    label: str
    missing: int
    of: int
    registers_only: bool = False


# What a record may leave blank that a reader expects to find: every field but the borough and
# service area (never blank) and the manufacturer (blank: the vendor makes it). The system is
# blank where a register names only the vendor (a record needs one of the two).
# Published notices never give the register's own details (hosting, satisfaction, skills), so
# those are counted over register records only.
GAP_FIELDS: tuple[tuple[str, str, bool], ...] = (
    ("system", "system", False),
    ("vendor", "vendor", False),
    ("contract_start", "start date", False),
    ("contract_end", "end date", False),
    ("annual_value", "annual value", False),
    ("source_ref", "reference", False),
    ("hosting", "hosting", True),
    ("satisfaction", "satisfaction score", True),
    ("skill_level", "in-house skill level", True),
    ("contact_role", "contact role", True),
)


@dataclass(frozen=True)
class Profile:
    borough: boroughs.Borough
    state: FilterState  # the filters as applied: Borough replaced by this borough
    figures: dict[str, Any]
    systems: pd.DataFrame
    vendors: pd.DataFrame
    peers: pd.DataFrame
    missing_areas: list[str]
    source: list[dict[str, Any]] = field(default_factory=list)  # the records' snapshots
    today: date = field(default_factory=date.today)
    peer_count: int = 0  # every peer row, also when `peers` holds only the first ones
    shared_systems: tuple[str, ...] = ()  # its systems another borough also runs
    gaps: list[Gap] = field(default_factory=list)  # details its records leave blank

    @property
    def gaps_text(self) -> str:
        """The details its records leave blank, in words (`gaps_sentence`)."""
        return gaps_sentence(self.gaps, self.figures.get("records", 0))

    @property
    def source_text(self) -> str:
        """Where the records shown came from, in words (`source_sentence`)."""
        return source_sentence(self.source, self.state.source_kind)

    @property
    def illustrative(self) -> bool:
        """Whether records shown are the illustrative default data: a briefing says so first.
        Published notices are real, so with only those chosen it is not."""
        return any(s.get("is_demo") for s in self.source)


def build(r: Reader, state: FilterState, borough: str, today: date | None = None) -> Profile:
    """Everything the profile page and its briefing show, read in one go."""
    return _build(r, state, borough, today, None)


def shown(
    r: Reader,
    state: FilterState,
    borough: str,
    limit: int,
    today: date | None = None,
    include_peers: bool = True,
) -> Profile:
    """The profile as the page shows it: the borough's records and its peers cut to their first
    `limit` rows (the figures, peer count and shared systems still count every one), so what
    is read, kept and sent does not grow with the borough's records. The briefing reads
    everything (`build`). Without `include_peers` the peers are left out (see `with_peers`)."""
    return _build(r, state, borough, today, limit, include_peers)


def _build(
    r: Reader,
    state: FilterState,
    borough: str,
    today: date | None,
    limit: int | None,
    peers: bool = True,
) -> Profile:
    b = boroughs.lookup(borough)
    today = today or dates.today()
    found = Peers(pd.DataFrame(columns=list(PEER_COLUMNS)), 0, ())
    if peers:
        found = peers_among(peer_groups(r, state, today), b.name, limit)
    return Profile(
        borough=b,
        state=state.for_borough(b.name),
        figures=selection.headline(r, state.for_borough(b.name), today),
        systems=systems(r, state, b.name, limit),
        vendors=vendor_shares(r, state, b.name),
        peers=found.rows,
        missing_areas=missing_areas(r, state, b.name),
        source=source(r, state, b.name),
        today=today,
        peer_count=found.count,
        shared_systems=found.shared,
        gaps=gaps(r, state, b.name),
    )


def with_peers(profile: Profile, peers: Peers) -> Profile:
    """`profile` with `peers` (from `peers_among`) as its peers."""
    return replace(profile, peers=peers.rows, peer_count=peers.count, shared_systems=peers.shared)


def systems(r: Reader, state: FilterState, borough: str, limit: int | None = None) -> pd.DataFrame:
    """The borough's records (the first `limit` when given), service areas in taxonomy order,
    then system and end date."""
    sql, params = selection.base(state.for_borough(borough))
    params.add(areas=list(SERVICE_AREA_LABELS))
    columns = ", ".join(c for c in SYSTEM_COLUMNS if c != "annual_value")
    tail = selection.limit_clause(params, limit)
    return r.df(
        f"SELECT {columns}, round(annual_value, 2) AS annual_value FROM ({sql}) AS b "
        "ORDER BY coalesce(list_position($areas, service_area), 999), service_area, system, "
        f"contract_end NULLS LAST, snapshot_id, record_no{tail}",
        params,
    )[list(SYSTEM_COLUMNS)]


def vendor_shares(r: Reader, state: FilterState, borough: str) -> pd.DataFrame:
    """The borough's vendors: records, share of its records (%), annual value, systems. The
    records naming no vendor are one NOT_GIVEN row after the vendors, as on the Market page
    (not a vendor, so not ranked among them)."""
    sql, params = selection.base(state.for_borough(borough))
    found = r.df(
        f"""
        SELECT vendor, CAST(sum(n) AS BIGINT) AS records,
               round(100.0 * sum(n) / sum(sum(n)) OVER (), 1) AS share,
               round(sum(value), 2) AS annual_value,
               string_agg(DISTINCT {system_groups.shown("g.system", "nm")}, ', '
                          ORDER BY {system_groups.shown("g.system", "nm")}) AS systems
        FROM (SELECT vendor, system, count(*) AS n, sum(annual_value) AS value
              FROM ({sql}) AS b GROUP BY ALL) AS g
        {system_groups.named_sql("g.system", "nm")}
        GROUP BY g.vendor ORDER BY g.vendor IS NULL, records DESC, g.vendor
        """,
        params,
    )
    # adding up to 100 as shown, and as the Map shows a vendor's share of the borough
    found["share"] = selection.vendor_shares(found["vendor"], found["records"])
    found["vendor"] = found["vendor"].astype(object).where(found["vendor"].notna(), NOT_GIVEN)
    return found


def missing_areas(r: Reader, state: FilterState, borough: str) -> list[str]:
    """Service areas (of those the filters allow) where the borough's data holds no record.

    Judged on the borough's whole current data, not the filtered rows: a service area is missing
    when nothing is recorded for it at all, not when a vendor or search filter hides it.
    """
    sql, params = selection.base(FilterState().for_borough(borough))
    have = {v for (v,) in r.rows(f"SELECT DISTINCT service_area FROM ({sql}) AS b", params)}
    return [a for a in filters.service_areas(state) if a not in have]


def gaps(r: Reader, state: FilterState, borough: str) -> list[Gap]:
    """For each of GAP_FIELDS, how many of the borough's records under the filters (those the
    profile shows) leave it blank: none with nothing blank."""
    sql, params = selection.base(state.for_borough(borough))
    blank = [
        f"count(*) FILTER (WHERE {_blank(name)}"
        f"{' AND source_kind = $gap_register' if registers else ''})"
        for name, _, registers in GAP_FIELDS
    ]
    params.add(gap_register=REGISTER)
    row = r.rows(
        f"SELECT count(*), count(*) FILTER (WHERE source_kind = $gap_register), "
        f"{', '.join(blank)} FROM ({sql}) AS b",
        params,
    )[0]
    records, registers, *missing = (int(n) for n in row)
    return [
        Gap(name, label, n, registers if only else records, only)
        for (name, label, only), n in zip(GAP_FIELDS, missing, strict=True)
        if n
    ]


def _blank(name: str) -> str:
    """SQL: the field `name` is blank (text of nothing but spaces too; a date or a number is
    only ever NULL: no text cast of every record, which took a tenth of the profile's time)."""
    if FIELD_TYPES[name] == "VARCHAR":
        return f"coalesce(trim({name}) = '', true)"
    return f"{name} IS NULL"


def gaps_sentence(found: list[Gap], records: int) -> str:
    """'Of its 25 records, 3 have no end date, 1 has no reference; of its 20 register
    records, 4 have no hosting.' (`gaps`); that none is blank when none is."""
    if not records:
        return ""
    if not found:
        if records == 1:
            return "Its one record gives every detail."
        return f"All {records:,} of its records give every detail."
    parts = []
    apart = any(g.registers_only and g.of != records for g in found)  # (some are notices)
    for only in (False, True) if apart else (False,):
        said = [
            f"{g.missing:,} {'has' if g.missing == 1 else 'have'} no {g.label}"
            for g in found
            if g.registers_only == only or not apart
        ]
        if said:
            of = next(g.of for g in found if g.registers_only == only) if apart else records
            whose = count(of, "register record") if only else count(of, "record")
            parts.append(f"of its {whose}, " + ", ".join(said))
    text = "; ".join(parts) + "."
    return text[0].upper() + text[1:]


def ending_soon(systems: pd.DataFrame, today: date, months: int = 24) -> pd.DataFrame:
    """The borough's contracts ending from today within `months`, soonest first."""
    ends = pd.to_datetime(systems["contract_end"])
    soon = (ends >= pd.Timestamp(today)) & (ends < pd.Timestamp(add_months(today, months)))
    return systems[soon].sort_values("contract_end", kind="stable")
