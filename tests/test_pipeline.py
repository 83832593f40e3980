"""The renewal pipeline: decide-by arithmetic, the lead-time file, windows that add up."""

from __future__ import annotations

from datetime import date

import pytest

from citydata.core import lead_times
from citydata.core.dates import add_months
from citydata.output import exports
from citydata.query import pipeline, selection
from citydata.query.filters import FilterState
from citydata.query.pipeline import LeadTimeError, LeadTimes
from tests import command
from tests.calendar_data import build_db, row
from tests.conftest import ROOT

TODAY = date(2026, 11, 26)
LEAD = LeadTimes(default=18, by_area=(("Housing", 24), ("Parking", 12), ("Education", 1)))
EVERYTHING = FilterState()


@pytest.mark.parametrize(
    ("end", "area", "expected"),
    [
        ("2028-08-31", "Libraries and culture", "2027-02-28"),  # default 18, Feb has 28 days
        ("2029-08-31", "Libraries and culture", "2028-02-29"),  # leap year: the 29th
        ("2030-02-28", "Housing", "2028-02-28"),  # 24 months
        ("2028-02-29", "Parking", "2027-02-28"),  # from a 29 Feb to a year without one
        ("2027-03-31", "Education", "2027-02-28"),  # 1 month back from a 31st
        ("2028-03-31", "Education", "2028-02-29"),
        ("2027-01-15", "Parking", "2026-01-15"),
    ],
)
def test_decide_by_is_the_end_date_minus_the_lead_time_clamped_to_month_end(
    tmp_path, end, area, expected
):
    db = build_db(tmp_path, [row("Camden", end, area=area)])
    with db.read() as r:
        df = pipeline.with_decide_by(r, EVERYTHING, LEAD)
    decide = df["decide_by"].dt.date.iloc[0]
    assert decide.isoformat() == expected
    assert decide == add_months(date.fromisoformat(end), -LEAD.months_for(area))
    assert df["lead_months"].iloc[0] == LEAD.months_for(area)


def test_every_record_is_upcoming_ended_or_undated_and_windows_grow(tmp_path):
    db = build_db(
        tmp_path,
        [
            row("Camden", "2026-11-25"),  # ended yesterday
            row("Camden", "2026-11-26"),  # ends today: still upcoming
            row("Hackney", "2027-02-25"),  # the last day inside 3 months
            row("Hackney", "2027-02-26"),  # exactly 3 months on: in the 6-month window
            row("Brent", "2027-11-25"),
            row("Brent", "2028-11-26"),  # exactly 24 months on: in no window
            row("Barnet", None),
        ],
    )
    with db.read() as r:
        s = pipeline.summary(r, EVERYTHING, LEAD, TODAY)
    assert s["records"] == 7
    assert (s["ended"], s["upcoming"], s["no_end_date"]) == (1, 5, 1)
    assert s["ended"] + s["upcoming"] + s["no_end_date"] == s["records"]
    assert [s[f"ending_{n}"] for n in pipeline.WINDOWS] == [2, 3, 4, 4]


def test_upcoming_lists_the_window_with_the_decision_to_take(tmp_path):
    db = build_db(
        tmp_path,
        [
            row("Camden", "2027-06-30", area="Housing"),  # decide by 30 Jun 2025: overdue
            row("Hackney", "2027-01-31", area="Education"),  # decide by 31 Dec 2026: soon
            row("Brent", "2027-11-15", area="Education"),  # decide by 15 Oct 2027: later
            row("Barnet", "2028-06-30", area="Education"),  # outside 12 months
        ],
    )
    with db.read() as r:
        rows = pipeline.upcoming(r, EVERYTHING, LEAD, 12, TODAY)
        s = pipeline.summary(r, EVERYTHING, LEAD, TODAY)
    assert rows["borough"].tolist() == ["Camden", "Hackney", "Brent"], "soonest decision first"
    assert rows["decision"].tolist() == [
        pipeline.DECISION_OVERDUE,
        pipeline.DECISION_SOON,
        pipeline.DECISION_LATER,
    ]
    assert rows["decide_by"].dt.date.tolist() == [
        date(2025, 6, 30),
        date(2026, 12, 31),
        date(2027, 10, 15),
    ]
    assert rows["days_left"].tolist() == [216, 66, 354]
    assert s["overdue_12"] == 1 and s["ending_12"] == 3


