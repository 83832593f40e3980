"""The collaboration finder: the grouping rule on hand-built cases, and against a plain reference
implementation of the README's rule on the whole embedded data set."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from citydata import lifecycle
from citydata.core.dates import add_months
from citydata.output import exports, group_briefing
from citydata.query import collaboration
from citydata.query.collaboration import Query
from citydata.query.filters import FilterState
from tests import command
from tests.calendar_data import build_db, row

TODAY = date(2026, 11, 26)


EVERYTHING = FilterState()


def found(db, q: Query, state: FilterState = EVERYTHING, today: date = TODAY):
    with db.read() as r:
        return collaboration.groups(r, state, q, today), collaboration.members(r, state, q, today)


def member_sets(members: pd.DataFrame) -> list[set[tuple[str, str]]]:
    """Each group's (borough, end date) pairs, in rank order."""
    return [
        {(m.borough, pd.Timestamp(m.contract_end).date().isoformat()) for m in g.itertuples()}
        for _, g in members.groupby("group", sort=True)
    ]


def test_a_window_that_touches_includes_the_contract_ending_on_its_last_day(tmp_path):
    db = build_db(
        tmp_path,
        [
            row("Camden", "2027-01-31"),
            row("Hackney", "2027-07-31"),  # exactly 6 months after: in
            row("Islington", "2027-08-01"),  # a day later: starts the next group
            row("Brent", "2027-12-15"),
        ],
    )
    groups, members = found(db, Query("service_area", 6))
    # equal boroughs and value: the earlier group ranks first
    assert member_sets(members) == [
        {("Camden", "2027-01-31"), ("Hackney", "2027-07-31")},
        {("Islington", "2027-08-01"), ("Brent", "2027-12-15")},
    ]
    assert groups["first_end"].dt.date.tolist() == [date(2027, 1, 31), date(2027, 8, 1)]


def test_a_window_is_measured_from_the_first_end_date_not_chained(tmp_path):
    """Ends every 4 months: with a 6-month window, no group spans more than 6 months."""
    db = build_db(
        tmp_path,
        [
            row("Camden", "2027-01-31"),
            row("Hackney", "2027-05-31"),
            row("Islington", "2027-09-30"),
            row("Brent", "2028-01-31"),
        ],
    )
    groups, members = found(db, Query("service_area", 6))
    assert sorted(member_sets(members), key=sorted) == sorted(
        [
            {("Camden", "2027-01-31"), ("Hackney", "2027-05-31")},
            {("Islington", "2027-09-30"), ("Brent", "2028-01-31")},
        ],
        key=sorted,
    )
    spans = (groups["last_end"] - groups["first_end"]).dt.days
    assert (spans <= 184).all()


def test_overlapping_windows_keep_every_contract_in_exactly_one_group(tmp_path):
    rows = [
        row(b, end)
        for b, end in [
            ("Camden", "2027-03-31"),
            ("Hackney", "2027-04-30"),
            ("Islington", "2027-06-30"),
            ("Brent", "2027-10-15"),  # within 6 months of Jun but not of Mar: next group
            ("Barnet", "2027-10-31"),
        ]
    ]
    db = build_db(tmp_path, rows)
    groups, members = found(db, Query("service_area", 6))
    assert len(members) == 5 and members["borough"].is_unique
    assert groups["boroughs"].tolist() == [3, 2]
    assert member_sets(members)[1] == {("Brent", "2027-10-15"), ("Barnet", "2027-10-31")}


def test_windows_that_miss_find_nothing(tmp_path):
    db = build_db(tmp_path, [row("Camden", "2027-01-31"), row("Hackney", "2027-08-31")])
    groups, members = found(db, Query("service_area", 6))
    assert groups.empty and members.empty
    groups, _ = found(db, Query("service_area", 7))
    assert groups["boroughs"].tolist() == [2]


def test_a_window_from_the_end_of_august_reaches_the_29th_of_february(tmp_path):
    db = build_db(
        tmp_path,
        [
            row("Camden", "2027-08-31"),
            row("Hackney", "2028-02-29"),  # 31 Aug + 6 months = 29 Feb 2028 (leap year): in
            row("Islington", "2028-03-01"),
            row("Brent", "2028-03-02"),
        ],
    )
    _, members = found(db, Query("service_area", 6))
    assert member_sets(members)[0] == {("Camden", "2027-08-31"), ("Hackney", "2028-02-29")}
    assert member_sets(members)[1] == {("Islington", "2028-03-01"), ("Brent", "2028-03-02")}


