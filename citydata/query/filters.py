"""Filters as data: one definition gives the SQL, the plain-English summary and the URL.

A `FilterState` is what the user chose. Each filter in `CHOICES`, `END_DATES` and `SEARCH` turns
its part of the state into a `where` fragment with bound parameters and a phrase for the summary;
the URL parameter of a filter is its `key`, which is also the sidebar widget's key.

Bound parameters: a filter's SQL parameters are never named after their column but generated
from `PARAM_PREFIX` ("flt_borough", "flt_q0"), and they travel in a `Params`, a dict that refuses
to bind a name twice, so a page adding its own `$system` can neither overwrite a filter's value
nor be overwritten by it: a collision is an error, never a silently different answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import Any

from rapidfuzz import fuzz, process

from citydata.core import boroughs, regions, service_types
from citydata.core.dates import day_label
from citydata.core.keys import fold_spacing
from citydata.core.schema import HOSTING_VALUES, SERVICE_AREA_LABELS
from citydata.core.text import shorten
from citydata.query import system_groups
from citydata.store import vendors

SEARCH_COLUMNS: tuple[str, ...] = (
    "borough",
    "service_area",
    "system",
    "vendor",
    "vendor_as_written",
    "manufacturer",
    "hosting",
    "source_ref",
)


PARAM_PREFIX = "flt_"


class ParamCollision(KeyError):
    """A bound parameter name given twice: one of the two values would silently be lost."""


class Params(dict[str, Any]):
    """Bound SQL parameters in which a name can be bound once only.

    `params["x"] = v`, `params |= {...}`, `params.update(...)` and `params.add(x=v)` all raise
    `ParamCollision` for a name already bound, rather than replacing its value.
    """

    def __setitem__(self, key: str, value: Any) -> None:
        if key in self:
            raise ParamCollision(f"the SQL parameter ${key} is already bound")
        super().__setitem__(key, value)

    def update(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def add(self, **values: Any) -> Params:
        """Bind new names (refusing any already bound); returns itself, for chaining."""
        self.update(values)
        return self

    def __ior__(self, other: Any) -> Params:  # type: ignore[override]
        self.update(other)
        return self

    def __or__(self, other: Any) -> Params:  # type: ignore[override]
        return self.copy().add(**dict(other))

    def copy(self) -> Params:
        return Params(dict.items(self))

    def setdefault(self, key: str, default: Any = None) -> Any:  # pragma: no cover - unused
        raise ParamCollision("Params.setdefault would hide a collision; use add()")


def param_name(key: str) -> str:
    """The bound-parameter name of a filter's value: generated, never a bare column name."""
    return PARAM_PREFIX + key


@dataclass(frozen=True)
class FilterState:
    """The user's selection; hashable, so it can key a cache."""

    borough: tuple[str, ...] = ()
    service_type: tuple[str, ...] = ()
    service_area: tuple[str, ...] = ()
    vendor: tuple[str, ...] = ()
    system: tuple[str, ...] = ()
    hosting: tuple[str, ...] = ()
    source_kind: tuple[str, ...] = ()  # 'register', 'published' or both (empty: both)
    end_from: date | None = None
    end_to: date | None = None
    q: str = ""

    def is_empty(self) -> bool:
        return self == FilterState()

    def with_(self, **changes: Any) -> FilterState:
        return replace(self, **changes)


@dataclass(frozen=True)
class Choice:
    """Pick one or more values of a column."""

    key: str  # the FilterState field, URL parameter and widget key
    column: str  # allow-listed column of current_contracts
    label: str  # sidebar label
    noun: str  # as said in the summary

    def clause(self, values: tuple[str, ...]) -> tuple[str, dict[str, Any]]:
        name = param_name(self.key)
        return f"{self.column} IN ${name}", {name: list(values)}

    @property
    def said(self) -> str:
        """The noun as said in the summary: the authority's word follows the region."""
        return boroughs.noun() if self.key == "borough" else self.noun

    @property
    def shown(self) -> str:
        """The sidebar label: 'Borough' in London, 'Council' elsewhere."""
        return boroughs.noun(capital=True) if self.key == "borough" else self.label

    def describe(self, values: tuple[str, ...]) -> str:
        return f"{self.said} is {_either(values)}"

    def fixed_options(self) -> tuple[str, ...] | None:
        """The values offered whatever the data holds (None: the column's current values)."""
        return None

    def options_sql(self) -> str:
        """The aggregate listing the values offered from the current records (one scan for
        every choice, `selection.options`)."""
        c = self.column
        return f"list(DISTINCT {c} ORDER BY {c}) FILTER (WHERE {c} IS NOT NULL)"

    def folded(self, value: str) -> str:
        """What a value given (in a link, on a command line) is recognised by among those
        offered: itself, unless a choice reads a value more loosely."""
        return value