def test_ended_and_undated_contracts_are_listed_not_lost(tmp_path):
    db = build_db(
        tmp_path,
        [row("Camden", "2026-01-31"), row("Hackney", None), row("Brent", "2027-01-31")],
    )
    with db.read() as r:
        ended = pipeline.ended(r, EVERYTHING, TODAY)
        undated = pipeline.undated(r, EVERYTHING)
    assert ended["borough"].tolist() == ["Camden"] and ended["days_since_end"].tolist() == [299]
    assert undated["borough"].tolist() == ["Hackney"]


def test_the_pipeline_agrees_with_the_overview_on_the_embedded_data(db):
    lead = pipeline.load_lead_times()
    with db.read() as r:
        s = pipeline.summary(r, EVERYTHING, lead, TODAY)
        headline = selection.headline(r, EVERYTHING, TODAY)
        no_end = r.scalar("SELECT count(*) FROM current_contracts WHERE contract_end IS NULL")
        upcoming = pipeline.upcoming(r, EVERYTHING, lead, 24, TODAY)
    assert s["ending_12"] == headline["ending_12_months"]
    assert s["records"] == headline["records"] and s["no_end_date"] == no_end
    assert len(upcoming) == s["ending_24"]
    assert s["overdue_24"] == int((upcoming["decide_by"].dt.date < TODAY).sum())


# ---- the lead-time file ----------------------------------------------------------------------


def test_the_shipped_lead_time_file_names_real_service_areas():
    lead = pipeline.load_lead_times(ROOT / "data" / "lead_times.toml")
    assert lead.default == 18
    assert lead.months_for("Adults' social care") == 24
    assert lead.months_for("Parking") == 12
    assert len(lead.table()) == 19


def test_the_setting_chooses_the_file(tmp_path, monkeypatch):
    path = tmp_path / "lead.toml"
    path.write_text('default = 9\n[service_areas]\n"Revs & Bens" = 30\n', encoding="utf-8")
    monkeypatch.setenv("CITYTOOLS_LEAD_TIMES", str(path))
    lead = pipeline.load_lead_times()
    assert lead.default == 9
    assert lead.months_for("Revenues and benefits") == 30, "synonyms name the canonical area"
    assert lead.source == str(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[service_areas]\n"Housng" = 12\n', "“Housng” is not a service area"),
        ("default = -1\n", "between 0 and 120"),
        ("default = 12.5\n", "whole number of months"),
        ("default = true\n", "whole number of months"),
        ('[service_areas]\nHousing = "soon"\n', "whole number of months"),
        ("default = \n", "cannot be read"),
        ("defualt = 12\n", "unknown entry 'defualt'"),
        ("service_areas = 3\n", "must be a table"),
        # one area twice, under its name and a synonym: the later line would win unseen
        (
            '[service_areas]\n"Revenues and benefits" = 24\n"Revs & Bens" = 6\n',
            "“Revenues and benefits” and “Revs & Bens” both give the lead time for Revenues",
        ),
        ("[service_areas]\nHousing = 24\nhousing = 3\n", "both give the lead time for Housing"),
    ],
)
def test_a_bad_lead_time_file_is_explained(tmp_path, text, message):
    path = tmp_path / "lead.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LeadTimeError, match=message):
        pipeline.load_lead_times(path)
    lead, problem = pipeline.lead_times_or_default(path)
    assert lead == LeadTimes() and message in problem and "18 months" in problem


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (
            b"default = 12\n[service_areas]\nHousing = 12 months\n",
            "it is not written as the app expects at line 3, column 14. Check that line against "
            "the examples in the README: each setting is name = value, text in straight double "
            "quotes.",
        ),
        (
            b"default = 12\n# Caf\xe9 services\n",
            "line 2 is not UTF-8 text. Save the file again as UTF-8 (in Notepad: Save as, "
            "Encoding UTF-8).",
        ),
    ],
    ids=["not TOML", "not UTF-8"],
)
def test_an_unreadable_lead_time_file_says_where_in_words_on_the_command_line(
    db_path, tmp_path, monkeypatch, content, said
):
    """Said before in Python's words: "Expected newline or end of document after a statement
    (at line 3, column 15)" or "'utf-8' codec can't decode byte 0xe9 in position 17"."""
    path = tmp_path / "lead.toml"
    path.write_bytes(content)
    monkeypatch.setenv(lead_times.SETTING, str(path))
    done = command.run("coming", db=db_path, text=True)
    assert done.returncode == 1
    assert done.stderr == (
        f"refused: The lead-time file {path} cannot be read: {said} Nothing was written.\n"
    )


