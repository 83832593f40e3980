"""Published notices are a second stream beside each borough's register, never instead of it.

The regression behind this: a dry run of the real Contracts Finder export showed boroughs going
from their whole register (29 records) to the one or two notices in the file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest

from citydata import ingest, lifecycle
from citydata.output import alerts
from citydata.query import pipeline
from citydata.store import previews, rollbacks, snapshots, subscriptions
from tests.command import run
from tests.snapshot_helpers import borough_records, prepared

DATA = Path(__file__).resolve().parent / "data"
CF_CSV = DATA / "real" / "cf_export_notices_2025-11.csv"
OCDS = DATA / "notices" / "ocds_record_package_1_0.json"  # Hackney's technology awards
CAMDEN, CITY = "E09000007", "E09000012"  # CITY: the borough of the OCDS file (Hackney)


def _counts(db, kind: str) -> dict[str, int]:
    with db.read() as r:
        return dict(
            r.rows(
                "SELECT borough_code, count(*) FROM current_contracts WHERE source_kind = $k"
                " GROUP BY ALL",
                {"k": kind},
            )
        )


def test_a_contracts_finder_dry_run_keeps_every_register_whole(db_path):
    done = run("import", str(CF_CSV), "--dry-run", "--json", db=db_path, text=True)
    out = json.loads(done.stdout)
    assert done.returncode == 0, done.stderr
    assert out["source_kind"] == "published" and out["snapshot_ids"] == []
    assert out["changes"], "the London notices are previewed"
    for change in out["changes"]:  # the published stream starts empty and only grows
        assert change["records_before"] == 0 and change["removed"] == 0
        assert change["records_after"] == change["added"] >= 1
    assert {"snapshot_ids", "rows_imported", "rows_rejected", "format", "mapping"} <= set(out)


def test_importing_notices_adds_them_beside_the_registers(db_path):
    db = lifecycle.open_store(db_path)
    registers = _counts(db, "register")
    db.close()
    done = run("import", str(CF_CSV), "--json", db=db_path, text=True)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    db = lifecycle.open_store(db_path)
    try:
        assert _counts(db, "register") == registers  # every register whole: 29 stays 29
        published = _counts(db, "published")
        assert sum(published.values()) == out["rows_imported"] > 0
        with db.read() as r:
            assert len(snapshots.active(r)) == 33  # the registers' snapshots are still active
            kinds = r.rows(
                "SELECT kind, count(*) FROM snapshots WHERE status = 'active' GROUP BY ALL"
                " ORDER BY 1"
            )
        assert kinds == [("published", len(published)), ("register", 33)]
    finally:
        db.close()


def test_a_register_upload_never_removes_notices_and_notices_accumulate(db):
    notices = ingest.prepare(OCDS.read_bytes(), OCDS.name)
    assert notices.source_kind == "published"
    [first] = snapshots.commit(db, notices, OCDS.read_bytes(), "feed")
    held = _counts(db, "published")[CITY]
    # The steward uploads the City's register: the notices stay.
    city = borough_records(db, CITY)
    snapshots.commit(db, prepared(city.iloc[:3]), b"city register", "ann")
    assert _counts(db, "register")[CITY] == 3
    assert _counts(db, "published")[CITY] == held
    # The same notices again would change nothing: refused, no duplicate snapshot.
    with pytest.raises(snapshots.NothingChanged, match="already held"):
        snapshots.commit(db, notices, OCDS.read_bytes(), "feed")
    assert _counts(db, "published")[CITY] == held
    # A newer version of one notice replaces it (by reference): nothing doubles, nothing is lost.
    notices.records.loc[notices.records.index[0], "system"] = "Renamed by the publisher"
    [second] = snapshots.commit(db, notices, OCDS.read_bytes(), "feed")
    assert _counts(db, "published")[CITY] == held
    with db.read() as r:
        assert snapshots.snapshot(r, first)["status"] == "superseded"
        assert snapshots.active(r, "published")[CITY] == second
        assert snapshots.snapshot(r, second)["kind"] == "published"


def test_rolling_back_a_register_leaves_the_notices(db):
    with db.read() as r:
        demo_id = snapshots.active(r)[CAMDEN]
    snapshots.commit(db, prepared(borough_records(db, CAMDEN).iloc[:2]), b"x", "ann")
    published = prepared(borough_records(db, CAMDEN).iloc[:1])
    published.format = "ocds"  # a notice of Camden's, as a publisher would give it
    snapshots.commit(db, published, b"notice", "feed")
    rollbacks.rollback(db, demo_id, "bob")
    assert _counts(db, "published")[CAMDEN] == 1
    with db.read() as r:
        assert snapshots.active(r)[CAMDEN] != demo_id  # a new register snapshot, a copy
        assert r.scalar(
            "SELECT count(*) FROM current_contracts WHERE borough_code = $c"
            " AND source_kind = 'register'",
            {"c": CAMDEN},
        ) == len(borough_records(db, CAMDEN))


def test_the_source_filter_shows_registers_published_notices_or_both(db):
    from citydata.query import filters, selection
    from citydata.query.filters import FilterState

    notices = ingest.prepare(OCDS.read_bytes(), OCDS.name)
    snapshots.commit(db, notices, OCDS.read_bytes(), "feed")
    hackney = ("Hackney",)
    with db.read() as r:
        both = selection.records(r, FilterState(borough=hackney))
        only = selection.records(r, FilterState(borough=hackney, source_kind=("published",)))
        register = selection.records(r, FilterState(borough=hackney, source_kind=("register",)))
        options = selection.options(r)["source_kind"]
    assert len(only) == len(notices.records) == 3
    with db.read() as r:  # a notice matched to a register record counts once, as the record
        matched = r.scalar(
            "SELECT count(*) FROM current_contracts WHERE source_kind = 'published' AND matched"
        )
    assert len(both) == len(only) - matched + len(register) and len(register) > 0
    assert options == ["published", "register"]
    state = FilterState(source_kind=("published",))
    assert "source is published" in filters.summary(state, "records")


def test_reconciliation_matches_notices_to_register_records_by_supplier_and_dates(db):
    from datetime import date

    from citydata.query import reconciliation
    from citydata.query.filters import FilterState

    register = borough_records(db, CITY).iloc[:2].copy()
    register["system"] = ["NEC Housing", "Payroll system"]
    register["vendor"] = ["NEC Software Solutions", "Zeta Payroll Ltd"]
    register["contract_start"] = [date(2024, 4, 1), date(2023, 1, 1)]
    register["contract_end"] = [date(2030, 3, 31), date(2026, 1, 1)]
    snapshots.commit(db, prepared(register), b"hackney register", "ann")
    notices = ingest.prepare(OCDS.read_bytes(), OCDS.name)
    snapshots.commit(db, notices, OCDS.read_bytes(), "feed")
    with db.read() as r:
        result = reconciliation.reconcile(r, FilterState(), "Hackney")
    assert result.matched[["system", "notice_title"]].values.tolist() == [
        ["NEC Housing", "Housing management system (lot 1)"]
    ]
    assert (
        result.matched["notice_url"]
        .iloc[0]
        .startswith("https://www.contractsfinder.service.gov.uk/Notice/")
    )
    assert result.register_only["system"].tolist() == ["Payroll system"]
    assert sorted(result.published_only["vendor"]) == [
        "Kirona Solutions Ltd",
        "Totalmobile",
    ]  # canonical
    assert result.sentence("Hackney") == (
        "Hackney: 1 register record matches a published notice; 1 is in the register with no "
        "published notice found; 2 records of published notices are missing from the register."
    )


def test_reconcile_from_the_command_line_writes_every_record_with_its_outcome(db_path, tmp_path):
    db = lifecycle.open_store(db_path)
    snapshots.commit(db, ingest.prepare(OCDS.read_bytes(), OCDS.name), OCDS.read_bytes(), "feed")
    register = len(borough_records(db, CITY))
    db.close()
    out = tmp_path / "hackney.csv"
    done = run("reconcile", "--borough", "LB Hackney", "-o", str(out), db=db_path, text=True)
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    matched, register_only, published_only = map(int, re.findall(r"\d+", first))
    assert done.stdout.startswith(f"Hackney: {matched} register record")
    assert matched + register_only == register and matched + published_only == 3
    lines = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert len(lines) == 1 + register + published_only  # a header, then one line per record
    assert lines[0][:3] == ["Outcome", "Service area", "System"], "headed as the page's download"
    outcomes = [line[0] for line in lines[1:]]  # the first column
    assert outcomes.count("published, missing from the register") == published_only
    assert outcomes.count("matched") == matched
    bad = run("reconcile", "--borough", "Atlantis", db=db_path, text=True)
    assert bad.returncode == 2 and "Atlantis" in bad.stderr and "Traceback" not in bad.stderr


def test_the_illustrative_notice_says_a_boroughs_published_notices_are_real(db_path):
    """Kingston's register is still the illustrative data, but its three notices in the real
    Contracts Finder export are real: the notice over every page must not call them examples."""
    from tests.apptest import run_app

    assert run("import", str(CF_CSV), db=db_path).returncode == 0

    def notice(**params) -> list[str]:
        at = run_app(params)
        assert not at.exception, [e.value for e in at.exception]
        return [i.value for i in at.info if i.value.startswith("Illustrative data")]

    tail = " Each borough's examples are replaced when a data steward uploads its own register."
    assert notice(borough="Kingston upon Thames") == [
        "Illustrative data. The register records for Kingston upon Thames are generated "
        "examples, not real contracts; its 3 published notices are real." + tail
    ]
    assert notice(borough=["Camden", "Kingston upon Thames"]) == [
        "Illustrative data. The register records for 2 boroughs are generated examples, not "
        "real contracts; their 3 published notices are real." + tail
    ]
    assert notice(borough="Camden") == [
        "Illustrative data. The records for Camden are generated examples, not real contracts."
        + tail
    ]
    # Only the published notices chosen: nothing illustrative is shown, so no notice.
    assert notice(borough="Kingston upon Thames", source_kind="published") == []


def test_the_borough_profile_of_published_notices_names_their_snapshot(db_path):
    """Only Hackney's published notices chosen: the page says they come from the notices'
    snapshot, not from the illustrative register's."""
    from tests.apptest import run_app, shown

    done = run("import", str(OCDS), "--json", db=db_path, text=True)
    assert done.returncode == 0, done.stderr
    [published] = json.loads(done.stdout)["snapshot_ids"]
    params = {"profile": "Hackney", "source_kind": "published"}
    at = run_app(params, page="pages/borough.py")
    [said] = [shown(m.value) for m in at.markdown if "Where the data came from" in m.value]
    assert f"Published notices: snapshot {published}, 1 notice (3 records: " in said
    assert "Illustrative" not in said
    both = run_app({"profile": "Hackney"}, page="pages/borough.py")
    [said] = [shown(m.value) for m in both.markdown if "Where the data came from" in m.value]
    assert "Illustrative default data" in said and f"snapshot {published}" in said


