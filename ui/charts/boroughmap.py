"""The borough map: a choropleth of the region's authorities, their names and values as labels,
and where the map opens.

Pure builders: the per-borough values (from `citydata.query.mapdata.borough_values`) in, a
pydeck Deck out. Boroughs without records are drawn grey and hatched, never in the colour of
zero. Everything is drawn by deck.gl layers, so the polygons show even when basemap tiles cannot
load (no token, no internet). Its colour classes and legend are `ui.charts.mapclasses`; the
shapes' geometry (where labels go, hatch lines) is `ui.charts.mapgeometry`.
"""

from __future__ import annotations

import hashlib
import json
import math
import weakref
from functools import lru_cache

import pandas as pd
import pydeck as pdk
from pydeck.bindings.json_tools import default_serialize

from citydata.core import boroughs, mapshapes, regions
from citydata.query.mapdata import NO_RECORDS, Metric, format_value
from ui.charts import mapgeometry
from ui.charts.mapclasses import PALETTE, ColourClass, colour_of

HATCH_COLOUR = (110, 110, 110, 220)
OUTLINE_COLOUR = (255, 255, 255, 255)
LAYER_ID = "boroughs"  # the layer a click and the tooltip find
SHAPES_ID = "borough-shapes"  # the drawn shapes
LABEL, SMALL_LABEL = 12, 10  # label sizes in pixels: most areas, and small ones
SMALL_AREA = 0.0032  # square degrees (about 25 km² in London): an area labelled small
DARK_FILLS = frozenset(PALETTE[3:])  # fills too dark for dark text (contrast under 4.5:1)
LABEL_INK = [25, 25, 25, 255]
LABEL_HALO = [255, 255, 255, 235]
VIEW = pdk.ViewState(latitude=51.489, longitude=-0.107, zoom=9.2, min_zoom=7, max_zoom=13)
LONDON_SPAN = 0.86  # degrees of longitude London's map spans: the scale hatching is tuned for
MAP_SIZE = (640, 600)  # pixels a region's extent is fitted to (the map is narrower with a list)
MAX_LABELLED = 60  # above this many areas, names are left to the tooltip (they would overlap)
# The glyphs the labels may use. Wrapped in quotes so pydeck passes the string on as a value
# rather than as an expression (pydeck strips the quote character, hence none inside).
LABEL_CHARACTERS = '"' + "".join(chr(c) for c in range(32, 127) if chr(c) != '"') + "£–’" + '"'


class CompactDeck(pdk.Deck):
    """A Deck written as compact JSON: pydeck indents it, one coordinate a line, which made the
    national map's spec five times the size of its shapes (Streamlit sends it on every run).
    Written once: a map built earlier (`choropleth` keeps them) is not serialised again."""

    def to_json(self) -> str:
        if self not in _WRITTEN:
            _WRITTEN[self] = json.dumps(
                self, sort_keys=True, default=default_serialize, separators=(",", ":")
            )
        return _WRITTEN[self]


_WRITTEN: weakref.WeakKeyDictionary[CompactDeck, str] = weakref.WeakKeyDictionary()


def choropleth(
    values: pd.DataFrame,
    metric: Metric,
    bins: list[ColourClass],
    shapes_url: str | None = None,
    measure: str | None = None,
) -> pdk.Deck:
    """The map: areas coloured by class, hatching over areas without records, labels.

    `measure` names the value in the tooltip ('Share of its records held by Civica',
    `mapdata.measure`); the metric's label when not given. It travels in each area's
    properties, never in the tooltip's template, where a vendor's name in braces would be read
    as a placeholder.

    `shapes_url` is the address of the region's shapes file (`mapshapes.publish`): the browser
    fetches it once, and the map then carries only the colours, the labels and, for the tooltip
    and the click, a light outline of each area with its numbers. Without one the map carries
    the shapes itself. Built once per region, metric, classes, values and address: an answer
    already drawn is sent again as the very same message (Streamlit's message cache then lets
    the browser reuse it, and nothing is rebuilt).
    """
    rows = tuple(
        (
            code,
            name,
            None if pd.isna(value) else float(value),
            int(records),
            top or "",
            status,
        )
        for code, name, value, records, top, status in zip(
            values["borough_code"],
            values["borough"],
            values["value"],
            values["records"],
            values["top_vendors"],
            values["status"],
            strict=True,
        )
    )
    return _choropleth(
        regions.current().key, metric, tuple(bins), rows, shapes_url, measure or metric.label
    )


