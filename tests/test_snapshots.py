"""Snapshots: preview, commit (atomic, all or nothing), rollback, history, concurrent readers."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest

from citydata import lifecycle
from citydata.ingest.report import Problem
from citydata.store import incoming, matches, previews, rawfiles, rollbacks, snapshots, versions
from citydata.store.previews import CommitRefused
from tests.snapshot_helpers import borough_records, dump, prepared

CAMDEN, HACKNEY = "E09000007", "E09000012"
CURRENT_CAMDEN = (
    f"SELECT * EXCLUDE (snapshot_id) FROM current_contracts WHERE borough_code = '{CAMDEN}'"
    " ORDER BY ALL"
)


def edited_camden(db) -> pd.DataFrame:
    """Camden's register with one record's value and end date changed, one gone, one new."""
    df = borough_records(db, CAMDEN)
    df.loc[0, "annual_value"] = Decimal("1.5")
    df.loc[1, "contract_end"] = date(2031, 3, 31)
    df = df.drop(index=[2])
    new = df.iloc[0].copy()
    new["system"], new["source_ref"], new["vendor"] = "Brand New System", "NEW-1", "Newco Ltd"
    return pd.concat([df, new.to_frame().T], ignore_index=True)


def test_preview_counts_added_removed_and_changed_fields_and_writes_nothing(db):
    before = dump(db)
    camden = edited_camden(db)
    [change] = previews.preview(db, prepared(camden))
    assert (change.borough, change.base_source) == ("Camden", "demo")
    assert change.before == len(camden) and change.after == len(camden)
    assert list(change.diff.added["system"]) == ["Brand New System"]
    assert len(change.diff.removed) == 1
    fields = change.diff.changed[["field", "before", "after"]].to_dict("records")
    assert {"field": "Annual value (£)", "before": fields[0]["before"], "after": "£1.50"} in fields
    assert any(f["field"] == "Contract end" and f["after"] == "31 Mar 2031" for f in fields)
    assert change.diff.records_changed == 2
    assert dump(db) == before


def test_commit_makes_one_new_active_snapshot_and_keeps_the_previous(db):
    content = b"the file's own bytes\n"
    camden = edited_camden(db)
    problems = [Problem(40, "End", "31/02/2026", "Not a date", "refused")]
    with db.read() as r:
        old_id = snapshots.active(r)[CAMDEN]
        hackney_before = r.rows(
            f"SELECT * FROM current_contracts WHERE borough_code = '{HACKNEY}' ORDER BY ALL"
        )
    [new_id] = snapshots.commit(db, prepared(camden, problems=problems), content, "ann@camden")
    with db.read() as r:
        snap = snapshots.snapshot(r, new_id)
        assert snapshots.snapshot(r, old_id)["status"] == "superseded"
        assert snapshots.active(r)[CAMDEN] == new_id
        current = r.df(f"SELECT * FROM current_contracts WHERE borough_code = '{CAMDEN}'")
        stored = rawfiles.content(r, snap["file_hash"])
        hackney_after = r.rows(
            f"SELECT * FROM current_contracts WHERE borough_code = '{HACKNEY}' ORDER BY ALL"
        )
        old_rows = r.scalar("SELECT count(*) FROM contracts WHERE snapshot_id = $i", {"i": old_id})
    assert snap["status"] == "active" and snap["source"] == "upload"
    assert snap["created_by"] == "ann@camden" and snap["file_name"] == "register.csv"
    assert snap["file_hash"] == hashlib.sha256(content).hexdigest() and stored == content
    assert (snap["rows_imported"], snap["rows_rejected"]) == (len(camden), 1)
    assert json.loads(snap["mapping"])["system"] == "system"
    assert len(current) == len(camden) and set(current["source"]) == {"upload"}
    assert "Brand New System" in set(current["system"])
    changed = current.set_index("source_ref").loc[camden.loc[0, "source_ref"]]
    assert float(changed["annual_value"]) == 1.5
    assert hackney_after == hackney_before, "other boroughs keep what they had"
    assert old_rows > 0, "the superseded snapshot's records are kept"


@pytest.mark.parametrize("slice_size", [incoming._SLICE, 3], ids=["one slice", "slices of 3"])
def test_a_file_of_several_boroughs_commits_all_or_nothing(db, monkeypatch, slice_size):
    monkeypatch.setattr(incoming, "_SLICE", slice_size)  # records inserted a slice at a time
    hackney = borough_records(db, HACKNEY)
    hackney.loc[0, "annual_value"] = Decimal("2.5")
    both = pd.concat([edited_camden(db), hackney])
    before = dump(db)
    real = matches.refresh

    def fail_at_the_end(w, ids):  # the commit's last step: snapshots, records, file written
        real(w, ids)
        raise RuntimeError("disk full")

    monkeypatch.setattr(matches, "refresh", fail_at_the_end)
    with pytest.raises(RuntimeError):
        snapshots.commit(db, prepared(both), b"x", "ann")
    assert dump(db) == before
    monkeypatch.setattr(matches, "refresh", real)
    ids = snapshots.commit(db, prepared(both), b"x", "ann")
    with db.read() as r:
        assert sorted(snapshots.active(r)[c] for c in (CAMDEN, HACKNEY)) == sorted(ids)


@pytest.mark.parametrize("case", ["refused file", "no rows accepted", "unknown borough"])
def test_a_refused_commit_leaves_the_database_and_its_file_identical(db_path, case):
    original = db_path.read_bytes()
    db = lifecycle.open_store(db_path)
    records = borough_records(db, CAMDEN)
    before = dump(db)
    if case == "refused file":
        p = prepared(records, refused="This file has no column for the system.")
    elif case == "no rows accepted":
        p = prepared(records.iloc[0:0])
    else:
        records["borough_code"] = "E09999999"
        p = prepared(records)
    with pytest.raises(CommitRefused):
        snapshots.commit(db, p, b"bytes", "ann")
    assert dump(db) == before
    db.close()
    assert db_path.read_bytes() == original


def test_commit_refuses_when_the_borough_changed_since_the_preview(db):
    camden = edited_camden(db)
    [change] = previews.preview(db, prepared(camden))
    other = borough_records(db, CAMDEN)
    other.loc[0, "annual_value"] = Decimal("7")
    snapshots.commit(db, prepared(other), b"other", "bob")
    with pytest.raises(CommitRefused, match="changed since this preview"):
        snapshots.commit(
            db, prepared(camden), b"mine", "ann", expect={CAMDEN: change.base_snapshot_id}
        )


def test_rollback_is_a_new_snapshot_copying_the_earlier_records(db):
    with db.read() as r:
        demo_id = snapshots.active(r)[CAMDEN]
        demo_rows = r.rows(CURRENT_CAMDEN)
    [upload_id] = snapshots.commit(db, prepared(edited_camden(db)), b"x", "ann")
    back = rollbacks.rollback(db, demo_id, "bob")
    with db.read() as r:
        snap = snapshots.snapshot(r, back)
        rows = r.rows(CURRENT_CAMDEN)
        assert snapshots.snapshot(r, upload_id)["status"] == "superseded"
        assert previews.compare(r, demo_id, back).is_empty
        assert not previews.compare(r, upload_id, back).is_empty
        history = snapshots.history(r, CAMDEN)
    assert rows == demo_rows
    assert (snap["source"], snap["restored_from"], snap["created_by"]) == (
        "rollback",
        demo_id,
        "bob",
    )
    assert list(history["id"]) == [back, upload_id, demo_id]
    with pytest.raises(CommitRefused, match="already"):
        rollbacks.rollback(db, back, "bob")
    with pytest.raises(CommitRefused, match=r"Nothing would change.*already holds the records"):
        rollbacks.rollback(db, demo_id, "bob")  # twice to the same: no copy of a copy
    with pytest.raises(CommitRefused, match="no snapshot"):
        rollbacks.rollback(db, 99999, "bob")
    forward = rollbacks.rollback(db, upload_id, "bob")
    with db.read() as r:  # what the History page and `rollback` say after each
        assert snapshots.illustrative_again(r, back) == (
            "Camden shows illustrative data again: its register records are generated"
            " examples, not real contracts, until a data steward uploads its register."
        )
        assert snapshots.illustrative_again(r, forward) == ""


def test_an_upload_after_rolling_back_to_the_illustrative_data_says_it_replaces_it(db):
    """Camden's upload undone: its illustrative data is current again, and the next upload's
    preview says it replaces the illustrative data, as before the first upload."""
    first = previews.preview(db, prepared(edited_camden(db)))
    assert list(snapshots.changes_table(first)["Replaces"]) == ["illustrative data"]
    with db.read() as r:
        demo_id = snapshots.active(r)[CAMDEN]
    snapshots.commit(db, prepared(edited_camden(db)), b"x", "ann")
    back = rollbacks.rollback(db, demo_id, "bob")
    again = previews.preview(db, prepared(edited_camden(db)))
    assert again[0].base_snapshot_id == back
    assert list(snapshots.changes_table(again)["Replaces"]) == ["illustrative data"]


def test_every_change_moves_the_data_version_forward(db):
    seen = [versions.data_version(db)]
    with db.read() as r:
        demo_id = snapshots.active(r)[CAMDEN]
    snapshots.commit(db, prepared(edited_camden(db)), b"x", "ann")
    seen.append(versions.data_version(db))
    rollbacks.rollback(db, demo_id, "ann")
    seen.append(versions.data_version(db))
    assert seen == sorted(set(seen))


def test_readers_during_repeated_commits_always_see_one_whole_snapshot(db):
    """Per-borough counts in a read equal the active snapshot's rows_imported, always."""
    camden = borough_records(db, CAMDEN)
    files = [prepared(camden.iloc[:n]) for n in (3, len(camden), 7, 1, 11, 5)]
    stop = threading.Event()
    errors: list[BaseException] = []
    reads = [0]

    def read_forever() -> None:
        try:
            while not stop.is_set():
                with db.read() as r:
                    counted = r.scalar(
                        f"SELECT count(*) FROM current_contracts WHERE borough_code = '{CAMDEN}'"
                    )
                    expected = r.scalar(
                        "SELECT rows_imported FROM snapshots WHERE borough_code = $c"
                        " AND status = 'active'",
                        {"c": CAMDEN},
                    )
                    active = r.scalar("SELECT count(*) FROM snapshots WHERE status = 'active'")
                assert counted == expected and active == 33, (counted, expected, active)
                reads[0] += 1
        except BaseException as exc:
            errors.append(exc)

    readers = [threading.Thread(target=read_forever) for _ in range(6)]
    for t in readers:
        t.start()
    try:
        for _ in range(5):
            for p in files:
                snapshots.commit(db, p, b"x", "ann")
    finally:
        stop.set()
        for t in readers:
            t.join()
    assert errors == []
    assert reads[0] > 0
    with db.read() as r:
        assert (
            r.scalar("SELECT count(*) FROM snapshots WHERE borough_code = $c", {"c": CAMDEN}) == 31
        )


