"""A borough briefing to take to a meeting: the profile as plain text, or as an Excel workbook.

Both carry the same content as the profile page: where the data came from, the filters applied,
the headline figures, systems by service area, vendors, contracts ending soon, peers and the
service areas with no records. Spreadsheet cells are neutralised against formula injection.
"""

from __future__ import annotations

import textwrap
from typing import Any

import pandas as pd

from citydata.core import boroughs
from citydata.core.dates import day_label
from citydata.core.formatting import day, money
from citydata.core.text import file_stem as safe_stem
from citydata.output import exports, provenance
from citydata.query import filters
from citydata.query.borough_profile import VENDOR_LABELS, Profile, ending_soon
from citydata.query.market import NOT_GIVEN, SYSTEM_NOT_GIVEN
from citydata.query.peers import PEER_LABELS

ILLUSTRATIVE = (
    "Illustrative data: this register's records are generated examples, not real contracts "
    "(published notices, where listed, are real). Do not act on them."
)
PEERS_PER_CONTRACT = 3
WIDTH = 96


def text(p: Profile) -> str:
    """The briefing as plain text (UTF-8), readable in any editor and printable on a page or two."""
    lines: list[str] = []
    title = f"{p.borough.name}: systems and contracts briefing"
    lines += [title, "=" * len(title), ""]
    if p.illustrative:
        lines += [*_wrap(ILLUSTRATIVE.upper()), ""]
    lines += _wrap(f"{p.borough.official_name} ({p.borough.code}). Prepared {day_label(p.today)}.")
    lines += _wrap("Source: " + p.source_text)
    lines += _wrap("Selection: " + filters.summary(p.state) + ".")
    f = p.figures
    lines += [
        "",
        f"Records {f['records']:,} | systems {f['systems']:,} | vendors {f['vendors']:,} | "
        f"annual value {money(f['annual_value'])} | ending in the next 12 months "
        f"{f['ending_12_months']:,}",
    ]

    lines += _heading("Systems by service area")
    if p.systems.empty:
        lines.append("No records match the selection.")
    for area, rows in p.systems.groupby("service_area", sort=False):
        lines.append(_one(area))
        for row in rows.itertuples():
            lines += _wrap(f"- {_system_line(row)}", indent="  ")

    lines += _heading(boroughs.reword("Vendors (share of the borough's records)"))
    for row in p.vendors.itertuples():
        lines.append(
            f"- {_vendor(row.vendor)}: {row.records} ({row.share:.1f}%), {_value(row.annual_value)}"
        )

    lines += _heading("Contracts ending in the next 24 months")
    soon = ending_soon(p.systems, p.today, 24)
    if soon.empty:
        lines.append("None.")
    for row in soon.itertuples():
        lines.append(
            f"- {day_label(row.contract_end)}: {_system(row.system)} ({row.service_area}), "
            f"{_vendor(row.vendor)}"
        )

    lines += _heading(
        boroughs.reword("Peers: other boroughs on the same system or vendor, nearest end first")
    )
    if p.peers.empty:
        lines.append(
            boroughs.reword(
                "No other borough uses the same systems or vendors under this selection."
            )
        )
    peers = p.peers.groupby(["service_area", "system"], sort=False, dropna=False)
    for (area, system), rows in peers:
        firsts = rows.drop_duplicates("peer_borough")
        named = [_peer(row) for row in firsts.head(PEERS_PER_CONTRACT).itertuples()]
        more = len(firsts) - PEERS_PER_CONTRACT
        tail = f" and {more} more" if more > 0 else ""
        lines += _wrap(f"- {_system(system)} ({area}): {'; '.join(named)}{tail}", indent="  ")

    lines += _heading("Service areas with no records")
    lines += _wrap(
        ", ".join(p.missing_areas) + "."
        if p.missing_areas
        else "None: every service area has a record."
    )
    if p.gaps_text:
        lines += _heading("Details not recorded")
        lines += _wrap(p.gaps_text)
    return "\n".join(lines) + "\n"


def file_stem(p: Profile) -> str:
    """'camden-briefing-housing-2026-12-07': the briefing's files named with the filters it was
    made under besides its borough (`provenance.named`), as every filtered download is, so two
    briefings of different selections are told apart."""
    stem = f"{safe_stem(p.borough.name)}-briefing"
    return provenance.dated(stem, p.state.with_(borough=()), p.today)


