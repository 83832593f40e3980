"""Regions: the registry of every UK authority, CITYTOOLS_REGION, and a database's own region."""

from __future__ import annotations

import csv
import json
import unicodedata

import pytest
from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st

from citydata import lifecycle
from citydata.core import authorities, boroughs, buyers, demo, london, regions, settings
from citydata.store import regiondata
from tests import command
from tests.conftest import ROOT

SIZES = {
    "london": 33,
    "greater-manchester": 10,
    "west-midlands": 7,
    "liverpool-city-region": 6,
    "west-yorkshire": 5,
    "south-yorkshire": 4,
    "north-east": 7,
    "tees-valley": 5,
    "west-of-england": 3,
    "cambridgeshire-and-peterborough": 7,
    "york-and-north-yorkshire": 2,
    "east-midlands": 4,
    "greater-lincolnshire": 3,
    "hull-and-east-yorkshire": 2,
    "lancashire": 3,
    "devon-and-torbay": 2,
    "wales": 22,
    "scotland": 32,
    "united-kingdom": 382,
}
CUSTOM = "E07000223, E07000224,E10000032"  # Adur, Arun (districts) and West Sussex (county)


@pytest.mark.parametrize(("key", "size"), SIZES.items())
def test_every_region_of_the_file_has_its_councils(region, key: str, size: int) -> None:
    chosen = region(key)
    assert chosen.key == key and len(chosen.authorities) == size == len(boroughs.BOROUGHS)
    assert all(a.active for a in chosen.authorities)
    assert [a.code for a in chosen.authorities] == sorted(a.code for a in chosen.authorities)
    assert boroughs.count() == size


def test_london_is_the_default_and_unchanged(monkeypatch) -> None:
    monkeypatch.delenv(regions.SETTING, raising=False)
    assert regions.current().key == "london"
    assert boroughs.BOROUGHS == authorities.LONDON
    assert boroughs.noun() == "borough" and boroughs.noun(2, capital=True) == "Boroughs"


def test_every_london_spelling_survives_the_national_registry() -> None:
    table = authorities.national_lookup()
    for borough in authorities.LONDON:
        for alias in london.aliases(borough):
            assert table[authorities.fold(alias)] is borough, alias


def test_a_custom_list_of_codes(region) -> None:
    chosen = region(CUSTOM)
    assert chosen.key == "custom:E07000223,E07000224,E10000032"
    assert boroughs.NAMES == ("Adur", "Arun", "West Sussex")
    assert boroughs.noun(1) == "council"
    assert [a.code for a in chosen.without_shape] == ["E10000032"]  # the county: no shape


def test_a_list_of_one_council_is_named_in_the_singular(region) -> None:
    one = region("E07000223")
    assert one.label == "this council"  # (not "this 1 council")
    assert one.describe() == "the one council this app is set up for"
    assert region(CUSTOM).label == "these 3 councils"


def test_records_of_one_authority_outside_the_region_are_named_in_the_singular(
    region, tmp_path
) -> None:
    london = [a.code for a in regions.parse("london").authorities]
    region(",".join(london[1:]))
    with pytest.raises(lifecycle.StoreError, match="holds records of 1 authority outside these 32"):
        lifecycle.build(tmp_path / "x.duckdb", csv=demo.EMBEDDED_CSV)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("atlantis", "CITYTOOLS_REGION is “atlantis”: give one of london, greater-manchester"),
        ("E08000001, E99999999", "E99999999 is no UK local authority's code"),
        (
            "E07000007",
            "E07000007 is Wycombe District Council, which ended on 31 Mar 2020; its area is "
            "now Buckinghamshire (E06000060)",
        ),
        (
            "E07000165, E10000006",
            "E07000165 is Harrogate Borough Council, which ended on 31 Mar 2023; its area is "
            "now North Yorkshire (E06000065); E10000006 is Cumbria County Council, which ended "
            "on 31 Mar 2023; its area is now Cumberland (E06000063) and Westmorland and "
            "Furness (E06000064)",
        ),
    ],
)
def test_a_region_it_cannot_use_is_refused_by_name(region, value: str, message: str) -> None:
    with pytest.raises(settings.SettingError, match="CITYTOOLS_REGION") as caught:
        region(value)
    assert message in str(caught.value)


