"""Make data/uk_districts_national.geojson: the 379 district shapes simplified for the UK map.

The whole United Kingdom fits the map at about zoom 4.8, where one screen pixel is about 0.025
degrees: detail finer than that cannot be seen, but every vertex is sent to the browser on every
run of the Map page and drawn (and drawn again for each click, to find what was clicked). So the
national view uses shapes simplified further than a region's (``data/uk_districts.geojson``,
written by make_authorities.py):

- ``TOLERANCE`` 0.01 degrees (about 0.4 pixel at the national view, 0.7-1.1 km on the ground),
  shapely ``simplify`` with topology preserved;
- islands and other parts smaller than ``MIN_PART`` square degrees (about 2 x 2 pixels) are left
  out, except a district's largest part, so every district keeps a shape (the Isles of Scilly);
- coordinates rounded to 3 decimals (about 100 m, a twentieth of a pixel).

Needs shapely (a development dependency).

    python data/scripts/make_national_geometry.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, mapping, shape

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "data" / "uk_districts.geojson"
OUT = ROOT / "data" / "uk_districts_national.geojson"
TOLERANCE = 0.01  # degrees
MIN_PART = 0.0025  # square degrees: a part about 0.05 x 0.05 degrees (2 x 2 pixels)
GRID = 1e-3  # the 3rd decimal place
MAX_BYTES = 400_000


def _rounded(coords: Any) -> Any:
    if isinstance(coords[0], (int, float)):
        return [round(c, 3) for c in coords]
    return [_rounded(c) for c in coords]


def national(feature: dict[str, Any]) -> dict[str, Any]:
    """One district's shape, simplified for the national view; raises on a shape it breaks."""
    geometry = shape(feature["geometry"])
    parts = sorted(shapely.get_parts(geometry), key=lambda p: p.area, reverse=True)
    kept = [parts[0]] + [p for p in parts[1:] if p.area >= MIN_PART]
    geometry = MultiPolygon(kept) if len(kept) > 1 else kept[0]
    geometry = geometry.simplify(TOLERANCE, preserve_topology=True)
    geometry = shapely.make_valid(shapely.set_precision(geometry, GRID))
    if geometry.geom_type == "GeometryCollection":
        geometry = shapely.union_all(
            [g for g in geometry.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
        )
    code = feature["properties"]["code"]
    if geometry.is_empty or geometry.geom_type not in ("Polygon", "MultiPolygon"):
        raise SystemExit(f"the national shape of {code} is {geometry.geom_type}")
    out = mapping(geometry)
    return {
        "type": "Feature",
        "properties": feature["properties"],
        "geometry": {"type": out["type"], "coordinates": _rounded(out["coordinates"])},
    }


def main() -> None:
    source = json.loads(SOURCE.read_text(encoding="utf-8"))
    features = [national(f) for f in source["features"]]
    lines = [json.dumps(f, separators=(",", ":"), ensure_ascii=False) for f in features]
    OUT.write_text(
        '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n",
        encoding="utf-8",
    )
    size = OUT.stat().st_size
    if size >= MAX_BYTES:
        raise SystemExit(f"{OUT} is {size} bytes, over {MAX_BYTES}")
    print(f"wrote {OUT} ({len(features)} districts, {size:,} bytes)")


if __name__ == "__main__":
    sys.exit(main())
