"""Several releases of one notice in one file: the newest is kept, the others left out and said.

The regression behind this: a Contracts Finder CSV export or a flattened OCDS file lists each
release of a notice as a row of its own (its pipeline notice and its award, its award and an
amendment). Each became a record: the contract counted twice, and the older values showed
beside the newer ones. The rule is the one a notice held follows (citydata.store.releases):
taken in the file's order, each release replaces the one before unless it is older; with no
date (or the same one) the later in the file counts as the newer.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from citydata import ingest, lifecycle
from citydata.feeds import fetch, history
from citydata.store import previews, snapshots
from tests.apptest import new_visit
from tests.command import run
from tests.test_fetch import (
    AMENDED,
    AMENDMENT,
    AWARD,
    SINCE,
    camden_rb,
    ok,
    release_page,
    server,  # noqa: F401 - a fixture
)
from tests.test_upload_app import password, sign_in  # noqa: F401 - fixtures and helpers

DATA = Path(__file__).resolve().parent / "data"
CF_EXPORT = DATA / "real" / "cf_export_notices_2025-11.csv"
FLAT = DATA / "notices" / "ocds_flattened.csv"
PLANX = "LBKING001-DN751807-92295848"  # Kingston's PlanX subscription, a real pipeline notice
KINGSTON, LEWISHAM, SOUTHWARK = "E09000021", "E09000023", "E09000028"
LEFT_OUT = "; left out: 1 record older than a newer release in this file"


def _cf_export(*changes: dict[str, str]) -> bytes:
    """The real export's header and its PlanX row, once per `changes` (each a version of it)."""
    with CF_EXPORT.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        header = list(reader.fieldnames or [])
        row = next(r for r in reader if r["Notice Identifier"] == PLANX)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\r\n")
    writer.writeheader()
    for change in changes:
        writer.writerow({k: v for k, v in row.items() if k in header} | change)
    return out.getvalue().encode("utf-8")


# Its award, published two months after the pipeline notice, listed above it in the file.
AWARDED = {
    "Notice Type": "Awarded",
    "Published Date": "2025-02-20T10:00:00Z",
    "Awarded Date": "20/02/2025",
    "Awarded Value": "75000",
    "Supplier [Name|Address|Ref type|Ref Number|Is SME|Is VCSE]": (
        "Open Systems Lab|London|Companies House|12345678|Yes|No"
    ),
}
PIPELINE: dict[str, str] = {}  # the row as published on 12 Dec 2024


def _planx(db) -> list[tuple]:
    return db.rows(
        "SELECT vendor, total_value FROM current_contracts"
        " WHERE source_kind = 'published' AND source_ref = $ref",
        {"ref": PLANX},
    )


def test_a_contracts_finder_export_with_two_versions_of_a_notice_keeps_the_newer(db):
    content = _cf_export(AWARDED, PIPELINE)  # the newer first: the date decides, not the order
    prepared = ingest.prepare(content, "kingston.csv")
    assert prepared.format == "contracts_finder" and prepared.refused is None
    assert (prepared.rows_read, prepared.rows_accepted, prepared.rows_refused) == (2, 1, 0)
    assert prepared.records["vendor"].tolist() == ["Open Systems Lab"]
    [row] = [p for p in prepared.row_problems if p.severity == "skipped"]  # (its description
    # runs over several lines: the row is the file's line number, as an editor shows it)
    assert row.reason == (
        f"An older release of notice {PLANX}: its newer release, in row 2 of this file, is "
        "imported instead."
    )
    assert prepared.outcome(row) == "skipped, not imported"
    assert any("1 row is an older release of a notice" in p.reason for p in prepared.file_notes)
    [change] = previews.preview(db, prepared)
    [line] = snapshots.changes_table([change]).to_dict("records")
    assert (line["Borough"], line["Records after"], line["Added"]) == ("Kingston upon Thames", 1, 1)
    assert line["Replaces"].endswith(LEFT_OUT)
    snapshots.commit(db, prepared, content, "Ann")
    assert _planx(db) == [("Open Systems Lab", Decimal("75000.00"))]  # counted once, the award


