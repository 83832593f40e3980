"""Published notices whose newest release says the contract was withdrawn, cancelled or
unsuccessful: no longer shown as live contracts, counted and said.

Before, a cancellation release of a notice held replaced it with a record with no supplier,
value or end date (a live contract with no vendor); a withdrawn tender, Contracts Finder's
"Withdrawn" status (CSV export and API) were not read at all. Fetches run against the real
localhost replay server of tests/test_fetch.py; every database is a real DuckDB file.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from citydata import ingest, lifecycle
from citydata.feeds import counts, fetch, history, runs, spool
from citydata.ingest import withdrawn
from citydata.store import changes, previews, rollbacks, snapshots, withdrawals
from tests import command
from tests.apptest import new_visit, shown
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
from tests.test_upload_app import password, sign_in  # noqa: F401 - fixtures and helpers


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
    [row] = history.recent(db).to_dict("records")
    assert row["withdrawn"] == 1
    assert "1 notice withdrawn or cancelled: no longer shown." in history.line(row)


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
    # as the Upload page's Removed tab shows it (ui.uploading.show_diff)
    shown = changes.readable(removed)
    assert shown[["Vendor", previews.WHY_REMOVED]].values.tolist() == [
        ["NEC Software Solutions UK Ltd", removed[previews.WHY_REMOVED].iloc[0]]
    ]
    [line] = snapshots.changes_table([change]).to_dict("records")
    assert line["Removed"] == 1
    assert "1 notice withdrawn or cancelled: no longer shown" in line["Replaces"]
    ids = snapshots.commit(db, prepared, content, "Ann")
    run = counts.record_upload(db, prepared, "Ann", ids, [change])
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


# One notice's award and its withdrawal in the same file, in either order: the release published
# last decides. OCDS compiles a notice's releases into one, which kept the earlier release's
# active award beside the later withdrawal (the notice stayed live), and kept the earlier
# withdrawal of the tender beside a later award published without a status (it stayed out).
LATER_WITHDRAWAL = WITHDRAWN_TENDER | {"date": "2025-06-01T09:00:00Z"}
UNSTATED_AWARD = AMENDMENT | {
    "awards": [{k: v for k, v in AMENDMENT["awards"][0].items() if k != "status"}]
}


def _ocds(*releases: dict) -> bytes:
    return json.dumps({"version": "1.1", "releases": list(releases)}).encode()


def _cf_api(*items: dict) -> bytes:
    return json.dumps({"hitCount": len(items), "noticeList": [{"item": i} for i in items]}).encode()


def _cf_api_item(status: str, published: str) -> dict:
    doc = json.loads((DATA / "notices" / "cf_api_search.json").read_text(encoding="utf-8"))
    return doc["noticeList"][0]["item"] | {"noticeStatus": status, "publishedDate": published}


@functools.cache
def _planx() -> pd.DataFrame:
    """Kingston's PlanX notice, as the real November export of Contracts Finder has it."""
    path = DATA / "real" / "cf_export_notices_2025-11.csv"
    export = pd.read_csv(path, dtype=str, keep_default_na=False)
    return export[export["Notice Identifier"] == "LBKING001-DN751807-92295848"]


def _cf_export(*rows: tuple[str, str]) -> bytes:
    """Kingston's PlanX notice of the real November export, once per (status, published)."""
    notice = _planx()
    out = pd.concat([notice.assign(Status=s, **{"Published Date": p}) for s, p in rows])
    return out.to_csv(index=False).encode()


