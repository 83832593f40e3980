"""The calendar download (.ics) and the command line's `export --format ics` and `collaborate`,
read back the way a calendar program or a script would."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
from icalendar import Calendar

from citydata import lifecycle
from citydata.output import ics
from citydata.query import collaboration, opportunities, pipeline
from citydata.query.filters import FilterState
from citydata.store import vendors
from tests import command
from tests.calendar_data import build_db, built_days_ago, row

STAMP = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
LEAD = pipeline.LeadTimes(default=18, by_area=(("Housing", 24),))
LEAD_ONE = pipeline.LeadTimes(default=18, by_area=(("Housing", 1),))


cli = command.run


def events(data: bytes) -> list:
    return Calendar.from_ical(data).events


@pytest.fixture
def small(tmp_path):
    return build_db(
        tmp_path,
        [
            row("Camden", "2027-03-31", system="Mosaic", vendor="Servelec", area="Housing"),
            row("Hammersmith and Fulham", "2027-06-30", system="Système Café", vendor="Ñandú Ltd"),
            row("Hackney", "2028-01-31", system="=cmd|' /C calc'!A0", vendor="@SUM(1)"),
            row("Brent", None, system="Rolling"),
        ],
    )


def test_every_dated_record_gives_an_end_event_and_a_decide_by_event(small):
    with small.read() as r:
        records = pipeline.with_decide_by(r, FilterState(), LEAD)
    data = ics.build(records, stamp=STAMP)
    cal = Calendar.from_ical(data)
    assert cal["VERSION"] == "2.0" and cal["PRODID"] == ics.PRODID
    found = cal.events
    assert len(found) == 6 == ics.event_count(records), "3 dated records x 2; Brent has no end"
    summaries = sorted(str(e["SUMMARY"]) for e in found)
    assert "Contract ends: Camden – Mosaic (Servelec)" in summaries
    assert "Decide by: Camden – Mosaic (Servelec)" in summaries
    assert not any("Rolling" in s for s in summaries)


def test_a_lead_time_of_one_month_is_one_month(small):
    with small.read() as r:
        records = pipeline.with_decide_by(r, FilterState(borough=("Camden",)), LEAD_ONE)
    end = next(e for e in events(ics.build(records, stamp=STAMP)) if "ends" in str(e["SUMMARY"]))
    assert "Decide by: 28 Feb 2027 (1 month before the end)" in str(end["DESCRIPTION"])


def test_events_are_all_day_on_the_right_dates(small):
    with small.read() as r:
        records = pipeline.with_decide_by(r, FilterState(borough=("Camden",)), LEAD)
    by_summary = {str(e["SUMMARY"]): e for e in events(ics.build(records, stamp=STAMP))}
    end = by_summary["Contract ends: Camden – Mosaic (Servelec)"]
    decide = by_summary["Decide by: Camden – Mosaic (Servelec)"]
    assert end.start == date(2027, 3, 31) and not isinstance(end.start, datetime)
    assert end.end == end.start + timedelta(days=1)
    assert decide.start == date(2025, 3, 31), "Housing: 24 months before"
    assert "Decide by: 31 Mar 2025 (24 months before the end)" in str(end["DESCRIPTION"])
    assert str(end["TRANSP"]) == "TRANSPARENT"
    assert end["DTSTAMP"].dt == STAMP


def test_uids_are_stable_unique_and_survive_a_moved_end_date(small, tmp_path):
    with small.read() as r:
        records = pipeline.with_decide_by(r, FilterState(), LEAD)
    first = [str(e["UID"]) for e in events(ics.build(records, stamp=STAMP))]
    again = [str(e["UID"]) for e in events(ics.build(records))]
    assert first == again and len(set(first)) == len(first)
    moved = records.copy()
    moved.loc[0, "contract_end"] = pd.Timestamp("2027-09-30")
    assert [str(e["UID"]) for e in events(ics.build(moved))] == first
    twice = pd.concat([records.iloc[:1], records.iloc[:1]], ignore_index=True)
    uids = [str(e["UID"]) for e in events(ics.build(twice))]
    assert len(set(uids)) == 4, "identical records still get distinct UIDs"


def test_a_feed_is_written_again_only_when_its_events_change(small, tmp_path):
    """Every `alerts send` and every change on the Alerts page wrote each feed again, a second
    or so a few thousand events, with a new DTSTAMP on every event although none had changed.
    Now an unchanged feed is left as it is; a moved date, a changed value or a new name is
    written at once."""
    with small.read() as r:
        records = pipeline.with_decide_by(r, FilterState(), LEAD)
    feed = tmp_path / "feeds" / "camden.ics"
    assert ics.write(feed, records, name="City Tools: mine", identity="mine")
    first = feed.read_bytes()
    assert len(events(first)) == 6 and Calendar.from_ical(first)["X-WR-CALNAME"] == (
        "City Tools: mine"
    )
    assert not ics.write(feed, records.copy(), name="City Tools: mine", identity="mine")
    assert feed.read_bytes() == first, "nothing changed, so the file (and its DTSTAMP) stays"

    moved = records.copy()
    moved.loc[0, "contract_end"] = pd.Timestamp("2027-09-30")
    assert ics.write(feed, moved, name="City Tools: mine", identity="mine")
    ends = [e.start for e in events(feed.read_bytes()) if "ends" in str(e["SUMMARY"])]
    assert date(2027, 9, 30) in ends
    valued = moved.copy()
    valued.loc[1, "annual_value"] = 12_345.0
    assert ics.write(feed, valued, name="City Tools: mine", identity="mine")
    assert any("Annual value: £12,345" in str(e["DESCRIPTION"]) for e in events(feed.read_bytes()))
    assert ics.write(feed, valued, name="City Tools: renamed", identity="mine")
    assert not list(feed.parent.glob(".*partial")), "written in one step"
    feed.write_bytes(b"not a calendar")  # whatever is there, it is not this calendar
    assert ics.write(feed, valued, name="City Tools: renamed", identity="mine")
    assert len(events(feed.read_bytes())) == 6


def test_uids_survive_grouping_a_vendor_name_and_taking_an_alias_away(tmp_path):
    """The UIDs were made of the canonical vendor: grouping "Servelec" under another name, or
    taking away the alias that groups "Civica UK Ltd" as Civica, gave every such contract new
    UIDs, and a calendar that imported the newer file held each of its events twice. The
    Calendar page, `export --format ics`, the alerts' feeds and the Coming to market feed."""
    db = build_db(
        tmp_path,
        [
            row("Camden", "2027-03-31", system="Mosaic", vendor="Servelec", area="Housing"),
            row("Hackney", "2027-06-30", system="Parking", vendor="Civica UK Ltd", area="Parking"),
            row("Brent", "2028-01-31", system="Open Housing", vendor="Capita"),
        ],
    )
    today = date(2026, 11, 26)

    def calendars() -> list[tuple[list[str], list[str]]]:
        with db.read() as r:
            found = [
                pipeline.with_decide_by(r, FilterState(), LEAD),
                opportunities.feed_records(r, FilterState(), LEAD, 3, today, ics.MAX_CONTRACTS),
            ]
        return [
            ([str(e["UID"]) for e in got], sorted(str(e["SUMMARY"]) for e in got))
            for got in (events(ics.build(records)) for records in found)
        ]

    try:
        before = calendars()
        assert "Contract ends: Hackney – Parking (Civica)" in before[0][1]
        vendors.accept_alias(db, "Servelec", "Servelec Group", "ann")
        with db.write() as w:
            w.execute("DELETE FROM vendor_aliases WHERE alias = 'civica uk ltd'")
        after = calendars()
    finally:
        db.close()
    for (uids, _), (again, summaries) in zip(before, after, strict=True):
        assert again == uids and len(uids) == 6
        assert "Contract ends: Camden – Mosaic (Servelec Group)" in summaries, "shown canonical"
        assert "Contract ends: Hackney – Parking (Civica UK Ltd)" in summaries