def test_the_command_line_import_counts_the_newer_release_only(db_path, tmp_path):
    path = tmp_path / "kingston.csv"
    path.write_bytes(_cf_export(PIPELINE, AWARDED))
    done = run("import", str(path), "--json", db=db_path, text=True)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert (out["rows_imported"], out["records_imported"]) == (1, 1)
    [change] = out["changes"]
    assert (change["added"], change["records_after"], change["older_in_file"]) == (1, 1, 1)
    assert [w["outcome"] for w in out["warnings"] if w["row"]] == ["skipped, not imported"]
    said = run("import", str(path), "--dry-run", db=db_path, text=True).stdout
    assert "left out: 1 record older than a newer release in this file" in said
    db = lifecycle.open_store(db_path)
    try:
        assert _planx(db) == [("Open Systems Lab", Decimal("75000.00"))]
    finally:
        db.close()


def _flat(*rows: tuple[str, str, str]) -> bytes:
    """The flattened OCDS file's rows with a release date: (its row's release id, id, date)."""
    lines = FLAT.read_text(encoding="utf-8").splitlines()
    by_id = {line.split(",")[1]: line for line in lines[1:] if line}
    out = [lines[0] + ",releases/0/date"]
    for source, release_id, when in rows:
        line = by_id[source].replace(f",{source},", f",{release_id},", 1)
        if release_id.endswith("amended"):
            line = line.replace(",450000.0,", ",600000.0,").replace(",90000.0,", ",95000.0,")
        out.append(f"{line},{when}")
    return "\n".join(out).encode()


def test_a_flattened_file_keeps_the_newest_release_of_each_notice_with_all_its_suppliers(db):
    content = _flat(
        ("r1", "r1", "2025-01-10T09:00:00Z"),
        ("r3", "r3", "2025-01-10T09:00:00Z"),  # Southwark's award to two suppliers
        ("r1", "r1 amended", "2025-03-03T14:30:00Z"),
        ("r3", "r3 amended", "2025-03-03T14:30:00Z"),
    )
    prepared = ingest.prepare(content, "flattened.csv")
    assert prepared.format == "ocds_flat"
    records = prepared.records.sort_values(["borough_code", "vendor"])
    assert records[["borough", "vendor", "row"]].values.tolist() == [
        ["Lewisham", "Civica UK Ltd", 4],
        ["Southwark", "Bartec Auto ID Ltd", 5],
        ["Southwark", "Whitespace Work Software Ltd", 5],
    ]
    assert prepared.older_releases == {LEWISHAM: 1, SOUTHWARK: 2}  # records: two suppliers
    assert sorted(p.row for p in prepared.row_problems if p.severity == "skipped") == [2, 3]
    changes = {c.borough_code: c for c in previews.preview(db, prepared)}
    assert changes[SOUTHWARK].older_in_file == 2 and len(changes[SOUTHWARK].diff.added) == 2
    line = snapshots.changes_table([changes[SOUTHWARK]]).to_dict("records")[0]
    assert line["Replaces"].endswith("; left out: 2 records older than newer releases in this file")
    snapshots.commit(db, prepared, content, "Ann")
    totals = db.rows(
        "SELECT borough, total_value FROM current_contracts WHERE source_kind = 'published'"
        " ORDER BY ALL"
    )
    assert totals == [("Lewisham", Decimal("600000.00")), ("Southwark", None), ("Southwark", None)]