# Releases of one notice of Camden's: its award, then an amendment (a higher value, a later end).
RB_OCID = "ocds-b5fd17-22222222-0000-4000-8000-000000000001"


def _release(when: str | None, value: int, end: str, **more) -> dict:
    release = {
        "ocid": RB_OCID, "id": f"release {when}",
        "buyer": {"name": "London Borough of Camden"},
        "tender": {"title": "Revenues and benefits system",
                   "classification": {"scheme": "CPV", "id": "48000000"}},
        "awards": [{"id": "1", "status": "active",
                    "value": {"amount": value, "currency": "GBP"},
                    "suppliers": [{"name": "NEC Software Solutions UK Ltd"}],
                    "contractPeriod": {"startDate": "2025-04-01", "endDate": end}}],
    } | more  # fmt: skip
    if when is not None:
        release["date"] = when
    return release


AWARD = _release("2025-01-10T09:00:00Z", 900000, "2028-03-31")
AMENDMENT = _release("2025-03-03T14:30:00Z", 1200000, "2029-03-31")
HACKNEY_NEW = {
    "ocid": "ocds-b5fd17-33333333-0000-4000-8000-000000000001", "id": "h1",
    "date": "2025-01-05T00:00:00Z", "buyer": {"name": "London Borough of Hackney"},
    "tender": {"title": "Parking permits software",
               "classification": {"scheme": "CPV", "id": "48000000"}},
    "awards": [{"id": "1", "status": "active", "suppliers": [{"name": "Taranto Systems Ltd"}]}],
}  # fmt: skip


