"""The map's legend and tooltip say in words what a colour means: which figure, per borough
('council' outside London), with its unit and, for contracts ending, which dates; and each
range reads as the values the map and its table show, so no value reads as in two ranges."""

from __future__ import annotations

import json
import re

import pandas as pd
import pyarrow as pa

from tests.apptest import run_app
from tests.test_region_words import gm_built, greater_manchester  # noqa: F401
from ui.charts import boroughmap, mapclasses

MAP = "pages/map.py"


def legend(at) -> tuple[str, list[tuple[str, str, str]]]:
    """The legend's title and its swatches (range, colour, hatching), as the page draws them."""
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        for data in chart.proto.datasets:
            frame = pa.ipc.open_stream(data.data.data).read_all().to_pandas()
            if "Range" in frame:
                rows = zip(frame["Range"], frame["colour"], frame["hatched"], strict=True)
                return spec["title"]["text"], list(rows)
    raise AssertionError("no legend on the page")


def areas(at) -> dict[str, dict]:
    deck = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    (layer,) = [x for x in deck["layers"] if x["id"] == "boroughs"]
    return {f["properties"]["name"]: f["properties"] for f in layer["data"]["features"]}


def test_the_legend_says_what_is_counted_per_borough(db_path):
    """It said "Records", "Contracts ending" (of which dates?) and "Share held by Civica (%)"
    (of what?): a figure without the borough it is counted for or the window it counts."""
    assert legend(run_app(page=MAP))[0] == "Records per borough"
    at = run_app({"metric": "Contracts ending"}, MAP)
    (counting,) = [c.value for c in at.caption if c.value.startswith("Counting contracts ")]
    window = counting.removeprefix("Counting contracts ").removesuffix(".")
    assert legend(at)[0] == f"Contracts {window}, per borough"
    assert {a["measure"] for a in areas(at).values()} == {f"Contracts {window}"}
    at = run_app({"metric": "Total annual value"}, MAP)
    assert legend(at)[0] == "Total annual value per borough (£ a year)"


def test_a_vendors_share_names_the_vendor_in_the_legend_and_the_tooltip(db_path):
    """The tooltip said "Share held by a vendor: 12.5%", never which vendor."""
    at = run_app({"metric": "Share held by a vendor"}, MAP)
    vendor = at.selectbox(key="share_vendor").value
    title = legend(at)[0]
    assert title == f"Share of each borough's records held by {vendor} (%)"
    assert {a["measure"] for a in areas(at).values()} == {f"Share of its records held by {vendor}"}
    assert (
        "{measure}: {value_label}"
        in json.loads(at.get("deck_gl_json_chart")[0].proto.tooltip)["text"]
    )


def in_range(label: str, value: float) -> bool:
    """Whether `value` reads as inside a legend range: '10–19.9%', '20%+', '100%'."""
    found = re.fullmatch(r"([\d.]+)%?(?:–([\d.]+))?%(\+)?", label)  # (and "10%–20%")
    assert found, label
    low, high, more = float(found[1]), found[2], found[3]
    if more:
        return value >= low
    return low <= value <= (float(high) if high else low)


def test_each_share_reads_as_in_the_one_range_it_is_coloured_by(db_path):
    """Shares of Housing's records: the legend said "25%–50%", "50%–75%", "75%–100%" and
    "100%", so a borough at 50.0% read as in two ranges and one at 100.0% in two as well."""
    at = run_app({"metric": "Share held by a vendor", "service_area": "Housing"}, MAP)
    _, swatches = legend(at)
    ranges = {label: colour for label, colour, hatched in swatches if not hatched}
    deck = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    fills = boroughmap.fill_colours(deck)  # (in the areas' order)
    shown = [(a, fill) for a, fill in zip(areas(at).values(), fills, strict=True)]
    values = {a["value"] for a, _ in shown if a["status"] == "ok"}
    assert values >= {50.0, 100.0}, "values on a class's edge"
    for area, fill in shown:
        if area["status"] != "ok":
            continue
        holding = [label for label in ranges if in_range(label, area["value"])]
        assert len(holding) == 1, (area["value_label"], holding)
        assert ranges[holding[0]] == "#{:02x}{:02x}{:02x}".format(*fill[:3]), area["name"]


def test_areas_without_a_value_are_in_the_legend_too():
    """Grey without hatching (records, but no annual value) was only in a caption below."""
    bins = mapclasses.classes(pd.Series([1.0, 5.0]), "money")
    drawing = mapclasses.legend(bins, "Total", any_missing=True, any_unvalued=True)
    rows = drawing.frame[["Range", "colour", "hatched"]].values.tolist()
    assert rows[-2:] == [
        ["No records", mapclasses.NO_DATA_COLOUR, "/ / /"],
        ["No value recorded", mapclasses.NO_DATA_COLOUR, ""],
    ]


def test_the_legend_says_council_outside_london(greater_manchester):  # noqa: F811
    assert legend(run_app(page=MAP))[0] == "Records per council"
    at = run_app({"metric": "Share held by a vendor"}, MAP)
    assert legend(at)[0].startswith("Share of each council's records held by ")