def test_names_survive_in_utf8_and_formula_text_stays_harmless(small):
    with small.read() as r:
        records = pipeline.with_decide_by(r, FilterState(), LEAD)
    data = ics.build(records, stamp=STAMP)
    text = data.decode("utf-8")
    assert "\r\n" in text, "RFC 5545 line endings"
    summaries = [str(e["SUMMARY"]) for e in events(data)]
    assert "Contract ends: Hammersmith and Fulham – Système Café (Ñandú Ltd)" in summaries
    for summary in summaries:
        assert summary.startswith(("Contract ends: ", "Decide by: ")), summary
    descriptions = [str(e["DESCRIPTION"]) for e in events(data)]
    for description in descriptions:
        for line in description.splitlines():
            assert not line.startswith(("=", "+", "-", "@")), line


def test_a_contract_naming_no_vendor_says_so_in_the_calendar_and_the_alert(tmp_path):
    """A record naming no vendor (published notices often name none) made the event "Contract
    ends: Camden – Open Housing ()", with "Vendor: " empty in its description, and the same
    "()" in an alert's line."""
    from citydata.output import alerts

    db = build_db(tmp_path, [row("Camden", "2027-03-31", vendor=None)])
    with db.read() as r:
        df = pipeline.with_decide_by(r, FilterState(), LEAD)
    db.close()
    titles = sorted(str(e.get("SUMMARY")) for e in events(ics.build(df, stamp=STAMP)))
    assert titles == [
        "Contract ends: Camden – Open Housing (vendor not given)",
        "Decide by: Camden – Open Housing (vendor not given)",
    ]
    description = str(events(ics.build(df, stamp=STAMP))[0].get("DESCRIPTION"))
    assert "Vendor: (vendor not given)" in description
    line = alerts._line(df.to_dict("records")[0], "ending")
    assert line.startswith("- Camden – Open Housing (vendor not given): decide by ")


