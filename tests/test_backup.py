"""Backups: everything out as one zip, back in atomically; archives not ours are refused."""

from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile

import pytest

from citydata import lifecycle
from citydata.core import regions
from citydata.output import backup, exports, restores
from citydata.output.backup import BackupError
from citydata.query import selection
from citydata.query.filters import FilterState
from citydata.store import rollbacks, snapshots, versions
from tests.snapshot_helpers import borough_records, dump, edited_records, prepared

CAMDEN = "E09000007"


@pytest.fixture
def fresh_store(built_db, tmp_path):
    """fresh_store(name): a database as a first start builds it, opened: a copy of the
    session's build (tests/conftest.py `built_db`), where `lifecycle.open_store` of a missing
    file built the embedded data again, about a CPU second each time. (A build itself is
    tested in tests/test_lifecycle.py; a build for another region is still made here.)"""

    def make(name: str):
        path = tmp_path / name
        shutil.copyfile(built_db, path)
        return lifecycle.open_store(path)

    return make


@pytest.fixture
def busy_db(db):
    """The built database plus an upload (with a planted formula) and a rollback."""
    camden = borough_records(db, CAMDEN)
    camden.loc[0, "system"] = '=HYPERLINK("http://example.invalid","x")'
    with db.read() as r:
        demo_id = snapshots.active(r)[CAMDEN]
    snapshots.commit(db, prepared(camden, file_name="camden.csv"), b"camden,bytes\n", "ann")
    rollbacks.rollback(db, demo_id, "bob")
    snapshots.commit(db, prepared(camden, file_name="camden2.csv"), b"\x00\xffraw", "ann")
    return db


def rewrite(archive: bytes, change) -> bytes:
    """A copy of `archive` with members changed by change(name, data) -> data | None."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = change(info.filename, src.read(info.filename))
            if data is not None:
                dst.writestr(info.filename, data)
    return out.getvalue()


def test_a_restore_counts_one_of_a_kind_in_the_singular_and_in_words():
    """Every table a backup holds is named in words ("2 feed_runs" once)."""
    one = restores.Restored(
        tables={"snapshots": 1, "contracts": 1, "raw_files": 1, "vendor_aliases": 1,
                "feed_runs": 2, "alert_subscriptions": 1, "alerts_sent": 0,
                "notice_matches": 3},
        kept=[],
        created_at="2026-12-01 09:00",
    )  # fmt: skip
    assert one.summary() == (
        "Restored the backup of 2026-12-01 09:00: 1 snapshot, 1 record, 1 stored file, "
        "1 vendor alias, 2 notice fetches, 1 alert, 0 alerts sent, 3 matched notices."
    )


def test_a_backup_restored_into_a_fresh_database_gives_back_everything(
    busy_db, tmp_path, fresh_store
):
    archive = backup.archive_bytes(busy_db)
    fresh = fresh_store("fresh.duckdb")
    try:
        restored = restores.restore(fresh, archive)
        assert dump(fresh) == dump(busy_db)
        assert restored.tables["snapshots"] == 36 and restored.kept == []
        assert "36 snapshots" in restored.summary()
        [new_id] = snapshots.commit(
            fresh, prepared(edited_records(fresh, CAMDEN)), b"after restore", "ann"
        )
        assert new_id > 36, "new snapshot ids continue after the restored ones"
    finally:
        fresh.close()


def test_the_archive_holds_a_manifest_raw_files_and_neutralised_readable_csvs(busy_db):
    with zipfile.ZipFile(io.BytesIO(backup.archive_bytes(busy_db))) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        names = set(zf.namelist())
        history = zf.read("readable/snapshots.csv").decode("utf-8-sig")
        current = list(
            csv.DictReader(
                io.StringIO(zf.read("readable/current_contracts.csv").decode("utf-8-sig"))
            )
        )
        raw = {f["file_name"]: zf.read(f"raw/{f['file_hash']}") for f in manifest["raw_files"]}
    assert (manifest["product"], manifest["format"]) == ("City Tools Explorer", "citytools-backup")
    assert manifest["schema_version"] == versions.SCHEMA_VERSION
    assert (manifest["region"], manifest["region_label"]) == ("london", "London")
    assert {"tables/snapshots.parquet", "tables/contracts.parquet"} <= names
    assert raw["camden2.csv"] == b"\x00\xffraw" and raw["camden.csv"] == b"camden,bytes\n"
    assert "rollback" in history and '"mapping"' not in history.splitlines()[0]
    assert history.splitlines()[0].startswith("Snapshot,Stored,By,File,Records,"), "as shown"
    planted = [row["System"] for row in current if "HYPERLINK" in row["System"]]
    assert planted == ['\'=HYPERLINK("http://example.invalid","x")']


def test_the_readable_records_are_the_overview_s_download_without_snapshot_ids(busy_db):
    """Written by DuckDB (a backup of ten million records held them all as a DataFrame), the
    same bytes as the records' DataFrame written by `exports.to_csv`."""
    with zipfile.ZipFile(io.BytesIO(backup.archive_bytes(busy_db))) as zf:
        written = zf.read("readable/current_contracts.csv")
    with busy_db.read() as r:
        records = selection.records(r, FilterState()).drop(columns=["snapshot_id"])
    assert written == exports.to_csv(exports.with_labels(records))
    rows = list(csv.reader(io.StringIO(written.decode("utf-8-sig"), newline="")))
    assert len(rows) == len(records) + 1 > 1


