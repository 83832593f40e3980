"""Frozen migrations: a file migrated one release at a time is the same as one built today."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from citydata import lifecycle
from citydata.core.schema import FIELDS
from citydata.store import snapshots, vendors, versions
from citydata.store.db import Database
from tests.view_columns import RELEASED


def describe(path: Path) -> dict[str, list[tuple]]:
    """Everything about a file's schema a query could notice, plus the seeded aliases."""
    db = Database(path)
    try:
        return {
            "columns": db.rows(
                "SELECT table_name, ordinal_position, column_name, data_type, is_nullable,"
                " column_default FROM information_schema.columns ORDER BY ALL"
            ),
            "views": db.rows("SELECT view_name, sql FROM duckdb_views() WHERE NOT internal"),
            "constraints": db.rows(
                "SELECT table_name, constraint_type, constraint_text FROM duckdb_constraints()"
                " ORDER BY ALL"
            ),
            "sequences": db.rows(
                "SELECT sequence_name, increment_by, min_value, max_value, cycle"
                " FROM duckdb_sequences()"
            ),
            "meta": db.rows("SELECT key, value FROM meta WHERE key = 'schema_version'"),
            "aliases": db.rows("SELECT alias, vendor, added_by FROM vendor_aliases ORDER BY ALL"),
        }
    finally:
        db.close()


def copy_of_build(built_db: Path, tmp_path: Path) -> Path:
    """A file built today: a copy of the session's build (tests/conftest.py `built_db`), the
    same as `lifecycle.build` makes, without building the embedded data again (about 0.4 CPU s
    each time)."""
    path = tmp_path / "built.duckdb"
    shutil.copyfile(built_db, path)
    return path


def migrate_one_release_at_a_time(path: Path) -> None:
    """Each version written by its own run, closed and reopened, as real upgrades happen."""
    for version in range(1, versions.SCHEMA_VERSION + 1):
        db = Database(path)
        try:
            versions.migrate(db, target=version, data=lifecycle.DATA_LOADS)
        finally:
            db.close()


def test_a_file_migrated_step_by_step_equals_one_built_today(tmp_path, built_db):
    stepped = tmp_path / "stepped.duckdb"
    migrate_one_release_at_a_time(stepped)
    built = copy_of_build(built_db, tmp_path)

    old, new = describe(stepped), describe(built)
    assert old == new
    assert ("current_contracts",) in {(name,) for name, _ in new["views"]}
    assert len(new["aliases"]) == len(vendors.load_csv()) > 0


def test_an_old_file_opened_by_the_app_equals_one_built_today(tmp_path, built_db):
    old = tmp_path / "v1.duckdb"
    db = Database(old)
    versions.migrate(db, target=1)
    db.close()
    lifecycle.open_store(old).close()

    assert describe(old) == describe(copy_of_build(built_db, tmp_path))


def test_the_frozen_contracts_table_matches_the_live_schema(tmp_path, built_db):
    """A field added to citydata.core.schema needs a new migration that adds its column."""
    db = lifecycle.open_store(copy_of_build(built_db, tmp_path))
    try:
        columns = db.rows(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_name = 'contracts' ORDER BY ordinal_position"
        )
    finally:
        db.close()
    found = {name: kind.replace(" ", "") for name, kind in columns}
    # every field with its type (v1's fields first, in order; later fields are added at the end)
    assert {f.name: found.get(f.name) for f in FIELDS} == {
        f.name: f.sql_type.replace(" ", "") for f in FIELDS
    }
    assert [name for name, _ in columns[2:14]] == [f.name for f in FIELDS[:12]]
    others = [name for name, _ in columns if name not in {f.name for f in FIELDS}]
    assert others == [
        "snapshot_id",
        "record_no",
        "source",
        *snapshots.EXTRA_NAMES,  # v5: what published notices add
    ]
    assert [found[n] for n in snapshots.EXTRA_NAMES] == [
        t.replace(" ", "") for t in snapshots.EXTRA_TYPES.values()
    ]


@pytest.mark.parametrize("version", range(1, versions.SCHEMA_VERSION + 1))
def test_each_version_stays_as_it_was_released(tmp_path, version):
    """The view's public columns at each version never change once released (only grow)."""
    path = tmp_path / "db.duckdb"
    db = Database(path)
    try:
        versions.migrate(db, target=version)
        columns = [name for name, *_ in db.rows("DESCRIBE current_contracts")]
    finally:
        db.close()
    assert version in RELEASED, "write the new version's view columns in RELEASED"
    assert columns[: len(RELEASED[1])] == RELEASED[1]
    assert columns == RELEASED[version]