def test_a_contract_naming_no_system_says_so_in_the_calendar(tmp_path):
    """A register may name a contract's vendor and leave its system blank: its events read
    "Contract ends: Camden –  (Capita)", with "System: " empty in the description."""
    db = build_db(tmp_path, [row("Camden", "2027-03-31", system=None)])
    with db.read() as r:
        df = pipeline.with_decide_by(r, FilterState(), LEAD)
    db.close()
    found = events(ics.build(df, stamp=STAMP))
    assert sorted(str(e.get("SUMMARY")) for e in found) == [
        "Contract ends: Camden – system not given (Capita)",
        "Decide by: Camden – system not given (Capita)",
    ]
    assert "System: system not given" in str(found[0].get("DESCRIPTION"))


def test_cli_export_ics_uses_the_same_filters_as_the_app(db_path):
    done = cli(
        "export", "--format", "ics", "--borough", "Camden", "--borough", "Hackney", db=db_path
    )
    assert done.returncode == 0, done.stderr
    found = events(done.stdout)
    lead = pipeline.load_lead_times()
    database = lifecycle.open_store(db_path)
    with database.read() as r:
        records = pipeline.with_decide_by(r, FilterState(borough=("Camden", "Hackney")), lead)
        dated = r.scalar(
            "SELECT count(*) FROM current_contracts WHERE borough IN ('Camden', 'Hackney') "
            "AND contract_end IS NOT NULL"
        )
    database.close()
    assert len(found) == 2 * dated == ics.event_count(records)
    assert {str(e["SUMMARY"]).split(": ", 1)[1].split(" – ")[0] for e in found} == {
        "Camden",
        "Hackney",
    }
    cal = Calendar.from_ical(done.stdout)  # named, and identified, by what it holds
    assert cal["X-WR-CALNAME"] == "City Tools: Contracts where borough is Camden or Hackney"
    assert str(cal["UID"]) == ics.calendar_uid(
        ics.for_selection(FilterState(borough=("Camden", "Hackney")))[1]
    )


def test_cli_export_ics_to_a_file_and_refusal_of_a_bad_lead_time_file(db_path, tmp_path):
    out = tmp_path / "dates.ics"
    done = cli("export", "--format", "ics", "--service-area", "Housing", "-o", str(out), db=db_path)
    assert done.returncode == 0, done.stderr
    assert b"events for" in done.stderr and len(events(out.read_bytes())) > 0
    bad = tmp_path / "lead.toml"
    bad.write_text("default = -3\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CITYTOOLS_LEAD_TIMES", str(bad))
        done = command.run("export", "--format", "ics", db=db_path)
    assert done.returncode == 1 and b"between 0 and 120" in done.stderr
    assert b"Traceback" not in done.stderr