def test_with_no_date_to_compare_the_last_release_in_the_file_is_kept():
    """As a notice held is replaced by a file's release without a date, a release without a
    date replaces the one above it in the file, and the one below it replaces it."""
    undated = _flat(("r1", "r1", "2025-03-03T14:30:00Z"), ("r1", "r1 amended", ""))
    prepared = ingest.prepare(undated, "flattened.csv")
    assert prepared.records["total_value"].tolist() == [Decimal("600000.00")]
    [skip] = [p for p in prepared.row_problems if p.severity == "skipped"]
    assert skip.row == 2 and "appears again further down, in row 3" in skip.reason
    back = _flat(("r1", "r1 amended", ""), ("r1", "r1", "2025-01-10T09:00:00Z"))
    prepared = ingest.prepare(back, "flattened.csv")
    assert prepared.records["total_value"].tolist() == [Decimal("450000.00")]
    assert prepared.records["release_date"].tolist() == [datetime(2025, 1, 10, 9, 0)]


def test_the_published_notices_page_import_counts_and_stores_the_newer_release_once(db):
    run_ = fetch.import_file(db, _cf_export(PIPELINE, AWARDED), "kingston.csv", "Ann")
    assert (run_.status, run_.notices, run_.imported) == ("done", 2, 1)
    assert "1 older release" in run_.summary()
    assert _planx(db) == [("Open Systems Lab", Decimal("75000.00"))]
    assert history.recent(db)["kept"].tolist()[0] == 1