@lru_cache(maxsize=64)
def _choropleth(
    region_key: str,
    metric: Metric,
    bins: tuple[ColourClass, ...],
    rows: tuple[tuple, ...],
    shapes_url: str | None,
    measure: str,
) -> pdk.Deck:
    by_code = {row[0]: row for row in rows}
    features, fills, labels, hatch = [], [], [], []
    shapes = boroughs.geojson()["features"]
    outlines = mapshapes.outlines(region_key, pixel_degrees())
    labelled = len(shapes) <= MAX_LABELLED
    spacing = hatch_spacing()
    small_area = SMALL_AREA * (spacing / 0.0028) ** 2  # as small on screen as in London
    for feature, outline in zip(shapes, outlines, strict=True):
        code = feature["properties"]["code"]
        _, name, value, records, top_vendors, status = by_code[code]
        no_records = status == NO_RECORDS
        value_label = "no records" if no_records else format_value(value, metric.kind)
        fill = colour_of(value, list(bins))
        fills.append(_rgba(fill, 235))
        features.append(
            {
                "type": "Feature",
                "geometry": outline,
                "properties": {
                    "code": code,
                    "name": name,
                    "value": value,
                    "value_label": value_label,
                    "measure": measure,
                    "records": records,
                    "status": status,
                    "top_vendors": top_vendors or "none",
                },
            }
        )
        if labelled:
            ring = mapgeometry.main_ring(feature["geometry"])
            small = abs(mapgeometry.area(ring)) / 2 < small_area
            labels.append(
                {
                    "code": code,
                    "position": mapgeometry.centroid(ring),
                    # a small area's on one line: two would reach into its neighbours' labels
                    "text": _short_name(name, small)
                    + ("" if no_records else (" " if small else "\n") + value_label),
                    "size": SMALL_LABEL if small else LABEL,
                    "on_dark": fill in DARK_FILLS,
                }
            )
        if no_records:
            hatch += [{"path": segment} for segment in mapgeometry.hatching(code, spacing)]
    # The colours, one per shape in the file's order (its features' `i`). A deck.gl expression:
    # the list is in brackets because deck.gl's expression parser indexes a list literal only
    # when it is wrapped so.
    colours = "(" + json.dumps(fills, separators=(",", ":")) + ")[properties.i]"
    layers = [
        pdk.Layer(
            "GeoJsonLayer",
            id=SHAPES_ID,
            data=shapes_url or json.loads(mapshapes.document(region_key)),
            pickable=False,
            stroked=True,
            filled=True,
            get_fill_color=colours,
            # deck.gl recomputes colours only when a trigger changes (a new function is not
            # enough): the colours themselves are the trigger.
            update_triggers={"getFillColor": _digest(fills)},
            get_line_color=list(OUTLINE_COLOUR),
            line_width_min_pixels=1.5,
        ),
        pdk.Layer(
            "PathLayer",
            id="no-records-hatching",
            data=hatch,
            get_path="path",
            get_color=list(HATCH_COLOUR),
            width_min_pixels=1,
            pickable=False,
        ),
        # What the pointer finds: each area's light outline with its numbers, not drawn (only
        # lit up under the pointer). A click is found by drawing the pickable shapes again, on
        # the mouse's press: light shapes make that quick on a slow machine too.
        pdk.Layer(
            "GeoJsonLayer",
            id=LAYER_ID,
            data={"type": "FeatureCollection", "features": features},
            pickable=True,
            auto_highlight=True,
            highlight_color=[255, 140, 0, 140],
            stroked=False,
            filled=True,
            get_fill_color=[0, 0, 0, 0],
        ),
        _labels([x for x in labels if not x["on_dark"]], "labels", LABEL_INK, LABEL_HALO),
        _labels([x for x in labels if x["on_dark"]], "labels-on-dark", LABEL_HALO, LABEL_INK),
    ]
    records_line = "" if metric.key == "records" else "Records: {records}\n"
    tooltip = {
        "text": f"{{name}}\n{{measure}}: {{value_label}}\n{records_line}"
        "Largest vendors: {top_vendors}",
        "style": {
            "fontSize": "13px",
            "maxWidth": "340px",
            "whiteSpace": "pre-wrap",
            "color": "#ffffff",
            "backgroundColor": "#1f2937",
        },
    }
    return CompactDeck(layers=layers, initial_view_state=view(), map_style=None, tooltip=tooltip)


def fill_colours(spec: dict) -> list[list[int]]:
    """The fill colours a built map's JSON gives its shapes, in the shapes file's order."""
    [layer] = [x for x in spec["layers"] if x["id"] == SHAPES_ID]
    expression = layer["getFillColor"].removeprefix("@@=")
    return json.loads(expression[1 : expression.rindex(")")])


def pixel_degrees() -> float:
    """Degrees of longitude one screen pixel spans where the map opens: the outline's detail."""
    return round(360 / (512 * 2 ** view().zoom), 6)


def _digest(data: object) -> str:
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()[:16]


