"""Councils made since the national register: Northamptonshire (2021), Cumbria, North Yorkshire
and Somerset (2023).

The register and the boundaries the app is built from date from 2020, when 24 districts and four
county councils still stood where six unitary councils are now. data/reorganisations.csv
(kept by hand, read by data/scripts/make_authorities.py) adds the six, ends the bodies they
replaced and makes each new council's shape from theirs. A notice or a register from North
Yorkshire Council is then North Yorkshire's; an old name is the council that holds its area now;
a county split in two is refused with what happened to it.
"""

from __future__ import annotations

import csv
import io

import duckdb
import pytest
from shapely.geometry import Point, shape

from citydata import lifecycle
from citydata.core import authorities, boroughs, buyers, regions, settings
from citydata.core.settings import DATA_DIR
from citydata.store import regiondata
from tests.conftest import DATA as TEST_DATA

NEW = {
    "E06000061": "North Northamptonshire",
    "E06000062": "West Northamptonshire",
    "E06000063": "Cumberland",
    "E06000064": "Westmorland and Furness",
    "E06000065": "North Yorkshire",
    "E06000066": "Somerset",
}
# A town of each new council (longitude, latitude), in what was one of the districts it replaced.
TOWNS = {
    "E06000061": ("Kettering", -0.725, 52.398),
    "E06000062": ("Northampton", -0.893, 52.237),
    "E06000063": ("Carlisle", -2.935, 54.892),
    "E06000064": ("Kendal", -2.746, 54.327),
    "E06000065": ("Harrogate", -1.537, 53.992),
    "E06000066": ("Taunton", -3.103, 51.015),
}


@pytest.fixture
def uk(monkeypatch) -> regions.Region:
    monkeypatch.setenv(regions.SETTING, "united-kingdom")
    return regions.current()


def test_the_six_councils_are_in_the_region_and_the_bodies_they_replaced_are_not(uk):
    assert {code: uk.by_code[code].name for code in NEW} == NEW
    gone = [a for a in authorities.registry() if a.end_date in ("2021-03-31", "2023-03-31")]
    assert len(gone) == 28 and not any(a.code in uk.by_code for a in gone)
    assert {a.tier for a in gone} == {"district", "county"}


def test_each_new_council_has_one_shape_covering_the_districts_it_replaced(uk):
    features = {f["properties"]["code"]: f for f in uk.geojson()["features"]}
    for code, (town, lon, lat) in TOWNS.items():
        assert shape(features[code]["geometry"]).contains(Point(lon, lat)), town
        assert features[code]["properties"]["name"] == NEW[code]
    # Harrogate is in North Yorkshire only: no other shape holds it (the old district's is gone).
    holding = [
        c for c, f in features.items() if shape(f["geometry"]).contains(Point(-1.537, 53.992))
    ]
    assert holding == ["E06000065"]


@pytest.mark.parametrize(
    ("name", "now"),
    [
        ("North Yorkshire Council", "North Yorkshire"),
        ("Harrogate Borough Council", "North Yorkshire"),  # ended 2023: its area is now
        ("North Yorkshire County Council", "North Yorkshire"),
        ("Carlisle City Council", "Cumberland"),
        ("West Somerset District Council", "Somerset"),  # 2019 into Somerset West and Taunton
        ("Somerset County Council", "Somerset"),
        ("Wellingborough Borough Council", "North Northamptonshire"),
        ("Westmorland & Furness Council", "Westmorland and Furness"),
    ],
)
def test_a_name_old_or_new_is_the_council_that_holds_the_area_now(uk, name, now):
    assert boroughs.resolve(name).name == now


def test_a_county_split_in_two_is_refused_with_what_became_of_it(uk):
    assert boroughs.resolve("Cumbria County Council") is None
    with pytest.raises(boroughs.UnknownBorough) as caught:
        boroughs.lookup("Cumbria County Council")
    assert str(caught.value).endswith(
        "(it is Cumbria County Council, which ended on 31 Mar 2023; its area is now "
        "Cumberland and Westmorland and Furness)"
    )


def test_an_old_name_elsewhere_says_where_its_area_went(monkeypatch):
    monkeypatch.setenv(regions.SETTING, "greater-manchester")
    with pytest.raises(boroughs.UnknownBorough) as caught:
        boroughs.lookup("Craven District Council")
    assert str(caught.value).endswith(
        "(it is Craven District Council, which ended on 31 Mar 2023; its area is now "
        "North Yorkshire, outside Greater Manchester)"
    )


def _notices(*names: str) -> list[dict[str, str]]:
    path = TEST_DATA / "real" / "cf_export_notices_2025-11.csv"
    with path.open(encoding="utf-8-sig", newline="") as f:
        return [r for r in csv.DictReader(f) if r["Organisation Name"] in names]