def test_cli_export_ics_of_no_dated_contract_is_refused_not_an_empty_calendar(db_path, tmp_path):
    """RFC 5545 wants at least one component in a calendar; a file with none is refused by some
    calendar programs and useless to all (the Calendar page offers no download then)."""
    out = tmp_path / "dates.ics"
    args = ("export", "--format", "ics", "--end-from", "2099-01-01", "-o", str(out))
    done = cli(*args, db=db_path)
    assert done.returncode == 1 and not out.exists()
    assert b"No record these filters select has an end date" in done.stderr
    assert b"Nothing was written." in done.stderr


def test_cli_collaborate_json_matches_the_query(db_path):
    args = ["collaborate", "--by", "system", "--window-months", "6", "--json"]
    area = "Corporate IT and infrastructure"
    done = cli(*args, "--today", "2026-11-26", "--service-area", area, db=db_path)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    database = lifecycle.open_store(db_path)
    q = collaboration.Query("system", 6)
    state = FilterState(service_area=(area,))
    with database.read() as r:
        groups = collaboration.groups(r, state, q, date(2026, 11, 26))
    database.close()
    assert out["by"] == "system" and out["window_months"] == 6
    assert [g["key"] for g in out["groups"]] == groups["key"].tolist()
    assert [g["borough_count"] for g in out["groups"]] == groups["boroughs"].tolist()
    for g in out["groups"]:
        assert len(g["boroughs"]) == g["borough_count"] >= 2
        assert len(g["members"]) == g["contracts"]
        ends = [m["contract_end"] for m in g["members"]]
        assert ends == sorted(ends) and ends[0] == g["first_end"] and ends[-1] == g["last_end"]
        first = date.fromisoformat(g["first_end"])
        assert date.fromisoformat(g["last_end"]) <= first + timedelta(days=184)


def test_cli_collaborate_plain_text_and_usage_errors(db_path):
    done = cli("collaborate", "--by", "vendor", "--today", "2026-11-26", db=db_path)
    assert done.returncode == 0 and done.stdout.startswith(b"1. ")
    done = cli("collaborate", "--search", "nothing like this", db=db_path)
    assert done.returncode == 0 and b"No two boroughs" in done.stdout
    for bad in (["--by", "borough"], ["--window-months", "0"], ["--today", "31/12/2026"]):
        done = cli("collaborate", *bad, db=db_path)
        assert done.returncode == 2, bad
        assert b"Traceback" not in done.stderr


def test_the_page_says_what_the_file_holds_and_when_it_is_cut():
    assert ics.describe(12).startswith("24 all-day events: the end date of each of the 12 ")
    assert ics.describe(1).startswith(
        "2 all-day events: the end date of the contract above and the date to decide on its "
    )
    cut = ics.describe(5_000, limit=2_000)
    assert cut.startswith("4,000 all-day events: the end date of the 2,000 contracts ending ")
    assert "(of the 5,000 above)" in cut and "Narrow the filters" in cut


def test_cli_calendar_holds_the_contracts_ending_nearest_today_at_most(
    db_path, tmp_path, monkeypatch, capsys
):
    from citydata import cli as citydata_cli

    monkeypatch.setattr(ics, "MAX_CONTRACTS", 5)
    out = tmp_path / "dates.ics"
    assert (
        citydata_cli.main(["export", "--format", "ics", "--db", str(db_path), "-o", str(out)]) == 0
    )
    found = events(out.read_bytes())
    assert 5 <= len(found) <= 10  # an end date and, for most, a decide-by date per contract
    assert "5 contracts (the most a calendar holds: those ending nearest today)" in (
        capsys.readouterr().err
    )


def test_a_row_without_the_vendor_as_written_cannot_make_a_uid():
    """A query feeding a calendar without `vendor_as_written` once fell back to the canonical
    vendor: every alias a steward added then made that vendor's events new in every calendar
    that had imported them. Such a query now fails its tests instead."""
    record = {"borough_code": "E09000007", "source_ref": "R1", "service_area": "Housing",
              "system": "Mosaic", "vendor": "Servelec"}  # fmt: skip
    with pytest.raises(KeyError, match="vendor_as_written"):
        ics.uid(record, "end")
    assert ics.uid(record | {"vendor_as_written": "Servelec Ltd"}, "end") != ics.uid(
        record | {"vendor_as_written": "Servelec"}, "end"
    )


