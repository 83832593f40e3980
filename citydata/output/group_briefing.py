"""A collaboration group as people take it away: its label, the members as a download, the
briefing (Markdown here, Word in `citydata.output.word`) and the command line's report.

The groups themselves are found by `citydata.query.collaboration`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from citydata.core import boroughs, dates
from citydata.core.dates import day_label
from citydata.core.formatting import count, day, money_in_full
from citydata.core.text import join_words, neutralise_cell
from citydata.output import exports, provenance
from citydata.query import filters
from citydata.query.collaboration import KEYS, NEAR_MONTHS, Query
from citydata.query.filters import FilterState


def group_label(row: Any, q: Query) -> str:
    """'1. Housing: 5 boroughs, ending 31 Jan 2027 to 31 Jul 2027' ('5 councils' outside
    London)."""
    first, last = day(row["first_end"]), day(row["last_end"])
    span = first if first == last else f"{first} to {last}"
    members = _members(row["boroughs"])
    return f"{int(row['group'])}. {row['key']}: {members}, ending {span}"


def group_labels(groups: pd.DataFrame, q: Query) -> dict[str, int]:
    """Each group's `group_label` -> its number, in the frame's order (the choice of group)."""
    return {group_label(g, q): int(g["group"]) for g in groups.to_dict("records")}


def file_stem(group_number: int, state: FilterState, today: date) -> str:
    """'collaboration-group-1-camden-hackney-2026-12-07': a group's briefings' files are named
    with the filters its groups were found under, as every filtered download is
    (`provenance.named`): group 1 of two selections is two groups."""
    return provenance.dated(f"collaboration-group-{int(group_number)}", state, today)


def briefing_frame(group_members: pd.DataFrame) -> pd.DataFrame:
    """One group's members as a download: dates as dates, no group number. (Every group's
    members are downloaded as `collaboration.members_sql` gives them, the number first.)"""
    df = group_members.drop(columns=["group"], errors="ignore")
    df["contract_end"] = pd.to_datetime(df["contract_end"]).dt.date
    return df


ILLUSTRATIVE_NOTE = (
    "Illustrative data: the register records of {boroughs} are generated examples, not real "
    "contracts. Do not act on them."
)
BRIEFING_COLUMNS = (  # London's words: `briefing_columns` gives the region's
    "Borough",
    "System",
    "Vendor",
    "Service area",
    "Contract end",
    "Annual value (£)",
)


def briefing_columns() -> tuple[str, ...]:
    """The columns of a briefing's table in the region's words ('Council' outside London)."""
    return tuple(boroughs.reword(c) for c in BRIEFING_COLUMNS)


@dataclass(frozen=True)
class Briefing:
    """One group's briefing as plain text parts, rendered to Markdown here and to a Word
    document by `citydata.output.word`: every format says the same."""

    title: str
    columns: tuple[str, ...]  # the table's header: `briefing_columns`
    warning: str  # empty unless some records are illustrative
    intro: str
    facts: tuple[tuple[str, str], ...]
    rows: tuple[tuple[str, ...], ...]  # one cell for each of `columns`
    footer: str
    # The filters the group was found under, in plain English ('Contracts where borough is
    # Camden'), as a borough's briefing says them.
    selection: str = ""


def briefing(
    group: Any,
    group_members: pd.DataFrame,
    q: Query,
    today: date | None = None,
    illustrative: Iterable[str] = (),
    state: FilterState | None = None,
) -> Briefing:
    """The parts of a briefing on one group. `illustrative`: boroughs whose records are the
    illustrative default data (the briefing then says so first). `state`: the filters the
    group was found under (none: every record). Text is as in the data (one line each, no
    formula start); the renderer escapes it for its format."""
    today = today or dates.today()
    noun = KEYS[q.by]
    value = group["combined_annual_value"]
    missing = int(group["contracts"]) - int(group["contracts_with_value"])
    shown = set(group_members["borough"]) if "borough" in group_members else set()
    demo = sorted(b for b in illustrative if b in shown)
    facts = [
        (boroughs.noun(2, capital=True), _plain(group["borough_list"])),
        ("Systems", _plain(group["systems"])),
        ("Vendors", _plain(group["vendors"])),
    ]
    if near := group.get("near_misses"):
        facts.append((f"Just outside (within {NEAR_MONTHS} months of the group)", _plain(near)))
    facts.append(
        (
            "Combined annual value",
            "not recorded: no contract in the group has a value"
            if pd.isna(value)
            else money_in_full(value)
            + (
                f" ({count(missing, 'contract has', 'contracts have')} no value recorded)"
                if missing
                else ""
            ),
        )
    )
    # A contract bought jointly names the other councils that bought it (its annual value is
    # this council's share), as a borough's briefing does: a column only when one is joint.
    joint = "bought_with" in group_members and bool(group_members["bought_with"].notna().any())
    rows = []
    for _, m in group_members.iterrows():
        amount = money_in_full(m["annual_value"], missing="").removeprefix("£")
        cells = [m["borough"], m["system"], m["vendor"], m["service_area"]]
        with_whom = (_plain(m["bought_with"]),) if joint else ()
        rows.append((*(_plain(c) for c in cells), day(m["contract_end"]), amount, *with_whom))
    return Briefing(
        title=f"Collaboration opportunity: {_plain(group['key'])}",
        columns=(*briefing_columns(), *((exports.label("bought_with"),) if joint else ())),
        warning=ILLUSTRATIVE_NOTE.format(boroughs=join_words(demo)) if demo else "",
        intro=(
            f"{_members(group['boroughs'])} have {int(group['contracts'])} contracts for the "
            f"same {noun} ending between {day(group['first_end'])} and "
            f"{day(group['last_end'])}, within {count(q.window_months, 'month')} of each other."
        ),
        facts=tuple(facts),
        rows=tuple(rows),
        selection=_plain(filters.summary(state or FilterState())),
        footer=(
            f"Grouping rule: contracts for the same {noun} ending within "
            f"{count(q.window_months, 'month')} of the group's first end date. "
            f"Made by City Tools Explorer on {day_label(today)}; check each {boroughs.noun()}'s "
            "register before acting."
        ),
    )


def briefing_markdown(
    group: Any,
    group_members: pd.DataFrame,
    q: Query,
    today: date | None = None,
    illustrative: Iterable[str] = (),
    state: FilterState | None = None,
) -> str:
    """A short Markdown briefing on one group, to paste into an email or a paper.

    Data text is escaped for Markdown and cannot start a spreadsheet formula.
    """
    b = briefing(group, group_members, q, today, illustrative, state)
    lines = [f"# {_esc(b.title)}", ""]
    if b.warning:
        lines += [f"> **{_esc(b.warning)}**", ""]
    lines += [b.intro, "", f"Selection: {_esc(b.selection)}.", ""]
    lines += [f"- {label}: {_esc(text)}" for label, text in b.facts]
    lines += [
        "",
        "| " + " | ".join(b.columns) + " |",
        "|" + "---|" * len(b.columns),
    ]
    for cells in b.rows:
        lines.append("| " + " | ".join(_esc(c) for c in cells) + " |")
    lines += ["", b.footer, ""]
    return "\n".join(lines)


def _members(n: Any) -> str:
    """'5 boroughs' in London, '5 councils' elsewhere."""
    return count(int(n), boroughs.noun())


def _plain(value: Any) -> str:
    """Data text for a briefing: one line, no formula start; empty when not given (a
    published notice often names no vendor), never "nan" or "None"."""
    text = " ".join(str(value).split()) if _given(value) else ""
    return str(neutralise_cell(text))


def _given(value: Any) -> bool:
    return value is not None and not (not isinstance(value, str) and pd.isna(value))


def _named(values: Iterable[Any]) -> list[str]:
    """The distinct values given, sorted: as the group's own lists (which leave out a record
    that names none)."""
    return sorted({v for v in values if _given(v)})


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
                "combined_annual_value": None
                if pd.isna(g["combined_annual_value"])
                else float(g["combined_annual_value"]),
                "first_end": _iso(g["first_end"]),
                "last_end": _iso(g["last_end"]),
                "systems": _named(rows["system"]),
                "vendors": _named(rows["vendor"]),
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
            f"No two {boroughs.noun(2)} have contracts for the same {KEYS[q.by]} ending within "
            f"{count(q.window_months, 'month')} of each other in this selection."
        )
    lines = []
    for g in groups_df.to_dict("records"):
        value = g["combined_annual_value"]
        worth = "no value recorded" if pd.isna(value) else f"{money_in_full(value)} a year"
        lines.append(f"{group_label(g, q)}, {worth}")
        lines.append(f"   {boroughs.noun(2)}: {g['borough_list']}")  # 'councils:' lines up too
        # (a group of contracts that name no system, or no vendor, says so, never "nan")
        lines.append(f"   systems:  {g['systems'] if _given(g['systems']) else 'not given'}")
        lines.append(f"   vendors:  {g['vendors'] if _given(g['vendors']) else 'not given'}")
        if g.get("near_misses"):
            lines.append(f"   just outside: {g['near_misses']}")
    return "\n".join(lines)


def _iso(value: Any) -> str:
    return pd.Timestamp(value).date().isoformat()