NAMES = [
    ("greater-manchester", "Bolton Council", "E08000001"),
    ("greater-manchester", "BOLTON METROPOLITAN BOROUGH COUNCIL", "E08000001"),
    ("greater-manchester", "Manchester City Council", "E08000003"),
    ("greater-manchester", "City of Salford", "E08000006"),
    ("greater-manchester", "Wigan MBC", "E08000010"),
    ("greater-manchester", "E08000009", "E08000009"),
    ("liverpool-city-region", "St Helens Council", "E08000013"),
    ("liverpool-city-region", "St. Helens", "E08000013"),
    ("wales", "City of Cardiff Council", "W06000015"),
    ("wales", "Cardiff Council", "W06000015"),
    ("wales", "Caerdydd", "W06000015"),
    ("wales", "Sir Ynys Môn", "W06000001"),
    ("wales", "Rhondda Cynon Taf County Borough Council", "W06000016"),
    # Welsh councils as they name themselves in Welsh, and the short "CBC"
    ("wales", "Cyngor Caerdydd", "W06000015"),
    ("wales", "Cyngor Gwynedd", "W06000002"),
    ("wales", "Cyngor Sir Powys", "W06000023"),
    ("wales", "Cyngor Sir Fynwy", "W06000021"),
    ("wales", "Cyngor Sir Ynys Môn", "W06000001"),
    ("wales", "Ynys Môn", "W06000001"),
    ("wales", "Anglesey", "W06000001"),
    ("wales", "Cyngor Bwrdeistref Sirol Wrecsam", "W06000006"),
    ("wales", "Dinas a Sir Abertawe", "W06000011"),
    ("wales", "Bridgend CBC", "W06000013"),
    ("wales", "Cyngor Sir Ddinbych", "W06000004"),
    ("wales", "Cyngor Dinas a Sir Abertawe", "W06000011"),
    ("wales", "Cyngor Dinas Casnewydd", "W06000022"),
    ("united-kingdom", "Cyngor Caerdydd", "W06000015"),
    ("scotland", "Western Isles Council", "S12000013"),
    ("scotland", "Na h-Eileanan Siar", "S12000013"),
    ("scotland", "The Highland Council", "S12000017"),
    ("scotland", "Glasgow City Council", "S12000049"),
    ("united-kingdom", "Tewkesbury Borough Council", "E07000083"),
    ("united-kingdom", "North Gloucestershire", "E07000083"),  # ONS's 2025 name
    ("united-kingdom", "Kent County Council", "E10000016"),
    ("united-kingdom", "London Borough of Hammersmith & Fulham", "E09000013"),
    ("united-kingdom", "Wycombe District Council", "E06000060"),  # abolished: its successor
    # The register's other names give the forms too ("Southend UA"), and the legal style
    ("united-kingdom", "Southend City Council", "E06000033"),
    ("united-kingdom", "The Borough Council of Calderdale", "E08000033"),
    ("united-kingdom", "Kingston upon Hull, City of", "E06000010"),
    ("E06000060, E06000059", "Aylesbury Vale", "E06000060"),
]


@pytest.mark.parametrize(("key", "text", "code"), NAMES)
def test_a_council_is_found_however_written(region, key: str, text: str, code: str) -> None:
    region(key)
    assert boroughs.lookup(text).code == code
    assert boroughs.outside(text) is None


def test_a_welsh_buyer_s_department_is_its_council(region) -> None:
    region("wales")
    assert buyers.by_name("Cyngor Gwynedd - Adran Technoleg Gwybodaeth").code == "W06000002"
    region("greater-manchester")  # a Welsh council is outside, and said so
    assert boroughs.outside("Cyngor Gwynedd").code == "W06000002"
    region("wales")
    assert buyers.by_name("Cyngor Sir Powys on behalf of Mid Wales").code == "W06000023"
    assert buyers.by_name("Cyngor Sir Powys - Cyngor Gwynedd") is None  # two councils