def test_an_events_version_rises_when_its_record_changes_and_is_the_same_in_every_file(small):
    """Events carried no SEQUENCE or LAST-MODIFIED, so a calendar program that keeps the
    version it imported could keep an old end date. They come from when the record last
    changed (its snapshot's time), never from the clock: two files of the same data give the
    same events."""
    from citydata import ingest
    from citydata.store import snapshots

    built_days_ago(small, 1)  # (a version counts whole seconds: the data was made before)

    def camden() -> dict:
        with small.read() as r:
            found = pipeline.with_decide_by(r, FilterState(borough=("Camden",)), LEAD)
        by_summary = {str(e["SUMMARY"]): e for e in events(ics.build(found, stamp=STAMP))}
        return by_summary["Contract ends: Camden – Mosaic (Servelec)"]

    before, again = camden(), camden()
    assert before.to_ical() == again.to_ical(), "the same data, the same event"
    assert isinstance(before["SEQUENCE"], int)
    modified = before["LAST-MODIFIED"].dt
    assert modified.tzinfo is not None and modified.utcoffset() == timedelta(0), "UTC, per RFC"
    assert before["DTSTAMP"].dt == STAMP

    moved = (
        b"Borough,Service area,System,Vendor,Contract end,Reference\r\n"
        b"Camden,Housing,Mosaic,Servelec,2027-09-30,REF-001\r\n"
    )
    snapshots.commit(small, ingest.prepare(moved, "camden.csv", borough="Camden"), moved, "ann")
    after = camden()
    assert str(after["UID"]) == str(before["UID"]) and after.start == date(2027, 9, 30)
    assert after["SEQUENCE"] > before["SEQUENCE"], "a newer version, which programs take"
    assert after["LAST-MODIFIED"].dt >= modified


@pytest.mark.parametrize(
    ("stored", "utc"),
    [("2026-07-14 14:03:00", datetime(2026, 7, 14, 13, 3)), ("2026-01-14 14:03:00", None)],
)
def test_an_events_last_modified_reads_the_stored_time_as_london_s(small, stored, utc):
    """Times are stored as London's wall clock (citydata.core.dates.now); LAST-MODIFIED read
    them as the server's, so a snapshot stored at 14:03 in summer said 14:03 UTC on a server
    in UTC, an hour later than it was."""
    with small.read() as r:
        records = pipeline.with_decide_by(r, FilterState(borough=("Camden",)), LEAD)
    records["revised_at"] = pd.Timestamp(stored)
    (event, *_) = events(ics.build(records, stamp=STAMP))
    expected = (utc or datetime.fromisoformat(stored)).replace(tzinfo=UTC)
    assert event["LAST-MODIFIED"].dt == expected


def test_each_selection_and_each_feed_is_a_calendar_of_its_own(small, tmp_path):
    """Every calendar had the UID calendar@citytools-explorer and one name, so two subscribed
    (two boroughs' feeds, a filtered and an unfiltered one) were one calendar to a program."""
    with small.read() as r:
        records = pipeline.with_decide_by(r, FilterState(), LEAD)

    def own(data: bytes) -> tuple[str, str]:
        cal = Calendar.from_ical(data)
        assert cal["X-WR-RELCALID"] == cal["UID"]
        return str(cal["UID"]), str(cal["X-WR-CALNAME"])

    camden, hackney, both, everything = (
        own(ics.build(records, stamp=STAMP, name=name, identity=identity))
        for name, identity in (
            ics.for_selection(FilterState(borough=("Camden",))),
            ics.for_selection(FilterState(borough=("Hackney",))),
            ics.for_selection(FilterState(borough=("Hackney", "Camden"))),
            ics.for_selection(FilterState()),
        )
    )
    assert len({camden[0], hackney[0], both[0], everything[0]}) == 4
    assert camden[1] == "City Tools: Contracts where borough is Camden"
    assert everything[1] == "City Tools: All contracts"
    same = ics.for_selection(FilterState(borough=("Camden", "Hackney")))
    assert ics.calendar_uid(same[1]) == both[0], "the same filters in another order: the same"
    feeds = []
    for token in ("a" * 32, "b" * 32):  # two subscriptions' feeds, both named "mine"
        path = tmp_path / f"{token}.ics"
        ics.write(path, records, name="City Tools: mine", identity=f"feed\x1f{token}")
        feeds.append(own(path.read_bytes())[0])
    assert feeds[0] != feeds[1] and "a" * 32 not in feeds[0], "the token is never written out"
