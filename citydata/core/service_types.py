"""Service areas marked frontline or corporate: data in data/service_area_types.toml (editable).

Frontline areas are the services residents use directly (social care, housing, waste...);
corporate ones the council's own running (finance, HR, IT). Every service area is in exactly one
list; a file that says otherwise is refused with a message naming the area, and the app then
shows no split rather than a wrong one.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from citydata.core import settings, tomlfile
from citydata.core.schema import SERVICE_AREA_LABELS, service_area_label

PATH = settings.DATA_DIR / "service_area_types.toml"
TYPES: dict[str, str] = {"frontline": "Frontline", "corporate": "Corporate"}


class ServiceTypeError(ValueError):
    """The file cannot be used; the message names what to fix."""


def load(path: Path = PATH) -> dict[str, str]:
    """Service area label -> 'Frontline' or 'Corporate', for every service area."""
    try:
        data = tomlfile.load(path)
    except (OSError, tomlfile.Unreadable) as exc:
        why = exc if isinstance(exc, tomlfile.Unreadable) else "it does not exist."
        raise ServiceTypeError(f"{path.name} cannot be read: {why}") from None
    unknown = sorted(set(data) - set(TYPES))
    if unknown:
        raise ServiceTypeError(
            f"{path.name}: unknown list {unknown[0]!r} (use frontline, corporate)."
        )
    out: dict[str, str] = {}
    for key, label in TYPES.items():
        areas = data.get(key, [])
        if not isinstance(areas, list) or not all(isinstance(a, str) for a in areas):
            raise ServiceTypeError(f"{path.name}: {key} must be a list of service areas.")
        for name in areas:
            area = service_area_label(name)
            if area is None:
                raise ServiceTypeError(f"{path.name}: “{name}” is not a service area.")
            if area in out and out[area] != label:
                raise ServiceTypeError(f"{path.name}: “{area}” is in both lists.")
            out[area] = label
    missing = [a for a in SERVICE_AREA_LABELS if a not in out]
    if missing:
        raise ServiceTypeError(f"{path.name}: “{missing[0]}” is in neither list.")
    return out


@cache
def current() -> tuple[tuple[str, str], ...]:
    """The committed file's mapping as (area, type) pairs; empty when it cannot be used."""
    try:
        return tuple(sorted(load().items()))
    except ServiceTypeError:
        return ()


def areas_of(types: tuple[str, ...]) -> list[str]:
    """The service areas of the chosen types."""
    return [area for area, kind in current() if kind in types]