def test_a_council_outside_the_region_is_named_as_such(region) -> None:
    region("wales")
    assert boroughs.resolve("LB Camden") is None
    assert boroughs.outside("LB Camden").code == "E09000007"
    with pytest.raises(boroughs.UnknownBorough) as caught:
        boroughs.lookup("Bolton Council")
    assert str(caught.value) == (
        '"Bolton Council" is not one of the 22 councils of Wales '
        "(it is Bolton Metropolitan Borough Council, which is outside Wales)"
    )
    with pytest.raises(boroughs.UnknownBorough, match=r'^"Gotham" is not one of the 22 councils'):
        boroughs.lookup("Gotham")


def test_tiers_counties_and_their_districts() -> None:
    by_code = authorities.by_code()
    adur, west_sussex = by_code["E07000223"], by_code["E10000032"]
    assert (adur.tier, adur.county, adur.has_district_shape) == ("district", "E10000032", True)
    assert (west_sussex.tier, west_sussex.has_district_shape) == ("county", False)
    wycombe = by_code["E07000007"]
    assert not wycombe.active and wycombe.successor == "E06000060"
    assert {a.tier for a in authorities.registry()} == set(authorities.TIERS)


def test_every_district_has_a_shape_and_only_counties_have_none(region) -> None:
    uk = region("united-kingdom")
    features = uk.geojson()["features"]
    assert len(features) == 361
    assert {f["properties"]["code"] for f in features} == {
        a.code for a in uk.authorities if a.has_district_shape
    }
    assert {a.tier for a in uk.without_shape} == {"county"} and len(uk.without_shape) == 21
    geometry = pytest.importorskip("shapely.geometry")
    for f in features:
        assert geometry.shape(f["geometry"]).is_valid, f["properties"]["name"]
    assert authorities.DISTRICTS_PATH.stat().st_size < 1_100_000


def test_a_county_without_its_districts_is_drawn_as_their_ground(region) -> None:
    """Derbyshire and Nottinghamshire in the East Midlands Combined County Authority: each
    county's area is its districts' ground, without the slivers where their simplified shapes
    do not meet, and with the hole of the city it surrounds (drawn as its own council)."""
    geometry = pytest.importorskip("shapely.geometry")
    east_midlands = region("east-midlands")
    assert east_midlands.without_shape == ()
    features = {f["properties"]["name"]: f for f in east_midlands.geojson()["features"]}
    assert sorted(features) == ["Derby", "Derbyshire", "Nottingham", "Nottinghamshire"]
    with authorities.DISTRICTS_PATH.open(encoding="utf-8") as f:
        fine = {x["properties"]["code"]: x for x in json.load(f)["features"]}
    by_code = authorities.by_code()
    for county, city in (("Derbyshire", "Derby"), ("Nottinghamshire", "Nottingham")):
        shape = geometry.shape(features[county]["geometry"])
        assert shape.is_valid
        districts = [
            geometry.shape(fine[a.code]["geometry"])
            for a in authorities.registry()
            if a.active and a.county == by_code[features[county]["properties"]["code"]].code
        ]
        assert len(districts) in (7, 8)
        assert abs(shape.area - sum(d.area for d in districts)) < 0.002 * shape.area
        assert all(shape.contains(d.representative_point()) for d in districts)
        assert not shape.contains(geometry.shape(features[city]["geometry"]).representative_point())
        holes = [h for p in getattr(shape, "geoms", [shape]) for h in p.interiors]
        assert len(holes) == 1, f"{county}: the city's hole only, no slivers"


def test_a_county_beside_one_of_its_districts_has_no_area_of_its_own(region) -> None:
    custom = region(CUSTOM)
    assert [a.name for a in custom.without_shape] == ["West Sussex"]
    assert [f["properties"]["name"] for f in custom.geojson()["features"]] == ["Adur", "Arun"]


def _vertices(features: list[dict]) -> int:
    def count(c) -> int:
        return 1 if isinstance(c[0], (int, float)) else sum(count(x) for x in c)

    return sum(count(f["geometry"]["coordinates"]) for f in features)