def test_one_borough_with_two_contracts_is_not_a_collaboration(tmp_path):
    db = build_db(
        tmp_path,
        [
            row("Camden", "2027-01-31", system="Open Housing"),
            row("Camden", "2027-02-28", system="Capita Repairs"),
        ],
    )
    groups, _ = found(db, Query("service_area", 6))
    assert groups.empty


def test_a_borough_with_two_contracts_in_a_group_counts_once(tmp_path):
    db = build_db(
        tmp_path,
        [
            row("Camden", "2027-01-31", system="Open Housing", value="100000"),
            row("Camden", "2027-02-28", system="Capita Repairs", value="50000"),
            row("Hackney", "2027-03-31", system="Open Housing", value="25000.50"),
        ],
    )
    groups, members = found(db, Query("service_area", 6))
    g = groups.iloc[0]
    assert (g["boroughs"], g["contracts"]) == (2, 3)
    assert g["combined_annual_value"] == 175000.50
    assert g["borough_list"] == "Camden, Hackney"
    assert g["systems"] == "Capita Repairs, Open Housing"
    assert len(members) == 3


def test_contracts_without_an_end_date_are_left_out(tmp_path):
    db = build_db(
        tmp_path,
        [
            row("Camden", None),
            row("Hackney", None),
            row("Islington", "2027-05-31"),
            row("Brent", "2027-06-30"),
        ],
    )
    groups, members = found(db, Query("service_area", 6))
    assert set(members["borough"]) == {"Islington", "Brent"}
    assert groups["contracts"].tolist() == [2]


def test_ended_contracts_join_only_when_asked(tmp_path):
    db = build_db(
        tmp_path,
        [
            row("Camden", "2026-09-30"),  # ended before TODAY
            row("Hackney", "2026-12-31"),
            row("Islington", "2027-02-28"),
        ],
    )
    _, members = found(db, Query("service_area", 6))
    assert set(members["borough"]) == {"Hackney", "Islington"}
    _, members = found(db, Query("service_area", 6, include_ended=True))
    assert set(members["borough"]) == {"Camden", "Hackney", "Islington"}


def test_grouping_by_system_or_vendor_uses_that_column(tmp_path):
    db = build_db(
        tmp_path,
        [
            row("Camden", "2027-01-31", area="Housing", system="Dynamics 365", vendor="Bytes"),
            row("Hackney", "2027-02-28", area="Parking", system="Dynamics 365", vendor="Softcat"),
            row("Islington", "2027-03-31", area="Education", system="Arbor", vendor="Softcat"),
        ],
    )
    by_area, _ = found(db, Query("service_area", 6))
    by_system, _ = found(db, Query("system", 6))
    by_vendor, _ = found(db, Query("vendor", 6))
    assert by_area.empty
    assert by_system[["key", "borough_list"]].values.tolist() == [
        ["Dynamics 365", "Camden, Hackney"]
    ]
    assert by_vendor[["key", "borough_list"]].values.tolist() == [["Softcat", "Hackney, Islington"]]


def test_groups_are_ranked_by_boroughs_then_combined_value(tmp_path):
    db = build_db(
        tmp_path,
        [
            # Parking: 2 boroughs, £300k
            row("Camden", "2027-01-31", area="Parking", value="200000"),
            row("Hackney", "2027-01-31", area="Parking", value="100000"),
            # Housing: 3 boroughs, £30k
            row("Camden", "2027-01-31", value="10000"),
            row("Hackney", "2027-01-31", value="10000"),
            row("Brent", "2027-01-31", value="10000"),
            # Education: 2 boroughs, £400k (one value missing)
            row("Camden", "2027-01-31", area="Education", value="400000"),
            row("Brent", "2027-01-31", area="Education", value=None),
        ],
    )
    groups, _ = found(db, Query("service_area", 6))
    assert groups["key"].tolist() == ["Housing", "Education", "Parking"]
    assert groups["group"].tolist() == [1, 2, 3]
    education = groups.iloc[1]
    assert (education["contracts"], education["contracts_with_value"]) == (2, 1)


def test_the_sidebar_filters_apply_before_grouping(tmp_path):
    db = build_db(
        tmp_path,
        [row("Camden", "2027-01-31"), row("Hackney", "2027-02-28"), row("Brent", "2027-03-31")],
    )
    groups, _ = found(db, Query("service_area", 6), FilterState(borough=("Camden", "Brent")))
    assert groups["borough_list"].tolist() == ["Brent, Camden"]
    groups, _ = found(db, Query("service_area", 6), FilterState(borough=("Camden",)))
    assert groups.empty


