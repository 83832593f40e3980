"""Frozen migrations: a file migrated one release at a time is the same as one built today."""

from __future__ import annotations

from pathlib import Path

import pytest

from citydata import lifecycle
from citydata.core.schema import FIELDS
from citydata.store import migrations, snapshots, vendors
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


def migrate_one_release_at_a_time(path: Path) -> None:
    """Each version written by its own run, closed and reopened, as real upgrades happen."""
    for version in range(1, migrations.SCHEMA_VERSION + 1):
        db = Database(path)
        try:
            migrations.migrate(db, target=version, data=lifecycle.DATA_LOADS)
        finally:
            db.close()


def test_a_file_migrated_step_by_step_equals_one_built_today(tmp_path):
    stepped = tmp_path / "stepped.duckdb"
    migrate_one_release_at_a_time(stepped)
    built = lifecycle.build(tmp_path / "built.duckdb")

    old, new = describe(stepped), describe(built)
    assert old == new
    assert ("current_contracts",) in {(name,) for name, _ in new["views"]}
    assert len(new["aliases"]) == len(vendors.load_csv()) > 0


def test_an_old_file_opened_by_the_app_equals_one_built_today(tmp_path):
    old = tmp_path / "v1.duckdb"
    db = Database(old)
    migrations.migrate(db, target=1)
    db.close()
    lifecycle.open_store(old).close()

    assert describe(old) == describe(lifecycle.build(tmp_path / "built.duckdb"))


def test_the_frozen_contracts_table_matches_the_live_schema(tmp_path):
    """A field added to citydata.core.schema needs a new migration that adds its column."""
    db = lifecycle.open_store(tmp_path / "db.duckdb")
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


@pytest.mark.parametrize("version", range(1, migrations.SCHEMA_VERSION + 1))
def test_each_version_stays_as_it_was_released(tmp_path, version):
    """The view's public columns at each version never change once released (only grow)."""
    path = tmp_path / "db.duckdb"
    db = Database(path)
    try:
        migrations.migrate(db, target=version)
        columns = [name for name, *_ in db.rows("DESCRIBE current_contracts")]
    finally:
        db.close()
    assert version in RELEASED, "write the new version's view columns in RELEASED"
    assert columns[: len(RELEASED[1])] == RELEASED[1]
    assert columns == RELEASED[version]