def test_the_national_view_draws_shapes_simplified_for_its_scale(region) -> None:
    """The national map sends every district on every run and draws them again to find what a
    click hit: its shapes are the region shapes simplified further (a quarter of the points),
    every district still there, each the same as its region shape give or take a pixel."""
    national = region("united-kingdom").geojson()["features"]
    wales = {f["properties"]["code"]: f for f in region("wales").geojson()["features"]}
    with authorities.DISTRICTS_PATH.open(encoding="utf-8") as f:
        fine = json.load(f)["features"]
    assert [f["properties"] for f in national] == [f["properties"] for f in fine]
    assert _vertices(national) < _vertices(fine) / 3
    assert _vertices(list(wales.values())) == _vertices(
        [f for f in fine if f["properties"]["code"] in wales]
    ), "a region's own map keeps the finer shapes"
    geometry = pytest.importorskip("shapely.geometry")
    for coarse, detailed in zip(national, fine, strict=True):
        a, b = geometry.shape(coarse["geometry"]), geometry.shape(detailed["geometry"])
        assert a.is_valid and not a.is_empty, coarse["properties"]["name"]
        # the same area give or take a ring of about a pixel round it (and the islets left out)
        assert a.symmetric_difference(b).area < 0.01 * b.length, coarse["properties"]["name"]
    assert regions.NATIONAL_GEOMETRY.stat().st_size < 400_000


def test_a_region_draws_only_its_own_shapes(region) -> None:
    gm = region("greater-manchester")
    features = gm.geojson()["features"]
    assert [f["properties"]["name"] for f in features] == list(gm.names)
    for f in features:
        for ring in f["geometry"]["coordinates"]:
            for lon, lat in ring if f["geometry"]["type"] == "Polygon" else ring[0]:
                assert -2.8 < lon < -1.9 and 53.3 < lat < 53.7


def test_the_registry_file_is_what_the_script_writes() -> None:
    with authorities.REGISTRY_PATH.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(authorities.registry()) == 430
    assert len({r["code"] for r in rows}) == len({r["name"] for r in rows}) == 430
    assert "\ufffd" not in authorities.REGISTRY_PATH.read_text(encoding="utf-8")


# ---- the database and its region ---------------------------------------------------------------


def test_a_database_is_built_for_the_region_with_its_illustrative_data(region, tmp_path) -> None:
    gm = region("greater-manchester")
    path = lifecycle.build(tmp_path / "gm.duckdb")
    db = lifecycle.open_store(path)
    try:
        assert regiondata.region_of(db) == "greater-manchester"
        rows = db.rows(
            "SELECT borough_code, borough, count(*), min(source), max(source)"
            " FROM current_contracts GROUP BY ALL ORDER BY 1"
        )
    finally:
        db.close()
    assert [(code, name) for code, name, *_ in rows] == [(a.code, a.name) for a in gm.authorities]
    assert sum(n for *_, n, _, _ in [(r[0], r[1], r[2], r[3], r[4]) for r in rows]) == 242
    assert {(lo, hi) for *_, lo, hi in rows} == {("demo", "demo")}


def test_opening_a_database_under_another_region_is_refused(region, tmp_path) -> None:
    region("wales")
    path = lifecycle.build(tmp_path / "wales.duckdb")
    region("london")
    with pytest.raises(settings.SettingError) as caught:
        lifecycle.open_store(path)
    assert str(caught.value) == (
        f"The database {path} holds the records of Wales (CITYTOOLS_REGION = wales), but this "
        "app is set up for London (CITYTOOLS_REGION = london). Set CITYTOOLS_REGION to wales, "
        "or point CITYTOOLS_DB at another file (a new one is built for the region)."
    )
    region("wales")
    lifecycle.open_store(path).close()


def test_a_database_from_before_regions_is_londons(built_db, tmp_path, region) -> None:
    db = lifecycle.open_store(built_db)
    try:
        assert regiondata.region_of(db) == "london"
    finally:
        db.close()
    region("scotland")
    with pytest.raises(settings.SettingError, match="holds the records of London"):
        lifecycle.open_store(built_db)


