"""The borough registry: names and aliases to GSS codes, refusals, and the committed geometry."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from citydata.core import boroughs
from citydata.core.boroughs import (
    BOROUGHS,
    BY_CODE,
    BY_NAME,
    NAMES,
    UnknownBorough,
    lookup,
    resolve,
)

AUTHORITIES_CSV = Path(__file__).parent / "data" / "uk_local_authorities.csv"

ALIASES = [
    # short names, any case and spacing
    ("Camden", "E09000007"),
    ("CAMDEN", "E09000007"),
    ("  camden  ", "E09000007"),
    ("Barking and Dagenham", "E09000002"),
    ("Barking  &  Dagenham", "E09000002"),
    ("barking&dagenham", "E09000002"),
    ("Tower   Hamlets", "E09000030"),
    # London Borough forms
    ("London Borough of Haringey", "E09000014"),
    ("LONDON BOROUGH OF HARINGEY", "E09000014"),
    ("London Borough Of Islington", "E09000019"),
    ("The London Borough of Brent", "E09000005"),
    ("LB Lambeth", "E09000022"),
    ("LB of Lambeth", "E09000022"),
    ("Lambeth Council", "E09000022"),
    ("Tower Hamlets Council", "E09000030"),
    ("Waltham Forest Council", "E09000031"),
    ("Camden London Borough Council", "E09000007"),
    ("Council of the London Borough of Sutton", "E09000029"),
    ("Bromley Borough Council", "E09000006"),
    ("London Borough of Hammersmith & Fulham", "E09000013"),
    ("Hammersmith & Fulham Council", "E09000013"),
    # royal boroughs
    ("Royal Borough of Greenwich", "E09000011"),
    ("RB Greenwich", "E09000011"),
    ("RBG", "E09000011"),
    ("Royal Borough of Kensington and Chelsea", "E09000020"),
    ("The Royal Borough of Kensington & Chelsea", "E09000020"),
    ("RB Kensington and Chelsea", "E09000020"),
    ("RBKC", "E09000020"),
    ("rbkc", "E09000020"),
    ("Royal Borough of Kingston upon Thames", "E09000021"),
    ("Royal Borough of Kingston", "E09000021"),
    ("RB Kingston", "E09000021"),
    # initialisms
    ("LBHF", "E09000013"),
    ("H&F", "E09000013"),
    ("h & f", "E09000013"),
    ("LBBD", "E09000002"),
    ("LBTH", "E09000030"),
    ("LBWF", "E09000031"),
    ("LBRuT", "E09000027"),
    ("RBK", "E09000021"),
    ("K&C", "E09000020"),
    ("RB of Greenwich", "E09000011"),
    ("Havering LBC", "E09000016"),
    ("Harrow LB", "E09000015"),
    ("Sutton London Borough", "E09000029"),
    # spelling variants
    ("Kingston-upon-Thames", "E09000021"),
    ("Kingston", "E09000021"),
    ("Kingston Council", "E09000021"),
    ("Richmond-upon-Thames", "E09000027"),
    ("Richmond", "E09000027"),
    ("London Borough of Richmond upon Thames", "E09000027"),
    ("Hammersmith", "E09000013"),
    ("Barking", "E09000002"),
    # the two cities
    ("Westminster", "E09000033"),
    ("City of Westminster", "E09000033"),
    ("Westminster City Council", "E09000033"),
    ("City of Westminster Council", "E09000033"),
    ("City of London", "E09000001"),
    ("City of London Corporation", "E09000001"),
    ("The City of London Corporation", "E09000001"),
    ("Corporation of London", "E09000001"),
    # GSS codes
    ("E09000001", "E09000001"),
    ("e09000033", "E09000033"),
    (" E09000020 ", "E09000020"),
    # punctuation, curly quotes, non-breaking and Unicode spaces and dashes
    ("Camden.", "E09000007"),
    ("Camden,", "E09000007"),
    ("London Borough of Ealing.", "E09000009"),
    ("\u2018Hackney\u2019", "E09000012"),
    ("Richmond\u00a0upon\u00a0Thames", "E09000027"),
    ("Kingston\u2013upon\u2013Thames", "E09000021"),
]

REFUSED = [
    None,
    "",
    "   ",
    ".",
    "The",
    "London",
    "City",
    "LB",
    "Council",
    "Westminister",
    "Surrey",
    "Kingston upon Hull",
    "Hackney Wick",
    "Greater London Authority",
    "London Fire Commissioner",
    "Camden Town",
    "Hackney\u2019s",
    "Royal Borough of Camden",
    "London Borough of City of London",
    "E09000000",
    "E09000034",
    "E08000001",
]


@pytest.mark.parametrize(("text", "code"), ALIASES)
def test_alias_resolves(text: str, code: str) -> None:
    assert lookup(text).code == code


@pytest.mark.parametrize("borough", BOROUGHS, ids=lambda b: b.code)
def test_each_authority_resolves_by_its_own_names(borough: boroughs.Borough) -> None:
    for text in (borough.code, borough.name, borough.official_name, borough.name.upper()):
        assert resolve(text) is borough
        assert lookup(text) is borough


@pytest.mark.parametrize("text", REFUSED)
def test_unknown_names_are_refused(text: str | None) -> None:
    assert resolve(text) is None
    with pytest.raises(UnknownBorough) as caught:
        lookup(text)
    assert caught.value.text == text
    assert str(caught.value) == (
        f'"{text}" is not one of the 33 London authorities (32 boroughs and the City of London)'
    )


def test_unknown_borough_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r'^"Surrey" is not one of the 33 London authorities'):
        lookup("Surrey")


def test_codes_names_and_indexes() -> None:
    codes = [b.code for b in BOROUGHS]
    assert codes == [f"E09{n:06d}" for n in range(1, 34)]
    assert len(set(codes)) == len(set(NAMES)) == 33
    assert {b.code: b for b in BOROUGHS} == BY_CODE
    assert {b.name: b for b in BOROUGHS} == BY_NAME
    assert tuple(b.name for b in BOROUGHS) == NAMES


def _london_rows() -> list[dict[str, str]]:
    with AUTHORITIES_CSV.open(encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["local-authority-type"] in ("LBO", "CC")]
    assert len(rows) == 33
    return rows


LONDON_ROWS = _london_rows()
REGISTER_NAMES = [
    (r[column], r["gss-code"])
    for r in LONDON_ROWS
    for column in ("official-name", "alt-name-1", "alt-name-2", "alt-name-3")
    if r[column]
]


@pytest.mark.parametrize(("text", "code"), REGISTER_NAMES)
def test_register_names_resolve(text: str, code: str) -> None:
    assert lookup(text).code == code


def test_register_codes_match() -> None:
    assert {r["gss-code"] for r in LONDON_ROWS} == set(BY_CODE)


@pytest.fixture(scope="module")
def features() -> list[dict]:
    return boroughs.geojson()["features"]


def test_geojson_is_cached() -> None:
    assert boroughs.geojson() is boroughs.geojson()
    assert (
        Path(__file__).resolve().parent.parent / "data" / "london_boroughs.geojson"
        == boroughs.GEOMETRY_PATH
    )


def test_geojson_has_the_33_authorities(features: list[dict]) -> None:
    assert [f["properties"] for f in features] == [
        {"code": b.code, "name": b.name} for b in BOROUGHS
    ]


def test_geojson_file_is_small() -> None:
    assert boroughs.GEOMETRY_PATH.stat().st_size < 300_000


def _points(coords: list) -> list[list[float]]:
    if isinstance(coords[0], (int, float)):
        return [coords]
    return [p for c in coords for p in _points(c)]


@pytest.mark.parametrize("code", list(BY_CODE))
def test_geometry_is_a_polygon_inside_london(features: list[dict], code: str) -> None:
    (feature,) = [f for f in features if f["properties"]["code"] == code]
    assert feature["type"] == "Feature"
    assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
    points = _points(feature["geometry"]["coordinates"])
    assert len(points) >= 4
    for lon, lat in points:
        assert -0.52 <= lon <= 0.34 and 51.28 <= lat <= 51.70


def test_geometry_is_valid(features: list[dict]) -> None:
    geometry = pytest.importorskip("shapely.geometry")
    for f in features:
        assert geometry.shape(f["geometry"]).is_valid, f["properties"]["name"]


def test_geojson_file_parses_as_json() -> None:
    data = json.loads(boroughs.GEOMETRY_PATH.read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection"


def test_a_number_of_authorities_is_never_all_1_or_the_1(monkeypatch) -> None:
    from citydata.core import boroughs, regions

    assert (boroughs.all_of(33), boroughs.the(5)) == ("all 33 authorities", "the 5 boroughs")
    monkeypatch.setenv(regions.SETTING, "E07000223")
    assert (boroughs.all_of(1), boroughs.the(1)) == ("the one council", "the one council")
    monkeypatch.setenv(regions.SETTING, "greater-manchester")
    assert (boroughs.all_of(10), boroughs.the(2)) == ("all 10 councils", "the 2 councils")