def test_notices_held_before_v12_get_no_release_date_and_keep_working(tmp_path):
    """A file of schema 11 holding a published notice: opened by the app, the notice gets no
    release date (not known); it is still shown, and any later version of it replaces it, as
    before. Versions stored from then on keep their date, and an older one changes nothing."""
    from citydata import ingest

    path = tmp_path / "v11.duckdb"
    db = Database(path)
    try:
        versions.migrate(db, target=11, data=lifecycle.DATA_LOADS)
        with db.write() as w:  # as the app of schema 11 stored a fetched notice
            w.execute(
                "INSERT INTO snapshots (id, borough_code, created_at, file_name, file_hash,"
                " rows_imported, rows_rejected, status, source, created_by, kind) VALUES"
                " (nextval('snapshot_ids'), 'E09000007', TIMESTAMP '2026-11-30 02:30:00',"
                " 'contracts-finder 2025-01-01 page 1.json', 'abc', 1, 0, 'active', 'fetch',"
                " 'Contracts Finder feed', 'published')"
            )
            w.execute(
                "INSERT INTO contracts (snapshot_id, record_no, borough_code, borough,"
                " service_area, system, vendor, contract_start, contract_end, source_ref, source,"
                " total_value, annual_value_derived, notice_url) VALUES (1, 1, 'E09000007',"
                " 'Camden', 'Revenues and benefits', 'Revenues and benefits system',"
                " 'NEC Software Solutions UK Ltd', DATE '2025-04-01', DATE '2029-03-31', $ref,"
                " 'fetch', 1200000, false, NULL)",
                {"ref": "ocds-b5fd17-22222222-0000-4000-8000-000000000001"},
            )
    finally:
        db.close()

    db = lifecycle.open_store(path)
    try:
        assert versions.schema_version(db) == versions.SCHEMA_VERSION
        assert db.rows("SELECT system, release_date FROM contracts") == [
            ("Revenues and benefits system", None)
        ]
        assert db.rows(
            "SELECT contract_end FROM current_contracts WHERE source_kind = 'published'"
        ) == [(date(2029, 3, 31),)]

        def notices(when: str, end: str) -> tuple[bytes, object]:
            release = {
                "ocid": "ocds-b5fd17-22222222-0000-4000-8000-000000000001", "id": when,
                "date": when, "buyer": {"name": "London Borough of Camden"},
                "tender": {"title": "Revenues and benefits system",
                           "classification": {"scheme": "CPV", "id": "48000000"}},
                "awards": [{"id": "1", "status": "active",
                            "suppliers": [{"name": "NEC Software Solutions UK Ltd"}],
                            "contractPeriod": {"startDate": "2025-04-01", "endDate": end}}],
            }  # fmt: skip
            content = json.dumps({"releases": [release]}).encode()
            return content, ingest.prepare(content, "notices.json")

        def ends() -> list[tuple]:
            return db.rows(
                "SELECT contract_end FROM current_contracts WHERE source_kind = 'published'"
            )

        # Its date not known, the held notice is replaced by a dated one, as before.
        content, dated = notices("2025-03-03T14:30:00Z", "2030-03-31")
        snapshots.commit(db, dated, content, "feed")
        assert ends() == [(date(2030, 3, 31),)]
        # Now dated, an older release of it changes nothing.
        content, older = notices("2025-01-10T09:00:00Z", "2028-03-31")
        with pytest.raises(snapshots.NothingChanged):
            snapshots.commit(db, older, content, "feed")
        assert ends() == [(date(2030, 3, 31),)]
    finally:
        db.close()


def _camden_register(w, vendors_written: list[str]) -> None:
    """A register snapshot of Camden, active, with one record per vendor as written (record_no
    1, 2, ...), as the app of schema 13 and later stores one."""
    w.execute(
        "INSERT INTO snapshots (id, borough_code, created_at, file_name, file_hash,"
        " rows_imported, rows_rejected, status, source, created_by, kind) VALUES"
        " (nextval('snapshot_ids'), 'E09000007', TIMESTAMP '2026-11-30 02:30:00',"
        " 'camden.csv', 'abc', $n, 0, 'active', 'upload', 'ann', 'register')",
        {"n": len(vendors_written)},
    )
    for n, vendor in enumerate(vendors_written, start=1):
        w.execute(
            "INSERT INTO contracts (snapshot_id, record_no, borough_code, borough, service_area,"
            " system, vendor, source) SELECT max(id), $n, 'E09000007', 'Camden', 'Housing',"
            " 'Housing system', $v, 'upload' FROM snapshots",
            {"n": n, "v": vendor},
        )