def test_building_from_another_regions_records_is_refused(region, tmp_path) -> None:
    region("wales")
    with pytest.raises(lifecycle.StoreError, match="outside Wales"):
        lifecycle.build(tmp_path / "x.duckdb", csv=demo.EMBEDDED_CSV)
    assert not (tmp_path / "x.duckdb").exists()


def test_the_command_line_follows_the_region(tmp_path, monkeypatch) -> None:
    db = tmp_path / "custom.duckdb"
    monkeypatch.setenv(regions.SETTING, CUSTOM)
    built = command.run("build", "--db", str(db), text=True)
    assert built.returncode == 0, built.stderr
    assert "73 illustrative records for 3 authorities (these 3 councils)" in built.stdout
    listed = command.run("snapshots", "--json", "--db", str(db), text=True)
    assert listed.returncode == 0, listed.stderr
    assert {s["borough_code"] for s in json.loads(listed.stdout)} == {
        "E07000223",
        "E07000224",
        "E10000032",
    }
    monkeypatch.setenv(regions.SETTING, "greater-manchester")
    refused = command.run("snapshots", "--db", str(db), text=True)
    assert refused.returncode == 1
    assert "refused: The database" in refused.stderr
    assert "holds the records of these 3 councils" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_a_command_reading_while_the_app_holds_the_file_keeps_to_its_region(
    tmp_path, monkeypatch
) -> None:
    """A command that only reads answered from a copy of the file while the app held it, and
    that copy was never checked for its region: `export` set up for London (a scheduled job
    without CITYTOOLS_REGION, say) wrote Greater Manchester's records as London's."""
    from tests.test_lifecycle import held_by_another_process

    db = tmp_path / "gm.duckdb"
    monkeypatch.setenv(regions.SETTING, "greater-manchester")
    lifecycle.build(db)
    monkeypatch.setenv(regions.SETTING, "london")
    with held_by_another_process(db):
        for args in (["export"], ["snapshots"]):
            done = command.run(*args, "--db", str(db), text=True)
            assert done.returncode == 1, (args, done.stdout[:200])
            assert f"refused: The database {db} holds the records of Greater Manchester" in (
                done.stderr
            )
            assert "Bolton" not in done.stdout
        monkeypatch.setenv(regions.SETTING, "greater-manchester")
        done = command.run("export", "--db", str(db), text=True)
        assert done.returncode == 0 and "Bolton" in done.stdout, done.stderr


def test_the_regions_file_names_only_known_active_codes() -> None:
    known = authorities.by_code()
    for key, spec in regions.definitions().items():
        for code in spec.get("codes", []):
            assert known[code].active, (key, code)
        assert spec["noun"] in ("borough", "council")
    assert (ROOT / "data" / "regions.toml").is_file()


def test_every_english_district_lies_in_an_active_county() -> None:
    by_code = authorities.by_code()
    active = [a for a in authorities.registry() if a.active]
    districts = [a for a in active if a.tier == "district" and a.nation == "England"]
    assert len(districts) == 164
    assert all(by_code[d.county].tier == "county" and by_code[d.county].active for d in districts)
    per_county = {
        c.name: sum(d.county == c.code for d in districts) for c in active if c.tier == "county"
    }
    assert per_county["Kent"] == 12 and per_county["Surrey"] == 11 and per_county["Suffolk"] == 5
    assert min(per_county.values()) >= 4


@examples(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_folding_a_name_takes_accents_off_only_where_there_are_some(text):
    """`fold` skips the accent removal for text in ASCII: the same result as always doing it."""
    whole = unicodedata.normalize("NFKD", text.casefold())
    whole = "".join(c for c in whole if not unicodedata.combining(c))
    whole = authorities._APOSTROPHES.sub("", whole).replace("&", " and ")
    words = authorities._NOT_WORD.sub(" ", whole).split()
    assert authorities.fold(text) == " ".join(words[1:] if words[:1] == ["the"] else words)