def _notices(*releases: dict) -> tuple[bytes, object]:
    content = json.dumps({"version": "1.1", "releases": list(releases)}).encode()
    return content, ingest.prepare(content, "notices.json")


def _store(db, *releases: dict) -> list[int]:
    content, notices = _notices(*releases)
    return snapshots.commit(db, notices, content, "feed")


def _rb(db) -> list[tuple]:
    return db.rows(
        "SELECT total_value, contract_end FROM current_contracts"
        " WHERE source_kind = 'published' AND source_ref = $ref",
        {"ref": RB_OCID},
    )


def test_an_older_release_of_a_held_notice_changes_nothing_in_the_preview_or_the_store(db):
    _store(db, AMENDMENT)
    before = db.scalar("SELECT count(*) FROM snapshots")
    content, older = _notices(AWARD)
    [change] = previews.preview(db, older)
    assert change.diff.is_empty and change.before == change.after == 1
    [line] = snapshots.changes_table([change]).to_dict("records")
    assert (line["Added"], line["Changed"]) == (0, 0)
    assert line["Replaces"].endswith("; left out: 1 record older than the notice held")
    with pytest.raises(snapshots.NothingChanged, match="newer"):
        snapshots.commit(db, older, content, "feed")
    assert _rb(db) == [(1200000, dt.date(2029, 3, 31))]
    assert db.scalar("SELECT count(*) FROM snapshots") == before
    registers_dated = db.scalar(
        "SELECT count(*) FROM contracts AS c JOIN snapshots AS s ON s.id = c.snapshot_id"
        " WHERE s.kind = 'register' AND c.release_date IS NOT NULL"
    )
    assert registers_dated == 0  # a register's records have no release


