"""The region's shapes for the map: one file the browser fetches once, and a light outline.

Every change of a filter used to send the map's whole drawing to the browser again, shapes and
all. The shapes never change while the app runs, so they are written once, as a file under the
app's `static/maps/` folder (Streamlit serves `static/` at `/app/static/` when
`server.enableStaticServing` is on): the map names that file, the browser fetches it once and
keeps it, and each filter change sends only the numbers.

The browser's tooltip can only show what the shape under the pointer carries itself, and the
numbers change with every filter, so the map also sends a light outline of each area (about a
pixel of detail at the map's scale) carrying the numbers: that is what the pointer finds.

Each feature of the file carries `code`, `name` and `i`, its position in the region's list of
shapes (`regions.Region.geojson`): the colours travel as one list indexed by `i`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from shapely.geometry import mapping, shape

from citydata.core import regions, settings

STATIC_DIR = settings.APP_ROOT / "static"  # Streamlit serves it at app/static/
FOLDER = "maps"
URL_PREFIX = f"app/static/{FOLDER}/"  # relative: works under any base path the app is served at
DIGITS = 5  # decimals kept in the file (about 1 m)
_SLUG = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=4)
def document(key: str) -> bytes:
    """The region's shapes as compact GeoJSON, each feature with `code`, `name` and `i`."""
    region = _region(key)
    features = [
        {
            "type": "Feature",
            "geometry": {
                "type": f["geometry"]["type"],
                "coordinates": _rounded(f["geometry"]["coordinates"], DIGITS),
            },
            "properties": {
                "code": f["properties"]["code"],
                "name": f["properties"]["name"],
                "i": i,
            },
        }
        for i, f in enumerate(region.geojson()["features"])
    ]
    text = json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":"))
    return text.encode("utf-8")


@lru_cache(maxsize=4)
def file_name(key: str) -> str:
    """'london-3f2a9c1b7d4e.json': the region, and a digest of the shapes (a changed shape gets
    a new name, so no browser keeps an old copy)."""
    slug = _SLUG.sub("-", key.casefold()).strip("-")[:40] or "region"
    return f"{slug}-{hashlib.sha256(document(key)).hexdigest()[:12]}.json"


def publish(key: str, static_dir: Path = STATIC_DIR) -> str | None:
    """The shapes file's address for the map (written first when it is missing), or None when
    it cannot be written (a read-only folder): the map then carries the shapes itself."""
    name = file_name(key)
    path = static_dir / FOLDER / name
    if not path.is_file():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".part", delete=False) as f:
                f.write(document(key))
            os.replace(f.name, path)  # whole or absent: a browser never reads half a file
        except OSError:
            return None
    return URL_PREFIX + name


def path_of(address: str, static_dir: Path = STATIC_DIR) -> Path:
    """The file a `publish` address names."""
    return static_dir / FOLDER / address.removeprefix(URL_PREFIX)


@lru_cache(maxsize=8)
def outlines(key: str, tolerance: float) -> tuple[dict[str, Any], ...]:
    """Each area's shape simplified to `tolerance` degrees (a pixel or so on the map): what the
    pointer finds for the tooltip and the click. Shared: do not mutate."""
    digits = max(2, min(DIGITS, -int(f"{tolerance:e}".split("e")[1])))  # about half a pixel
    out = []
    for f in _region(key).geojson()["features"]:
        simple = shape(f["geometry"]).simplify(tolerance, preserve_topology=True)
        out.append(
            {
                "type": simple.geom_type,
                "coordinates": _rounded(mapping(simple)["coordinates"], digits),
            }
        )
    return tuple(out)


def _region(key: str) -> regions.Region:
    return regions.parse(key)


def _rounded(coords: Any, digits: int) -> Any:
    if isinstance(coords[0], (int, float)):
        return [round(c, digits) for c in coords]
    return [_rounded(c, digits) for c in coords]
