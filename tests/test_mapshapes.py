"""The map's shapes file (fetched once by the browser) and the light outline the pointer finds."""

from __future__ import annotations

import json

import pytest
from shapely.geometry import shape
from streamlit import config

from citydata.core import boroughs, mapshapes, regions
from tests.apptest import run_app

MAP = "pages/map.py"


def test_the_shapes_file_is_written_once_under_a_name_that_changes_with_the_shapes(tmp_path):
    key = regions.current().key
    address = mapshapes.publish(key, tmp_path)
    assert address == f"app/static/maps/{mapshapes.file_name(key)}"
    path = tmp_path / "maps" / mapshapes.file_name(key)
    assert path == mapshapes.path_of(address, tmp_path)
    served = json.loads(path.read_text())
    source = boroughs.geojson()["features"]
    assert [f["properties"] for f in served["features"]] == [
        {"code": f["properties"]["code"], "name": f["properties"]["name"], "i": i}
        for i, f in enumerate(source)
    ]
    first = path.stat().st_mtime_ns
    path.write_bytes(path.read_bytes())  # touched: a second publish must not write it again
    touched = path.stat().st_mtime_ns
    assert mapshapes.publish(key, tmp_path) == address and path.stat().st_mtime_ns == touched
    assert first <= touched
    assert [p.name for p in (tmp_path / "maps").iterdir()] == [path.name]  # no partial file left
    # The same shapes to a metre: the file is what the map draws.
    for mine, theirs in zip(served["features"], source, strict=True):
        assert shape(mine["geometry"]).hausdorff_distance(shape(theirs["geometry"])) < 1e-4


def test_a_folder_that_cannot_be_written_leaves_the_map_carrying_its_shapes(tmp_path):
    blocked = tmp_path / "static"
    blocked.write_text("a file where the folder should be")
    assert mapshapes.publish(regions.current().key, blocked) is None


def test_the_outline_the_pointer_finds_is_within_a_pixel_of_each_shape():
    from ui.charts import boroughmap

    pixel = boroughmap.pixel_degrees()
    outlines = mapshapes.outlines(regions.current().key, pixel)
    shapes = boroughs.geojson()["features"]
    assert len(outlines) == len(shapes) == 33
    for outline, feature in zip(outlines, shapes, strict=True):
        drawn = shape(feature["geometry"])
        light = shape(outline)
        assert light.is_valid and drawn.hausdorff_distance(light) <= 1.5 * pixel
        assert abs(light.area - drawn.area) < 0.05 * drawn.area
    points = sum(len(json.dumps(o["coordinates"])) for o in outlines)
    assert points < 0.6 * len(mapshapes.document("london"))


@pytest.fixture
def no_static_serving():
    before = config.get_option("server.enableStaticServing")
    config.set_option("server.enableStaticServing", False)
    yield
    config.set_option("server.enableStaticServing", before)


def test_without_static_serving_the_map_carries_the_shapes_itself(db_path, no_static_serving):
    from ui.charts import boroughmap

    at = run_app(page=MAP)
    [chart] = at.get("deck_gl_json_chart")
    spec = json.loads(chart.proto.json)
    [shapes] = [x for x in spec["layers"] if x["id"] == boroughmap.SHAPES_ID]
    features = shapes["data"]["features"]
    assert [f["properties"]["i"] for f in features] == list(range(33))
    assert len(boroughmap.fill_colours(spec)) == 33