def test_vendor_spellings_with_accents_or_full_width_letters_join_their_vendor_after_v14(tmp_path):
    """A file of schema 13 holding "Cívica" and "Ｃｉｖｉｃａ ＵＫ Ｌｔｄ" (shown apart from Civica
    then) and "Tŷ Hafan Systems", grouped by a steward under the old key: opened by the app,
    the first two show as Civica and the third stays under the vendor the steward chose."""
    path = tmp_path / "v13.duckdb"
    db = Database(path)
    written = ["Cívica", "Ｃｉｖｉｃａ ＵＫ Ｌｔｄ", "Tŷ Hafan Systems", "Civica"]
    try:
        versions.migrate(db, target=13, data=lifecycle.DATA_LOADS)
        with db.write() as w:  # records as the app of schema 13 stored them, and the grouping
            _camden_register(w, written)
            w.execute(  # the key schema 13's fold gave "Tŷ Hafan Systems"
                "INSERT INTO vendor_aliases VALUES ('t hafan systems', 'Ty Hafan', 'ann', NULL)"
            )
        shown = dict(db.rows("SELECT vendor_as_written, vendor FROM current_contracts"))
        assert shown == {
            "Cívica": "Cívica",  # apart from Civica under schema 13
            "Ｃｉｖｉｃａ ＵＫ Ｌｔｄ": "Ｃｉｖｉｃａ ＵＫ Ｌｔｄ",
            "Tŷ Hafan Systems": "Ty Hafan",
            "Civica": "Civica",
        }
    finally:
        db.close()

    db = lifecycle.open_store(path)
    try:
        shown = dict(db.rows("SELECT vendor_as_written, vendor FROM current_contracts"))
        assert shown == {
            "Cívica": "Civica",
            "Ｃｉｖｉｃａ ＵＫ Ｌｔｄ": "Civica",
            "Tŷ Hafan Systems": "Ty Hafan",
            "Civica": "Civica",
        }
        assert (
            db.scalar("SELECT vendor FROM vendor_aliases WHERE alias = 'ty hafan systems'")
            == "Ty Hafan"
        )
    finally:
        db.close()


def test_the_view_looks_vendors_up_by_the_live_fold(tmp_path, built_db):
    """The alias table's keys are written with the live fold (citydata.core.keys): the view of
    a file built today must look spellings up with the same fold, or groupings are lost."""
    spellings = ["Ørsted & Søn", "Straße Œuvre Þing", "Ｆｕｌｌ－Ｗｉｄｔｈ　Ｌｔｄ", "Łódź ﬁnance"]
    db = lifecycle.open_store(copy_of_build(built_db, tmp_path))
    try:
        with db.write() as w:
            _camden_register(w, spellings)
            for n, vendor in enumerate(spellings, start=1):
                w.execute(
                    "INSERT INTO vendor_aliases VALUES ($k, $v, 'ann', NULL)",
                    {"k": vendors.fold(vendor), "v": f"Vendor {n}"},
                )
        shown = db.rows(
            "SELECT DISTINCT vendor FROM current_contracts WHERE vendor LIKE 'Vendor %' ORDER BY 1"
        )
    finally:
        db.close()
    assert shown == [(f"Vendor {n}",) for n in range(1, len(spellings) + 1)]


def test_records_held_before_v18_open_as_not_known_to_be_joint(tmp_path):
    """A file of schema 17 holding a published notice: opened by the app, its record is shown
    as before, and says no other council bought it (not known then)."""
    path = tmp_path / "v17.duckdb"
    db = Database(path)
    try:
        versions.migrate(db, target=17, data=lifecycle.DATA_LOADS)
        with db.write() as w:  # as the app of schema 17 stored Richmond's share of a notice
            w.execute(
                "INSERT INTO snapshots (id, borough_code, created_at, file_name, file_hash,"
                " rows_imported, rows_rejected, status, source, created_by, kind) VALUES"
                " (nextval('snapshot_ids'), 'E09000027', TIMESTAMP '2026-11-30 02:30:00',"
                " 'joint.json', 'abc', 1, 0, 'active', 'fetch', 'Contracts Finder feed',"
                " 'published')"
            )
            w.execute(
                "INSERT INTO contracts (snapshot_id, record_no, borough_code, borough,"
                " service_area, system, vendor, annual_value, source_ref, source, total_value,"
                " annual_value_derived) VALUES (1, 1, 'E09000027', 'Richmond upon Thames',"
                " 'Revenues and benefits', 'Revenues and benefits system', 'NEC', 150000,"
                " 'ocds-1', 'fetch', 900000, true)"
            )
    finally:
        db.close()

    db = lifecycle.open_store(path)
    try:
        assert versions.schema_version(db) == versions.SCHEMA_VERSION
        assert db.rows(
            "SELECT borough, annual_value, total_value, bought_with FROM current_contracts"
        ) == [("Richmond upon Thames", 150000, 900000, None)]
    finally:
        db.close()
