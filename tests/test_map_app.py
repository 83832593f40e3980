"""The Map and Borough profile pages, run by Streamlit's AppTest against a real database file."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from citydata.query import borough_profile, mapdata
from citydata.query.filters import FilterState
from tests.apptest import metric, run_app

MAP = "pages/map.py"
BOROUGH = "pages/borough.py"


def deck_spec(at) -> dict:
    charts = at.get("deck_gl_json_chart")
    assert len(charts) == 1
    return json.loads(charts[0].proto.json)


def borough_layer(at) -> dict:
    """The layer the pointer finds: each borough's outline with its numbers."""
    [layer] = [x for x in deck_spec(at)["layers"] if x["id"] == "boroughs"]
    return layer


def features(at) -> dict[str, dict]:
    return {f["properties"]["name"]: f["properties"] for f in borough_layer(at)["data"]["features"]}


def shown_values(at) -> dict[str, float | None]:
    return {name: props["value"] for name, props in features(at).items()}


def expected_values(db, state: FilterState, key: str, *args) -> dict[str, float | None]:
    with db.read() as r:
        values = mapdata.borough_values(r, state, key, *args)
    return {
        name: (None if value != value else value)  # NaN -> None
        for name, value in zip(values["borough"], values["value"], strict=True)
    }


@pytest.mark.parametrize("page", [MAP, BOROUGH])
def test_the_pages_open_without_error(db_path, page):
    at = run_app(page=page)
    assert not at.exception and not at.error


def test_the_map_holds_one_deck_whose_33_boroughs_carry_the_metric(db):
    at = run_app(page=MAP)
    layer = borough_layer(at)
    assert layer["id"] == "boroughs" and layer["pickable"]
    assert len(layer["data"]["features"]) == 33
    expected = dict(db.rows("SELECT borough, count(*) FROM current_contracts GROUP BY 1"))
    assert shown_values(at) == {k: float(v) for k, v in expected.items()}
    spec = deck_spec(at)
    assert "mapStyle" not in spec or spec["mapStyle"] is None  # no token needed


def test_the_shapes_are_a_file_the_browser_fetches_once_and_the_deck_carries_the_colours(db):
    """The drawn shapes are named by address (served from static/), so a filter change sends
    only the numbers; the file's shapes are the region's, in the order of the colours."""
    from citydata.core import boroughs, mapshapes
    from ui.charts import boroughmap, mapclasses

    at = run_app(page=MAP)
    spec = deck_spec(at)
    [shapes] = [x for x in spec["layers"] if x["id"] == boroughmap.SHAPES_ID]
    assert shapes["data"].startswith("app/static/maps/london-") and not shapes["pickable"]
    served = json.loads(mapshapes.path_of(shapes["data"]).read_text())
    codes = [f["properties"]["code"] for f in served["features"]]
    assert codes == [f["properties"]["code"] for f in boroughs.geojson()["features"]]
    assert [f["properties"]["i"] for f in served["features"]] == list(range(33))
    colours = boroughmap.fill_colours(spec)
    values = shown_values(at)
    names = [f["properties"]["name"] for f in served["features"]]
    bins = mapclasses.classes(pd.Series(list(values.values()), dtype="float64"), "count")
    assert colours == [boroughmap._rgba(mapclasses.colour_of(values[n], bins), 235) for n in names]
    assert len(json.dumps(shapes)) < 2_000  # the colours, not the shapes


def test_changing_the_metric_changes_the_values(db):
    at = run_app(page=MAP)
    before = shown_values(at)
    at.selectbox(key="metric").set_value("systems").run()
    after = shown_values(at)
    assert after != before
    assert after == expected_values(db, FilterState(), "systems")
    assert (
        "{measure}: {value_label}"
        in json.loads(at.get("deck_gl_json_chart")[0].proto.tooltip)["text"]
    )
    assert {f["measure"] for f in features(at).values()} == {"Distinct systems"}


