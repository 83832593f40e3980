"""Make data/london_boroughs.geojson: the 33 London authorities, simplified for a browser map.

Reads the full-resolution boundaries (property ``BOROUGH``, WGS84), joins each name to its GSS
code with ``citydata.core.boroughs.resolve``, simplifies, rounds to 5 decimals (about 1 m) and
writes compact GeoJSON sorted by code, one feature a line. Needs shapely (a development
dependency).

    python data/scripts/make_borough_geometry.py [RAW_GEOJSON]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import mapping, shape

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script: find citydata

from citydata.core.boroughs import BOROUGHS, GEOMETRY_PATH, resolve

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_RAW = ROOT.parent / "shared" / "data" / "london_boroughs_raw.geojson"
TOLERANCE = 0.0005  # degrees, about 35-55 m at London's latitude
GRID = 1e-5  # the 5th decimal place
MAX_BYTES = 300_000


def _rounded(coords: Any) -> Any:
    if isinstance(coords[0], (int, float)):
        return [round(c, 5) for c in coords]
    return [_rounded(c) for c in coords]


def simplified_features(raw: dict[str, Any]) -> list[dict[str, Any]]:
    """One simplified feature per authority, sorted by code; raises on any name it cannot join."""
    features: dict[str, dict[str, Any]] = {}
    for feature in raw["features"]:
        name = feature["properties"].get("BOROUGH")
        borough = resolve(name)
        if borough is None:
            raise SystemExit(f"unresolved borough name in the raw file: {name!r}")
        if borough.code in features:
            raise SystemExit(f"two polygons for {borough.name} ({borough.code})")
        geometry = shape(feature["geometry"]).simplify(TOLERANCE, preserve_topology=True)
        geometry = shapely.set_precision(geometry, GRID)  # snap to the grid, keeping it valid
        if not geometry.is_valid or geometry.geom_type not in ("Polygon", "MultiPolygon"):
            raise SystemExit(
                f"bad geometry for {borough.name}: {shapely.is_valid_reason(geometry)}"
            )
        out = mapping(geometry)
        features[borough.code] = {
            "type": "Feature",
            "properties": {"code": borough.code, "name": borough.name},
            "geometry": {"type": out["type"], "coordinates": _rounded(out["coordinates"])},
        }
    missing = sorted({b.code for b in BOROUGHS} - set(features))
    if len(features) != len(BOROUGHS) or missing:
        raise SystemExit(
            f"expected {len(BOROUGHS)} authorities, got {len(features)}; missing {missing}"
        )
    return [features[code] for code in sorted(features)]


def dumps(features: list[dict[str, Any]]) -> str:
    """Compact GeoJSON with one feature a line, so a change reads well in a diff."""
    lines = [json.dumps(f, separators=(",", ":"), ensure_ascii=False) for f in features]
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def check(path: Path) -> None:
    """Re-read the written file: 33 valid polygons, small enough for a browser."""
    size = path.stat().st_size
    if size >= MAX_BYTES:
        raise SystemExit(f"{path} is {size} bytes, over {MAX_BYTES}")
    written = json.loads(path.read_text(encoding="utf-8"))["features"]
    codes = [f["properties"]["code"] for f in written]
    if codes != [b.code for b in BOROUGHS]:
        raise SystemExit(f"codes in {path} do not match BOROUGHS: {codes}")
    for f in written:
        geometry = shape(f["geometry"])
        if not geometry.is_valid:
            raise SystemExit(f"{f['properties']['name']}: {shapely.is_valid_reason(geometry)}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw", nargs="?", type=Path, default=DEFAULT_RAW, help="raw GeoJSON")
    parser.add_argument("--out", type=Path, default=GEOMETRY_PATH, help="output GeoJSON")
    args = parser.parse_args(argv)
    raw = json.loads(args.raw.read_text(encoding="utf-8"))
    args.out.write_text(dumps(simplified_features(raw)), encoding="utf-8")
    check(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes, {len(BOROUGHS)} authorities)")


if __name__ == "__main__":
    main()