def test_a_file_with_an_older_release_and_a_new_notice_stores_the_new_one_only(db):
    [camden] = _store(db, AMENDMENT)
    content, mixed = _notices(AWARD, HACKNEY_NEW)
    changes = {c.borough: c for c in previews.preview(db, mixed)}
    assert changes["Camden"].diff.is_empty
    assert len(changes["Hackney"].diff.added) == 1
    [hackney] = snapshots.commit(db, mixed, content, "feed")  # Camden gets no snapshot
    assert _rb(db) == [(1200000, dt.date(2029, 3, 31))]
    with db.read() as r:
        assert snapshots.active(r, "published")[CAMDEN] == camden
        assert snapshots.snapshot(r, hackney)["borough_code"] == "E09000012"


def test_a_release_as_new_or_newer_replaces_the_held_one_and_an_undated_one_too(db):
    _store(db, AWARD)
    _store(db, AMENDMENT)  # newer
    assert _rb(db) == [(1200000, dt.date(2029, 3, 31))]
    _store(db, _release("2025-03-03T14:30:00Z", 1300000, "2029-03-31"))  # the same moment
    assert _rb(db) == [(1300000, dt.date(2029, 3, 31))]
    _store(db, _release(None, 700000, "2027-03-31"))  # no date: replaces, as it always did
    assert _rb(db) == [(700000, dt.date(2027, 3, 31))]
    _store(db, AWARD)  # the held one has no date: replaced too
    assert _rb(db) == [(900000, dt.date(2028, 3, 31))]