def test_restore_is_all_or_nothing(busy_db, db_path, tmp_path, fresh_store):
    archive = backup.archive_bytes(busy_db)
    target = fresh_store("other.duckdb")
    try:
        before = dump(target)

        def orphan(name, data):
            return b"not parquet at all" if name == "tables/snapshots.parquet" else data

        with pytest.raises(BackupError, match="cannot be read"):
            restores.restore(target, rewrite(archive, orphan))
        assert dump(target) == before

        def drop_snapshots(name, data):
            if name == "manifest.json":
                manifest = json.loads(data)
                manifest["tables"]["snapshots"]["rows"] = 3
                return json.dumps(manifest).encode()
            if name == "tables/snapshots.parquet":
                return _parquet_without_active_rows(busy_db, tmp_path)
            return data

        with pytest.raises(BackupError, match="no current snapshot"):
            restores.restore(target, rewrite(archive, drop_snapshots))
        assert dump(target) == before
    finally:
        target.close()


def _parquet_without_active_rows(db, tmp_path) -> bytes:
    path = tmp_path / "bad.parquet"
    with db.read() as r:
        r.execute(f"COPY (SELECT * FROM snapshots WHERE status <> 'active') TO '{path}'")
    return path.read_bytes()


def _manifest_edit(**changes):
    def change(name, data):
        if name != "manifest.json":
            return data
        return json.dumps(json.loads(data) | changes).encode()

    return change


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda a: b"PK\x03\x04 not really a zip", "not a City Tools Explorer backup"),
        (lambda a: b"name,vendor\nA,B\n", "not a City Tools Explorer backup"),
        (lambda a: rewrite(a, lambda n, d: None if n == "manifest.json" else d), "not a City"),
        (lambda a: rewrite(a, _manifest_edit(product="Other App")), "not a City Tools Explorer"),
        (lambda a: rewrite(a, _manifest_edit(schema_version=99)), "newer version"),
        (
            lambda a: rewrite(a, lambda n, d: d + b"!" if n.startswith("raw/") else d),
            "damaged",
        ),
        (
            lambda a: rewrite(a, lambda n, d: None if n == "tables/contracts.parquet" else d),
            "damaged",
        ),
    ],
    ids=[
        "not a zip",
        "a csv",
        "no manifest",
        "another product",
        "newer schema",
        "altered raw file",
        "missing table",
    ],
)
def test_archives_that_are_not_ours_or_are_damaged_are_refused_and_change_nothing(
    busy_db, make, message
):
    archive = make(backup.archive_bytes(busy_db))
    before = dump(busy_db)
    with pytest.raises(BackupError, match=message):
        restores.restore(busy_db, archive)
    assert dump(busy_db) == before


def test_restoring_moves_the_data_version_forward_even_to_fewer_snapshots(
    busy_db, tmp_path, fresh_store
):
    small = fresh_store("small.duckdb")
    try:
        archive = backup.archive_bytes(small)
    finally:
        small.close()
    before = versions.data_version(busy_db)
    restores.restore(busy_db, archive)
    assert versions.data_version(busy_db) > before
    assert busy_db.scalar("SELECT count(*) FROM snapshots") == 33