def test_problems_table_says_what_happened_to_each_row():
    table = snapshots.problems_table(
        [
            Problem(None, None, None, "Two columns are both called End", "warning"),
            Problem(12, "Vendor", "", "The vendor is missing", "refused"),
            Problem(14, None, "Total", "Line 14 is a total row and was skipped.", "skipped"),
            Problem(15, "Hosting", "cloud-ish", "Hosting not recognised", "warning"),
        ]
    )
    assert list(table.columns) == ["Row", "Column", "Value", "Problem", "Outcome"]
    assert list(table["Outcome"]) == [
        "not imported",
        "skipped, not imported",
        "imported with a change",
    ]
    assert table["Row"].tolist() == [12, 14, 15], "a note about the file is shown apart"
    refused_file = snapshots.problems_table(
        [Problem(15, "Hosting", "cloud-ish", "Hosting not recognised", "warning")], True
    )
    assert list(refused_file["Outcome"]) == ["not imported"], "no row of a refused file is"


def test_a_file_that_changes_nothing_is_refused_and_a_partly_unchanged_one_stores_only_changes(
    db_path,
):
    db = lifecycle.open_store(db_path)
    try:
        same = pd.concat([borough_records(db, CAMDEN), borough_records(db, HACKNEY)])
        before, original = dump(db), None
        with pytest.raises(snapshots.NothingChanged) as refused:
            snapshots.commit(db, prepared(same), b"same", "ann")
        assert str(refused.value) == (
            "Nothing would change: this file's records are the same as the current data of "
            "Camden (snapshot 7), Hackney (snapshot 12), so no new snapshot was made."
        )
        assert dump(db) == before, "no duplicate snapshot, no stored file"
        with db.read() as r:
            original = snapshots.active(r)
        mixed = pd.concat([edited_camden(db), borough_records(db, HACKNEY)])
        ids = snapshots.commit(db, prepared(mixed), b"mixed", "ann")
        with db.read() as r:
            now = snapshots.active(r)
        assert [now[CAMDEN]] == ids, "only Camden changed, so only Camden has a new snapshot"
        assert now[HACKNEY] == original[HACKNEY]
    finally:
        db.close()
