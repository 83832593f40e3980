"""The areas' shapes on the plane, for the borough map: a GeoJSON geometry's polygons, a ring's
area and centre (where an area's label goes), and the diagonal hatch lines drawn over an area
without records (`hatch_lines`, and `hatching` of a borough, worked out once).

Pure functions of coordinates (longitude, latitude); `ui.charts.boroughmap` draws with them.
"""

from __future__ import annotations

import math
from functools import lru_cache

from citydata.core import boroughs


def polygons(geometry: dict) -> list:
    """The polygons (each a list of rings) of a Polygon or MultiPolygon."""
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    return geometry["coordinates"]


def main_ring(geometry: dict) -> list[list[float]]:
    """The outer ring of the largest polygon: where the label goes."""
    return max((p[0] for p in polygons(geometry)), key=lambda ring: abs(area(ring)))


def area(ring: list[list[float]]) -> float:
    return sum(
        x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True)
    )


def hatch_lines(rings: list[list[list[float]]], spacing: float = 0.0028) -> list[list[list[float]]]:
    """Diagonal line segments inside a polygon (rings: exterior first, then holes).

    Scanlines at 45° in a locally equal-area frame (longitude shrunk by cos(latitude)), clipped
    to the polygon with the even-odd rule, so holes stay open.
    """
    k = math.cos(math.radians(51.5))
    root2 = math.sqrt(2)

    def to_uv(lon: float, lat: float) -> tuple[float, float]:
        x = lon * k
        return (x + lat) / root2, (lat - x) / root2

    def to_lonlat(u: float, v: float) -> list[float]:
        x, y = (u - v) / root2, (u + v) / root2
        return [round(x / k, 6), round(y, 6)]

    edges = []
    for ring in rings:
        points = [to_uv(lon, lat) for lon, lat in ring]
        edges += list(zip(points, points[1:] + points[:1], strict=True))
    vs = [v for edge in edges for _, v in edge]
    segments = []
    v = math.floor(min(vs) / spacing) * spacing + spacing / 2
    while v < max(vs):
        crossings = sorted(
            u1 + (v - v1) * (u2 - u1) / (v2 - v1)
            for (u1, v1), (u2, v2) in edges
            if (v1 <= v < v2) or (v2 <= v < v1)
        )
        for a, b in zip(crossings[::2], crossings[1::2], strict=False):
            segments.append([to_lonlat(a, v), to_lonlat(b, v)])
        v += spacing
    return segments


@lru_cache(maxsize=512)
def hatching(code: str, spacing: float = 0.0028) -> list[list[list[float]]]:
    """A borough's hatch lines; its boundary never changes, so they are worked out once."""
    feature = next(f for f in boroughs.geojson()["features"] if f["properties"]["code"] == code)
    return [
        segment
        for polygon in polygons(feature["geometry"])
        for segment in hatch_lines(polygon, spacing)
    ]


def centroid(ring: list[list[float]]) -> list[float]:
    """The area-weighted centre of a polygon ring (the vertex mean for a degenerate one)."""
    area = cx = cy = 0.0
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x1 * y2 - x2 * y1
        area += cross
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    if abs(area) < 1e-12:
        return [sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)]
    return [round(cx / (3 * area), 6), round(cy / (3 * area), 6)]