def test_readers_during_restores_see_the_old_data_or_the_new_never_a_mix(
    busy_db, tmp_path, fresh_store
):
    import threading

    small = fresh_store("small.duckdb")
    try:
        archives = [backup.archive_bytes(small), backup.archive_bytes(busy_db)]
    finally:
        small.close()
    stop, errors, reads = threading.Event(), [], [0]

    def read_forever() -> None:
        try:
            while not stop.is_set():
                with busy_db.read() as r:
                    active = r.scalar("SELECT count(*) FROM snapshots WHERE status = 'active'")
                    total = r.scalar("SELECT count(*) FROM snapshots")
                    mismatched = r.scalar(
                        "SELECT count(*) FROM snapshots s WHERE s.status = 'active' AND"
                        " s.rows_imported <> (SELECT count(*) FROM contracts c"
                        " WHERE c.snapshot_id = s.id)"
                    )
                assert active == 33 and total in (33, 36) and mismatched == 0
                reads[0] += 1
        except BaseException as exc:
            errors.append(exc)

    readers = [threading.Thread(target=read_forever) for _ in range(4)]
    for t in readers:
        t.start()
    try:
        for _ in range(3):
            for archive in archives:
                restores.restore(busy_db, archive)
    finally:
        stop.set()
        for t in readers:
            t.join()
    assert errors == [] and reads[0] > 0


def _made_for(region: str, label: str) -> str:
    return f"This backup was made for {label} (CITYTOOLS_REGION = {region}), but this app is set"


@pytest.mark.parametrize(
    "manifest",
    [{}, {"region": None, "region_label": None}, {"region": "x" * 20_000, "region_label": "<b>"}],
    ids=["naming its region", "made before backups named it", "naming nonsense"],
)
def test_a_backup_of_another_region_is_refused_as_such_and_changes_nothing(
    db, tmp_path, monkeypatch, manifest
):
    """Each way round: the message names both regions and how to restore it, not a damaged
    backup. A backup whose manifest does not name its region is known by its councils, and
    still restores into its own region."""
    london = rewrite(backup.archive_bytes(db), _manifest_edit(**manifest))
    monkeypatch.setenv(regions.SETTING, "greater-manchester")
    gm = lifecycle.open_store(tmp_path / "gm.duckdb")  # built for Greater Manchester
    try:
        ours = rewrite(backup.archive_bytes(gm), _manifest_edit(**manifest))
        before = dump(gm)
        with pytest.raises(BackupError) as caught:
            restores.restore(gm, london)
        assert dump(gm) == before
        restores.restore(gm, ours)
    finally:
        gm.close()
    assert str(caught.value) == (
        _made_for("london", "London") + " up for Greater Manchester (CITYTOOLS_REGION = "
        "greater-manchester). To restore it, set CITYTOOLS_REGION to london and point "
        "CITYTOOLS_DB at a new file (a database is built for that region), then restore the "
        "backup there."
    )
    monkeypatch.setenv(regions.SETTING, "london")
    before = dump(db)
    with pytest.raises(BackupError, match="set CITYTOOLS_REGION to greater-manchester and") as e:
        restores.restore(db, ours)
    assert str(e.value).startswith(_made_for("greater-manchester", "Greater Manchester"))
    assert "damaged" not in str(e.value)
    assert dump(db) == before


def test_a_backup_of_two_regions_councils_names_the_smallest_region_holding_them(
    db, tmp_path, monkeypatch
):
    """Councils of two regions, in a backup from before backups named their region: the
    smallest region holding them all is named (here the United Kingdom), and the command line
    says so too."""
    from tests import command

    monkeypatch.setenv(regions.SETTING, "custom:E08000002, E09000007")  # Bury and Camden
    mixed = lifecycle.open_store(tmp_path / "mixed.duckdb")
    try:
        archive = rewrite(backup.archive_bytes(mixed), _manifest_edit(region=None))
    finally:
        mixed.close()
    (tmp_path / "mixed.zip").write_bytes(archive)
    monkeypatch.setenv(regions.SETTING, "london")
    done = command.run("restore", str(tmp_path / "mixed.zip"), db=lifecycle.db_path(), text=True)
    assert done.returncode == 1
    assert done.stderr.startswith("refused: " + _made_for("united-kingdom", "the United Kingdom"))
    assert done.stderr.rstrip().endswith("then restore the backup there. Nothing was written.")


