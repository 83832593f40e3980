"""An event's version (SEQUENCE, LAST-MODIFIED) in the calendar files: it rises whenever what
a calendar shows of the event changes, whatever changed it, and never falls, so Outlook and
Google Calendar take the newer event when a file is imported again or a feed refreshed."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pandas as pd
from icalendar import Calendar

from citydata import ingest
from citydata.core import dates
from citydata.output import backup, ics, restores
from citydata.query import pipeline
from citydata.query.filters import FilterState
from citydata.store import snapshots, vendors
from tests.calendar_data import build_db, built_days_ago, row

STAMP = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
CAMDEN = FilterState(borough=("Camden",))
ROWS = [
    row("Camden", "2027-03-31", system="Mosaic", vendor="Servelec", area="Housing"),
    row("Hackney", "2027-06-30", system="Parking", vendor="Civica", area="Parking"),
]


def camden_events(db, lead) -> dict[str, object]:
    """Camden's two events, by kind ('end', 'decide')."""
    with db.read() as r:
        records = pipeline.with_decide_by(r, CAMDEN, lead)
    found = Calendar.from_ical(ics.build(records, stamp=STAMP)).events
    return {"end" if "ends" in str(e["SUMMARY"]) else "decide": e for e in found}


def lead_file(path, months: int, days_ago: float = 0):
    """A lead-time file giving Housing `months`, modified `days_ago` days ago, read as lead times
    last changed then (a file's ctime, which the events' versions follow too, cannot be set
    back, so a reading of `days_ago` says so itself)."""
    path.write_text(f'default = 18\n[service_areas]\n"Housing" = {months}\n', encoding="utf-8")
    moment = (datetime.now(UTC) - timedelta(days=days_ago)).timestamp()
    os.utime(path, (moment, moment))
    lead = pipeline.load_lead_times(path)
    if not days_ago:
        return lead
    return replace(lead, changed_at=dates.now(datetime.fromtimestamp(moment, UTC)))


def test_a_changed_lead_time_raises_the_events_sequence(tmp_path):
    """Changing data/lead_times.toml moved every decide-by date and rewrote every event's text
    ("Decide by: ... (24 months before the end)"), but SEQUENCE stayed the snapshot's id, so a
    calendar program that had the events kept the old decide-by date. Now it rises."""
    db = build_db(tmp_path, ROWS)
    try:
        built_days_ago(db, 3)
        before = camden_events(db, lead_file(tmp_path / "lead.toml", 24, days_ago=2))
        after = camden_events(db, lead_file(tmp_path / "lead.toml", 12))
    finally:
        db.close()
    assert str(after["decide"]["UID"]) == str(before["decide"]["UID"]), "the same event"
    assert after["decide"].start != before["decide"].start, "its date moved"
    for kind in ("end", "decide"):  # (both describe the decide-by date)
        assert after[kind]["SEQUENCE"] > before[kind]["SEQUENCE"]
        assert after[kind]["LAST-MODIFIED"].dt > before[kind]["LAST-MODIFIED"].dt


def test_a_lead_time_file_deleted_or_put_back_older_never_lowers_the_sequence(tmp_path):
    """The version followed the lead-time file's modification time: deleting the file (every
    service area back to the default) or putting back an older copy (`cp -p`, a file restored
    from a backup) moved every decide-by date, but SEQUENCE fell, and a calendar program keeps
    the event of the higher SEQUENCE: the old decide-by date. Now it never falls."""
    db = build_db(tmp_path, ROWS)
    path = tmp_path / "config" / "lead.toml"
    path.parent.mkdir()
    try:
        built_days_ago(db, 3)
        given = camden_events(db, lead_file(path, 24, days_ago=1))
        path.unlink()  # back to the default: 18 months
        deleted = camden_events(db, pipeline.lead_times_or_default(path)[0])
        older = tmp_path / "older.toml"
        lead_file(older, 30, days_ago=2)
        older.rename(path)  # an older copy put back, its own modification time kept
        put_back = camden_events(db, pipeline.load_lead_times(path))
    finally:
        db.close()
    assert deleted["decide"].start != given["decide"].start != put_back["decide"].start
    for kind in ("end", "decide"):
        assert deleted[kind]["SEQUENCE"] > given[kind]["SEQUENCE"]
        # (the same second as the deletion here: SEQUENCE counts seconds)
        assert put_back[kind]["SEQUENCE"] >= max(deleted[kind]["SEQUENCE"], given[kind]["SEQUENCE"])