def test_only_allow_listed_keys_and_sane_windows_are_accepted():
    with pytest.raises(ValueError):
        Query("borough; DROP TABLE contracts", 6)
    with pytest.raises(ValueError):
        Query("service_area", 0)
    with pytest.raises(ValueError):
        Query("service_area", 61)


# ---- the same rule, written the obvious way, on the whole embedded data set -----------------


def reference_groups(records: pd.DataFrame, by: str, window: int) -> list[tuple]:
    """The README's rule in plain Python: sort, start a group, take everything within the window
    of its first end date, keep groups of two or more boroughs."""
    out: list[tuple] = []
    records = records.assign(area_vendor=records["service_area"] + " · " + records["vendor"])
    dated = records[records["contract_end"].notna() & records[by].notna()]
    dated = dated[dated["contract_end"] >= TODAY]
    for _, rows in dated.groupby(by):
        rows = rows.sort_values("contract_end")
        current: list = []
        first = None
        for rec in rows.itertuples():
            if first is None or rec.contract_end > add_months(first, window):
                if len({r.borough for r in current}) >= 2:
                    out.append(tuple(sorted(_key(r) for r in current)))
                current, first = [], rec.contract_end
            current.append(rec)
        if len({r.borough for r in current}) >= 2:
            out.append(tuple(sorted(_key(r) for r in current)))
    return sorted(out)


def _key(r) -> tuple:
    return (r.borough, r.system, r.vendor, str(r.contract_end), r.source_ref)


@pytest.mark.parametrize("by", list(collaboration.KEYS))
@pytest.mark.parametrize("window", [3, 6, 12])
def test_the_query_agrees_with_the_plain_rule_on_the_embedded_data(built_db, by, window):
    db = lifecycle.open_store(built_db)
    try:
        with db.read() as r:
            records = r.df(
                "SELECT borough, service_area, system, vendor, contract_end, source_ref "
                "FROM current_contracts"
            )
            members = collaboration.members(r, FilterState(), Query(by, window), TODAY)
            groups = collaboration.groups(r, FilterState(), Query(by, window), TODAY)
    finally:
        db.close()
    records["contract_end"] = records["contract_end"].dt.date
    members["contract_end"] = members["contract_end"].dt.date
    expected = reference_groups(records, by, window)
    got = sorted(
        tuple(sorted(_key(r) for r in g.itertuples())) for _, g in members.groupby("group")
    )
    assert expected and got == expected
    assert groups["group"].tolist() == list(range(1, len(groups) + 1))
    ranked = groups.sort_values(
        ["boroughs", "combined_annual_value"], ascending=[False, False], kind="stable"
    )
    assert ranked["group"].tolist() == groups["group"].tolist()


# ---- briefings -------------------------------------------------------------------------------


def test_briefing_markdown_is_readable_and_carries_no_formula_or_markup(tmp_path):
    db = build_db(
        tmp_path,
        [
            row(
                "Hammersmith and Fulham", "2027-01-31", system='=HYPERLINK("x")', vendor="Café|Sys"
            ),
            row("Camden", "2027-02-28", system="@Risk *Housing*", vendor="Capita"),
        ],
    )
    q = Query("service_area", 6)
    groups, members = found(db, q)
    text = group_briefing.briefing_markdown(groups.iloc[0], members, q, TODAY)
    assert text.startswith("# Collaboration opportunity: Housing")
    assert "2 boroughs have 2 contracts for the same service area" in text
    assert "Café\\|Sys" in text, "UTF-8 intact, table pipe escaped"
    assert "'=HYPERLINK" in text and "'@Risk \\*Housing\\*" in text, "no formula, no emphasis"
    table = [line for line in text.splitlines() if line.startswith("| ") and "Borough" not in line]
    for line in table:
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        assert len(cells) == 6, line
        assert not any(c.startswith(("=", "+", "-", "@")) for c in cells), line
    assert "£200,000" in text


def test_a_window_of_one_month_is_one_month_in_the_briefing_and_the_rule(tmp_path):
    db = build_db(tmp_path, [row("Camden", "2027-01-31"), row("Hackney", "2027-02-28")])
    q = Query("service_area", 1)
    groups, members = found(db, q)
    text = group_briefing.briefing_markdown(groups.iloc[0], members, q, TODAY)
    assert "within 1 month of each other." in text
    assert "ending within 1 month of the group's first end date" in text
    assert "1 months" not in text
    nothing = group_briefing.as_text(groups.iloc[0:0], q)
    assert nothing.endswith("ending within 1 month of each other in this selection.")
    rule = collaboration.RULE.format(noun="system", window="1 month")
    assert "every contract ending within 1 month of it " in rule


