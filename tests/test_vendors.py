"""Vendor aliases: folding, the committed table, grouping in the view, suggestions, accepting
one, the v2 -> v3 migration, and `python -m citydata aliases`."""

from __future__ import annotations

import json
import subprocess
from decimal import Decimal

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citydata import lifecycle
from citydata.core import catalogue
from citydata.query import market
from citydata.query.filters import FilterState
from citydata.store import rawfiles, vendors, versions
from citydata.store.db import Database
from tests import command, market_data


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("Capita Business Services Ltd", "capita business services ltd"),
        ("CAPITA  PLC.", "capita plc"),
        ("SAP (UK) Ltd", "sap uk ltd"),
        ("Granicus-Firmstep Ltd", "granicus firmstep ltd"),
        ("Marks & Spencer", "marks and spencer"),
        ("  ", ""),
        ("Cívica UK Ltd", "civica uk ltd"),  # accents off
        ("Ｃｉｖｉｃａ　ＵＫ Ｌｔｄ", "civica uk ltd"),  # full-width letters and space
        ("Tŷ Hafan Cyf.", "ty hafan cyf"),  # Welsh circumflex
        ("Ørsted Straße Œuvre Łódź ﬁnance", "orsted strasse oeuvre lodz finance"),
        ("Ｍａｒｋｓ ＆ Ｓｐｅｎｃｅｒ", "marks and spencer"),
        ("Cafe\u0301", "cafe"),  # an accent written as its own combining mark
    ],
)
def test_fold_ignores_case_spacing_and_punctuation(written, key):
    assert vendors.fold(written) == key


@pytest.fixture(scope="module")
def sql_fold():
    """vendors.fold_sql of a text, in one DuckDB for every example (a database each took
    most of the test's time)."""
    con = duckdb.connect()
    yield lambda text: con.execute(f"SELECT {vendors.fold_sql('$t')}", {"t": text}).fetchone()[0]
    con.close()


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=40))
def test_fold_in_python_and_in_duckdb_agree(sql_fold, text):
    assert sql_fold(text) == vendors.fold(text)


def test_fold_in_python_and_in_duckdb_agree_on_every_character():
    """Every character of Unicode's first three planes, alone and after a letter, folds the same
    in Python and in DuckDB (the view's lookup): accents, marks, full-width forms, scripts."""
    chars = [chr(i) for i in range(0x20, 0x30000) if not 0xD800 <= i < 0xE000]
    texts = chars + ["e" + c for c in chars[::7]]
    con = duckdb.connect()
    try:
        con.register("t", pa.table({"text": texts}))
        folded = con.execute(f"SELECT {vendors.fold_sql('text')} FROM t").fetchall()
    finally:
        con.close()
    differ = [(t, sql) for t, (sql,) in zip(texts, folded, strict=True) if sql != vendors.fold(t)]
    assert differ == []


def test_company_form_words_are_left_out_when_comparing():
    assert vendors.core("Oracle Corporation UK Ltd") == "oracle"
    assert vendors.core("The Group Ltd") == "the group ltd"  # nothing left: keep it all
    assert vendors.similarity("SAP (UK) Limited", "SAP") == 100
    assert vendors.similarity("Capita Revenues Services", "Capita") == vendors.EXTENDED_SCORE
    assert vendors.similarity("Mill Systems", "OLM Systems") < vendors.DEFAULT_CUTOFF
    assert vendors.similarity("NEC Software Solutions", "Xpress Software Solutions") < 80