@dataclass(frozen=True)
class SystemChoice(Choice):
    """A system, however it is written ("MOSAIC" is "Mosaic": citydata.query.system_groups): one
    value per system, under its name, matching every spelling of it."""

    def clause(self, values: tuple[str, ...]) -> tuple[str, dict[str, Any]]:
        name = param_name(self.key)
        return system_groups.matching(self.column, name), {name: list(values)}

    def options_sql(self) -> str:
        return system_groups.CURRENT_NAMES

    def folded(self, value: str) -> str:
        return fold_spacing(value)


@dataclass(frozen=True)
class ServiceTypeChoice(Choice):
    """Frontline or corporate: the service areas of the chosen types (data/
    service_area_types.toml, see citydata.core.service_types)."""

    def clause(self, values: tuple[str, ...]) -> tuple[str, dict[str, Any]]:
        name = param_name(self.key)
        return f"{self.column} IN ${name}", {name: service_types.areas_of(values)}

    def fixed_options(self) -> tuple[str, ...] | None:
        return tuple(service_types.TYPES.values()) if service_types.current() else ()


CHOICES: tuple[Choice, ...] = (
    Choice("borough", "borough", "Borough", "borough"),
    ServiceTypeChoice("service_type", "service_area", "Service type", "service type"),
    Choice("service_area", "service_area", "Service area", "service area"),
    Choice("vendor", "vendor", "Vendor", "vendor"),
    SystemChoice("system", "system", "System", "system"),
    Choice("hosting", "hosting", "Hosting", "hosting"),
    Choice("source_kind", "source_kind", "Source (register or published notice)", "source"),
)
CHOICE_BY_KEY = {c.key: c for c in CHOICES}
DATE_KEYS: tuple[str, str] = ("end_from", "end_to")
SEARCH_KEY = "q"
URL_KEYS: tuple[str, ...] = (*CHOICE_BY_KEY, *DATE_KEYS, SEARCH_KEY)


@dataclass(frozen=True)
class Where:
    sql: str
    params: Params = field(default_factory=Params)


def where(state: FilterState) -> Where:
    """The SQL condition (always valid SQL, 'TRUE' when nothing is chosen) and its parameters."""
    parts: list[str] = []
    params = Params()
    for choice in CHOICES:
        values = getattr(state, choice.key)
        if values:
            sql, p = choice.clause(values)
            parts.append(sql)
            params |= p
    for key, op in zip(DATE_KEYS, (">=", "<="), strict=True):
        if value := getattr(state, key):
            parts.append(f"contract_end {op} ${param_name(key)}")
            params[param_name(key)] = value
    for i, term in enumerate(search_terms(state.q)):
        sql, p = _search(term, param_name(f"q{i}"))
        partner, _ = _search(term, param_name(f"q{i}"), on="n.")
        parts.append(f"({sql} OR {_MATCHED_NOTICE.format(partner=partner)})")
        params |= p
    return Where(" AND ".join(parts) or "TRUE", params)


# Columns that only ever hold a value of a fixed list (ingest normalises them): the search word
# is matched against the list here and the SQL tests membership, not text on every record.
def _listed() -> dict[str, tuple[str, ...]]:
    return {
        "borough": boroughs.NAMES,  # the current region's authorities
        "service_area": tuple(SERVICE_AREA_LABELS),
        "hosting": tuple(HOSTING_VALUES),
    }


