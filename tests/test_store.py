"""The database file: build, open, migrate, the current_contracts view, concurrency."""

from __future__ import annotations

import threading

import duckdb
import pytest

from citydata import lifecycle
from citydata.core import boroughs, demo
from citydata.core.settings import SettingError
from citydata.query import selection
from citydata.query.filters import FilterState
from citydata.store import rawfiles, versions
from citydata.store.db import Database, StoreError
from tests import command
from tests.view_columns import RELEASED


def test_build_holds_every_embedded_record_for_all_33_authorities(db):
    csv_rows = sum(1 for _ in demo.EMBEDDED_CSV.open(encoding="utf-8")) - 1
    with db.read() as r:
        assert r.scalar("SELECT count(*) FROM current_contracts") == csv_rows
        codes = [c for (c,) in r.rows("SELECT DISTINCT borough_code FROM current_contracts")]
        assert sorted(codes) == [b.code for b in boroughs.BOROUGHS]
        assert r.rows("SELECT DISTINCT source FROM current_contracts") == [("demo",)]
        assert r.scalar("SELECT count(*) FROM snapshots WHERE status = 'active'") == 33


def test_current_contracts_has_the_documented_columns_and_types(db):
    with db.read() as r:
        described = r.rows("DESCRIBE current_contracts")
    names = [row[0] for row in described]
    types = {row[0]: row[1] for row in described}
    assert names == RELEASED[versions.SCHEMA_VERSION]
    assert types["contract_start"] == "DATE" and types["contract_end"] == "DATE"
    assert types["annual_value"].startswith("DECIMAL")
    assert types["total_value"].startswith("DECIMAL")
    with db.read() as r:
        assert r.rows("SELECT DISTINCT source_kind FROM current_contracts") == [("register",)]


def test_view_matches_the_csv_row_for_row(db):
    with db.read() as r:
        from_csv = r.rows(
            "SELECT count(*), sum(annual_value::DECIMAL(18, 2)), count(contract_end)"
            " FROM read_csv(?, header = true)",
            [str(demo.EMBEDDED_CSV)],
        )
        from_view = r.rows(
            "SELECT count(*), sum(annual_value), count(contract_end) FROM current_contracts"
        )
    assert from_csv == from_view


def test_the_raw_embedded_file_is_kept(db):
    with db.read() as r:
        stored = rawfiles.content(r, r.scalar("SELECT file_hash FROM raw_files"))
    assert stored == demo.EMBEDDED_CSV.read_bytes()


def test_missing_file_is_built_on_open_and_env_var_chooses_it(tmp_path, monkeypatch):
    target = tmp_path / "elsewhere" / "mine.duckdb"
    monkeypatch.setenv(lifecycle.ENV_VAR, str(target))
    assert lifecycle.db_path() == target
    database = lifecycle.open_store()
    try:
        assert target.exists()
        assert database.scalar("SELECT count(DISTINCT borough) FROM current_contracts") == 33
    finally:
        database.close()
    assert not list(target.parent.glob(".*building*")), "no temporary file is left behind"


def test_an_older_file_is_migrated_and_keeps_its_data(tmp_path):
    path = tmp_path / "old.duckdb"
    old = Database(path)
    versions.migrate(old, target=1)  # a file as the first release wrote it
    with old.write() as w:
        w.execute(
            "INSERT INTO snapshots VALUES (1, 'E09000007', now(), 'camden.csv', 'abc', 1, 0,"
            " 'active', 'upload')"
        )
        w.execute(
            "INSERT INTO contracts (snapshot_id, record_no, borough_code, borough, service_area,"
            " system, vendor, source) VALUES (1, 1, 'E09000007', 'Camden', 'Housing',"
            " 'NEC Housing', 'NEC Software Solutions', 'upload')"
        )
    old.close()

    reopened = lifecycle.open_store(path)
    try:
        with reopened.read() as r:
            assert versions.schema_version(r) == versions.SCHEMA_VERSION
            assert r.rows("SELECT borough, system FROM current_contracts") == [
                ("Camden", "NEC Housing")
            ]
            assert r.scalar("SELECT count(*) FROM raw_files") == 0
            assert r.scalar("SELECT created_by FROM snapshots") is None
    finally:
        reopened.close()


def test_a_foreign_duckdb_file_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "foreign.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE sales (x INTEGER)")
    con.close()
    with pytest.raises(StoreError, match="not a City Tools Explorer database"):
        lifecycle.open_store(path)


def _schema_left(con, version: str | None) -> None:
    """A file of ours whose `meta` records `version` (no schema_version row when None)."""
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    if version is not None:
        con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [version])