def test_real_notices_of_the_new_councils_and_through_platforms_find_their_buyer(uk):
    """Contracts Finder, November 2025: buyers the app used to leave out as not recognised."""
    found = {
        (r["Organisation Name"], r["Contact Email"].split("@")[-1].lower()): buyers.find(
            r["Organisation Name"], r["Contact Email"]
        )
        for r in _notices(
            "West Northamptonshire Council",
            "Westmorland and Furness Council",
            "Somerset Council",
            "EU SUPPLY LIMITED",
            "Coventry City Council (COV)",
        )
    }
    named = {key: (f.authority.name, f.how) for key, f in found.items() if f is not None}
    assert named[("West Northamptonshire Council", "westnorthants.gov.uk")] == (
        "West Northamptonshire",
        "name",
    )
    assert named[("Coventry City Council (COV)", "coventry.gov.uk")] == ("Coventry", "name")
    # A publishing platform as the buyer: the council's contact address names it.
    assert named[("EU SUPPLY LIMITED", "eastriding.gov.uk")] == (
        "East Riding of Yorkshire",
        "e-mail",
    )
    assert named[("EU SUPPLY LIMITED", "rotherham.gov.uk")] == ("Rotherham", "e-mail")


def test_real_notices_whose_buyer_name_goes_on_past_the_council_find_it(uk):
    """Contracts Finder, November 2025: a department, an "on behalf of", a city's new name and
    the legal style were each a council's notice left out as not recognised."""
    names = {
        "Hertfordshire County Council - Environment": "Hertfordshire",
        "Wyre Forest District Council on Behalf of WFDC / RBC / BDC": "Wyre Forest",
        "Southend City Council": "Southend-on-Sea",
        "The Borough Council of Calderdale": "Calderdale",
        # two councils (each's: buyers.joint), a council with a company, a town council: none
        # is one council's
        "Babergh and Mid Suffolk District Councils": None,
        "Halton Borough Council and Commercials Services Kent Ltd t/a Connect2Halton": None,
        "HYTHE TOWN COUNCIL": None,
    }
    found = {}
    for r in _notices(*names):
        buyer = buyers.find(r["Organisation Name"], r["Contact Email"])
        found[r["Organisation Name"]] = buyer and buyer.authority.name
    assert found == names
    # Imported, the four councils' notices are refused only as not technology, and so is the
    # notice Babergh and Mid Suffolk bought jointly (citydata.ingest.joint): it is theirs.
    from citydata import ingest

    with (TEST_DATA / "real" / "cf_export_notices_2025-11.csv").open(
        encoding="utf-8-sig", newline=""
    ) as f:
        rows = list(csv.reader(f))
    out = io.StringIO()
    csv.writer(out).writerows([rows[0]] + [r for r in rows[1:] if r[2] in names])
    p = ingest.prepare(out.getvalue().encode(), "notices.csv")
    buyer = {x.value for x in p.rejects if x.column == "Organisation Name"}
    assert buyer == {
        "HYTHE TOWN COUNCIL",
        "Halton Borough Council and Commercials Services Kent Ltd t/a Connect2Halton",
    }


@pytest.mark.parametrize(
    ("region", "name", "expected"),
    [
        ("london", "London Borough of Hackney - ICT", "Hackney"),
        ("london", "Camden, Islington and Haringey Councils", None),  # not one council
        ("united-kingdom", "Bristol, North Somerset and South Gloucestershire ICB", None),
        ("united-kingdom", "Leeds City Council: Digital and Information Service", "Leeds"),
        ("united-kingdom", "Kent County Council (KCC) – Adult Social Care", "Kent"),
        ("united-kingdom", "Wigan Council acting on behalf of AGMA", "Wigan"),
        # ... but not when the rest names another council: the buyer is both, or the other
        ("london", "City of Westminster, Royal Borough of Kensington and Chelsea", None),
        ("united-kingdom", "Camden Council on behalf of Hertfordshire County Council", None),
        ("united-kingdom", "Leeds City Council - Bradford / Wakefield", None),
    ],
)
def test_a_buyer_named_with_a_department_is_its_council_only_when_it_says_council(
    monkeypatch, region, name, expected
):
    monkeypatch.setenv(regions.SETTING, region)
    found = buyers.find(name)
    assert (found and found.authority.name) == expected