# The canonical vendor is made by the view's alias join for every record; a record matches on it
# when its spelling is matched as written (vendor_as_written) or is an alias of a matching vendor.
def _aliased(name: str, written: str) -> str:
    return (
        f"{written} IN (SELECT w.vendor FROM (SELECT DISTINCT vendor FROM contracts) AS w "
        f"{vendors.canonical_sql('w.vendor', 'a')} WHERE a.vendor ILIKE ${name} ESCAPE '\\')"
    )


# A register record matched to a published notice is one contract with it (the notice is left
# out as its evidence, see selection.ONCE): the record is found by a word only its notice holds
# (the notice's title, its supplier as the notice spells it), else a search found the contract
# nowhere. `{partner}` tests the notice's own cells (`_search` on the stored record `n`), of a
# notice still current (as the view's own pairs: a rolled-back notice's words find nothing).
_MATCHED_NOTICE = (
    "(matched AND source_kind = 'register' AND (snapshot_id, record_no, vendor_as_written) IN ("
    "SELECT m.register_snapshot_id, m.register_record_no, m.register_vendor"
    " FROM notice_matches AS m"
    " JOIN snapshots AS ns ON ns.id = m.notice_snapshot_id AND ns.status = 'active'"
    " JOIN contracts AS n ON n.snapshot_id = m.notice_snapshot_id"
    " AND n.record_no = m.notice_record_no AND coalesce(n.source_ref, '') = m.notice_ref"
    " AND n.vendor IS NOT DISTINCT FROM m.notice_vendor"
    " WHERE {partner}))"
)


def _search(term: str, name: str, on: str = "") -> tuple[str, dict[str, Any]]:
    """Records holding `term` in any of SEARCH_COLUMNS: one ILIKE per text column (faster than
    one joined string per record; a search word holds no spaces), membership for the others.
    With `on` ("n."), the same tests of a stored record of `contracts` so named (whose vendor
    is as written)."""
    tests, params = [], {name: "%" + _LIKE_SPECIAL.sub(r"\\\g<0>", term) + "%"}
    for column in SEARCH_COLUMNS:
        listed = _listed()
        if column in listed:
            if found := [v for v in listed[column] if term in v.lower()]:
                tests.append(f"{on}{column} IN ${name}_{column}")
                params[f"{name}_{column}"] = found
        elif column == "vendor":
            written = f"{on}vendor" if on else "vendor_as_written"
            tests.append(_aliased(name, written))
        else:
            stored = f"{on}vendor" if on and column == "vendor_as_written" else f"{on}{column}"
            tests.append(f"{stored} ILIKE ${name} ESCAPE '\\'")
    return "(" + " OR ".join(tests) + ")", params


_LIKE_SPECIAL = re.compile(r"[\\%_]")  # matched literally in a search word


def service_areas(state: FilterState) -> list[str]:
    """The service areas the selection can hold, in the schema's order: those its service area
    and service type filters allow (every area when neither is set)."""
    areas = list(SERVICE_AREA_LABELS)
    if state.service_area:
        areas = [a for a in areas if a in state.service_area]
    if state.service_type:
        allowed = set(service_types.areas_of(state.service_type))
        areas = [a for a in areas if a in allowed]
    return areas


def search_terms(q: str) -> list[str]:
    """Words of the free-text search, lower-cased; each must appear somewhere in a record."""
    return [t for t in re.split(r"\s+", q.strip().lower()) if t][:10]


def summary(state: FilterState, noun: str = "contracts") -> str:
    """A plain-English sentence describing the selection.

    "Contracts where borough is Camden or Hackney and service area is Housing, ending between
    1 Apr 2026 and 31 Mar 2027, matching “oracle”"
    """
    choices = [c.describe(getattr(state, c.key)) for c in CHOICES if getattr(state, c.key)]
    text = noun.capitalize() + (" where " + _join(choices, "and") if choices else "")
    extras: list[str] = []
    if state.end_from and state.end_to:
        extras.append(f"ending between {day_label(state.end_from)} and {day_label(state.end_to)}")
    elif state.end_from:
        extras.append(f"ending on or after {day_label(state.end_from)}")
    elif state.end_to:
        extras.append(f"ending on or before {day_label(state.end_to)}")
    if terms := search_terms(state.q):
        extras.append("matching " + " and ".join(f"“{t}”" for t in terms))
    if not choices and not extras:
        return f"All {noun}"
    text = ", ".join([text, *extras]) if choices else " ".join([text, ", ".join(extras)])
    if state.end_from or state.end_to:
        text += " (records with no end date are left out)"
    return text