@pytest.mark.parametrize(
    ("make", "version"),
    [
        (lambda con: None, 0),
        (lambda con: con.execute("CREATE TABLE sales (x INTEGER)"), -1),
        (lambda con: _schema_left(con, None), -1),
        (lambda con: _schema_left(con, "3"), 3),
        (lambda con: _schema_left(con, str(versions.SCHEMA_VERSION + 1)), None),
        (
            lambda con: (
                con.execute("CREATE SCHEMA other"),
                con.execute("CREATE TABLE other.meta (key VARCHAR, value VARCHAR)"),
                con.execute("INSERT INTO other.meta VALUES ('schema_version', '16')"),
            ),
            -1,
        ),
    ],
    ids=["empty", "another program's", "no version", "older", "newer", "meta elsewhere"],
)
def test_the_version_read_from_meta_is_the_one_the_catalogue_gives(tmp_path, make, version):
    """Opening reads `meta` straight away and asks the catalogue (10-20 ms on a file just
    opened) only when there is no `meta` table: both ways give the same version."""
    path = tmp_path / "citytools.duckdb"
    con = duckdb.connect(str(path))
    make(con)
    con.close()
    db = Database(path)
    try:
        with db.read() as r:
            catalogue = versions.schema_version(r)
        assert versions.recorded_version(db) == catalogue
        if version is not None:
            assert catalogue == version
        else:
            assert catalogue > versions.SCHEMA_VERSION
    finally:
        db.close()


def test_a_database_of_a_newer_version_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "citytools.duckdb"
    con = duckdb.connect(str(path))
    _schema_left(con, str(versions.SCHEMA_VERSION + 1))
    con.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="written by a newer version of City Tools Explorer"):
        lifecycle.open_store(path)
    assert path.read_bytes() == before


def test_a_file_that_is_not_a_database_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "notes.duckdb"
    path.write_text("this is a shopping list\n" * 100)
    with pytest.raises(StoreError, match="could not be opened"):
        lifecycle.open_store(path)


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (
            lambda path: path.write_text("this is a shopping list\n" * 100),
            "it is not a database file (another kind of file saved under its name, or a file "
            "damaged from its start).",
        ),
        (lambda path: path.mkdir(), "it is a folder, not a file."),
    ],
    ids=["a text file", "a folder"],
)
def test_a_database_that_cannot_be_opened_is_said_in_words_not_duckdbs(tmp_path, make, why):
    """Said before by quoting DuckDB: "IO Error: The file ... exists, but it is not a valid
    DuckDB database file!" or "IO Error: Could not read from file ...: Is a directory"."""
    path = tmp_path / "citytools.duckdb"
    make(path)
    done = command.run("snapshots", db=path, text=True)
    assert done.returncode == 1
    assert done.stderr == (
        f"refused: {path} could not be opened as a City Tools database: {why} "
        "Nothing was written.\n"
    )


def test_sixteen_threads_query_at_once_without_errors(db):
    errors: list[BaseException] = []
    totals: list[int] = []
    start = threading.Barrier(16)

    def work(i: int) -> None:
        try:
            start.wait()
            for _ in range(10):
                with db.read() as r:
                    state = FilterState(borough=(boroughs.NAMES[i % 33],))
                    totals.append(selection.headline(r, FilterState())["records"])
                    selection.coverage(r, state)
                    selection.records(r, state, limit=50)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(totals)) == 1 and len(totals) == 160


def test_a_new_database_restores_the_configured_backup(db, tmp_path, monkeypatch):
    """A hosted copy whose disk was rebuilt comes back with its uploads, not the demo data."""
    from citydata.output import backup
    from citydata.store import snapshots
    from tests.snapshot_helpers import borough_records, dump, prepared

    camden = borough_records(db, "E09000007").head(3)
    snapshots.commit(db, prepared(camden), b"register bytes", user="steward@example.org")
    archive = tmp_path / "backup.zip"
    archive.write_bytes(backup.archive_bytes(db))
    before = dump(db)

    monkeypatch.setenv(lifecycle.RESTORE_VAR, str(archive))
    fresh = lifecycle.open_store(tmp_path / "rebuilt" / "citytools.duckdb")
    try:
        assert dump(fresh) == before
        assert fresh.scalar("SELECT count(*) FROM current_contracts WHERE borough = 'Camden'") == 3
    finally:
        fresh.close()


def test_a_configured_backup_that_cannot_be_restored_leaves_no_database(tmp_path, monkeypatch):
    bad = tmp_path / "backup.zip"
    bad.write_bytes(b"not a zip")
    monkeypatch.setenv(lifecycle.RESTORE_VAR, str(bad))
    target = tmp_path / "new" / "citytools.duckdb"
    with pytest.raises(StoreError, match="could not be restored"):
        lifecycle.open_store(target)
    assert list(target.parent.iterdir()) == []

    monkeypatch.setenv(lifecycle.RESTORE_VAR, str(tmp_path / "missing.zip"))
    with pytest.raises(SettingError, match="but there is no file there"):
        lifecycle.open_store(target)
    assert list(target.parent.iterdir()) == []


def test_the_memory_limit_setting_bounds_the_database(db_path, monkeypatch):
    monkeypatch.setenv("CITYTOOLS_MEMORY_LIMIT", "512MB")
    database = lifecycle.open_store(db_path)
    try:
        assert database.scalar("SELECT current_setting('memory_limit')") == "488.2 MiB"
        with database.read() as r:
            assert selection.headline(r, FilterState())["records"] == 800
    finally:
        database.close()