def test_the_committed_alias_table_is_consistent_and_covers_the_usual_variants():
    table = {a.alias: a.vendor for a in vendors.load_csv()}
    expected = {
        "Capita Business Services Ltd": "Capita",
        "Capita plc": "Capita",
        "NEC Software Solutions UK Ltd": "NEC Software Solutions",
        "Northgate Public Services": "NEC Software Solutions",
        "Civica UK Ltd": "Civica",
        "Idox Software Ltd": "Idox",
        "Microsoft Corporation": "Microsoft",
        "Oracle Corporation UK Ltd": "Oracle",
        "SAP (UK) Ltd": "SAP",
        "Softcat plc": "Softcat",
    }
    for written, vendor in expected.items():
        assert table[vendors.fold(written)] == vendor, written
    # every canonical name groups its own spelling, and no canonical name is an alias elsewhere
    for vendor in set(table.values()):
        assert table[vendors.fold(vendor)] == vendor
    # canonical names are the ones the embedded data is made from
    used = {
        name
        for area in catalogue.AREAS
        for product in (*area.mains, *area.extras)
        for name in (product.maker, *(v for v, _ in product.vendors))
    }
    missing = set(table.values()) - used
    assert not missing, f"canonical names the embedded data does not use: {sorted(missing)}"


def test_a_broken_alias_file_is_refused_with_the_line(tmp_path):
    path = tmp_path / "aliases.csv"
    path.write_text("alias,vendor,note\nCapita plc,Capita,x\nCAPITA PLC,Civica,y\n")
    with pytest.raises(vendors.AliasError, match=r"line 3.*already grouped under “Capita”"):
        vendors.load_csv(path)
    path.write_text("alias,vendor,note\nCapita plc,Capita,x\nCapita,Capita Group,y\n")
    with pytest.raises(vendors.AliasError, match="point every alias at the final name"):
        vendors.load_csv(path)
    path.write_text("alias,vendor,note\n,Capita,x\n")
    with pytest.raises(vendors.AliasError, match="line 2"):
        vendors.load_csv(path)


def test_the_view_shows_the_canonical_vendor_and_keeps_the_spelling(tmp_path):
    db = market_data.build(tmp_path)
    try:
        rows = db.rows(
            "SELECT DISTINCT vendor_as_written, vendor FROM current_contracts"
            " WHERE vendor IN ('Capita', 'Civica', 'Idox') ORDER BY 1"
        )
        stored = db.rows("SELECT DISTINCT vendor FROM contracts WHERE vendor ILIKE 'capita%'")
    finally:
        db.close()
    assert rows == [
        ("CAPITA PLC", "Capita"),
        ("Capita", "Capita"),
        ("Capita Business Services Ltd", "Capita"),
        ("Civica", "Civica"),
        ("Civica UK Ltd", "Civica"),
        ("IDOX PLC", "Idox"),
        ("Idox", "Idox"),
    ]
    assert len(stored) == 3, "the records keep every spelling as written"


SPELLINGS = [
    (market_data.CAMDEN, "Housing", "Acme Housing", "Acme Systems Ltd", "", "", "1", ""),
    (market_data.CAMDEN, "Housing", "Acme Housing", "Acme Systems Ltd", "", "", "1", ""),
    (market_data.HACKNEY, "Housing", "Acme Housing", "ACME SYSTEMS LIMITED", "", "", "1", ""),
    (market_data.ISLINGTON, "Housing", "Acme Housing", "Acme Systems", "", "", "1", ""),
    (market_data.HACKNEY, "Parking", "Civica Parking", "Civca", "", "", "1", ""),
    (market_data.CAMDEN, "Parking", "Capita Parking", "Capita Revenues Services", "", "", "1", ""),
    (market_data.CAMDEN, "Parking", "Mill Permits", "Mill Systems", "", "", "1", ""),
    (market_data.CAMDEN, "Parking", "OLM Permits", "OLM Systems", "", "", "1", ""),
    (market_data.HACKNEY, "Parking", "Jadu Permits", "JADU", "", "", "1", ""),
]


