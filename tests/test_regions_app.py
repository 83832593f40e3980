"""The app, the command line and uploads for regions other than London: Greater Manchester, Wales
and a custom list of codes (two districts and their county), each with its own database."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from citydata import lifecycle
from citydata.core import mapshapes, regions
from citydata.ingest import prepare
from tests import command
from tests.apptest import metric, record_download_names, run_app
from tests.conftest import DATA

CUSTOM = "E07000223, E07000224, E10000032"  # Adur, Arun and West Sussex County Council
REGIONS = {
    # value: (label in words, number of councils, one council's name, one council's shape)
    "greater-manchester": ("council in Greater Manchester", 10, "Bolton"),
    "wales": ("council in Wales", 22, "Cardiff"),
    CUSTOM: ("council", 3, "Adur"),
}
MAP = "pages/map.py"


@pytest.fixture(params=list(REGIONS), ids=["greater-manchester", "wales", "custom"])
def region(request, monkeypatch, tmp_path) -> regions.Region:
    """The app set up for a region; its database is built on first start (none exists yet),
    unless the test asks for `built`."""
    monkeypatch.setenv(regions.SETTING, request.param)
    monkeypatch.setenv(lifecycle.ENV_VAR, str(tmp_path / "region.duckdb"))
    return regions.current()


@pytest.fixture(scope="module")
def copy_region_build(tmp_path_factory):
    """Copies the region in use's database, as its first start builds it, to $CITYTOOLS_DB
    (each region's built once for the module)."""
    builds: dict[str, Path] = {}

    def copy() -> None:
        key = regions.current().key
        if key not in builds:
            folder = tmp_path_factory.mktemp("region-build")
            builds[key] = lifecycle.build(folder / "region.duckdb")
        shutil.copyfile(builds[key], lifecycle.db_path())

    return copy


@pytest.fixture
def built(region, copy_region_build) -> None:
    """`region` with its database already built: a copy of the region's build, for the tests
    of what its pages show (the Overview's test is of the app's first start, which builds it)."""
    copy_region_build()


def test_the_overview_counts_and_names_the_regions_councils(region) -> None:
    words, n, _ = REGIONS[region.key if not region.key.startswith("custom:") else CUSTOM]
    at = run_app()
    assert metric(at, "Councils covered") == f"{n} of {n}"
    assert any(f"Which {words} uses which software system" in c.value for c in at.caption)
    [notice] = [x.value for x in at.info if x.value.startswith("Illustrative data.")]
    assert f"The records for all {n} councils are generated examples" in notice
    assert "council's examples are replaced" in notice
    assert "borough" not in " ".join(m.label for m in at.metric).lower()


@pytest.mark.usefixtures("built")
def test_the_map_draws_the_regions_shapes_and_lists_counties_beside_it(region) -> None:
    at = run_app(page=MAP)
    assert at.title[0].value == "Council map"
    [chart] = at.get("deck_gl_json_chart")
    spec = json.loads(chart.proto.json)
    [layer] = [x for x in spec["layers"] if x["id"] == "boroughs"]  # outlines, with numbers
    drawn = [f["properties"]["code"] for f in layer["data"]["features"]]
    [shapes] = [x for x in spec["layers"] if x["id"] == "borough-shapes"]
    served = json.loads(mapshapes.path_of(shapes["data"]).read_text())
    assert [f["properties"]["code"] for f in served["features"]] == drawn
    with_shape = [a.code for a in region.authorities if a.has_district_shape]
    assert drawn == with_shape
    view = spec["initialViewState"]
    lons = [p[0] for f in layer["data"]["features"] for p in _outer_points(f["geometry"])]
    lats = [p[1] for f in layer["data"]["features"] for p in _outer_points(f["geometry"])]
    assert min(lons) < view["longitude"] < max(lons) and min(lats) < view["latitude"] < max(lats)
    off_map = [m.value for m in at.markdown if m.value.startswith("**Not on the map")]
    if region.without_shape:
        assert off_map == ["**Not on the map (1)**"]
        [listed] = [d.value for d in at.dataframe if "shown" in d.value.columns]
        assert listed["borough"].tolist() == ["West Sussex"]
    else:
        assert off_map == []
    ranked = at.dataframe[-1].value
    assert sorted(ranked["borough"]) == sorted(region.names)
    # what a screen reader hears: a list of councils is not named "the 3 councils of these 3
    # councils"
    assert chart.proto.alt.startswith(f"Map of {region.describe()}, coloured by records; ")
    assert " of these " not in chart.proto.alt, chart.proto.alt


def _outer_points(geometry: dict) -> list:
    polygons = (
        [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    )
    return [p for polygon in polygons for p in polygon[0]]


@pytest.mark.usefixtures("built")
def test_a_councils_profile_opens_by_name(region) -> None:
    _, _, name = REGIONS[region.key if not region.key.startswith("custom:") else CUSTOM]
    at = run_app({"profile": name}, page="pages/borough.py")
    assert at.title[0].value == "Council profile"
    assert at.header[0].value == name
    assert any(f"GSS code {region.by_name[name].code}" in c.value for c in at.caption)


def test_a_county_councils_profile_says_what_the_map_shows_of_it(
    monkeypatch, tmp_path, copy_region_build
) -> None:
    """West Sussex County Council's profile said "Or click a council on the Map page", where
    it has no area to click: it now says where the Map shows it, and how to open it from there."""
    monkeypatch.setenv(regions.SETTING, CUSTOM)
    monkeypatch.setenv(lifecycle.ENV_VAR, str(tmp_path / "region.duckdb"))
    copy_region_build()
    county = run_app({"profile": "West Sussex"}, page="pages/borough.py")
    said = " ".join(c.value for c in county.caption)
    assert "West Sussex has no area of its own on the Map: a county council shares its" in said
    assert "The Map lists its figures beside the map, under “Not on the map”, and in its" in said
    assert county.selectbox(key="profile").help.startswith(
        "Or click a council on the Map page; a county council has no area of its own there: "
        "open its profile from the Map's ranking."
    )
    district = run_app({"profile": "Adur"}, page="pages/borough.py")
    assert not [c for c in district.caption if "no area of its own" in c.value]


def test_a_county_without_its_districts_is_drawn_on_the_map_and_its_profile_says_nothing_else(
    monkeypatch, tmp_path, copy_region_build
) -> None:
    """In the Lancashire Combined County Authority (Lancashire County Council, Blackburn with
    Darwen and Blackpool), the Map drew two small unitary councils and listed the county,
    most of the region, beside the map as having no area of its own. Without its districts in
    the region, a county is drawn as their ground."""
    monkeypatch.setenv(regions.SETTING, "lancashire")
    monkeypatch.setenv(lifecycle.ENV_VAR, str(tmp_path / "region.duckdb"))
    copy_region_build()
    at = run_app(page=MAP)
    [chart] = at.get("deck_gl_json_chart")
    spec = json.loads(chart.proto.json)
    [layer] = [x for x in spec["layers"] if x["id"] == "boroughs"]
    drawn = [f["properties"]["name"] for f in layer["data"]["features"]]
    assert drawn == ["Blackburn with Darwen", "Blackpool", "Lancashire"]
    assert not [m.value for m in at.markdown if m.value.startswith("**Not on the map")]
    assert chart.proto.alt.startswith("Map of the 3 councils of Lancashire, coloured by records")
    county = run_app({"profile": "Lancashire"}, page="pages/borough.py")
    assert not [c for c in county.caption if "no area of its own" in c.value]
    assert county.selectbox(key="profile").help.startswith("Or click a council on the Map page.")


def test_a_county_council_without_records_is_not_said_to_be_hatched_on_the_map(
    monkeypatch, tmp_path, copy_region_build
) -> None:
    """Filtered to Adur and Arun, the Map said "Grey, hatched: no records under the current
    filters in 1 council: West Sussex", its legend showed the hatched grey and its description
    "1 without records are grey and hatched", where West Sussex County Council has no area on
    the map and nothing was hatched (its list beside the map says it has no records)."""
    monkeypatch.setenv(regions.SETTING, CUSTOM)
    monkeypatch.setenv(lifecycle.ENV_VAR, str(tmp_path / "region.duckdb"))
    copy_region_build()
    at = run_app({"borough": ["Adur", "Arun"]}, page=MAP)
    [chart] = at.get("deck_gl_json_chart")
    [hatching] = [x for x in json.loads(chart.proto.json)["layers"] if "hatching" in x["id"]]
    assert hatching["data"] == []  # the two districts drawn have records
    assert not [c.value for c in at.caption if "hatched" in c.value]
    assert "; 0 without records are grey and hatched." in chart.proto.alt
    [listed] = [d.value for d in at.dataframe if "shown" in d.value.columns]
    assert listed[["borough", "shown"]].values.tolist() == [["West Sussex", "no records"]]
    # a district without records is still hatched and named
    at = run_app({"borough": ["Adur", "West Sussex"]}, page=MAP)
    assert [c.value for c in at.caption if "hatched" in c.value] == [
        "Grey, hatched: no records under the current filters in 1 council: Arun."
    ]


@pytest.mark.usefixtures("built")
def test_a_profile_points_to_the_map_and_for_counties_to_its_ranking(region) -> None:
    at = run_app(page="pages/borough.py")
    [note] = [x.value for x in at.info]
    pointer = "Choose a council above to see its profile. Or click a council on the Map page"
    if region.without_shape:  # (a county council has no area there to click)
        assert note == (
            f"{pointer}; a county council has no area of its own there: open its profile from"
            " the Map's ranking."
        )
    else:
        assert note == f"{pointer}."


def test_opening_another_regions_database_stops_the_app_with_a_message(
    monkeypatch, tmp_path, copy_region_build
) -> None:
    monkeypatch.setenv(regions.SETTING, "wales")
    monkeypatch.setenv(lifecycle.ENV_VAR, str(tmp_path / "wales.duckdb"))
    copy_region_build()  # Wales's database
    monkeypatch.setenv(regions.SETTING, "greater-manchester")
    at = run_app()
    [error] = at.error
    assert error.value.startswith("The app is set up wrongly. The database")
    assert "holds the records of Wales" in error.value
    assert not at.button  # no rebuild offered: the file is fine, the setting is not


def test_a_region_the_app_cannot_use_stops_it_with_a_message(monkeypatch) -> None:
    monkeypatch.setenv(regions.SETTING, "atlantis")
    at = run_app()
    [error] = at.error
    shown = error.value.replace("\\", "").replace("\u2060", "")  # escaped for Markdown
    assert "CITYTOOLS_REGION is “atlantis”: give one of london, greater-manchester" in shown
    assert not at.metric


# ---- recognising the region's councils in uploads ---------------------------------------------

REGISTER = """Council,Service area,System,Vendor,Contract end
{one},Housing,Northgate Housing,Northgate,31/03/2027
{two},Libraries,Spydus,Civica,31/03/2028
LB Camden,Housing,Northgate Housing,Northgate,31/03/2027
Gotham,Parking,Chipside,Chipside Ltd,31/03/2027
"""
SPELLINGS = {
    "greater-manchester": ("BOLTON METROPOLITAN BOROUGH COUNCIL", "Manchester City Council"),
    "wales": ("Caerdydd", "Sir Ynys Môn"),
    CUSTOM: ("Adur District Council", "West Sussex County Council"),
}


def test_an_upload_accepts_the_regions_councils_however_written(region) -> None:
    key = region.key if not region.key.startswith("custom:") else CUSTOM
    one, two = SPELLINGS[key]
    p = prepare(REGISTER.format(one=one, two=two).encode(), "register.csv")
    assert [region.by_name[n].code for n in p.records["borough"]] == [
        region.lookup[_fold(one)].code,
        region.lookup[_fold(two)].code,
    ]
    camden, gotham = sorted(p.rejects, key=lambda x: x.row)
    assert camden.reason == (
        f"'LB Camden' is London Borough of Camden, which is outside {region.label}. Only the "
        f"contracts of {region.describe()} are imported."
    )
    assert gotham.reason == f"'Gotham' is not one of {region.describe()}."


def _fold(text: str) -> str:
    from citydata.core.authorities import fold

    return fold(text)


def test_published_notices_name_buyers_outside_the_region(monkeypatch) -> None:
    """The real Contracts Finder export: 852 notices from buyers all over England."""
    raw = (DATA / "real" / "cf_export_notices_2025-11.csv").read_bytes()
    found = {}
    for value in ("greater-manchester", "united-kingdom"):
        monkeypatch.setenv(regions.SETTING, value)
        p = prepare(raw, "notices.csv")
        found[value] = p
        assert set(p.records["borough"]) <= set(regions.current().names)
    lincs = [
        x for x in found["greater-manchester"].rejects if x.value == "Lincolnshire County Council"
    ]
    assert len(lincs) == 106
    assert lincs[0].reason == (
        "The buyer 'Lincolnshire County Council' is Lincolnshire County Council, which is "
        "outside Greater Manchester. Only the contracts of the 10 councils of Greater "
        "Manchester are imported."
    )
    national = found["united-kingdom"].rejects
    assert not [
        x for x in national if x.value == "Lincolnshire County Council" and "outside" in x.reason
    ]
    assert not [
        x for x in national if "is not one of" in x.reason and x.value == "Kirklees Council"
    ]


# ---- the command line ---------------------------------------------------------------------------


def test_the_command_line_imports_a_register_for_the_region(region, tmp_path) -> None:
    key = region.key if not region.key.startswith("custom:") else CUSTOM
    one, two = SPELLINGS[key]
    db = tmp_path / "cli.duckdb"
    assert command.run("build", "--db", str(db), text=True).returncode == 0
    file = tmp_path / "register.csv"
    file.write_text(REGISTER.format(one=one, two=two), encoding="utf-8")
    done = command.run("import", str(file), "--db", str(db), "--json", text=True)
    out = json.loads(done.stdout)
    assert (done.returncode, out["rows_imported"], out["rows_rejected"]) == (0, 2, 2), done.stderr
    wrong = command.run("import", str(file), "--db", str(db), "--borough", "Camden", text=True)
    assert wrong.returncode == 2
    assert "Camden" in wrong.stderr and "is outside" in wrong.stderr
    assert "Traceback" not in wrong.stderr


def test_the_regions_file_is_in_the_repository() -> None:
    assert Path(regions.REGIONS_PATH).is_file()


@pytest.mark.usefixtures("built")
def test_the_coverage_matrix_names_its_rows_councils(region) -> None:
    at = run_app({"coverage_view": "Table"})  # only the open tab is built
    [table] = [d.value for d in at.dataframe if d.value.index.name in ("Council", "Borough")]
    assert table.index.name == "Council" and list(table.index) == sorted(region.names)


def test_a_region_the_app_cannot_use_fails_no_import_in_a_fresh_process(monkeypatch) -> None:
    """A fresh server (or command) with such a setting showed a traceback: importing the app's
    modules read the region (`from ... import` asks a module for `__path__`, and one module
    kept the region's names from the moment it was imported), before the app could say what
    is wrong. Every module now imports, and the command line says it in one line."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    monkeypatch.setenv(regions.SETTING, "atlantis")
    code = "import pkgutil, importlib, citydata, ui\n" + "\n".join(
        f"for m in pkgutil.walk_packages({p}.__path__, '{p}.'):\n"
        "    m.name.endswith('__main__') or importlib.import_module(m.name)"
        for p in ("citydata", "ui")
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    done = subprocess.run(
        [sys.executable, "-m", "citydata", "snapshots"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert done.stderr.startswith("refused: CITYTOOLS_REGION is “atlantis”"), done.stderr


def test_council_names_follow_the_region_in_use_not_the_one_at_import(monkeypatch) -> None:
    import pyarrow as pa

    from citydata.ingest import records

    monkeypatch.setenv(regions.SETTING, "greater-manchester")
    bolton = regions.current().by_name["Bolton"].code
    names = records.borough_names(pa.chunked_array([[bolton, "E09000007"]]))
    assert names.to_pylist() == ["Bolton", None]


def test_a_council_s_briefing_is_named_without_the_commas_of_its_name(monkeypatch, tmp_path):
    """A council whose name holds commas ("Armagh City, Banbridge and Craigavon"): its briefing
    downloads as armagh-city-banbridge-and-craigavon-…, not "armagh-city,-banbridge-and-…" (the
    reconciliation's file is named the same way, core.text.file_stem)."""
    monkeypatch.setenv(regions.SETTING, "N09000002, N09000003")
    monkeypatch.setenv(lifecycle.ENV_VAR, str(tmp_path / "ni.duckdb"))
    names = record_download_names(monkeypatch)
    run_app({"profile": "Armagh City, Banbridge and Craigavon"}, page="pages/borough.py")
    named = [n for n in names if n.startswith("armagh")]
    assert named, names
    assert all(n.startswith("armagh-city-banbridge-and-craigavon-") for n in named), named


def test_lists_of_councils_whose_names_hold_commas_stay_readable(monkeypatch, tmp_path):
    """Northern Ireland's "Armagh City, Banbridge and Craigavon" in a list: the filter's
    sentence and a collaboration group's councils are split by "; ", so the list does not
    read as one more council ("Armagh City", "Banbridge and Craigavon", "Belfast")."""
    from citydata.query import collaboration
    from citydata.query.filters import FilterState, summary

    monkeypatch.setenv(regions.SETTING, "N09000002, N09000003, N09000005")
    armagh, belfast, derry = (
        "Armagh City, Banbridge and Craigavon",
        "Belfast",
        "Derry City and Strabane",
    )
    said = summary(FilterState(borough=(armagh, belfast, derry)))
    assert said == f"Contracts where council is {armagh}; {belfast} or {derry}", said
    db = lifecycle.open_store(lifecycle.build(tmp_path / "ni.duckdb"))
    try:
        with db.read() as r:  # every contract for the same service area, however far apart
            q = collaboration.Query(by="service_area", window_months=60, include_ended=True)
            groups = collaboration.groups(r, FilterState(), q)
    finally:
        db.close()
    listed = [g for g in groups["borough_list"] if armagh in g]
    assert listed and all(g.split("; ") == sorted(g.split("; ")) for g in listed), listed
    assert all(armagh in g.split("; ") for g in listed), listed


def test_an_app_for_one_council_counts_it_in_the_singular(monkeypatch, tmp_path) -> None:
    """Set up for Adur alone, the Market said "Share of councils is out of all 1 authority" and
    "Suppliers and satisfaction across the 1 council with scores"."""
    monkeypatch.setenv(regions.SETTING, "E07000223")
    monkeypatch.setenv(lifecycle.ENV_VAR, str(tmp_path / "adur.duckdb"))
    at = run_app(page="pages/market.py")
    said = " ".join(x.value for x in [*at.caption, *at.markdown])
    assert "Share of councils is out of the one council, whatever the filters" in said
    assert "Suppliers and satisfaction across the one council with scores:" in said
    assert "all 1 " not in said and " the 1 " not in said and "1 authority" not in said


def test_london_s_market_counts_its_33_authorities_as_before(db_path) -> None:
    at = run_app(page="pages/market.py")
    assert any(
        "Share of boroughs is out of all 33 authorities, whatever the filters" in c.value
        for c in at.caption
    )
