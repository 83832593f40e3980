"""Published notices whose newest release says the contract was withdrawn, cancelled or
unsuccessful: no longer shown as live contracts, counted and said.

Before, a cancellation release of a notice held replaced it with a record with no supplier,
value or end date (a live contract with no vendor); a withdrawn tender, Contracts Finder's
"Withdrawn" status (CSV export and API) were not read at all. Fetches run against the real
localhost replay server of tests/test_fetch.py; every database is a real DuckDB file.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from citydata import ingest
from citydata.feeds import fetch, runs
from citydata.ingest import withdrawn
from citydata.store import changes, previews, snapshots
from tests import command
from tests.test_fetch import (
    AMENDED,
    AMENDMENT,
    AWARD,
    RB_OCID,
    SINCE,
    Replay,
    camden_rb,
    ok,
    release_page,
)


@pytest.fixture
def server(monkeypatch) -> Iterator[Replay]:
    """The publisher's search, replayed on localhost (as in tests/test_fetch.py)."""
    replay = Replay()
    threading.Thread(target=replay.serve_forever, daemon=True).start()
    monkeypatch.setenv("CITYTOOLS_CONTRACTS_FINDER_URL", f"{replay.base}/search")
    yield replay
    replay.shutdown()
    replay.server_close()


DATA = Path(__file__).resolve().parent / "data"
# The award of Camden's revenues and benefits notice cancelled, in a release after its amendment
CANCELLED = AMENDMENT | {
    "id": "cancellation",
    "date": "2025-06-02T10:00:00Z",
    "tag": ["awardUpdate"],
    "awards": [AMENDMENT["awards"][0] | {"status": "cancelled"}],
}
# The same notice's tender withdrawn, before any award was made
WITHDRAWN_TENDER = {
    "ocid": RB_OCID, "id": "withdrawal", "date": "2025-02-01T09:00:00Z", "tag": ["tenderUpdate"],
    "buyer": AWARD["buyer"],
    "tender": AWARD["tender"] | {"status": "withdrawn"},
}  # fmt: skip


def adds_up(run: runs.Run) -> bool:
    left_out = (
        run.held + run.not_technology + run.other_councils + run.refused + run.older
        + run.not_notices + run.withdrawn + run.withdrawn_not_held
    )  # fmt: skip
    return run.notices == run.imported + left_out


def held_before(db) -> list[tuple]:
    """The notice's records in snapshots no longer current: the history keeps them."""
    return db.rows(
        "SELECT c.vendor FROM contracts AS c JOIN snapshots AS s ON s.id = c.snapshot_id"
        " WHERE s.status = 'superseded' AND c.source_ref = $ref",
        {"ref": RB_OCID},
    )


def test_a_fetched_cancellation_takes_the_notice_out_of_the_current_contracts(db, server):
    server.play("page1", ok(release_page(server, AWARD, next_page="page2")))
    server.play("page2", ok(release_page(server, CANCELLED)))
    run = fetch.run(db, "contracts-finder", SINCE, backoff=0.01)
    assert camden_rb(db) == []  # was [(None, None)]: a live contract with no vendor
    assert held_before(db) == [("NEC Software Solutions UK Ltd",)]  # nothing deleted
    assert (run.status, run.notices, run.imported, run.withdrawn) == ("done", 2, 1, 1)
    assert adds_up(run)
    assert "1 notice withdrawn or cancelled: no longer shown." in run.summary()
    [row] = runs.history(db).to_dict("records")
    assert row["withdrawn"] == 1
    assert "1 notice withdrawn or cancelled: no longer shown." in runs.history_line(row)


def test_fetch_history_on_the_command_line_says_and_counts_the_notices_withdrawn(db_path, server):
    # In this process (tests/command.py `run`): the command's words and counts are what is
    # checked, not `python -m` itself; the server fixture points the feed at the replay.
    server.play("page1", ok(release_page(server, AWARD, next_page="page2")))
    server.play("page2", ok(release_page(server, CANCELLED)))
    fetch_args = ["fetch", "contracts-finder", "--since", "2025-01-01"]
    fetched = command.run(*fetch_args, db=db_path, text=True)
    assert fetched.returncode == 0, fetched.stderr
    assert "1 notice withdrawn or cancelled: no longer shown." in fetched.stdout
    said = command.run("fetch-history", db=db_path, text=True)
    assert "1 notice withdrawn or cancelled: no longer shown." in said.stdout
    as_json = command.run("fetch-history", "--json", db=db_path, text=True)
    [line] = json.loads(as_json.stdout)
    assert (line["withdrawn"], line["withdrawn_not_held"], line["kept"]) == (1, 0, 1)