def test_a_missing_lead_time_file_is_explained(tmp_path):
    with pytest.raises(LeadTimeError, match="does not exist"):
        pipeline.load_lead_times(tmp_path / "nowhere.toml")


# ---- bounded lists ---------------------------------------------------------------------------


def test_each_list_shows_at_most_the_limit_in_its_own_order_and_says_how_many_more(tmp_path):
    ends = ["2027-03-31", "2026-12-31", "2027-01-31", "2026-05-31", "2025-12-31", None, None]
    db = build_db(tmp_path, [row(b, e) for e in ends for b in ("Camden", "Brent")])
    with db.read() as r:
        upcoming = pipeline.upcoming(r, EVERYTHING, LEAD, 12, TODAY, 3)
        ended = pipeline.ended(r, EVERYTHING, TODAY, 3)
        undated = pipeline.undated(r, EVERYTHING, 3)
        everything = pipeline.upcoming(r, EVERYTHING, LEAD, 12, TODAY)
        s = pipeline.summary(r, EVERYTHING, LEAD, TODAY)
    assert len(upcoming) == len(ended) == len(undated) == 3
    assert upcoming["contract_end"].dt.date.tolist() == [date(2026, 12, 31)] * 2 + [
        date(2027, 1, 31)
    ], "soonest decision first"
    assert upcoming.equals(everything.head(3)), "the first rows of the full list"
    assert ended["contract_end"].dt.date.tolist() == [date(2026, 5, 31)] * 2 + [
        date(2025, 12, 31)
    ], "most recently ended first"
    note = exports.shown_note(len(upcoming), s["ending_12"], "contracts, soonest decision first")
    assert note.startswith("Showing the first 3 of 6 contracts, soonest decision first.")
    assert "Narrow the filters" in note and "download" in note
    assert exports.shown_note(6, 6, "contracts") is None


def test_the_calendar_file_keeps_the_contracts_ending_nearest_today(tmp_path):
    ends = ["2026-11-20", "2026-12-31", "2027-01-31", "2030-01-31", "2020-01-31", None]
    db = build_db(tmp_path, [row("Camden", e) for e in ends])
    with db.read() as r:
        every = pipeline.with_decide_by(r, EVERYTHING, LEAD)
        nearest = pipeline.with_decide_by(r, EVERYTHING, LEAD, 4, TODAY)
    assert len(every) == 5, "every dated record when no limit"
    assert nearest["contract_end"].dt.date.tolist() == [
        date(2026, 11, 20),
        date(2026, 12, 31),
        date(2027, 1, 31),
        date(2030, 1, 31),
    ], "upcoming first (soonest first), then the most recently ended; in date order"
    assert nearest["decide_by"].notna().all()


def test_decisions_due_window_on_the_decide_by_date_and_overdue_ones_are_apart(tmp_path):
    db = build_db(
        tmp_path,
        [
            row("Camden", "2027-06-30", area="Housing"),  # decide by 30 Jun 2025: overdue
            row("Hackney", "2027-01-31", area="Education"),  # decide by 31 Dec 2026: soon
            row("Brent", "2027-11-15", area="Education"),  # decide by 15 Oct 2027: later
            row("Barnet", "2028-06-30", area="Housing"),  # decide by 30 Jun 2026: overdue
            row("Ealing", "2028-09-30", area="Parking"),  # ends later, decide by 30 Sep 2027
            row("Harrow", "2029-06-30", area="Housing"),  # decide by 30 Jun 2027
            row("Sutton", "2026-01-31", area="Education"),  # ended: in neither list
        ],
    )
    with db.read() as r:
        due = pipeline.decisions_due(r, EVERYTHING, LEAD, 12, TODAY)
        overdue = pipeline.decisions_overdue(r, EVERYTHING, LEAD, TODAY)
        s = pipeline.summary(r, EVERYTHING, LEAD, TODAY)
    # Ealing ends after the 12-month window but must decide within it; nothing overdue is due
    assert due["borough"].tolist() == ["Hackney", "Harrow", "Ealing", "Brent"]
    assert due["decision"].tolist() == [pipeline.DECISION_SOON] + [pipeline.DECISION_LATER] * 3
    assert due["days_to_decide"].tolist()[0] == 35
    assert overdue["borough"].tolist() == ["Camden", "Barnet"], "soonest end first"
    assert overdue["days_overdue"].tolist() == [514, 149]
    assert s["due_12"] == 4 and s["decisions_overdue"] == 2
    assert [s[f"due_{n}"] for n in pipeline.WINDOWS] == [1, 1, 4, 4]