@pytest.mark.parametrize(
    ("content", "name", "gone"),
    [
        (_ocds(AWARD, LATER_WITHDRAWAL), "n.json", True),
        (_ocds(LATER_WITHDRAWAL, AWARD), "n.json", True),
        (_ocds(WITHDRAWN_TENDER, AMENDMENT), "n.json", False),
        (_ocds(AMENDMENT, WITHDRAWN_TENDER), "n.json", False),
        (_ocds(WITHDRAWN_TENDER, UNSTATED_AWARD), "n.json", False),
        (_ocds(UNSTATED_AWARD, WITHDRAWN_TENDER), "n.json", False),
        (_cf_api(_cf_api_item("Awarded", "2024-03-01T10:00:00Z"),
                 _cf_api_item("Withdrawn", "2024-05-01T10:00:00Z")), "s.json", True),
        (_cf_api(_cf_api_item("Withdrawn", "2024-05-01T10:00:00Z"),
                 _cf_api_item("Awarded", "2024-03-01T10:00:00Z")), "s.json", True),
        (_cf_api(_cf_api_item("Withdrawn", "2024-01-01T10:00:00Z"),
                 _cf_api_item("Awarded", "2024-03-01T10:00:00Z")), "s.json", False),
        (_cf_export(("Open", "2024-12-12T13:04:44Z"), ("Withdrawn", "2025-12-01T09:00:00Z")),
         "n.csv", True),
        (_cf_export(("Withdrawn", "2025-12-01T09:00:00Z"), ("Open", "2024-12-12T13:04:44Z")),
         "n.csv", True),
        (_cf_export(("Open", "2024-12-12T13:04:44Z"), ("Withdrawn", "2024-01-01T09:00:00Z")),
         "n.csv", False),
    ],
    ids=[
        "ocds-award-then-later-withdrawal", "ocds-later-withdrawal-first",
        "ocds-withdrawal-then-later-award", "ocds-later-award-first",
        "ocds-withdrawal-then-award-with-no-status", "ocds-award-with-no-status-first",
        "cf-api-later-withdrawal", "cf-api-later-withdrawal-first", "cf-api-later-award",
        "cf-export-later-withdrawal", "cf-export-later-withdrawal-first", "cf-export-later-open",
    ],
)  # fmt: skip
def test_the_release_published_last_in_a_file_decides_whether_the_notice_is_in_force(
    content, name, gone
):
    prepared = ingest.prepare(content, name)
    assert prepared.refused is None
    assert (len(prepared.withdrawn), len(prepared.records)) == ((1, 0) if gone else (0, 1))


def test_a_file_with_an_award_and_its_later_withdrawal_takes_the_notice_held_out(db, server):
    fetch.import_file(db, release_page(server, AWARD), "award.json", "Ann")
    run = fetch.import_file(
        db, release_page(server, AMENDMENT, LATER_WITHDRAWAL), "both.json", "Ann"
    )
    assert camden_rb(db) == [] and run.withdrawn == 1 and adds_up(run)


def test_a_record_package_says_what_its_newest_release_does():
    """A record's compiled release keeps the earlier award beside the later withdrawal; its
    releases say which came last."""
    compiled = AWARD | {"tender": LATER_WITHDRAWAL["tender"], "date": LATER_WITHDRAWAL["date"]}
    record = {"ocid": RB_OCID, "releases": [AWARD, LATER_WITHDRAWAL], "compiledRelease": compiled}
    prepared = ingest.prepare(json.dumps({"records": [record]}).encode(), "records.json")
    assert [w.status for w in prepared.withdrawn] == ["withdrawn"]
    revived = {"ocid": RB_OCID, "releases": [WITHDRAWN_TENDER, AMENDMENT],
               "compiledRelease": AMENDMENT | {"tender": WITHDRAWN_TENDER["tender"]}}  # fmt: skip
    again = ingest.prepare(json.dumps({"records": [revived]}).encode(), "records.json")
    assert (again.withdrawn, len(again.records)) == ([], 1)


# Another of Camden's notices, beside the one withdrawn
OTHER_OCID = RB_OCID[:-1] + "2"
OTHER = AWARD | {"ocid": OTHER_OCID, "tender": AWARD["tender"] | {"title": "Housing system"}}


def _published_id(db) -> int:
    return db.scalar(
        "SELECT id FROM snapshots WHERE borough_code = 'E09000007' AND kind = 'published'"
        " AND status = 'active'"
    )