def _undated_period(release: dict) -> dict:
    """The release without its contract period: no annual value can be worked out from its
    total, so the total is the only money it gives."""
    award = dict(release["awards"][0])
    award.pop("contractPeriod")
    return release | {"awards": [award]}


def _held_total(db, ref: str = RB_OCID) -> list[tuple]:
    return db.rows(
        "SELECT total_value, annual_value, notice_url FROM current_contracts"
        " WHERE source_kind = 'published' AND source_ref = $ref",
        {"ref": ref},
    )


RB_URL = "https://www.contractsfinder.service.gov.uk/Notice/22222222-0000-4000-8000-000000000001"


def test_a_newer_release_changing_only_the_total_value_is_a_change_and_is_stored(db):
    _store(db, _undated_period(AWARD))
    assert _held_total(db) == [(900000, None, RB_URL)]  # no dates: no annual value, the total
    content, newer = _notices(_undated_period(AMENDMENT))  # the same but a higher total
    [change] = previews.preview(db, newer)
    assert change.diff.records_changed == 1
    [field] = change.diff.changed.to_dict("records")
    assert (field["field"], field["before"], field["after"]) == (
        "Total value",
        "£900,000.00",
        "£1,200,000.00",
    )
    [line] = snapshots.changes_table([change]).to_dict("records")
    assert line["Changed"] == 1
    [new_id] = snapshots.commit(db, newer, content, "feed")
    assert _held_total(db) == [(1200000, None, RB_URL)]
    with db.read() as r:  # the History page's comparison says what changed, too
        previous = r.scalar(
            "SELECT max(id) FROM snapshots WHERE kind = 'published' AND id < $id", {"id": new_id}
        )
        assert (
            previews.compare(r, previous, new_id).summary()
            == "0 added, 0 removed, 1 changed (1 field)"
        )


def test_a_newer_release_changing_only_the_notice_link_is_a_change(db):
    # Find a Tender gives each notice of a procurement (the award, a modification) its own page.
    fts = "ocds-h6vhtk-04f2a1"
    award = _undated_period(AWARD) | {"ocid": fts, "id": "012345-2025"}
    modified = award | {"id": "023456-2025", "date": "2025-06-02T10:00:00Z"}
    _store(db, award)
    content, newer = _notices(modified)
    [change] = previews.preview(db, newer)
    assert [
        (f["field"], f["before"], f["after"]) for f in change.diff.changed.to_dict("records")
    ] == [
        (
            "Notice link",
            "https://www.find-tender.service.gov.uk/Notice/012345-2025",
            "https://www.find-tender.service.gov.uk/Notice/023456-2025",
        )
    ]
    snapshots.commit(db, newer, content, "feed")
    [(_total, _annual, url)] = _held_total(db, fts)
    assert url == "https://www.find-tender.service.gov.uk/Notice/023456-2025"


def _alert_on_changes(db):
    """An alert on Camden's new or changed records, made now (it starts from the data held)."""
    return subscriptions.add(
        db, "test", name="Camden", channel="slack", target="https://hooks.example.com/x",
        view_url="https://x/?borough=Camden", decisions_months=None, ending_months=None,
        changes=True,
    )  # fmt: skip