def test_a_cancellation_of_a_notice_not_held_is_left_out_and_counted(db, server):
    server.play("page1", ok(release_page(server, CANCELLED)))
    run = fetch.run(db, "contracts-finder", SINCE, backoff=0.01)
    assert camden_rb(db) == []
    assert (run.status, run.imported, run.withdrawn, run.withdrawn_not_held) == ("done", 0, 0, 1)
    assert adds_up(run)
    assert "Left out: 1 notice withdrawn or cancelled that was not held." in run.summary()
    # said as it is, not "every notice in this file is already held"
    again = fetch.import_file(db, release_page(server, CANCELLED), "cancelled.json", "Ann")
    assert again.status == "done" and "already held" not in again.message.split(", and")[0]
    assert again.message.startswith(
        "Nothing would change: the 1 withdrawn or cancelled notice in this file is not held"
    )


def test_an_older_release_never_brings_a_cancelled_notice_back(db, server):
    for content, name in ((AWARD, "award"), (CANCELLED, "cancelled"), (AMENDMENT, "amended")):
        run = fetch.import_file(db, release_page(server, content), f"{name}.json", "Ann")
        assert run.status == "done", run.message
    assert camden_rb(db) == []
    assert (run.imported, run.older) == (0, 1)
    # a cancellation of a notice not held is kept too: the award, fetched later, stays out
    other = {k: v for k, v in CANCELLED.items()} | {"ocid": RB_OCID + "-2"}
    fetch.import_file(db, release_page(server, other), "other-cancelled.json", "Ann")
    fetch.import_file(db, release_page(server, AWARD | {"ocid": RB_OCID + "-2"}), "o.json", "Ann")
    refs = db.rows("SELECT source_ref FROM current_contracts WHERE source_kind = 'published'")
    assert (RB_OCID + "-2",) not in refs


def test_a_withdrawn_tender_with_no_award_takes_out_the_notice_and_a_later_award_brings_it_back(
    db, server
):
    tender = {k: v for k, v in AWARD.items() if k != "awards"} | {"date": "2025-01-02T09:00:00Z"}
    fetch.import_file(db, release_page(server, tender), "tender.json", "Ann")
    assert camden_rb(db) == [(None, None)]  # a tender, held before its award
    run = fetch.import_file(db, release_page(server, WITHDRAWN_TENDER), "withdrawn.json", "Ann")
    assert camden_rb(db) == [] and run.withdrawn == 1
    # an award published after the withdrawal: the contract is in force again
    fetch.import_file(db, release_page(server, AMENDMENT), "amended.json", "Ann")
    assert camden_rb(db) == AMENDED


def test_one_award_cancelled_beside_one_in_force_keeps_the_notice(db, server):
    awards = [
        AMENDMENT["awards"][0],
        AMENDMENT["awards"][0] | {"id": "2", "status": "cancelled",
                                  "suppliers": [{"name": "Capita Business Services Ltd"}]},
    ]  # fmt: skip
    fetch.import_file(db, release_page(server, AWARD), "award.json", "Ann")
    run = fetch.import_file(
        db, release_page(server, CANCELLED | {"awards": awards}), "two.json", "Ann"
    )
    assert run.withdrawn == 0
    vendors = db.rows(
        "SELECT vendor FROM current_contracts WHERE source_ref = $ref", {"ref": RB_OCID}
    )
    assert vendors == [("NEC Software Solutions",)]


