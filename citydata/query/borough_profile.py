"""One borough on one page: its systems, vendors, renewals, peers, and where the data came from.

The profile shows one borough, so the Borough filter is replaced by that borough; every other
filter applies, through the same base query as every other page. Peers are looked for in all the
other boroughs (under the same filters), so a lead can see whom to call.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import pandas as pd

from citydata.core import boroughs, dates, regions
from citydata.core.dates import add_months
from citydata.core.formatting import count
from citydata.core.schema import FIELDS, SERVICE_AREA_LABELS
from citydata.query import filters, selection, system_groups
from citydata.query.filters import FilterState, Params
from citydata.query.market import NOT_GIVEN
from citydata.store.db import Reader, over_frames
from citydata.store.history import KINDS, PUBLISHED, REGISTER

SYSTEM_COLUMNS: tuple[str, ...] = (
    "service_area",
    "system",
    "vendor",
    "manufacturer",
    "contract_start",
    "contract_end",
    "annual_value",
    "hosting",
    "source_ref",
)
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


FIELD_TYPES = {f.name: f.sql_type for f in FIELDS}

# The vendor and peer tables' own columns as people read them, on the page and in the
# briefings alike (the records' columns: citydata.output.exports.label).
VENDOR_LABELS = {
    "vendor": "Vendor",
    "records": "Records",
    "share": "Share of records (%)",
    "annual_value": "Annual value (£)",
    "systems": "Systems",
}
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


def map_pointer() -> str:
    """Where else a profile opens from, for the page's choice of borough: a click on the Map,
    or, in a region with county councils (which have no area of their own there), the Map's
    ranking, which links every authority's profile."""
    noun = boroughs.noun()
    if not regions.current().without_shape:
        return f"Or click a {noun} on the Map page."
    return (
        f"Or click a {noun} on the Map page; a county council has no area of its own there: "
        "open its profile from the Map's ranking."
    )


def off_the_map(b: boroughs.Borough) -> str | None:
    """What the Map shows of an authority it draws no area for (a county council), for its
    profile; None when the Map draws it."""
    if regions.current().draws(b):
        return None
    return (
        f"{b.name} has no area of its own on the Map: a county council shares its ground with "
        "its district councils. The Map lists its figures beside the map, under “Not on the "
        "map”, and in its ranking."
    )


