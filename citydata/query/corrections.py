"""A selection corrected against the data, each correction said in a note.

`normalise` is the one clean-up of a selection, shared by the sidebar, links and the command
line: values the data does not have are dropped, each named ("No borough called Camdem in the
data (did you mean Camden?)", "“Camden” is outside Greater Manchester"); a system written in
other capitals or spacing is read as the one offered; an end-date range given back to front is
swapped. `regroup` reads a vendor grouped under another since as that vendor. A note names a few
values, shortened, so a hostile link cannot fill the sidebar.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rapidfuzz import fuzz, process

from citydata.core import boroughs, regions
from citydata.core.dates import day_label
from citydata.core.schema import SERVICE_AREA_LABELS
from citydata.core.text import join_words, shorten
from citydata.query.filters import CHOICES, Choice, FilterState, either


def normalise(
    state: FilterState, options: Mapping[str, Iterable[str]]
) -> tuple[FilterState, list[str]]:
    """The one clean-up of a selection, shared by the sidebar and the command line.

    Values of a choice filter that are not among `options` (a choice key to the values in the
    data) are dropped, each named in a note with the closest valid value when there is one; a
    system written in other capitals or spacing is read as the one offered ("MOSAIC" is
    "Mosaic"); an end-date range given back to front is swapped. Returns the clean state and
    the notes.
    """
    notes: list[str] = []
    changes: dict[str, Any] = {}
    state = as_offered(state, options)
    for choice in CHOICES:
        given = getattr(state, choice.key)
        if not given or choice.key not in options:
            continue
        valid = list(options[choice.key])
        known = set(valid)
        dropped = [v for v in given if v not in known]
        if dropped:
            notes += _unknown_notes(choice, dropped, valid)
            changes[choice.key] = tuple(v for v in given if v in known)
    if state.end_from and state.end_to and state.end_from > state.end_to:
        notes.append(
            f"The end-date range was back to front ({day_label(state.end_from)} to "
            f"{day_label(state.end_to)}); it has been swapped."
        )
        changes |= {"end_from": state.end_to, "end_to": state.end_from}
    return state.with_(**changes), notes


def as_offered(state: FilterState, options: Mapping[str, Iterable[str]]) -> FilterState:
    """`state` with each value that is one of `options` written otherwise read as the one
    offered: a system in other capitals or spacing ("MOSAIC " is "Mosaic"). Other values are
    left as given."""
    changes: dict[str, Any] = {}
    for choice in CHOICES:
        given = getattr(state, choice.key)
        if not given or choice.key not in options:
            continue
        offered = {choice.folded(v): v for v in options[choice.key]}
        read = tuple(dict.fromkeys(offered.get(choice.folded(v), v) for v in given))
        if read != given:
            changes[choice.key] = read
    return state.with_(**changes) if changes else state


def regroup(state: FilterState, grouped: Mapping[str, str]) -> tuple[FilterState, list[str]]:
    """The state with each vendor it names that `grouped` maps to another name (a spelling
    grouped under a vendor since: `vendors.grouped_as`, read by `selection.regrouped`) read as
    that vendor, and a note for each: '“Capita Business Services” is now grouped under
    “Capita”.' The data shows every record under its canonical vendor, so the name as given
    would match nothing."""
    moved = {v: grouped[v] for v in state.vendor if grouped.get(v, v) != v}
    if not moved:
        return state, []
    notes = [
        f"{quoted_few([given])} is now grouped under {quoted_few([now])}."
        for given, now in list(moved.items())[:NOTE_VALUES]
    ]
    if len(moved) > NOTE_VALUES:
        notes.append(
            f"{len(moved) - NOTE_VALUES:,} more vendor names are now grouped under others."
        )
    vendor = tuple(dict.fromkeys(moved.get(v, v) for v in state.vendor))
    return state.with_(vendor=vendor), notes


def unknown(state: FilterState, options: Mapping[str, Iterable[str]]) -> list[str]:
    """`normalise`'s notes of the values not among `options` only (not the dates' swap): what
    a link names that the data does not have."""
    return normalise(state.with_(end_from=None, end_to=None), options)[1]


def _unknown_notes(choice: Choice, dropped: list[str], valid: list[str]) -> list[str]:
    """A note for each value the data does not have, as specific as can be: a council of
    another region is said to be outside this one ("“Camden” is outside Greater Manchester"),
    one of the region's councils, or a service area, with no records is said to have none;
    the others are named together (`_unknown_note`: 'No borough called Camdem in the data')."""
    notes, rest = [], []
    for value in dropped:
        said = _known_but_absent(choice, value)
        if said is not None and len(notes) < NOTE_VALUES:
            notes.append(said)
        elif said is None:
            rest.append(value)
    return notes + ([_unknown_note(choice, rest, valid)] if rest else [])


def _known_but_absent(choice: Choice, value: str) -> str | None:
    """Why a value the data does not have is not there, when it is a real one: a council
    outside the region, one of the region's with no records, a service area with none."""
    shown = quoted_few([value])
    if choice.key == "borough":
        if (where := outside_region(value)) is not None:
            return f"{shown} is {where}: this app is set up for {regions.current().describe()}."
        if (found := boroughs.resolve(value)) is not None and found.name == value:
            return f"{shown} has no records in the data."
    if choice.key == "service_area" and value in SERVICE_AREA_LABELS:
        return f"The service area {shown} has no records in the data."
    return None


def outside_region(name: str) -> str | None:
    """Where a UK council that is not one of the region's is, for a note about a link naming
    it: "outside Greater Manchester (London Borough of Camden)", or for one that has ended,
    when, and who holds its area now; None for a name that is no council, or the region's."""
    elsewhere = regions.outside(name)
    if elsewhere is None:
        return None
    if elsewhere.active:
        return f"outside {regions.current().label} ({elsewhere.official_name})"
    return regions.whereabouts(elsewhere)


def _unknown_note(choice: Choice, dropped: list[str], valid: list[str]) -> str:
    """'No borough called Camdem in the data (did you mean Camden?).'"""
    note = f"No {choice.said} called {quoted_few(dropped)} in the data"
    close: list[str] = []
    for value in dropped[:NOTE_VALUES]:
        for found, score, _ in process.extract(
            value, valid, scorer=fuzz.WRatio, processor=str.casefold, limit=3, score_cutoff=80
        ):
            if found not in close and score >= 80:
                close.append(found)
    if close:
        note += f" (did you mean {either(close[:3], 'or')}?)"
    return note + "."


NOTE_VALUES, NOTE_VALUE_CHARS = 5, 60  # a note about a link names a few values, shortened


def quoted_few(values: list[str]) -> str:
    """“a”, “b” or “c”: at most NOTE_VALUES values of NOTE_VALUE_CHARS characters each, so a
    hostile link cannot fill the sidebar; how many more there were."""
    shown = [f"“{shorten(' '.join(v.split()), NOTE_VALUE_CHARS)}”" for v in values[:NOTE_VALUES]]
    if len(values) > NOTE_VALUES:
        shown.append(f"{len(values) - NOTE_VALUES:,} more")
    return join_words(shown, "or", values=True)
