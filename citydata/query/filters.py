"""Filters as data: one definition gives the SQL, the plain-English summary and the URL.

A `FilterState` is what the user chose. Each filter in `CHOICES`, `DATE_KEYS` and the search
(citydata.query.search) turns its part of the state into a `where` fragment with bound
parameters and a phrase for the summary; the URL parameter of a filter is its `key`, which is
also the sidebar widget's key (a link's are read and written by citydata.query.links, and what
the data does not have is dropped, saying so, by citydata.query.corrections).

Bound parameters: a filter's SQL parameters are never named after their column but generated
from `PARAM_PREFIX` ("flt_borough", "flt_q0"), and they travel in a `Params`, a dict that refuses
to bind a name twice, so a page adding its own `$system` can neither overwrite a filter's value
nor be overwritten by it: a collision is an error, never a silently different answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import Any

from citydata.core import boroughs, service_types
from citydata.core.dates import day_label
from citydata.core.keys import fold_spacing
from citydata.core.schema import SERVICE_AREA_LABELS
from citydata.core.text import join_words
from citydata.query import search, system_groups

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

    def for_borough(self, borough: str) -> FilterState:
        """These filters for one borough (any name or code `boroughs` knows; UnknownBorough
        for one it does not): the Borough filter replaced, every other kept."""
        return self.with_(borough=(boroughs.lookup(borough).name,))


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
        return f"{self.said} is {either(values)}"

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
    for i, term in enumerate(search.terms(state.q)):
        sql, p = search.clause(term, param_name(f"q{i}"))
        parts.append(sql)
        params |= p
    return Where(" AND ".join(parts) or "TRUE", params)


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


def summary(state: FilterState, noun: str = "contracts") -> str:
    """A plain-English sentence describing the selection.

    "Contracts where borough is Camden or Hackney and service area is Housing, ending between
    1 Apr 2026 and 31 Mar 2027, matching “oracle”"
    """
    choices = [c.describe(getattr(state, c.key)) for c in CHOICES if getattr(state, c.key)]
    text = noun.capitalize() + (" where " + join_words(choices, "and") if choices else "")
    extras: list[str] = []
    if state.end_from and state.end_to:
        extras.append(f"ending between {day_label(state.end_from)} and {day_label(state.end_to)}")
    elif state.end_from:
        extras.append(f"ending on or after {day_label(state.end_from)}")
    elif state.end_to:
        extras.append(f"ending on or before {day_label(state.end_to)}")
    if terms := search.terms(state.q):
        extras.append("matching " + " and ".join(f"“{t}”" for t in terms))
    if not choices and not extras:
        return f"All {noun}"
    text = ", ".join([text, *extras]) if choices else " ".join([text, ", ".join(extras)])
    if state.end_from or state.end_to:
        text += " (records with no end date are left out)"
    return text


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


def either(values: Iterable[str], word: str = "or") -> str:
    """Values said as a list in a sentence: "Camden, Hackney or Islington" (`join_words`)."""
    return join_words([f"{v}" for v in values], word, values=True)