def test_a_damaged_backup_of_another_region_says_council(tmp_path, monkeypatch):
    monkeypatch.setenv(regions.SETTING, "greater-manchester")
    gm = lifecycle.open_store(tmp_path / "gm.duckdb")
    renamed = tmp_path / "renamed.parquet"
    try:
        with gm.read() as r:
            r.execute(
                f"COPY (SELECT * REPLACE ('Nowhere' AS borough) FROM contracts) TO '{renamed}'"
                " (FORMAT parquet)"
            )
        archive = rewrite(
            backup.archive_bytes(gm),
            lambda n, d: renamed.read_bytes() if n == "tables/contracts.parquet" else d,
        )
        with pytest.raises(BackupError, match="its records hold the council 'Nowhere'"):
            restores.restore(gm, archive)
    finally:
        gm.close()


def test_every_table_a_backup_holds_has_words_for_the_restore_summary(busy_db):
    with busy_db.read() as r:
        held = backup.tables(r)
    assert "contracts" in held and set(held) <= set(restores._NOUNS), set(held) - set(
        restores._NOUNS
    )


@pytest.mark.parametrize(
    ("broken", "says"),
    [
        (1, "1 of its records ends before it starts"),
        (2, "2 of its records end before they start"),
    ],
)
def test_a_backup_whose_records_end_before_they_start_says_how_many(
    db, tmp_path, fresh_store, broken, says
):
    with db.write() as w:
        w.execute(
            "UPDATE contracts SET contract_start = contract_end + 1 WHERE rowid IN"
            " (SELECT rowid FROM contracts WHERE contract_end IS NOT NULL ORDER BY rowid"
            " LIMIT $n)",
            {"n": broken},
        )
    archive = backup.archive_bytes(db)
    fresh = fresh_store("fresh.duckdb")
    try:
        with pytest.raises(backup.BackupError, match=says):
            restores.restore(fresh, archive)
    finally:
        fresh.close()


NOTICE = {
    "ocid": "ocds-b5fd17-22222222-0000-4000-8000-000000000001", "id": "amendment",
    "date": "2025-03-03T14:30:00Z", "buyer": {"name": "London Borough of Camden"},
    "tender": {"title": "Revenues and benefits system",
               "classification": {"scheme": "CPV", "id": "48000000"}},
    "awards": [{"id": "1", "status": "active", "value": {"amount": 1200000, "currency": "GBP"},
                "suppliers": [{"name": "NEC Software Solutions UK Ltd"}],
                "contractPeriod": {"startDate": "2025-04-01", "endDate": "2029-03-31"}}],
}  # fmt: skip
AWARD = NOTICE | {"id": "award", "date": "2025-01-10T09:00:00Z"} | {
    "awards": [NOTICE["awards"][0] | {
        "value": {"amount": 900000, "currency": "GBP"},
        "contractPeriod": {"startDate": "2025-04-01", "endDate": "2028-03-31"}}]
}  # fmt: skip


def _notices(*releases) -> tuple[bytes, object]:
    from citydata import ingest

    content = json.dumps({"releases": list(releases)}).encode()
    return content, ingest.prepare(content, "notices.json")


def _release_dates(db) -> list[tuple]:
    return db.rows(
        "SELECT c.source_ref, c.release_date FROM contracts AS c"
        " JOIN snapshots AS s ON s.id = c.snapshot_id"
        " WHERE s.status = 'active' AND s.kind = 'published' ORDER BY ALL"
    )


def test_a_backup_keeps_when_each_notice_was_released(db, tmp_path, fresh_store):
    """Restored, the notices still know their releases: an older one changes nothing."""
    snapshots.commit(db, _notices(NOTICE)[1], b"notices", "feed")
    fresh = fresh_store("fresh.duckdb")
    try:
        restores.restore(fresh, backup.archive_bytes(db))
        assert _release_dates(fresh) == _release_dates(db) != []
        assert _release_dates(fresh)[0][1].isoformat() == "2025-03-03T14:30:00"
        content, older = _notices(AWARD)
        with pytest.raises(snapshots.NothingChanged):
            snapshots.commit(fresh, older, content, "feed")
    finally:
        fresh.close()


V15_RUNS = ["not_notices", "held"]  # the columns of the fetch history schema 15 added
V16_RUNS = ["withdrawn", "withdrawn_not_held"]  # and schema 16 (with notice_withdrawals)
V18_CONTRACTS = ["bought_with"]  # the column of the records schema 18 added