def test_grouping_a_vendor_raises_the_sequence_of_the_events_it_renames(tmp_path):
    """Grouping "Servelec" under "Servelec Group" changed the events' titles but not their
    SEQUENCE: Outlook and Google kept the old title. Now it rises, the UID staying the same."""
    db = build_db(tmp_path, ROWS)
    lead = pipeline.LeadTimes(default=18, by_area=(("Housing", 24),))
    try:
        built_days_ago(db, 3)
        before = camden_events(db, lead)
        vendors.accept_alias(db, "Servelec", "Servelec Group", "ann")
        after = camden_events(db, lead)
    finally:
        db.close()
    assert str(after["end"]["SUMMARY"]) == "Contract ends: Camden – Mosaic (Servelec Group)"
    assert str(after["end"]["UID"]) == str(before["end"]["UID"])
    assert after["end"]["SEQUENCE"] > before["end"]["SEQUENCE"]


def test_the_sequence_never_falls_when_the_database_is_built_again_or_restored(tmp_path):
    """SEQUENCE was the snapshot's id, which starts again at 1 in a database built from
    scratch and goes back to the backup's ids on a restore: a calendar program then kept the
    events it had, whatever the new file said. Now both are newer than anything given before."""
    lead = pipeline.LeadTimes(default=18, by_area=(("Housing", 24),))
    (tmp_path / "old").mkdir()
    db = build_db(tmp_path / "old", ROWS)
    try:
        built_days_ago(db, 30)
        kept = backup.archive_bytes(db)  # a backup of a month ago's data
        for months in (3, 2, 1):  # Camden's register uploaded anew a few times since
            moved = (
                "Borough,Service area,System,Vendor,Contract end,Reference\r\n"
                f"Camden,Housing,Mosaic,Servelec,2027-0{months}-28,REF-001\r\n"
            ).encode()
            commit_camden(db, moved)
            built_days_ago(db, months)
        given = camden_events(db, lead)["end"]
    finally:
        db.close()
    (tmp_path / "new").mkdir()
    again = build_db(tmp_path / "new", ROWS)  # built from scratch: snapshot ids start at 1
    try:
        rebuilt = camden_events(again, lead)["end"]
        restores.restore(again, kept)
        restored = camden_events(again, lead)["end"]
    finally:
        again.close()
    assert str(rebuilt["UID"]) == str(restored["UID"]) == str(given["UID"])
    assert rebuilt.start != given.start and restored.start != given.start
    assert rebuilt["SEQUENCE"] > given["SEQUENCE"]
    assert restored["SEQUENCE"] >= rebuilt["SEQUENCE"] > given["SEQUENCE"]


def commit_camden(db, data: bytes) -> None:
    """Commit `data` as Camden's register, as an upload does."""
    snapshots.commit(db, ingest.prepare(data, "camden.csv", borough="Camden"), data, "ann")


def test_the_sequence_counts_seconds_since_2020_within_the_32_bits_rfc_5545_allows():
    revised = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    records = pd.DataFrame(
        [
            {
                **ROWS[0],
                "contract_end": date(2027, 3, 31),
                "vendor_as_written": "Servelec",
                "revised_at": revised,
            }
        ]
    )
    (event,) = (e for e in Calendar.from_ical(ics.build(records, stamp=STAMP)).events)
    assert event["SEQUENCE"] == int((revised - datetime(2020, 1, 1, tzinfo=UTC)).total_seconds())
    assert (datetime(2088, 1, 1, tzinfo=UTC) - ics.SEQUENCE_EPOCH).total_seconds() < 2**31