def test_report_lists_each_group_with_its_members(tmp_path):
    db = build_db(tmp_path, [row("Camden", "2027-01-31"), row("Hackney", "2027-03-31", value=None)])
    q = Query("service_area", 6)
    groups, members = found(db, q)
    out = group_briefing.report(groups, members, q, TODAY)
    assert out["by"] == "service_area" and out["today"] == "2026-11-26"
    (g,) = out["groups"]
    assert g["boroughs"] == ["Camden", "Hackney"] and g["combined_annual_value"] == 100000.0
    assert [m["contract_end"] for m in g["members"]] == ["2027-01-31", "2027-03-31"]
    assert g["members"][1]["annual_value"] is None


def test_a_group_with_a_contract_naming_no_vendor_is_reported_and_briefed(tmp_path):
    """A published notice often names no vendor. A group holding one stopped
    `collaborate --json` with "something went wrong inside City Tools Explorer", and its
    briefings (Markdown, Word) showed the vendor as "nan"; the vendor is now left blank, and
    the JSON lists the vendors named, as the page's group does."""
    db = build_db(
        tmp_path,
        [
            row("Camden", "2027-01-31", vendor=None),
            row("Hackney", "2027-03-31", vendor="Capita"),
            row("Brent", "2027-02-28", system=None, vendor="Civica"),
        ],
    )
    path = db.path
    q = Query("system", 6)
    groups, _ = found(db, q)
    with db.read() as r:
        one = collaboration.group_members(
            r, EVERYTHING, q, *groups.iloc[0][["key", "first_end", "last_end"]]
        )
    db.close()
    assert groups["vendors"].tolist() == ["Capita"]
    text = group_briefing.briefing_markdown(groups.iloc[0], one, q, TODAY)
    assert "| Camden | Open Housing |  | Housing | 31 Jan 2027 | 100,000 |" in text
    assert "nan" not in text.lower() and "None" not in text
    done = command.run("collaborate", "--json", "--today", TODAY.isoformat(), db=path, text=True)
    assert done.returncode == 0, done.stderr
    (g,) = json.loads(done.stdout)["groups"]
    assert g["vendors"] == ["Capita"] and g["boroughs"] == ["Camden", "Hackney"]
    assert [m["vendor"] for m in g["members"]] == [None, "Capita"]
    by_area = command.run(
        "collaborate",
        "--json",
        "--by",
        "service_area",
        "--today",
        TODAY.isoformat(),
        db=path,
        text=True,
    )
    assert by_area.returncode == 0, by_area.stderr
    (g,) = json.loads(by_area.stdout)["groups"]
    assert g["systems"] == ["Open Housing"] and g["vendors"] == ["Capita", "Civica"]


def test_a_combined_value_with_50_pence_is_the_pound_above_in_every_place(tmp_path):
    """A group worth £100,250.50 showed £100,251 in the page's table but £100,250 on the
    command line and in its briefing; every place now rounds the half up."""
    db = build_db(
        tmp_path, [row("Camden", "2027-01-31", value="250.50"), row("Hackney", "2027-03-31")]
    )
    q = Query("system", 6)
    groups, members = found(db, q)
    assert groups["combined_annual_value"].tolist() == [100250.5]
    assert group_briefing.as_text(groups, q).splitlines()[0].endswith(", £100,251 a year")
    text = group_briefing.briefing_markdown(groups.iloc[0], members, q, TODAY)
    assert "- Combined annual value: £100,251" in text
    assert "| Camden | Open Housing | Capita | Housing | 31 Jan 2027 | 251 |" in text


def test_the_best_groups_are_kept_and_the_totals_count_them_all(tmp_path):
    db = build_db(
        tmp_path,
        [row(b, "2027-01-31", area="Housing") for b in ("Camden", "Brent", "Barnet")]
        + [row(b, "2027-03-31", area="Parking") for b in ("Camden", "Brent")]
        + [row(b, "2027-05-31", area="Education") for b in ("Camden", "Ealing")],
    )
    with db.read() as r:
        every = collaboration.groups(r, EVERYTHING, Query("service_area"), TODAY)
        best = collaboration.groups(r, EVERYTHING, Query("service_area"), TODAY, 2)
    assert best["key"].tolist() == ["Housing", "Parking"] == every["key"].tolist()[:2]
    assert best["groups_found"].tolist() == [3, 3]
    assert best["contracts_in_groups"].tolist() == [7, 7] == [int(every["contracts"].sum())] * 2
    note = exports.shown_note(2, 3, "groups, best first")
    assert note.startswith("Showing the first 2 of 3 groups, best first.")
    assert exports.shown_note(3, 3, "groups") is None