def test_suggestions_find_near_duplicates_and_leave_different_companies_alone(tmp_path):
    db = market_data.build(tmp_path, market_data.ROWS + SPELLINGS)
    try:
        with db.read() as r:
            found = vendors.suggest_aliases(r)
    finally:
        db.close()
    pairs = dict(zip(found.alias, found.vendor, strict=True))
    assert pairs == {
        "ACME SYSTEMS LIMITED": "Acme Systems Ltd",  # the rarer spelling joins the commoner
        "Acme Systems": "Acme Systems Ltd",
        "Civca": "Civica",  # a typo of a canonical vendor
        "Capita Revenues Services": "Capita",  # a division's name
    }
    row = found.set_index("alias").loc["ACME SYSTEMS LIMITED"]
    assert row["records"] == 1 and row["vendor_records"] == 2 and row["score"] == 100
    assert "company form" in row["reason"]
    assert "JADU" not in pairs, "already grouped by its folded spelling"
    assert "Mill Systems" not in pairs and "OLM Systems" not in pairs


def test_accepting_a_suggestion_groups_the_records_and_refreshes_the_cache_key(tmp_path):
    db = market_data.build(tmp_path, market_data.ROWS + SPELLINGS)
    try:
        before = versions.data_version(db)
        stored = vendors.accept_alias(db, "ACME SYSTEMS LIMITED", "Acme Systems Ltd", "ann")
        assert stored == "Acme Systems Ltd"
        assert versions.data_version(db) > before
        vendors.accept_alias(db, "Acme Systems", "Acme Systems Ltd", "ann")
        with db.read() as r:
            ranking = market.ranking_from(
                market.aggregate(r, FilterState(service_area=("Housing",))), top_n=10
            )
            row = r.rows("SELECT * FROM vendor_aliases WHERE alias = 'acme systems'")[0]
            left = set(vendors.suggest_aliases(r)["alias"])
            assert left == {"Civca", "Capita Revenues Services"}
        assert dict(zip(ranking.vendor, ranking.records, strict=True))["Acme Systems Ltd"] == 4
        assert row[1:3] == ("Acme Systems Ltd", "ann") and row[3] is not None
    finally:
        db.close()


def test_accepting_resolves_to_the_canonical_name_and_never_chains(tmp_path):
    db = market_data.build(tmp_path)
    try:
        # grouping under a spelling of Capita stores Capita itself
        assert vendors.accept_alias(db, "Capita Group Services", "CAPITA PLC", "ann") == "Capita"
        # renaming the canonical spelling moves every alias that pointed at it
        assert vendors.accept_alias(db, "Capita", "Capita Group", "ann") == "Capita Group"
        targets = {v for (v,) in db.rows("SELECT DISTINCT vendor FROM vendor_aliases")}
        chained = db.rows(
            f"SELECT a.alias FROM vendor_aliases AS a JOIN vendor_aliases AS b"
            f" ON {vendors.fold_sql('a.vendor')} = b.alias WHERE b.vendor <> a.vendor"
        )
        shown = db.rows(
            "SELECT vendor, count(*) FROM current_contracts WHERE vendor ILIKE 'capita%'"
            " GROUP BY vendor"
        )
    finally:
        db.close()
    assert "Capita" not in targets and chained == []
    assert shown == [("Capita Group", 6)]


@pytest.mark.parametrize(
    ("alias", "vendor", "who", "message"),
    [
        ("!!!", "Capita", "ann", "no letters or digits"),
        ("Capita X", "", "ann", "vendor name"),
        ("Capita X", "C" * 201, "ann", "vendor name"),
        ("Capita X", "Capita", " ", "who"),
    ],
)
def test_unusable_aliases_are_refused_and_nothing_is_written(tmp_path, alias, vendor, who, message):
    db = market_data.build(tmp_path)
    try:
        before = db.scalar("SELECT count(*) FROM vendor_aliases")
        with pytest.raises(vendors.AliasError, match=message):
            vendors.accept_alias(db, alias, vendor, who)
        assert db.scalar("SELECT count(*) FROM vendor_aliases") == before
    finally:
        db.close()