def test_a_rollback_to_before_a_withdrawal_keeps_the_notice_out_and_says_so(
    db_path,
    server,
    password,  # noqa: F811
):
    """A rollback brought the withdrawn notice back into the current contracts (and every
    page); it now stays out, and the History page, the command and the snapshot's note say
    which."""
    cancelled = (
        f"1 notice withdrawn or cancelled later stays out ({RB_OCID}: the contract was cancelled)"
    )

    def imported(*releases: dict, name: str = "notices.json") -> int:
        db = lifecycle.open_store(db_path)
        try:
            fetch.import_file(db, release_page(server, *releases), name, "Ann")
            return _published_id(db)
        finally:
            db.close()

    before = imported(AWARD, OTHER)
    imported(CANCELLED)
    imported(OTHER | {"ocid": RB_OCID[:-1] + "3", "date": "2025-07-01T09:00:00Z"})
    at = sign_in(new_visit())
    at.switch_page("pages/history.py").run()
    at.selectbox(key="h_borough").set_value("Camden").run()
    at.segmented_control(key="h_kind").set_value("published").run()
    at.selectbox(key=next(s.key for s in at.selectbox if s.key.startswith("h_target"))).set_value(
        before
    ).run()
    next(b for b in at.button if b.label.startswith("Roll back Camden")).click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert shown(at.success[0].value).endswith(f", but {cancelled}.")
    db = lifecycle.open_store(db_path)
    try:
        assert camden_rb(db) == []  # was the cancelled contract again, on every page
        refs = db.rows(
            "SELECT source_ref FROM current_contracts WHERE borough_code = 'E09000007'"
            " AND source_kind = 'published' ORDER BY ALL"
        )
        assert refs == [(OTHER_OCID,)]
        rows, note = db.rows(
            "SELECT rows_imported, note FROM snapshots WHERE id = $id", {"id": _published_id(db)}
        )[0]
        assert rows == 1 and note.endswith(cancelled)
    finally:
        db.close()
    # what is current now is the snapshot before, but for the notice: nothing would change
    refused = command.run("rollback", str(before), db=db_path, text=True)
    assert refused.returncode == 1
    assert f"records of snapshot {before} that can be current: {cancelled}." in refused.stderr
    imported(OTHER | {"ocid": RB_OCID[:-1] + "4", "date": "2025-07-02T09:00:00Z"})
    done = command.run("rollback", str(before), db=db_path, text=True)
    assert done.returncode == 0, done.stderr
    assert f"records of snapshot {before} and is now current, but {cancelled}: " in done.stdout


def test_a_rollback_to_a_notice_awarded_after_its_withdrawal_keeps_it(db, server):
    fetch.import_file(db, release_page(server, AWARD), "award.json", "Ann")
    fetch.import_file(db, release_page(server, CANCELLED), "cancelled.json", "Ann")
    revived = CANCELLED | {"id": "again", "date": "2025-08-01T09:00:00Z",
                           "awards": [AMENDMENT["awards"][0]]}  # fmt: skip
    fetch.import_file(db, release_page(server, revived), "revived.json", "Ann")
    back_to = _published_id(db)
    assert camden_rb(db) == AMENDED
    fetch.import_file(db, release_page(server, OTHER), "other.json", "Ann")
    rollbacks.rollback(db, back_to, "Ann")
    assert camden_rb(db) == AMENDED
    assert withdrawals.kept_out(db, _published_id(db)) == {}


def test_a_fetch_queued_for_the_running_app_counts_no_withdrawal_before_the_app_imports_it(
    db_path, server
):
    """Handed to the running app, a fetch said "2 notices withdrawn or cancelled: no longer
    shown" before the app had imported anything, of one notice it held and one it did not."""
    db = lifecycle.open_store(db_path)
    try:
        fetch.import_file(db, release_page(server, AWARD), "award.json", "Ann")
    finally:
        db.close()
    not_held = CANCELLED | {"ocid": OTHER_OCID}
    server.play("page1", ok(release_page(server, CANCELLED, not_held)))
    # what `python -m citydata fetch` does while the app holds the file (cli/fetch.py)
    batch = spool.Batch(db_path)
    queued = fetch.download(batch, "contracts-finder", SINCE, None, backoff=0.01)
    batch.queue()
    said = queued.summary(queued=True)
    assert (queued.withdrawn, queued.withdrawn_not_held) == (0, 0)
    assert "no longer shown" not in said
    assert "2 notices withdrawn or cancelled, for the app to stop showing if it holds them." in said
    [folder] = spool.waiting(db_path)
    db = lifecycle.open_store(db_path)
    try:
        run = spool.import_batch(db, folder)  # as the app's importer does (ui/fetching.py)
        assert (run.withdrawn, run.withdrawn_not_held, run.withdrawn_queued) == (1, 1, 0)
        assert adds_up(run)
        assert run.summary().count("withdrawn or cancelled") == 2  # no longer shown; not held
        assert "1 notice withdrawn or cancelled: no longer shown." in run.summary()
        assert camden_rb(db) == []
    finally:
        db.close()