def test_the_upload_page_previews_and_stores_the_newer_release_once(db_path, password):  # noqa: F811
    at = sign_in(new_visit())
    at.switch_page("pages/upload.py").run()
    content = _cf_export(PIPELINE, AWARDED)
    at.get("file_uploader")[0].set_value(("kingston.csv", content, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    shown = {m.label: m.value for m in at.metric}
    assert (shown["Rows read"], shown["Rows to import"], shown["Rows refused"]) == ("2", "1", "0")
    changes = next(d.value for d in at.dataframe if "Replaces" in d.value.columns)
    assert changes.loc[0, "Added"] == 1 and changes.loc[0, "Replaces"].endswith(LEFT_OUT)
    # the older release is left out with nothing to fix: listed apart, with why, not a problem
    left_out = next(d.value for d in at.dataframe if "Why" in d.value.columns)
    assert len(left_out) == 1 and left_out.loc[0, "Why"].startswith("An older release of notice")
    assert not [d for d in at.dataframe if "Outcome" in d.value.columns]
    next(b for b in at.button if b.label == "Commit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    db = lifecycle.open_store(db_path)
    try:
        assert _planx(db) == [("Open Systems Lab", Decimal("75000.00"))]
        assert history.recent(db)["kept"].tolist()[0] == 1
    finally:
        db.close()


def test_a_fetched_page_with_two_releases_of_a_notice_stores_the_newer_once(db, server):  # noqa: F811
    """A page of OCDS releases holding a notice's amendment and, after it, its award: the
    releases of one notice in a JSON file are compiled into one, newest last (OCDS's rule), so
    the notice counts once with the amendment's values; a second page with the award again
    is older than the notice held and stores nothing."""
    page = release_page(server, AMENDMENT, AWARD, next_page="page2")
    server.play("page1", ok(page))
    server.play("page2", ok(release_page(server, AWARD)))
    done = fetch.run(db, "contracts-finder", SINCE, backoff=0.01)
    assert camden_rb(db) == AMENDED
    assert (done.status, done.pages, done.notices, done.imported, done.older) == (
        "done",
        2,
        3,
        1,
        2,  # the award on page 1, compiled into the amendment, and on page 2, older than it
    )  # (3 read: 1 kept, 2 left out)
    assert "2 older releases of notices" in done.summary()


# Refused and left out, counted apart: five rows, one imported.
HEADER = (
    "releases/0/ocid,releases/0/id,releases/0/buyer/name,releases/0/tender/title,"
    "releases/0/tender/items/0/classification/id,releases/0/awards/0/id,"
    "releases/0/awards/0/suppliers/0/name,releases/0/awards/0/value/amount,"
    "releases/0/awards/0/contractPeriod/startDate,releases/0/awards/0/contractPeriod/endDate,"
    "releases/0/date"
)
MIXED = "\n".join(
    [
        HEADER,
        # Lewisham's library system: its award, then (kept) its amendment
        "ocds-b5fd17-aaaaaaaa-0000-4000-8000-000000000001,r1,London Borough of Lewisham,"
        "Library management system (Spydus),48000000,aw1,Civica UK Ltd,450000,2024-04-01,"
        "2027-03-31,2025-01-10T09:00:00Z",
        "ocds-b5fd17-aaaaaaaa-0000-4000-8000-000000000001,r1b,London Borough of Lewisham,"
        "Library management system (Spydus),48000000,aw1,Civica UK Ltd,600000,2024-04-01,"
        "2027-03-31,2025-03-03T14:30:00Z",
        # left out: not technology; another region's council
        "ocds-b5fd17-aaaaaaaa-0000-4000-8000-000000000002,r2,London Borough of Lewisham,"
        "Grounds maintenance,77310000,aw2,Green Spaces Ltd,120000,2024-04-01,2025-03-31,"
        "2025-01-10T09:00:00Z",
        "ocds-b5fd17-aaaaaaaa-0000-4000-8000-000000000004,r4,Manchester City Council,"
        "Housing management system,48000000,aw4,Northgate,100000,2024-04-01,2027-03-31,"
        "2025-01-10T09:00:00Z",
        # refused, a fault to fix: it ends before it starts
        "ocds-b5fd17-aaaaaaaa-0000-4000-8000-000000000005,r5,London Borough of Camden,"
        "Parking permits software,48000000,aw5,Taranto Systems Ltd,50000,2027-04-01,"
        "2025-03-31,2025-01-10T09:00:00Z",
    ]
).encode()


def test_rows_left_out_are_not_counted_as_refused_in_the_history_and_the_snapshots(db_path):
    """A notices file's snapshot said its rows not about technology and another council's
    were refused (`rows_rejected`, the History page's "Rows refused"), where the fetch's own
    history called them left out; nothing counted the older release left out at all."""
    db = lifecycle.open_store(db_path)
    try:
        done = fetch.import_file(db, MIXED, "lewisham.csv", "Ann")
        assert (done.status, done.notices, done.imported) == ("done", 5, 1)
        counts = (done.not_technology, done.other_councils, done.older, done.refused)
        assert counts == (1, 1, 1, 1)
        assert done.left_out() == (
            "Left out: 1 not technology; 1 bought by a council outside the region or not "
            "recognised; 1 older release of a notice (its newer release is held or in the same "
            "file). Refused: 1, for a fault in the notice. The first: The contract ends "
            "(31/03/2025) before it starts (01/04/2027)."
        )
        [line] = history.recent(db, 1).to_dict("records")
        assert (line["kept"], line["older"], line["refused"]) == (1, 1, 1)
        assert "1 older release of a notice" in history.line(line)
    finally:
        db.close()
    [snap] = [
        s
        for s in json.loads(run("snapshots", "--json", db=db_path, text=True).stdout)
        if s["file_name"] == "lewisham.csv"
    ]
    assert (snap["rows_rejected"], snap["rows_left_out"], snap["kind"]) == (1, 3, "published")
    listed = json.loads(run("fetch-history", "--json", db=db_path, text=True).stdout)
    assert (listed[0]["kept"], listed[0]["imported"], listed[0]["older"]) == (1, 1, 1)


def test_the_history_page_shows_rows_refused_and_rows_left_out_apart(db_path, password):  # noqa: F811
    db = lifecycle.open_store(db_path)
    try:
        prepared = ingest.prepare(MIXED, "lewisham.csv")
        assert (prepared.rows_refused, prepared.rows_left_out) == (1, 3)
        snapshots.commit(db, prepared, MIXED, "Ann")
    finally:
        db.close()
    at = sign_in(new_visit())
    at.switch_page("pages/history.py").run()
    assert not at.exception, [e.value for e in at.exception]
    table = next(d.value for d in at.dataframe if "rows_left_out" in d.value.columns)
    row = table[table["file_name"] == "lewisham.csv"].iloc[0]
    assert (row["rows_rejected"], row["rows_left_out"]) == (1, 3)


def test_in_a_json_file_too_an_undated_release_counts_as_newer_than_those_above_it():
    """OCDS JSON combines a notice's releases oldest first; one without a date was put first
    (oldest) wherever it was, so the release above it won, unlike in a flattened file."""
    undated = AMENDMENT | {"id": "undated", "awards": [dict(AMENDMENT["awards"][0])]}
    undated.pop("date")
    undated["awards"][0]["value"] = {"amount": 700000, "currency": "GBP"}
    content = json.dumps({"version": "1.1", "releases": [AWARD, AMENDMENT, undated]}).encode()
    prepared = ingest.prepare(content, "notices.json")
    assert prepared.records["total_value"].tolist() == [Decimal("700000.00")]
    content = json.dumps({"version": "1.1", "releases": [undated, AMENDMENT, AWARD]}).encode()
    prepared = ingest.prepare(content, "notices.json")  # dated ones below it: by their dates
    assert prepared.records["total_value"].tolist() == [Decimal("1200000.00")]


def test_the_upload_page_keeps_the_date_of_a_newer_release_that_changes_nothing_else(
    db_path,
    password,  # noqa: F811
):
    """Its Commit was off ("the file changes nothing"), so the notice held kept its older
    date and an amendment published in between, fetched later, was taken for newer."""
    db = lifecycle.open_store(db_path)
    try:
        content = json.dumps({"version": "1.1", "releases": [AWARD]}).encode()
        snapshots.commit(db, ingest.prepare(content, "award.json"), content, "feed")
        before = db.scalar("SELECT count(*) FROM snapshots")
    finally:
        db.close()
    republished = AWARD | {"date": "2025-05-01T00:00:00Z"}
    content = json.dumps({"version": "1.1", "releases": [republished]}).encode()
    at = sign_in(new_visit())
    at.switch_page("pages/upload.py").run()
    at.get("file_uploader")[0].set_value(("may.json", content, "application/json")).run()
    assert not at.exception, [e.value for e in at.exception]
    said = " ".join(i.value for i in at.info)
    assert "Nothing would change" in said and "Importing it gives the notice held the date" in said
    commit = next(b for b in at.button if b.label == "Commit")
    assert not commit.disabled
    commit.click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "The notice held was given the date of its newer release" in at.success[0].value
    db = lifecycle.open_store(db_path)
    try:
        assert db.scalar("SELECT count(*) FROM snapshots") == before  # no snapshot
        dates = db.rows(
            "SELECT c.release_date FROM contracts AS c JOIN snapshots AS s"
            " ON s.id = c.snapshot_id WHERE s.status = 'active' AND s.kind = 'published'"
        )
        assert dates == [(datetime(2025, 5, 1),)]
        assert history.recent(db)["kept"].tolist()[0] == 0
    finally:
        db.close()


def test_import_of_a_newer_release_that_changes_nothing_else_keeps_its_date_and_exits_0(
    db_path, tmp_path
):
    held = tmp_path / "award.json"
    held.write_text(json.dumps({"version": "1.1", "releases": [AWARD]}), encoding="utf-8")
    assert run("import", str(held), db=db_path, text=True).returncode == 0
    may = tmp_path / "may.json"
    republished = AWARD | {"date": "2025-05-01T00:00:00Z"}
    may.write_text(json.dumps({"version": "1.1", "releases": [republished]}), encoding="utf-8")
    dry = run("import", str(may), "--dry-run", db=db_path, text=True)
    assert "Importing it gives the notice held the date of the newer release" in dry.stdout
    done = run("import", str(may), db=db_path, text=True)
    assert done.returncode == 0, done.stderr  # not "refused ... Nothing was written."
    assert "The notice held was given the date of its newer release" in done.stdout
    assert "Nothing was written" not in done.stdout + done.stderr