def _labels(data: list[dict], layer_id: str, ink: list[int], halo: list[int]) -> pdk.Layer:
    """Names and values: dark on a white halo over light fills, white on a dark halo over the
    two darkest classes (a dark label there could not be read)."""
    return pdk.Layer(
        "TextLayer",
        id=layer_id,
        data=data,
        get_position="position",
        get_text="text",
        get_size="size",
        font_family='"Source Sans Pro, Helvetica, Arial, sans-serif"',
        font_weight=600,
        get_color=ink,
        character_set=LABEL_CHARACTERS,
        font_settings={"sdf": True},
        outline_width=3,
        outline_color=halo,
        line_height=1.15,
        pickable=False,
    )


@lru_cache(maxsize=16)
def _extent(key: str) -> tuple[float, float, float, float]:
    """West, south, east, north of the region's shapes."""
    points = [
        point
        for f in boroughs.geojson()["features"]
        for polygon in mapgeometry.polygons(f["geometry"])
        for point in polygon[0]
    ]
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    return min(lons), min(lats), max(lons), max(lats)


def view() -> pdk.ViewState:
    """Where the map opens: London's fixed view, or the region's shapes fitted to the map."""
    region = regions.current()
    if region.is_london or not boroughs.geojson()["features"]:
        return VIEW
    west, south, east, north = _extent(region.key)
    lat = (south + north) / 2

    def mercator(y: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(y) / 2))

    width, height = MAP_SIZE
    # deck.gl's world is 512 pixels wide at zoom 0
    zoom_x = math.log2(width * 360 / (512 * max(east - west, 1e-3)))
    zoom_y = math.log2(height * 2 * math.pi / (512 * max(mercator(north) - mercator(south), 1e-4)))
    zoom = round(min(zoom_x, zoom_y) - 0.15, 2)
    return pdk.ViewState(
        latitude=round(lat, 4),
        longitude=round((west + east) / 2, 4),
        zoom=zoom,
        min_zoom=max(zoom - 2, 3),
        max_zoom=13,
    )


def hatch_spacing() -> float:
    """Hatch lines as far apart on screen in any region as in London's map."""
    region = regions.current()
    if region.is_london or not boroughs.geojson()["features"]:
        return 0.0028
    west, _, east, _ = _extent(region.key)
    return round(0.0028 * max(1.0, (east - west) / LONDON_SPAN), 5)


def drawn(values: pd.DataFrame) -> pd.Series:
    """Which of `values`' authorities the map draws: all but those with no shape of their own
    (county councils)."""
    return ~values["borough_code"].isin([a.code for a in regions.current().without_shape])


def off_map(values: pd.DataFrame) -> pd.DataFrame:
    """The authorities with no shape of their own (county councils), with their values."""
    return values[~drawn(values)]


# Small central boroughs: a short name in smaller type, so neighbouring labels do not overlap
# (the full name is in the tooltip).
_SMALL = {
    "City of London": "City",
    "Kensington and Chelsea": "K&C",
    "Hammersmith and Fulham": "H&F",
    "Tower Hamlets": "Tower H.",
    "Westminster": "Westm.",
    "Islington": "Isl.",
}
_SHORT = {
    "City of London": "City",
    "Barking and Dagenham": "Barking & Dag.",
    "Hammersmith and Fulham": "Hammersmith & F.",
    "Kensington and Chelsea": "Kens. & Chelsea",
    "Kingston upon Thames": "Kingston",
    "Richmond upon Thames": "Richmond",
    "Tower Hamlets": "Tower Hamlets",
    "Waltham Forest": "Waltham Forest",
}


def _short_name(name: str, small: bool = False) -> str:
    return _SMALL.get(name, name) if small else _SHORT.get(name, name)


def _rgba(hex_colour: str, alpha: int) -> list[int]:
    h = hex_colour.lstrip("#")
    return [int(h[i : i + 2], 16) for i in (0, 2, 4)] + [alpha]


def alt_text(metric: Metric, values: pd.DataFrame, measure: str | None = None) -> str:
    """A one-line description of the map for screen readers (`measure`: as `choropleth`)."""
    region = regions.current()
    missing = int((drawn(values) & (values["status"] == NO_RECORDS)).sum())
    # A list of councils has no region name of its own: "the 3 councils this app is set up
    # for", never "the 3 councils of these 3 councils".
    whose = "London's 33 authorities" if region.is_london else region.describe()
    return (
        f"Map of {whose}, coloured by {_lower_first(measure or metric.label)}; "
        f"{missing} without records are grey and hatched. The same numbers are in the table below."
    )


def _lower_first(text: str) -> str:
    """'Share of its records held by Civica' -> 'share of ...' (the vendor's capitals kept)."""
    return text[:1].lower() + text[1:]