def test_a_queued_fetch_carrying_on_from_a_queued_one_counts_what_the_app_did_with_it(
    db_path, server
):
    """A fetch carrying on from a batch still waiting starts from that batch's counts. They were
    the command's (every withdrawal "no longer shown"), and stayed so in the history once the
    app imported both; the app now takes what it did with the batch before."""
    db = lifecycle.open_store(db_path)
    try:
        fetch.import_file(db, release_page(server, AWARD), "award.json", "Ann")
    finally:
        db.close()
    not_held = CANCELLED | {"ocid": RB_OCID[:-1] + "5"}
    server.play("page1", ok(release_page(server, CANCELLED, not_held, next_page="page2")))
    server.play("page2", ok(release_page(server, OTHER)))
    first = spool.Batch(db_path)
    stopped = fetch.download(first, "contracts-finder", SINCE, None, backoff=0.01, max_pages=1)
    first.queue()
    after, previous = spool.waiting_last(db_path, "contracts-finder")
    assert (after, previous.pages, stopped.status) == (first.id, 1, "failed")
    second = spool.Batch(db_path, after=after)
    fetch.download(second, "contracts-finder", SINCE, previous, backoff=0.01)
    second.queue()
    db = lifecycle.open_store(db_path)
    try:
        a, b = (spool.import_batch(db, folder) for folder in spool.waiting(db_path))
        assert (a.withdrawn, a.withdrawn_not_held) == (1, 1)
        assert (b.pages, b.imported, b.withdrawn, b.withdrawn_not_held) == (2, 1, 1, 1)
        assert b.withdrawn_queued == 0 and adds_up(b)
        line = history.recent(db).to_dict("records")[0]
        assert (line["kept"], line["withdrawn"], line["withdrawn_not_held"]) == (1, 1, 1)
    finally:
        db.close()


# A tender's cancellation as it is often published: the notice's status, and little else
BARE_CANCELLATION = {
    "ocid": RB_OCID, "id": "cancellation", "date": "2025-06-01T09:00:00Z",
    "tag": ["tenderCancellation"], "buyer": AWARD["buyer"], "tender": {"status": "cancelled"},
}  # fmt: skip


def test_a_cancellation_naming_no_cpv_code_system_or_supplier_still_takes_the_notice_out(
    db, server
):
    """It was refused as "not a technology contract" and "neither a system nor a vendor is
    given" (the whole file refused), and the cancelled notice stayed live."""
    fetch.import_file(db, release_page(server, AWARD), "award.json", "Ann")
    run = fetch.import_file(db, release_page(server, BARE_CANCELLATION), "c.json", "Ann")
    assert (run.status, run.withdrawn, run.not_technology, run.refused) == ("done", 1, 0, 0)
    assert camden_rb(db) == [] and adds_up(run)


def test_a_bare_withdrawn_row_of_a_contracts_finder_export_takes_its_notice_out():
    notice = _planx()
    bare = notice.assign(Status="Withdrawn", **{"Published Date": "2025-12-01T09:00:00Z"})
    for column in ("Title", "Description", "Cpv Codes"):
        bare[column] = ""
    for rows in ([notice, bare], [bare, notice]):
        prepared = ingest.prepare(pd.concat(rows).to_csv(index=False).encode(), "n.csv")
        assert (len(prepared.records), len(prepared.withdrawn)) == (0, 1)


def test_what_a_rollback_leaves_out_is_said_for_several_notices_too():
    gone = {f"ref-{n}": "withdrawn" for n in range(5)}
    assert withdrawals.left_out(gone) == (
        "5 notices withdrawn or cancelled later stay out (ref-0: the notice was withdrawn; "
        "ref-1: the notice was withdrawn; ref-2: the notice was withdrawn; and 2 more)"
    )
    assert withdrawals.left_out({}) == ""


def test_the_import_command_lists_older_and_withdrawn_rows_as_left_out_as_the_upload_page_does(
    db_path, tmp_path
):
    """They were problem lines '(skipped, not imported)' among the faults to fix, where the
    Upload page lists them apart as 'Rows left out, with nothing to fix', each with why."""
    path = tmp_path / "planx.csv"
    path.write_bytes(_cf_export(("Open", "2024-12-12T13:04:44Z"), ("Withdrawn", "2025-12-01")))
    said = command.run("import", str(path), "--dry-run", db=db_path, text=True)
    assert said.returncode == 0, said.stderr
    lines = said.stdout.splitlines()
    assert "skipped, not imported" not in said.stdout
    assert "2 left out (not technology, another council's, older or withdrawn)" in lines[1]
    at = lines.index("  Rows left out, with nothing to fix (2):")
    older, gone = lines[at + 1 : at + 3]
    assert "An older release of notice" in older and "Withdrawn or cancelled" in gone
    assert older.endswith("(left out)") and gone.endswith("(left out)")
    out = json.loads(
        command.run("import", str(path), "--dry-run", "--json", db=db_path, text=True).stdout
    )
    rows = [w for w in out["warnings"] if w["row"]]
    assert [w["outcome"] for w in rows] == ["skipped, not imported"] * 2  # (as it always was)
    assert [w["left_out"] for w in rows] == [True, True]
    assert not any(w["left_out"] for w in out["warnings"] if not w["row"])