def test_the_reorganisations_file_names_only_bodies_the_register_knows():
    with (DATA_DIR / "reorganisations.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    known = authorities.by_code()
    assert [r["code"] for r in rows] == sorted(NEW)
    for row in rows:
        replaced = [known[c] for c in row["predecessors"].split()]
        assert all(a.end_date and a.end_date < row["start_date"] for a in replaced)
        assert known[row["code"]].official_name == row["official_name"]


def _current(path) -> dict[str, tuple[str, int]]:
    db = lifecycle.open_store(path)
    try:
        rows = db.rows(
            "SELECT borough_code, borough, min(source), count(*) FROM current_contracts"
            " WHERE borough_code IN ('E06000065', 'E07000165', 'E07000163') GROUP BY ALL"
        )
    finally:
        db.close()
    return {code: (name, source, n) for code, name, source, n in rows}


@pytest.mark.parametrize("how", ["demo", "rollback"])
def test_a_database_built_before_follows_the_reorganisation_and_keeps_what_was_uploaded(
    uk, tmp_path, how
):
    path = lifecycle.build(tmp_path / "uk.duckdb")
    db = lifecycle.open_store(path)
    try:
        # As a database built before 2023: Harrogate's and Craven's own data, no North Yorkshire.
        # Harrogate's illustrative data as built, or brought back by a rollback (a snapshot of
        # its own, 'rollback', holding the illustrative records): it stayed current before.
        harrogate = db.scalar("SELECT id FROM snapshots WHERE borough_code = 'E06000065'")
        with db.write() as w:
            w.execute(
                "UPDATE snapshots SET borough_code = 'E07000165', source = ? WHERE id = ?",
                [how, harrogate],
            )
            w.execute(
                "UPDATE contracts SET borough_code = 'E07000165', borough = 'Harrogate'"
                " WHERE snapshot_id = ?",
                [harrogate],
            )
            craven = w.scalar("SELECT nextval('snapshot_ids')")
            w.execute(
                "INSERT INTO snapshots (id, borough_code, created_at, file_name, file_hash,"
                " rows_imported, rows_rejected, status, source, created_by)"
                " VALUES (?, 'E07000163', now(), 'craven.csv', 'x', 1, 0, 'active', 'upload',"
                " 'a steward')",
                [craven],
            )
            w.execute(
                "INSERT INTO contracts (snapshot_id, record_no, borough_code, borough, system,"
                " vendor, source) VALUES (?, 1, 'E07000163', 'Craven', 'Uniform', 'Idox',"
                " 'upload')",
                [craven],
            )
        before = db.scalar("SELECT count(*) FROM contracts")
    finally:
        db.close()
    assert set(_current_raw(path)) == {"E07000165", "E07000163"}

    after = _current(path)  # opening it follows the reorganisation
    assert "E07000165" not in after  # Harrogate's illustrative data: no longer current
    name, source, n = after["E06000065"]
    assert (name, source) == ("North Yorkshire", "demo") and n > 0
    assert after["E07000163"] == ("Craven", "upload", 1)  # a steward's upload stays as it was
    db = lifecycle.open_store(path)
    try:  # nothing was deleted: Harrogate's records are kept, superseded
        assert db.scalar("SELECT count(*) FROM contracts") == before + n
        assert db.scalar("SELECT status FROM snapshots WHERE id = ?", [harrogate]) == "superseded"
        snapshots = db.scalar("SELECT count(*) FROM snapshots")
    finally:
        db.close()
    assert _current(path) == after  # and opening it again changes nothing
    db = lifecycle.open_store(path)
    try:
        assert db.scalar("SELECT count(*) FROM snapshots") == snapshots
    finally:
        db.close()


def _current_raw(path) -> set[str]:
    """The councils of North Yorkshire's area with current data, without opening as the app."""
    with duckdb.connect(str(path), read_only=True) as con:
        return {
            code
            for (code,) in con.execute(
                "SELECT DISTINCT borough_code FROM current_contracts"
                " WHERE borough_code IN ('E06000065', 'E07000165', 'E07000163')"
            ).fetchall()
        }


def test_a_list_of_councils_recorded_before_follows_to_the_council_that_took_each_over(
    monkeypatch, tmp_path
):
    """A database set up for Craven and Adur (before 2023) opens for North Yorkshire and Adur;
    the old list is refused as a setting, with the codes to use instead."""
    monkeypatch.setenv(regions.SETTING, "E06000065, E07000223")
    path = lifecycle.build(tmp_path / "custom.duckdb")
    db = lifecycle.open_store(path)
    with db.write() as w:  # as recorded before
        w.execute(
            "UPDATE meta SET value = 'custom:E07000163,E07000223' WHERE key = ?",
            [regiondata.REGION_KEY],
        )
    db.close()

    monkeypatch.setenv(regions.SETTING, "E07000163,E07000223")
    with pytest.raises(settings.SettingError) as caught:
        regions.current()
    assert "its area is now North Yorkshire (E06000065)" in str(caught.value)

    monkeypatch.setenv(regions.SETTING, "london")
    with pytest.raises(settings.SettingError) as caught:
        lifecycle.open_store(path)
    assert "Set CITYTOOLS_REGION to E06000065,E07000223, or point" in str(caught.value)

    monkeypatch.setenv(regions.SETTING, "E06000065,E07000223")
    db = lifecycle.open_store(path)
    try:
        assert regiondata.region_of(db) == "custom:E06000065,E07000223"
        assert {n for (n,) in db.rows("SELECT DISTINCT borough FROM current_contracts")} == {
            "North Yorkshire",
            "Adur",
        }
    finally:
        db.close()


def test_a_register_naming_old_councils_is_stored_under_the_councils_now(uk):
    from citydata import ingest

    register = (
        "Council,Service area,System,Vendor,Contract end\n"
        "Harrogate Borough Council,Housing,Northgate Housing,Northgate,31/03/2027\n"
        "Cumbria County Council,Libraries,Spydus,Civica,31/03/2028\n"
        "Westmorland & Furness Council,Libraries,Spydus,Civica,31/03/2028\n"
    )
    p = ingest.prepare(register.encode(), "register.csv")
    assert p.records["borough"].tolist() == ["North Yorkshire", "Westmorland and Furness"]
    assert p.records["borough_code"].tolist() == ["E06000065", "E06000064"]
    [cumbria] = p.rejects
    assert cumbria.row == 3 and "its area is now Cumberland and Westmorland" in cumbria.reason


def test_councils_kept_under_their_old_names_are_not_counted_as_the_regions(monkeypatch, tmp_path):
    """A database set up before 2023 for York, Craven and Harrogate, whose Craven and Harrogate
    registers stay current under those names once it follows to York and North Yorkshire: the
    Overview said "Councils covered: 3 of 2", the Vendor profile "3 of 2", and the Market's
    share of councils could pass 100%, while the map (only the region's councils) showed North
    Yorkshire without records."""
    from datetime import date

    from citydata.query import market, selection, vendor_profile
    from citydata.query.filters import FilterState

    monkeypatch.setenv(regions.SETTING, "E06000014,E06000065")
    path = lifecycle.build(tmp_path / "old-list.duckdb")
    with duckdb.connect(str(path)) as con:  # as stored before 2023
        [(ny,)] = con.execute(
            "SELECT id FROM snapshots WHERE borough_code = 'E06000065'"
        ).fetchall()
        con.execute(
            "UPDATE snapshots SET borough_code = 'E07000165', source = 'upload' WHERE id = ?", [ny]
        )
        con.execute(
            "UPDATE contracts SET borough_code = 'E07000165', borough = 'Harrogate',"
            " vendor = 'Idox' WHERE snapshot_id = ?",
            [ny],
        )
        [(craven,)] = con.execute("SELECT nextval('snapshot_ids')").fetchall()
        con.execute(
            "INSERT INTO snapshots (id, borough_code, created_at, file_name, file_hash,"
            " rows_imported, rows_rejected, status, source, created_by) VALUES"
            " (?, 'E07000163', now(), 'craven.csv', 'x', 1, 0, 'active', 'upload', 'ann')",
            [craven],
        )
        con.execute(
            "INSERT INTO contracts (snapshot_id, record_no, borough_code, borough, service_area,"
            " system, vendor, source, contract_end) VALUES (?, 1, 'E07000163', 'Craven',"
            " 'Planning and building control', 'Uniform', 'Idox', 'upload', DATE '2027-03-31')",
            [craven],
        )
        con.execute(
            "UPDATE meta SET value = 'custom:E06000014,E07000163,E07000165' WHERE key = ?",
            [regiondata.REGION_KEY],
        )
    db = lifecycle.open_store(path)
    try:
        with db.read() as r:
            held = {c for (c,) in r.rows("SELECT DISTINCT borough_code FROM current_contracts")}
            figures = selection.headline(r, FilterState(), date(2026, 10, 1))
            idox = vendor_profile.profile(r, FilterState(), "Idox").summary
            ranked = market.ranking_from(market.aggregate(r, FilterState()))
            york_idox = r.scalar(
                "SELECT count(*) > 0 FROM current_contracts"
                " WHERE borough_code = 'E06000014' AND vendor = 'Idox'"
            )
    finally:
        db.close()
    assert held == {"E06000014", "E07000163", "E07000165"}  # York's and the two kept registers
    assert boroughs.count() == 2
    assert figures["boroughs"] == 1  # York: North Yorkshire itself holds no records
    assert idox["boroughs"] == int(york_idox)  # of 2, never Craven's and Harrogate's too
    assert ranked["boroughs_share"].max() <= 100
    assert ranked.loc[ranked["vendor"] == "Idox", "boroughs"].tolist() == [int(york_idox)]