def _alert_says(db, sub) -> str:
    with db.read() as r:
        return alerts.message(r, sub, pipeline.LeadTimes(), dt.date(2026, 12, 1), None).text()


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (_undated_period(AWARD), _undated_period(AMENDMENT)),  # its total value alone
        (  # its notice link alone: Find a Tender's modification notice has its own page
            _undated_period(AWARD) | {"ocid": "ocds-h6vhtk-04f2a1", "id": "012345-2025"},
            _undated_period(AWARD)
            | {"ocid": "ocds-h6vhtk-04f2a1", "id": "023456-2025", "date": "2025-06-02T10:00:00Z"},
        ),
    ],
    ids=["total value", "notice link"],
)
def test_an_alert_on_changes_tells_of_a_notice_whose_total_value_or_link_alone_changed(
    db, before, after
):
    _store(db, before)
    sub = _alert_on_changes(db)
    _store(db, after)
    said = _alert_says(db, sub)
    assert "New or changed records (1):" in said
    assert "- Camden – Revenues and benefits system" in said
    assert ": Changed, no end date; " in said  # (no contract period: no end date to give)


def test_an_alert_on_changes_says_nothing_of_a_newer_identical_release(db):
    _store(db, AWARD)
    sub = _alert_on_changes(db)
    with pytest.raises(snapshots.NothingChanged):
        _store(db, AWARD | {"date": "2025-05-01T00:00:00Z"})
    assert "New or changed records" not in _alert_says(db, sub)


def _held_dates(db) -> list:
    return [
        when
        for (when,) in db.rows(
            "SELECT c.release_date FROM contracts AS c JOIN snapshots AS s ON s.id = c.snapshot_id"
            " WHERE s.status = 'active' AND s.kind = 'published' AND c.source_ref = $ref",
            {"ref": RB_OCID},
        )
    ]


def test_a_newer_identical_release_makes_no_snapshot_but_the_notice_held_takes_its_date(db):
    _store(db, AWARD)
    snapshots_before = db.scalar("SELECT count(*) FROM snapshots")
    # Republished in May with nothing changed: nothing a person sees changes, no snapshot...
    content, same = _notices(AWARD | {"date": "2025-05-01T00:00:00Z"})
    [change] = previews.preview(db, same)
    assert change.diff.is_empty
    with pytest.raises(snapshots.NothingChanged, match="given the date of its newer release"):
        snapshots.commit(db, same, content, "feed")
    assert db.scalar("SELECT count(*) FROM snapshots") == snapshots_before
    assert _held_dates(db) == [dt.datetime(2025, 5, 1)]
    # ...so the amendment of March, fetched after, is older than the notice held: left out.
    content, march = _notices(AMENDMENT)
    [change] = previews.preview(db, march)
    assert change.diff.is_empty and change.older == 1
    assert _rb(db) == [(900000, dt.date(2028, 3, 31))]


def test_importing_notices_all_held_already_is_done_not_refused(db_path, tmp_path):
    """Feeds overlap, so a notices file whose every notice is held already is normal: the
    command said "refused: Nothing would change" and exited 1, where the Published notices
    page's import of the same file says it is done. A register stays refused (test_cli_promises)."""
    from citydata.feeds import history

    assert run("import", str(OCDS), db=db_path).returncode == 0
    again = run("import", str(OCDS), "--json", db=db_path, text=True)
    assert again.returncode == 0, again.stderr
    out = json.loads(again.stdout)
    assert out["refused"] is None and out["snapshot_ids"] == []
    assert out["message"].startswith(
        "ocds_record_package_1_0.json: 3 rows read, 0 technology records of the region's "
        "councils kept. Left out: 3 already held as they are. Nothing would change: every "
        "notice in this file is already held"
    )
    said = run("import", str(OCDS), db=db_path, text=True)
    assert said.returncode == 0 and said.stderr == ""
    assert "Left out: 3 already held as they are." in said.stdout
    db = lifecycle.open_store(db_path)
    try:  # each import in the history, as the page's import puts it there
        with db.read() as r:
            past = history.recent(r)
    finally:
        db.close()
    assert past["status"].tolist() == ["done"] * 3
    assert past["kept"].tolist() == [0, 0, 3]