def test_the_metric_is_read_from_the_url(db):
    at = run_app({"metric": "Total annual value"}, page=MAP)
    assert at.selectbox(key="metric").value == "annual_value"
    assert shown_values(at) == expected_values(db, FilterState(), "annual_value")


def test_contracts_ending_follow_the_chosen_window(db):
    at = run_app({"metric": "Contracts ending"}, page=MAP)
    twelve = shown_values(at)
    assert twelve == expected_values(db, FilterState(), "ending", 12)
    at.selectbox(key="window").set_value(24).run()
    assert shown_values(at) == expected_values(db, FilterState(), "ending", 24)
    assert shown_values(at) != twelve
    assert any("Counting contracts ending between" in c.value for c in at.caption)


def test_vendor_share_uses_the_chosen_vendor(db):
    at = run_app({"metric": "Share held by a vendor", "share_vendor": "Capita"}, page=MAP)
    assert at.selectbox(key="share_vendor").value == "Capita"
    assert shown_values(at) == expected_values(db, FilterState(), "vendor_share", 12, "Capita")
    shares = expected_values(db, FilterState(), "vendor_share", 12, "Capita")
    top = max(shares, key=lambda name: (shares[name] or -1, name))
    assert at.dataframe[0].value["value"].iloc[0] == shares[top]


def test_the_map_honours_the_sidebar_filters_and_marks_boroughs_without_records(db):
    at = run_app({"borough": ["Camden", "Hackney"], "service_area": "Housing"}, page=MAP)
    state = FilterState(borough=("Camden", "Hackney"), service_area=("Housing",))
    values = shown_values(at)
    assert values == expected_values(db, state, "records")
    assert values["Barnet"] is None and values["Camden"] > 0
    assert features(at)["Barnet"]["status"] == mapdata.NO_RECORDS
    assert features(at)["Barnet"]["value_label"] == "no records"
    hatch = next(x for x in deck_spec(at)["layers"] if x["id"] == "no-records-hatching")
    assert len(hatch["data"]) > 100
    note = next(c.value for c in at.caption if c.value.startswith("Grey, hatched"))
    assert "31 boroughs" in note and "Barnet" in note and "Camden" not in note


def test_the_ranked_table_gives_the_same_numbers_as_the_map(db):
    at = run_app({"metric": "Distinct vendors"}, page=MAP)
    table = at.dataframe[0].value
    assert len(table) == 33
    assert dict(zip(table["borough"], table["value"], strict=True)) == shown_values(at)
    assert list(table["value"]) == sorted(table["value"], reverse=True)
    assert table["profile"].str.contains("borough?profile=", regex=False).all()


def test_filters_matching_nothing_say_so_instead_of_an_empty_map(db_path):
    at = run_app({"q": "no such system anywhere"}, page=MAP)
    assert any("No contracts match" in i.value for i in at.info)
    assert not at.get("deck_gl_json_chart")


def test_a_url_naming_a_borough_opens_its_profile(db):
    at = run_app({"profile": "Camden"}, page=BOROUGH)
    assert at.selectbox(key="profile").value == "Camden"
    assert [h.value for h in at.main.header] == ["Camden"]
    with db.read() as r:
        p = borough_profile.build(r, FilterState(), "Camden")
    assert metric(at, "Records") == f"{p.figures['records']:,}"
    assert metric(at, "Vendors") == f"{p.figures['vendors']:,}"
    subheaders = [s.value for s in at.subheader]
    for part in ("Systems by service area", "Vendors and their share", "Peers: whom to call"):
        assert part in subheaders
    assert any("Illustrative default data" in m.value for m in at.markdown)
    assert any("Public health" in m.value for m in at.markdown)  # what is missing
    labels = [b.label for b in at.get("download_button")]
    assert labels == [
        "Download briefing (text)",
        "Download briefing (Excel)",
        "Download briefing (Word)",
    ]


def test_the_profile_keeps_the_other_filters_and_says_the_borough_filter_is_set_aside(db):
    at = run_app({"profile": "Camden", "borough": "Hackney", "service_area": "Housing"}, BOROUGH)
    systems = at.dataframe[0].value
    assert set(systems["service_area"]) == {"Housing"}
    assert any("Borough filter does not apply" in c.value for c in at.caption)
    assert "borough is Camden and service area is Housing" in " ".join(m.value for m in at.markdown)