@pytest.mark.parametrize("by", list(collaboration.KEYS))
def test_one_groups_members_are_those_of_the_full_list_and_can_be_bounded(built_db, by):
    db = lifecycle.open_store(built_db)
    q = Query(by, 6, include_ended=True)
    with db.read() as r:
        groups, members = found_with(r, q)
        for g in groups.head(5).itertuples():
            span = (g.key, g.first_end, g.last_end)
            mine = collaboration.group_members(r, EVERYTHING, q, *span)
            first = collaboration.group_members(r, EVERYTHING, q, *span, 2)
            expected = members[members["group"] == g.group].drop(columns="group")
            assert mine.reset_index(drop=True).equals(expected.reset_index(drop=True))
            assert len(mine) == g.contracts
            assert first.equals(mine.head(2))


def found_with(r, q: Query):
    return (
        collaboration.groups(r, EVERYTHING, q, TODAY),
        collaboration.members(r, EVERYTHING, q, TODAY),
    )


def test_the_default_groups_one_system_not_a_whole_service_area(tmp_path):
    """A "Corporate IT" group mixing firewalls, hosting and e-mail is nothing anyone can buy
    together: by default a group is one system; "vendor in a service area" is offered too."""
    it = "Corporate IT and infrastructure"
    db = build_db(
        tmp_path,
        [
            row("Camden", "2027-01-31", area=it, system="FortiGate", vendor="Fortinet"),
            row("Hackney", "2027-02-28", area=it, system="Microsoft 365", vendor="Softcat"),
            row("Brent", "2027-03-31", area=it, system="Microsoft 365", vendor="Softcat"),
            row("Barnet", "2027-03-31", area=it, system="Azure", vendor="Softcat"),
        ],
    )
    assert Query().by == "system"
    by_default, members = found(db, Query())
    assert by_default[["key", "borough_list"]].values.tolist() == [
        ["Microsoft 365", "Brent, Hackney"]
    ]
    assert set(members["system"]) == {"Microsoft 365"}
    by_area_vendor, members = found(db, Query("area_vendor", 6))
    assert by_area_vendor[["key", "borough_list"]].values.tolist() == [
        [f"{it} · Softcat", "Barnet, Brent, Hackney"]
    ]
    assert set(members["vendor"]) == {"Softcat"}
    with db.read() as r:
        one = collaboration.group_members(
            r, EVERYTHING, Query("area_vendor", 6), f"{it} · Softcat", "2027-02-28", "2027-03-31"
        )
    assert sorted(one["borough"]) == ["Barnet", "Brent", "Hackney"]


def test_a_contract_just_outside_a_group_is_named_as_a_near_miss(tmp_path):
    """Contracts ending in the same year can fall into two groups; each group names the
    boroughs just outside it (within NEAR_MONTHS), so nobody is missed by a few weeks."""
    db = build_db(
        tmp_path,
        [
            row("Camden", "2027-01-31"),  # group A starts; its window closes 31 Jul 2027
            row("Hackney", "2027-07-15"),  # in A
            row("Islington", "2027-08-31"),  # group B starts, a month after A's window
            row("Brent", "2027-09-30"),  # in B
            row("Barnet", "2028-12-31"),  # far from both: never named
        ],
    )
    q = Query("system", 6)
    groups, _ = found(db, q)
    assert groups["borough_list"].tolist() == ["Camden, Hackney", "Brent, Islington"]
    assert groups["near_misses"].tolist() == [
        "Islington (31 Aug 2027), Brent (30 Sep 2027)",
        "Hackney (15 Jul 2027)",
    ]
    assert "just outside: Islington (31 Aug 2027), Brent (30 Sep 2027)" in (
        group_briefing.as_text(groups, q)
    )
    with db.read() as r:
        members = collaboration.group_members(
            r, EVERYTHING, q, *groups.iloc[0][["key", "first_end", "last_end"]]
        )
    briefing = group_briefing.briefing_markdown(groups.iloc[0], members, q, TODAY)
    assert "Just outside (within 3 months of the group): Islington (31 Aug 2027)" in briefing