def test_a_v2_file_migrates_to_v3_and_keeps_its_data(tmp_path):
    path = tmp_path / "v2.duckdb"
    old = Database(path)
    versions.migrate(old, target=2)
    with old.write() as w:
        w.execute(
            "INSERT INTO snapshots (id, borough_code, created_at, file_name, file_hash,"
            " rows_imported, rows_rejected, status, source, created_by) VALUES (1, 'E09000007',"
            " now(), 'camden.csv', 'abc', 2, 0, 'active', 'upload', 'ann@camden')"
        )
        w.execute(
            "INSERT INTO contracts (snapshot_id, record_no, borough_code, borough, service_area,"
            " system, vendor, manufacturer, annual_value, source) VALUES"
            " (1, 1, 'E09000007', 'Camden', 'Housing', 'Open Housing', 'CAPITA PLC', NULL,"
            " 1234.56, 'upload'),"
            " (1, 2, 'E09000007', 'Camden', 'Housing', 'Acme', 'Acme Ltd', NULL, NULL, 'upload')"
        )
        w.execute("INSERT INTO raw_files VALUES ('abc', 'camden.csv', 3, 'abc'::BLOB, now())")
    old.close()

    db = lifecycle.open_store(path)
    try:
        with db.read() as r:
            assert versions.schema_version(r) == versions.SCHEMA_VERSION >= 3
            assert r.rows(
                "SELECT vendor, vendor_as_written, annual_value FROM current_contracts"
                " ORDER BY vendor"
            ) == [
                ("Acme Ltd", "Acme Ltd", None),
                ("Capita", "CAPITA PLC", Decimal("1234.56")),
            ]
            assert r.scalar("SELECT created_by FROM snapshots") == "ann@camden"
            assert r.scalar("SELECT count(*) FROM raw_files") == 1
            assert rawfiles.content(r, "abc") == b"abc"  # carried over, still readable
            assert r.scalar("SELECT count(*) FROM vendor_aliases") == len(vendors.load_csv())
            assert r.scalar("SELECT count(*) FROM contracts") == 2
    finally:
        db.close()


def cli(*args: str) -> subprocess.CompletedProcess:
    return command.run(*args, text=True)


def test_the_aliases_command_lists_suggests_and_accepts(tmp_path):
    market_data.build(tmp_path, market_data.ROWS + SPELLINGS).close()
    path = str(tmp_path / "market.duckdb")

    listed = cli("aliases", "--db", path, "--json")
    assert listed.returncode == 0, listed.stderr
    capita = next(a for a in json.loads(listed.stdout) if a["alias"] == "capita plc")
    assert capita["vendor"] == "Capita" and capita["records"] == 1

    suggested = cli("aliases", "--db", path, "--suggest", "--json")
    assert {s["alias"] for s in json.loads(suggested.stdout)} >= {"Civca", "Acme Systems"}

    accepted = cli("aliases", "--db", path, "--accept", "Civca=Civica", "--user", "ann")
    assert accepted.returncode == 0, accepted.stderr
    assert "Grouped “Civca” under “Civica”." in accepted.stdout
    after = cli("aliases", "--db", path, "--suggest", "--json")
    assert "Civca" not in {s["alias"] for s in json.loads(after.stdout)}

    bad = cli("aliases", "--db", path, "--accept", "no equals sign")
    assert bad.returncode == 2 and "ALIAS=VENDOR" in bad.stderr
    refused = cli("aliases", "--db", path, "--accept", "!!!=Capita")
    assert refused.returncode == 1 and "no letters or digits" in refused.stderr
    assert "Traceback" not in bad.stderr + refused.stderr


@pytest.mark.parametrize(
    ("given", "said"),
    [
        (("--cutoff", "50"), "--cutoff is how alike suggested names are: give it with --suggest."),
        (("--user", "ann"), "--user is recorded as who grouped a spelling: give it with --accept."),
    ],
)
def test_an_aliases_option_that_would_do_nothing_is_a_usage_error(db_path, given, said):
    """`aliases --cutoff 50` listed the aliases as if it had not been given."""
    done = command.run("aliases", *given, text=True)
    assert (done.returncode, done.stderr.strip()) == (2, f"error: {said}")
    assert command.run("aliases", "--suggest", "--cutoff", "50", text=True).returncode == 0