def test_the_upload_preview_lists_the_notice_as_removed_with_the_reason(db, server):
    fetch.import_file(db, release_page(server, AWARD), "award.json", "Ann")
    content = release_page(server, CANCELLED)
    prepared = ingest.prepare(content, "cancelled.json")
    assert prepared.refused is None and prepared.rows_left_out == 1
    [change] = previews.preview(db, prepared)
    removed = change.diff.removed
    assert removed["vendor"].tolist() == ["NEC Software Solutions UK Ltd"]
    assert removed[previews.WHY_REMOVED].tolist() == [
        "Withdrawn or cancelled: the contract was cancelled; no longer shown"
    ]
    # as the Upload page's Removed tab shows it (ui.steward.show_diff)
    shown = changes.readable(removed)
    assert shown[["Vendor", previews.WHY_REMOVED]].values.tolist() == [
        ["NEC Software Solutions UK Ltd", removed[previews.WHY_REMOVED].iloc[0]]
    ]
    [line] = snapshots.changes_table([change]).to_dict("records")
    assert line["Removed"] == 1
    assert "1 notice withdrawn or cancelled: no longer shown" in line["Replaces"]
    ids = snapshots.commit(db, prepared, content, "Ann")
    run = runs.record_upload(db, prepared, "Ann", ids, [change])
    assert camden_rb(db) == [] and run.withdrawn == 1 and adds_up(run)


def test_contracts_finder_api_notice_status_withdrawn_takes_the_notice_out(db):
    doc = json.loads((DATA / "notices" / "cf_api_search.json").read_text(encoding="utf-8"))
    fetch.import_file(db, json.dumps(doc).encode(), "search.json", "Ann")
    camden = doc["noticeList"][0]["item"]
    ref = camden["id"]

    def held() -> int:
        return db.scalar("SELECT count(*) FROM current_contracts WHERE source_ref = $r", {"r": ref})

    assert held() == 1
    later = camden | {"noticeStatus": "Withdrawn", "publishedDate": "2024-05-01T10:00:00Z"}
    run = fetch.import_file(
        db, json.dumps({"hitCount": 1, "noticeList": [{"item": later}]}).encode(), "w.json", "Ann"
    )
    assert held() == 0 and run.withdrawn == 1


def test_contracts_finder_export_status_withdrawn_takes_the_notice_out(db):
    """The real November export (every status "Open") imports as it did; a later export
    where one of Kingston's notices is "Withdrawn" takes it out and keeps the others."""
    content = (DATA / "real" / "cf_export_notices_2025-11.csv").read_bytes()
    prepared = ingest.prepare(content, "notices.csv")
    assert (len(prepared.records), prepared.withdrawn) == (3, [])
    fetch.import_file(db, content, "november.csv", "Ann")
    kingston = "SELECT system FROM current_contracts WHERE borough = 'Kingston upon Thames'"
    kingston += " AND source_kind = 'published' ORDER BY ALL"
    assert len(db.rows(kingston)) == 3
    later, n = re.subn(
        rb',Open,[^,]+,"?PlanX Subscription',
        b',Withdrawn,2025-12-01T09:00:00Z,"PlanX Subscription',
        content,
    )
    assert n == 1
    run = fetch.import_file(db, later, "december.csv", "Ann")
    assert run.status == "done" and run.withdrawn == 1
    assert "PlanX Subscription" not in {s for (s,) in db.rows(kingston)}
    assert len(db.rows(kingston)) == 2


def test_the_ocds_standards_own_unsuccessful_tender_is_read_as_unsuccessful():
    """The Open Contracting Data Standard's example of an unsuccessful tender (tests/data)."""
    doc = json.loads((DATA / "real" / "ocds_standard_unsuccessful_tender.json").read_bytes())
    [release] = doc["releases"]
    assert withdrawn.ended(release) == "unsuccessful"
    assert withdrawn.ended(AWARD) is None and withdrawn.ended(CANCELLED) == "cancelled"


def test_the_import_command_says_the_notice_withdrawn_is_no_longer_shown(db_path, tmp_path):
    award, cancelled = tmp_path / "award.json", tmp_path / "cancelled.json"
    award.write_text(json.dumps({"version": "1.1", "releases": [AWARD]}), encoding="utf-8")
    cancelled.write_text(json.dumps({"version": "1.1", "releases": [CANCELLED]}), encoding="utf-8")
    assert command.run("import", str(award), db=db_path).returncode == 0
    dry = command.run("import", str(cancelled), "--dry-run", "--json", db=db_path, text=True)
    assert dry.returncode == 0, dry.stderr
    [change] = json.loads(dry.stdout)["changes"]
    assert (change["removed"], change["withdrawn"], change["withdrawn_not_held"]) == (1, 1, 0)
    done = command.run("import", str(cancelled), db=db_path, text=True)
    assert done.returncode == 0, done.stderr  # (was refused: "No row of this file can be imported")
    assert "1 notice withdrawn or cancelled: no longer shown" in done.stdout
