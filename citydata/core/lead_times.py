"""Lead times: the months of notice each service area needs before a contract ends, read from
one TOML file (the setting CITYTOOLS_LEAD_TIMES, default data/lead_times.toml): `default = 18`
and a `[service_areas]` table of label = months. The renewal pipeline's decide-by dates
(`citydata.query.pipeline`) are a contract's end date less its service area's lead time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from citydata.core import dates, settings, tomlfile
from citydata.core.schema import SERVICE_AREA_LABELS, service_area_label

SETTING = "CITYTOOLS_LEAD_TIMES"
BUILTIN_DEFAULT_MONTHS = 18
MAX_LEAD_MONTHS = 120


class LeadTimeError(ValueError):
    """The lead-time file cannot be used; the message says which line to fix."""


@dataclass(frozen=True)
class LeadTimes:
    """Months of notice per service area (canonical labels), hashable so it can key a cache."""

    default: int = BUILTIN_DEFAULT_MONTHS
    by_area: tuple[tuple[str, int], ...] = ()
    source: str = ""
    # When the file was last changed (its modification time, in London's time as stored): a
    # calendar's events change with it, and their version must rise (`with_decide_by`). Not
    # part of what the lead times are: the same months compare equal, whenever written.
    changed_at: datetime | None = field(default=None, compare=False)

    def months_for(self, service_area: str | None) -> int:
        return dict(self.by_area).get(service_area or "", self.default)

    def table(self) -> pd.DataFrame:
        """Every service area with the lead time that applies to it."""
        return pd.DataFrame(
            {
                "service_area": list(SERVICE_AREA_LABELS),
                "lead_months": [self.months_for(a) for a in SERVICE_AREA_LABELS],
            }
        )


def lead_times_path() -> Path:
    return settings.path(SETTING) or settings.APP_ROOT / "data" / "lead_times.toml"


def load_lead_times(path: str | Path | None = None) -> LeadTimes:
    """Read and check the lead-time file; raises LeadTimeError with a plain message."""
    path = Path(path) if path is not None else lead_times_path()
    try:
        data = tomlfile.load(path)
    except FileNotFoundError as exc:
        raise LeadTimeError(f"The lead-time file {path} does not exist.") from exc
    except tomlfile.Unreadable as exc:
        raise LeadTimeError(f"The lead-time file {path} cannot be read: {exc}") from exc
    unknown = sorted(set(data) - {"default", "service_areas"})
    if unknown:
        raise LeadTimeError(f"{path}: unknown entry {unknown[0]!r} (use default, service_areas).")
    default = _months(data.get("default", BUILTIN_DEFAULT_MONTHS), "default", path)
    areas = data.get("service_areas", {})
    if not isinstance(areas, dict):
        raise LeadTimeError(f"{path}: service_areas must be a table of label = months.")
    by_area: dict[str, int] = {}
    named: dict[str, str] = {}  # label -> the name it was given under, to say which two clash
    for name, months in areas.items():
        label = service_area_label(name)
        if label is None:
            raise LeadTimeError(
                f"{path}: “{name}” is not a service area. Use one of: "
                + ", ".join(SERVICE_AREA_LABELS)
                + "."
            )
        if label in named:  # (else the later line wins, unseen: which one was meant?)
            raise LeadTimeError(
                f"{path}: “{named[label]}” and “{name}” both give the lead time for {label}. "
                "Keep one of them."
            )
        named[label] = name
        by_area[label] = _months(months, name, path)
    return LeadTimes(default, tuple(sorted(by_area.items())), str(path), _changed_at(path))


def lead_times_or_default(path: str | Path | None = None) -> tuple[LeadTimes, str | None]:
    """The configured lead times, or the built-in default with a message saying why (changed
    when the file that cannot be used was: the decide-by dates changed then)."""
    try:
        return load_lead_times(path), None
    except LeadTimeError as exc:
        changed = _changed_at(Path(path) if path is not None else lead_times_path())
        return LeadTimes(changed_at=changed), (
            f"{exc} Every service area uses {BUILTIN_DEFAULT_MONTHS} months until it is fixed."
        )


def _changed_at(path: Path) -> datetime | None:
    """When the lead times read from `path` last changed, to the second: the file's last change
    of content or of its entry (its ctime: an older copy put back keeps its old modification
    time, not its ctime), or with no file there, its folder's (the file's removal, after which
    every service area takes the default); None when neither is there. Calendar events'
    versions follow it (`with_decide_by`), and must never fall."""
    for where in (path, path.parent):
        try:
            found = where.stat()
        except OSError:
            continue
        moment = max(found.st_mtime, found.st_ctime)
        return dates.now(datetime.fromtimestamp(moment, UTC))  # (London, as stored)
    return None


def _months(value: Any, name: str, path: Path) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise LeadTimeError(f"{path}: the lead time for “{name}” must be a whole number of months.")
    if not 0 <= value <= MAX_LEAD_MONTHS:
        raise LeadTimeError(
            f"{path}: the lead time for “{name}” must be between 0 and {MAX_LEAD_MONTHS} months."
        )
    return value