def test_briefings_as_word_and_markdown_say_when_the_data_is_illustrative(tmp_path):
    import io

    import docx

    from citydata.output import word

    db = build_db(tmp_path, [row("Camden", "2027-01-31"), row("Hackney", "2027-03-31")])
    q = Query("system", 6)
    groups, members = found(db, q)
    group = groups.iloc[0]
    real = group_briefing.briefing_markdown(group, members, q, TODAY)
    assert "Illustrative" not in real
    text = group_briefing.briefing_markdown(group, members, q, TODAY, ["Hackney", "Brent"])
    assert text.splitlines()[2] == (
        "> **Illustrative data: the register records of Hackney are generated examples, not "
        "real contracts. Do not act on them.**"
    )
    data = word.collaboration(group_briefing.briefing(group, members, q, TODAY, ["Hackney"]))
    doc = docx.Document(io.BytesIO(data))
    paragraphs = [p.text for p in doc.paragraphs]
    assert paragraphs[0] == "Collaboration opportunity: Open Housing"
    assert paragraphs[1].startswith("Illustrative data: the register records of Hackney")
    assert doc.paragraphs[1].runs[0].bold
    assert "Boroughs: Camden, Hackney" in paragraphs
    (table,) = doc.tables
    assert [c.text for c in table.rows[0].cells] == list(group_briefing.BRIEFING_COLUMNS)
    assert [row.cells[0].text for row in table.rows[1:]] == ["Camden", "Hackney"]


def test_a_word_briefing_holds_a_big_group_s_first_contracts_and_says_so(tmp_path, monkeypatch):
    import io

    import docx

    from citydata.output import word

    monkeypatch.setattr(word, "MAX_ROWS", 1)
    db = build_db(tmp_path, [row("Camden", "2027-01-31"), row("Hackney", "2027-03-31")])
    q = Query("system", 6)
    groups, members = found(db, q)
    b = group_briefing.briefing(groups.iloc[0], members, q, TODAY)
    doc = docx.Document(io.BytesIO(word.collaboration(b)))
    (table,) = doc.tables
    assert [row.cells[0].text for row in table.rows[1:]] == ["Camden"]
    assert "The first 1 of 2 contracts; the CSV and Markdown briefings hold every one." in [
        p.text for p in doc.paragraphs
    ]
    assert len(b.rows) == 2 and "Hackney" in group_briefing.briefing_markdown(
        groups.iloc[0], members, q, TODAY
    )


def test_a_group_whose_contracts_have_no_value_is_not_worth_0(tmp_path):
    """A group none of whose contracts has a value once showed a combined value of £0 (in the
    table, the briefing, the command line and its JSON); the amount is not known."""
    db = build_db(
        tmp_path,
        [
            row("Camden", "2027-01-31", value=None),
            row("Hackney", "2027-03-31", value=None),
            row("Brent", "2027-01-31", system="Other System", value="10"),
            row("Ealing", "2027-02-28", system="Other System", value="5"),
        ],
    )
    q = Query("system", 6)
    groups, members = found(db, q)
    assert groups["key"].tolist() == ["Other System", "Open Housing"], "valued groups first"
    unknown = groups.iloc[1]
    assert pd.isna(unknown["combined_annual_value"]) and unknown["contracts"] == 2
    text = group_briefing.briefing_markdown(unknown, members, q, TODAY)
    assert "not recorded: no contract in the group has a value" in text and "£0" not in text
    report = group_briefing.report(groups, members, q, TODAY)
    assert [g["combined_annual_value"] for g in report["groups"]] == [15.0, None]
    lines = group_briefing.as_text(groups, q).splitlines()
    assert lines[0].endswith(", £15 a year")
    assert any(line.endswith(", no value recorded") for line in lines), lines


def test_the_command_s_text_says_when_a_group_s_contracts_name_no_system(tmp_path):
    """Grouped by vendor, two boroughs' contracts that name no system made `collaborate` print
    "systems:  nan"."""
    db = build_db(
        tmp_path,
        [
            row("Camden", "2027-01-31", system=None, vendor="Civica"),
            row("Hackney", "2027-03-31", system=None, vendor="Civica"),
        ],
    )
    path = db.path
    db.close()
    done = command.run(
        "collaborate", "--by", "vendor", "--today", TODAY.isoformat(), db=path, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "1. Civica: 2 boroughs" in done.stdout
    assert "systems:  not given" in done.stdout and "nan" not in done.stdout
