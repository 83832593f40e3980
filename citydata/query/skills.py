"""Who can help: for a system, the boroughs that run it, with their in-house skill and satisfaction.

A borough about to adopt (or re-procure) a system looks for a peer who knows it well. One row per
borough running the system under the filters (the Borough filter aside: every other borough is a
possible helper): its best recorded skill level, the contact roles it gave, its average supplier
satisfaction, its service areas and vendors, and its next contract end. Boroughs with the most
skill come first, then the most satisfied. Built on `selection.base`, like every panel.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from citydata.core import boroughs, dates
from citydata.core.skills import SKILL_LEVELS
from citydata.query import selection, system_groups
from citydata.query.filters import FilterState
from citydata.store.db import Reader

COLUMNS: tuple[str, ...] = (
    "borough",
    "skill_level",
    "contact_role",
    "satisfaction",
    "service_areas",
    "vendors",
    "records",
    "next_end",
)
LABELS: dict[str, str] = {
    "borough": "Borough",
    "skill_level": "In-house skill level",
    "contact_role": "Contact role",
    "satisfaction": "Satisfaction (1-5)",
    "service_areas": "Service areas",
    "vendors": "Vendors",
    "records": "Records",
    "next_end": "Next contract end",
}


def who_can_help(
    r: Reader,
    state: FilterState,
    system: str,
    besides: str | None = None,
    today: date | None = None,
) -> pd.DataFrame:
    """The boroughs running `system`, however each writes it (all of them, whatever the Borough
    filter says; `besides` leaves one out: the borough asking), best skill first, then the
    most satisfied."""
    sql, params = selection.base(state.with_(borough=()))
    params.add(
        system=[system],
        levels=list(SKILL_LEVELS),
        besides=besides or "",
        today=today or dates.today(),
    )
    return r.df(
        f"""
        SELECT borough,
            list_extract($levels, max(list_position($levels, skill_level))) AS skill_level,
            string_agg(DISTINCT contact_role, '; ' ORDER BY contact_role) AS contact_role,
            round(avg(satisfaction), 1) AS satisfaction,
            string_agg(DISTINCT service_area, '; ' ORDER BY service_area) AS service_areas,
            string_agg(DISTINCT vendor, '; ' ORDER BY vendor) AS vendors,
            count(*) AS records,
            coalesce(min(contract_end) FILTER (WHERE contract_end >= $today), max(contract_end))
                AS next_end
        FROM ({sql}) AS b
        WHERE {system_groups.matching("system", "system")} AND borough <> $besides
        GROUP BY borough
        ORDER BY max(list_position($levels, skill_level)) DESC NULLS LAST,
            avg(satisfaction) DESC NULLS LAST, borough
        """,
        params,
    )[list(COLUMNS)]


def labelled(helpers: pd.DataFrame) -> pd.DataFrame:
    """The table as people read it: column names in words, the region's ('Council' outside
    London)."""
    return helpers.rename(columns=lambda c: boroughs.reword(LABELS.get(c, c)))


def in_words(helpers: pd.DataFrame, system: str, noun: str = "borough") -> str:
    """What the table says, in a sentence or two, including when nobody recorded any skill."""
    many = f"{noun}s" if not noun.endswith("s") else noun
    n = len(helpers)
    if n == 0:
        return (
            f"No other {noun} runs {system} under these filters. Remove a filter to look "
            "further, or try the vendor's other customers on the Adoption page."
        )
    running = f"{n} {noun if n == 1 else many} run{'s' if n == 1 else ''} {system}"
    skilled = helpers[helpers["skill_level"].notna()]
    if skilled.empty:
        return (
            f"{running}, but none has recorded its in-house skill with it yet. They are listed "
            "below: any of them can still tell you how it went. Skill levels appear here once "
            "a register with an in-house skill level column is uploaded."
        )
    experts = skilled[skilled["skill_level"].isin(["Expert", "Intermediate"])]
    if experts.empty:
        return (
            f"{running}; {len(skilled)} recorded their in-house skill, none above Basic. "
            "They are listed below, the most satisfied first."
        )
    pairs = list(zip(experts["borough"], experts["skill_level"], strict=True))
    names = ", ".join(f"{b} ({s})" for b, s in pairs[:5])
    more = f" and {len(experts) - 5} more" if len(experts) > 5 else ""
    return f"{running}. Most skilled in house: {names}{more}."