def profile_state(state: FilterState, borough: str) -> FilterState:
    """The filters for one borough's profile: the Borough filter replaced by `borough`."""
    return state.with_(borough=(_known(borough).name,))


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
    b = _known(borough)
    today = today or dates.today()
    found = Peers(pd.DataFrame(columns=list(PEER_COLUMNS)), 0, ())
    if peers:
        found = peers_among(peer_groups(r, state, today), b.name, limit)
    return Profile(
        borough=b,
        state=profile_state(state, b.name),
        figures=selection.headline(r, profile_state(state, b.name), today),
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
    sql, params = selection.base(profile_state(state, borough))
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
    sql, params = selection.base(profile_state(state, borough))
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


def missing_areas(r: Reader, state: FilterState, borough: str) -> list[str]:
    """Service areas (of those the filters allow) where the borough's data holds no record.

    Judged on the borough's whole current data, not the filtered rows: a service area is missing
    when nothing is recorded for it at all, not when a vendor or search filter hides it.
    """
    sql, params = selection.base(FilterState(borough=(_known(borough).name,)))
    have = {v for (v,) in r.rows(f"SELECT DISTINCT service_area FROM ({sql}) AS b", params)}
    return [a for a in filters.service_areas(state) if a not in have]


def gaps(r: Reader, state: FilterState, borough: str) -> list[Gap]:
    """For each of GAP_FIELDS, how many of the borough's records under the filters (those the
    profile shows) leave it blank: none with nothing blank."""
    sql, params = selection.base(profile_state(state, _known(borough).name))
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


def source(r: Reader, state: FilterState, borough: str) -> list[dict[str, Any]]:
    """The active snapshots the profile's records come from, the register's first, then the
    published notices': id, kind, when, file, who, counts, demo or not.

    Those the selection draws a record from: with only published notices chosen (the Source
    filter), the published notices' snapshot, not the register's. When the filters leave no
    record, every active snapshot of the kinds the Source filter allows. Empty when there is
    none.
    """
    b = _known(borough)
    sql, params = selection.base(profile_state(state, b.name))
    params.add(source_code=b.code, source_kinds=list(state.source_kind or KINDS))
    rows = r.df(
        f"""
        WITH shown AS (SELECT DISTINCT snapshot_id FROM ({sql}) AS b)
        SELECT id, kind, created_at, file_name, source, created_by, note, rows_imported,
               rows_rejected, restored_from
        FROM snapshots
        WHERE borough_code = $source_code AND status = 'active'
          AND list_contains($source_kinds, kind)
          AND (id IN (SELECT snapshot_id FROM shown) OR NOT EXISTS (SELECT 1 FROM shown))
        ORDER BY kind = 'published', created_at DESC, id DESC
        """,
        params,
    )
    out = []
    for row in rows.to_dict("records"):
        row["is_demo"] = row["source"] == "demo"
        if row["kind"] == PUBLISHED:
            row["notices"], row["rows_imported"] = notices_held(r, int(row["id"]))
        out.append({k: (None if _missing(v) else v) for k, v in row.items()})
    return out


def notices_held(r: Reader, snapshot_id: int) -> tuple[int, int]:
    """(notices, records) of a snapshot of published notices: a notice (its reference) gives
    a record for each supplier of each of its awards, so it is counted once by its reference
    (a record without one counts on its own)."""
    found = r.one(
        "SELECT count(DISTINCT source_ref) + count(*) FILTER (WHERE source_ref IS NULL)"
        " AS notices, count(*) AS records FROM contracts WHERE snapshot_id = $id",
        {"id": snapshot_id},
    )
    return int(found["notices"]), int(found["records"])


def source_sentence(sources: list[dict[str, Any]], kinds: tuple[str, ...] = ()) -> str:
    """Where the records came from (`source`), in a sentence for each snapshot. `kinds`: the
    Source filter's choice, for the sentence when there is no snapshot."""
    if not sources:
        held = {REGISTER: "register", PUBLISHED: "published notices"}
        what = " or ".join(held[k] for k in KINDS if k in (kinds or KINDS))
        return f"No snapshot of this {boroughs.noun()}'s {what} has been stored yet."
    return " ".join(_one_source(s) for s in sources)


def _one_source(src: dict[str, Any]) -> str:
    when = f"{src['created_at']:%d %b %Y at %H:%M}" if src.get("created_at") else "an unknown date"
    if src["is_demo"]:
        return (
            f"Illustrative default data (generated examples, not real contracts), loaded on "
            f"{when} as snapshot {src['id']}."
        )
    who = f" by {src['created_by']}" if src.get("created_by") else ""
    name = f" from the file “{src['file_name']}”" if src.get("file_name") else ""
    restored = (
        f" (restored from snapshot {src['restored_from']})" if src.get("restored_from") else ""
    )
    if src.get("kind") == PUBLISHED:  # the notices accumulate: the latest file and all held
        records = src["rows_imported"]
        held = count(src.get("notices", records), "notice")
        if src.get("notices", records) != records:  # (a record per supplier of each award)
            held += f" ({count(records, 'record')}: one for each supplier of each award)"
        return (
            f"Published notices: snapshot {src['id']}{restored}, "
            f"{held}, the latest added{name}{who} on {when}."
        )
    # (the rows refused are the whole file's: of a file of several boroughs, not all this one's)
    refused = src.get("rows_rejected")
    rejected = f"; {count(refused, 'row')} of the whole file refused" if refused else ""
    return (
        f"Snapshot {src['id']}{restored}, uploaded{name}{who} on {when}: "
        f"{count(src['rows_imported'], 'row')} imported{rejected}."
    )


def ending_soon(systems: pd.DataFrame, today: date, months: int = 24) -> pd.DataFrame:
    """The borough's contracts ending from today within `months`, soonest first."""
    ends = pd.to_datetime(systems["contract_end"])
    soon = (ends >= pd.Timestamp(today)) & (ends < pd.Timestamp(add_months(today, months)))
    return systems[soon].sort_values("contract_end", kind="stable")


def _known(borough: str) -> boroughs.Borough:
    found = boroughs.resolve(borough)
    if found is None:
        raise boroughs.UnknownBorough(borough)
    return found


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