def to_query_params(state: FilterState) -> dict[str, list[str]]:
    """URL parameters for a state: repeated keys for lists, ISO dates, defaults left out."""
    out: dict[str, list[str]] = {}
    for choice in CHOICES:
        if values := getattr(state, choice.key):
            out[choice.key] = list(values)
    for key in DATE_KEYS:
        if value := getattr(state, key):
            out[key] = [value.isoformat()]
    if state.q.strip():
        out[SEARCH_KEY] = [state.q.strip()]
    return out


def from_query_params(
    params: Mapping[str, Iterable[str]],
    options: Mapping[str, Iterable[str]] | None = None,
) -> tuple[FilterState, list[str]]:
    """A state from URL parameters, and a note for every value that was dropped or changed.

    With `options` (a choice key to its valid values) the state is also `normalise`d.
    """
    notes: list[str] = []
    values: dict[str, Any] = {}
    for choice in CHOICES:
        values[choice.key] = tuple(_dedupe(params.get(choice.key, ())))
    for key in DATE_KEYS:
        raw = list(params.get(key, ()))
        if raw and raw[0]:
            try:
                values[key] = date.fromisoformat(raw[0])
            except ValueError:
                notes.append(f"{_quoted_few(raw[:1])} is not a date (use YYYY-MM-DD); ignored.")
    q = list(params.get(SEARCH_KEY, ()))
    values[SEARCH_KEY] = q[0] if q else ""
    state = FilterState(**values)
    if options is None:
        return state, notes
    state, dropped = normalise(state, options)
    return state, dropped + notes


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
        f"{_quoted_few([given])} is now grouped under {_quoted_few([now])}."
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
    shown = _quoted_few([value])
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
    note = f"No {choice.said} called {_quoted_few(dropped)} in the data"
    close: list[str] = []
    for value in dropped[:NOTE_VALUES]:
        for found, score, _ in process.extract(
            value, valid, scorer=fuzz.WRatio, processor=str.casefold, limit=3, score_cutoff=80
        ):
            if found not in close and score >= 80:
                close.append(found)
    if close:
        note += f" (did you mean {_either(close[:3], 'or')}?)"
    return note + "."


def state_from_widgets(values: Mapping[str, Any]) -> FilterState:
    """A state from the sidebar widgets' values (missing keys mean 'not chosen')."""
    known = {f.name for f in fields(FilterState)}
    clean: dict[str, Any] = {}
    for key in known & set(values):
        value = values[key]
        if key in CHOICE_BY_KEY:
            clean[key] = tuple(value or ())
        elif key == SEARCH_KEY:
            clean[key] = (value or "").strip()
        else:
            clean[key] = value or None
    return FilterState(**clean)


def _dedupe(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


NOTE_VALUES, NOTE_VALUE_CHARS = 5, 60  # a note about a link names a few values, shortened


def _quoted_few(values: list[str]) -> str:
    """“a”, “b” or “c”: at most NOTE_VALUES values of NOTE_VALUE_CHARS characters each, so a
    hostile link cannot fill the sidebar; how many more there were."""
    shown = [f"“{shorten(' '.join(v.split()), NOTE_VALUE_CHARS)}”" for v in values[:NOTE_VALUES]]
    if len(values) > NOTE_VALUES:
        shown.append(f"{len(values) - NOTE_VALUES:,} more")
    return _join(shown, "or", values=True)


def _either(values: Iterable[str], word: str = "or") -> str:
    return _join([f"{v}" for v in values], word, values=True)


def _join(items: list[str], word: str, values: bool = False) -> str:
    """'a, b or c'. A list of `values` is 'a; b or c' when one of them holds a comma
    ("Armagh City, Banbridge and Craigavon; Belfast or Derry City and Strabane")."""
    if len(items) <= 1:
        return "".join(items)
    between = "; " if values and any("," in item for item in items[:-1]) else ", "
    return between.join(items[:-1]) + f" {word} " + items[-1]