def test_the_profile_without_a_borough_asks_for_one(db_path):
    at = run_app(page=BOROUGH)
    assert at.selectbox(key="profile").value is None
    assert any("Choose a borough" in i.value for i in at.info)


def test_choosing_a_borough_in_the_picker_shows_its_profile(db_path):
    at = run_app(page=BOROUGH)
    at.selectbox(key="profile").set_value("Hackney").run()
    assert [h.value for h in at.main.header] == ["Hackney"]
    # The widget writes the URL in the browser: tests/browser/test_map_browser.py checks it.


def test_an_unknown_borough_in_the_url_is_dropped_not_a_traceback(db_path):
    at = run_app({"profile": "Gotham"}, page=BOROUGH)
    assert at.selectbox(key="profile").value is None
    assert not at.exception


def test_a_borough_without_records_under_the_filters_says_so(db_path):
    at = run_app({"profile": "Camden", "end_to": date(2020, 1, 1).isoformat()}, page=BOROUGH)
    assert any("No records for Camden match these filters" in i.value for i in at.info)
    assert not at.exception


def test_a_long_profile_shows_its_first_records_and_says_the_briefing_has_them_all(db, monkeypatch):
    import ui

    monkeypatch.setattr(ui.tables, "TABLE_ROWS", 5)
    at = run_app({"profile": "Camden"}, page=BOROUGH)
    with db.read() as r:
        whole = borough_profile.build(r, FilterState(), "Camden")
    records, peers = len(whole.systems), len(whole.peers)
    assert records > 5 and peers > 5
    assert len(at.dataframe[0].value) == 5
    captions = [c.value for c in at.caption]
    said = f"Showing the first 5 of {records:,} records; the Excel and text briefings below hold"
    assert f"{said} all of them." in captions
    said = f"Showing the first 5 of {peers:,} peers; the Excel briefing below holds all of them."
    assert said in captions


def test_labels_read_on_every_fill_and_small_central_boroughs_do_not_crowd(db):
    """White on a dark halo over the two darkest classes, dark on a white halo elsewhere; the
    small central boroughs on one line in smaller type with short names (full ones in the
    tooltip), the others as before: name, then value."""
    from ui.charts import boroughmap, mapclasses

    with db.read() as r:
        values = mapdata.borough_values(r, FilterState(), "records")
    bins = mapclasses.classes(values["value"], "count")
    deck = json.loads(
        boroughmap.choropleth(values, mapdata.METRIC_BY_KEY["records"], bins).to_json()
    )
    layers = {x["id"]: x for x in deck["layers"]}
    light, dark = layers["labels"], layers["labels-on-dark"]
    assert light["getColor"] == dark["outlineColor"] == [25, 25, 25, 255]
    assert dark["getColor"] == light["outlineColor"] == [255, 255, 255, 235]
    codes = [f["properties"]["code"] for f in layers[boroughmap.LAYER_ID]["data"]["features"]]
    fill = dict(zip(codes, boroughmap.fill_colours(deck), strict=True))
    darkest = [boroughmap._rgba(c, 235) for c in boroughmap.DARK_FILLS]
    on_dark = {x["code"] for x in dark["data"]}
    assert on_dark, "some borough is in a dark class"
    assert on_dark == {code for code, colour in fill.items() if colour in darkest}
    small = {x["text"] for x in light["data"] + dark["data"] if x["size"] == boroughmap.SMALL_LABEL}
    assert {t.rsplit(" ", 1)[0] for t in small} >= {"City", "K&C", "H&F", "Westm.", "Isl."}
    assert all("\n" not in t for t in small)
    barnet = next(x for x in light["data"] + dark["data"] if x["text"].startswith("Barnet"))
    assert barnet["size"] == boroughmap.LABEL and "\n" in barnet["text"]