def as_version(version: int, later: dict[str, list[str]]):
    """A `rewrite` of a backup into one of schema `version`: without the columns `later` names
    (table -> columns) or, before 16, schema 16's table."""
    import pyarrow.parquet as pq

    def rewritten(name, data):
        table_name = name.removeprefix("tables/").removesuffix(".parquet")
        if table_name == "notice_withdrawals" and version < 16:
            return None
        if table_name in later:
            table = pq.read_table(io.BytesIO(data)).drop_columns(later[table_name])
            out = io.BytesIO()
            pq.write_table(table, out)
            return out.getvalue()
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["schema_version"] = version
            if version < 16:
                manifest["tables"].pop("notice_withdrawals")
            for table_name, columns in later.items():
                for column in columns:
                    manifest["tables"][table_name]["columns"].remove(column)
            return json.dumps(manifest).encode()
        return data

    return rewritten


def test_a_backup_made_before_release_dates_restores_its_notices_undated(db, tmp_path, fresh_store):
    """A backup of schema 11 has no `release_date`: its notices come back with none (not
    known), and a later file's version of them replaces them as it always did."""

    snapshots.commit(db, _notices(NOTICE)[1], b"notices", "feed")

    as_v11 = as_version(
        11,
        {
            "contracts": ["release_date", *V18_CONTRACTS],
            "snapshots": ["rows_left_out"],
            "feed_runs": ["older", *V15_RUNS, *V16_RUNS],
        },
    )

    archive = rewrite(backup.archive_bytes(db), as_v11)
    fresh = fresh_store("fresh.duckdb")
    try:
        restores.restore(fresh, archive)
        [(_ref, when)] = _release_dates(fresh)
        assert when is None
        content, older = _notices(AWARD)
        snapshots.commit(fresh, older, content, "feed")  # undated held: replaced, as before
        assert fresh.rows(
            "SELECT total_value FROM current_contracts WHERE source_kind = 'published'"
        ) == [(900000,)]
    finally:
        fresh.close()


def test_a_backup_made_before_schema_14_keeps_a_grouping_of_a_spelling_with_an_accent(
    db, tmp_path, fresh_store
):
    """Schema 14 changed the key a vendor's spelling is grouped by ("Tŷ Hafan Systems": 't
    hafan systems' before, 'ty hafan systems' since); a file opened by the app is brought
    forward, and a backup of schema 13 restored must be too, or a steward's grouping is lost."""
    camden = borough_records(db, CAMDEN)
    camden.loc[0, "vendor"] = "Tŷ Hafan Systems"
    snapshots.commit(db, prepared(camden), b"camden", "ann")
    with db.write() as w:  # the grouping as schema 13 kept it: under its key of then
        w.execute("INSERT INTO vendor_aliases VALUES ('t hafan systems', 'Ty Hafan', 'ann', NULL)")

    as_v13 = as_version(13, {"feed_runs": [*V15_RUNS, *V16_RUNS], "contracts": V18_CONTRACTS})
    archive = rewrite(backup.archive_bytes(db), as_v13)
    fresh = fresh_store("fresh.duckdb")
    try:
        restores.restore(fresh, archive)
        shown = fresh.rows(
            "SELECT DISTINCT vendor FROM current_contracts WHERE vendor_as_written = $v",
            {"v": "Tŷ Hafan Systems"},
        )
        assert shown == [("Ty Hafan",)]
    finally:
        fresh.close()


def test_a_joint_notice_restores_who_else_bought_it_and_one_backed_up_before_v18_nothing(
    db, fresh_store
):
    """A notice bought by Richmond and Wandsworth: a backup restores each council's record
    naming the other; a backup of schema 17 (no such column) restores them naming none."""
    joint = AWARD | {"buyer": {"name": "Richmond and Wandsworth Councils"}}
    snapshots.commit(db, _notices(joint)[1], b"notices", "feed")
    shown = "SELECT borough, bought_with FROM current_contracts WHERE bought_with IS NOT NULL"
    expected = [("Richmond upon Thames", "Wandsworth"), ("Wandsworth", "Richmond upon Thames")]
    assert sorted(db.rows(shown)) == expected
    for made, archive in (
        ("today", backup.archive_bytes(db)),
        ("v17", rewrite(backup.archive_bytes(db), as_version(17, {"contracts": V18_CONTRACTS}))),
    ):
        fresh = fresh_store(f"fresh-{made}.duckdb")
        try:
            restores.restore(fresh, archive)
            assert sorted(fresh.rows(shown)) == (expected if made == "today" else []), made
            assert (
                fresh.scalar(
                    "SELECT count(*) FROM current_contracts WHERE source_kind = 'published'"
                )
                == 2
            )
        finally:
            fresh.close()