def xlsx(p: Profile) -> bytes:
    """The briefing as a workbook: Summary, Systems, Vendors, Ending soon, Peers, Missing
    (service areas with no records), Details not recorded."""
    summary = pd.DataFrame(
        [
            *([("Warning", ILLUSTRATIVE)] if p.illustrative else []),
            (boroughs.noun(capital=True), p.borough.name),
            ("Authority", p.borough.official_name),
            ("GSS code", p.borough.code),
            ("Prepared", day_label(p.today)),
            ("Source", p.source_text),
            ("Selection", filters.summary(p.state)),
            ("Records", p.figures["records"]),
            ("Systems", p.figures["systems"]),
            ("Vendors", p.figures["vendors"]),
            ("Annual value (£)", p.figures["annual_value"]),
            ("Ending in the next 12 months", p.figures["ending_12_months"]),
        ],
        columns=["Item", "Value"],
    )
    sheets = {
        "Summary": summary,
        "Systems": exports.with_labels(p.systems),
        "Vendors": p.vendors.rename(columns=VENDOR_LABELS),
        "Ending soon": exports.with_labels(ending_soon(p.systems, p.today, 24)),
        "Peers": p.peers.rename(columns=PEER_LABELS).rename(columns=boroughs.reword),
        "Missing": pd.DataFrame({"Service areas with no records": p.missing_areas}),
        "Details not recorded": pd.DataFrame(
            [(g.label.capitalize(), g.missing, g.of) for g in p.gaps],
            columns=["Detail", "Records without it", "Of records"],
        ),
    }
    return exports.to_xlsx_sheets(sheets, max_width=60)


def _system_line(row: Any) -> str:
    """'Oracle E-Business Suite, Namos Solutions (made by Oracle); from ... to ...; £1.65m a year;
    Hosted by supplier' (after a joint contract's value, who else bought it: `joint`)."""
    made = _given(row.manufacturer) and row.manufacturer != row.vendor
    maker = f" (made by {row.manufacturer})" if made else ""
    hosting = row.hosting if _given(row.hosting) else "hosting not recorded"
    period = _period(row.contract_start, row.contract_end)
    what = f"{_system(row.system)}, {_vendor(row.vendor)}{maker}"
    return f"{what}; {period}; {_value(row.annual_value)}{joint(row.bought_with)}; {hosting}"


def joint(bought_with: object) -> str:
    """' (an equal share: bought jointly with Wandsworth)' after a joint contract's annual
    value; '' for a contract bought alone."""
    if not _given(bought_with):
        return ""
    return f" ({boroughs.reword('the borough')}'s equal share: bought jointly with {bought_with})"


def _peer(row: Any) -> str:
    """'Lambeth, ends 29 Feb 2028' or 'Bexley (Eclipse, same vendor), ends 31 Aug 2027'."""
    what = "" if row.match == "Same system" else f" ({_system(row.peer_system)}, same vendor)"
    return f"{row.peer_borough}{what}, ends {_day(row.peer_contract_end)}"


def _heading(title: str) -> list[str]:
    return ["", title, "-" * len(title)]


def _one(value: object) -> str:
    """Data text on one line: line breaks, tabs and runs of spaces as one space."""
    return " ".join(str(value).split())


def _system(value: object) -> str:
    """The system on one line, or "system not given" for a record naming only its vendor (as
    the Adoption page says), never "None"."""
    return _one(value) if _given(value) else SYSTEM_NOT_GIVEN


def _vendor(value: object) -> str:
    """The vendor on one line, or "(vendor not given)" (as the Market page says) for a record
    naming none, never "None" or "nan"."""
    return _one(value) if _given(value) else NOT_GIVEN


def _wrap(line: str, indent: str = "") -> list[str]:
    return textwrap.wrap(line, WIDTH, subsequent_indent=indent + "  ") or [""]


def _given(value: object) -> bool:
    """Not None, NaN, NaT or an empty string."""
    return value is not None and value != "" and not pd.isna(value)


def _day(value: object) -> str:
    return day(value, missing="no end date")


def _period(start: object, end: object) -> str:
    begun = f"from {_day(start)}" if _given(start) else "start not recorded"
    return f"{begun} to {_day(end)}" if _given(end) else f"{begun}, no end date"


def _value(value: object) -> str:
    return f"{money(float(value))} a year" if _given(value) else "value not recorded"
