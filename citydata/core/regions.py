"""Regions: the group of councils one City Tools Explorer runs for, chosen by CITYTOOLS_REGION.

A region is a key of `data/regions.toml` (london, the default; greater-manchester, wales, ...)
or a custom list of GSS codes ("E08000001, E08000002, ..."). Everything that names, counts or
draws "the authorities" asks `current()`: the demo data, the map, "of N" counts, the noun on
pages, and which names an upload may carry.

The region is read from the environment each time (cheap: parsed once per value), then from
the app's secrets when the UI passed them in with `use_secrets`, then the default.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache
from typing import Any

from citydata.core import authorities, settings
from citydata.core.authorities import Authority
from citydata.core.dates import day_label
from citydata.core.text import join_words

SETTING = "CITYTOOLS_REGION"
DEFAULT = "london"
REGIONS_PATH = settings.DATA_DIR / "regions.toml"
LONDON_GEOMETRY = settings.DATA_DIR / "london_boroughs.geojson"
# A region drawing more districts than this (England, the United Kingdom) is a national view:
# its map uses the shapes simplified for that scale (data/scripts/make_national_geometry.py).
NATIONAL_GEOMETRY = settings.DATA_DIR / "uk_districts_national.geojson"
NATIONAL_FROM = 100
CUSTOM_PREFIX = "custom:"
META_KEY = "region"  # the database's meta key for the region (Region.key) it was built for
_GSS = re.compile(r"^[EWSN]\d{8}$")
_SEPARATORS = re.compile(r"[\s,;]+")


@dataclass(frozen=True)
class Region:
    key: str  # a regions.toml key, or 'custom:' and the sorted codes
    label: str  # 'London', 'Greater Manchester', 'your 5 councils'
    noun: str  # 'borough' or 'council'
    authorities: tuple[Authority, ...]

    @cached_property
    def by_code(self) -> dict[str, Authority]:
        return {a.code: a for a in self.authorities}

    @cached_property
    def by_name(self) -> dict[str, Authority]:
        return {a.name: a for a in self.authorities}

    @cached_property
    def names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.authorities)

    @cached_property
    def lookup(self) -> dict[str, Authority]:
        """Folded name -> authority of this region; an abolished body's names give the council
        that now holds its area, when that is one council of this region."""
        table = {}
        for key, a in authorities.national_lookup().items():
            now = authorities.holders(a)
            if len(now) == 1 and now[0].code in self.by_code:
                table[key] = self.by_code[now[0].code]
        return table

    def find(self, key: str) -> Authority | None:
        """`lookup.get(key)` (`key` folded), without building `lookup` for an active
        authority's own name (see authorities.own_names)."""
        if "lookup" not in self.__dict__:
            own = authorities.own_names().get(key)
            if own is not None:  # (active: it holds its own area)
                return self.by_code.get(own.code)
        return self.lookup.get(key)

    @property
    def is_london(self) -> bool:
        return self.key == DEFAULT

    def nouns(self, n: int | None = None) -> str:
        """'borough' or 'boroughs' (plural for a count other than 1), 'council' or 'councils'."""
        return self.noun if n in (None, 1) else self.noun + "s"

    @cached_property
    def counties_drawn(self) -> tuple[str, ...]:
        """The county councils the map draws as the ground of their districts: those none of
        whose districts is a council of the region (Lancashire in the Lancashire Combined County
        Authority). Beside one of its districts (West Sussex with Adur and Arun) a county has
        no area of its own."""
        with_districts = {a.county for a in self.authorities}
        return tuple(
            a.code for a in self.authorities if a.tier == "county" and a.code not in with_districts
        )

    def draws(self, authority: Authority) -> bool:
        """Whether the map draws an area for this authority of the region."""
        return authority.has_district_shape or authority.code in self.counties_drawn

    @cached_property
    def without_shape(self) -> tuple[Authority, ...]:
        """Authorities the map cannot draw (a county beside its districts): listed beside it."""
        return tuple(a for a in self.authorities if not self.draws(a))

    def geojson(self) -> dict[str, Any]:
        """The region's shapes (properties: code, name), in the order of their codes; shared,
        do not mutate."""
        return _geometry(self.key, tuple(self.by_code), self.counties_drawn)

    def describe(self) -> str:
        """'the 33 London boroughs', 'the 10 councils of Greater Manchester'."""
        if self.is_london:
            return "the 33 London authorities (32 boroughs and the City of London)"
        n = len(self.authorities)
        if self.key.startswith(CUSTOM_PREFIX):
            return (
                "the one council this app is set up for"
                if n == 1
                else (f"the {n:,} councils this app is set up for")
            )
        return (
            f"the one council of {self.label}" if n == 1 else f"the {n:,} councils of {self.label}"
        )


@lru_cache(maxsize=4)
def _geometry(key: str, codes: tuple[str, ...], counties: tuple[str, ...]) -> dict[str, Any]:
    if key == DEFAULT:
        with LONDON_GEOMETRY.open(encoding="utf-8") as f:
            return json.load(f)
    path = NATIONAL_GEOMETRY if len(codes) > NATIONAL_FROM else authorities.DISTRICTS_PATH
    county_of = {a.code: a.county for a in authorities.registry() if a.county in counties}
    wanted = set(codes) | county_of.keys()
    with path.open(encoding="utf-8") as f:
        found = [x for x in json.load(f)["features"] if x["properties"]["code"] in wanted]
    features = [x for x in found if x["properties"]["code"] in codes]
    for county in counties:
        ground = [x for x in found if county_of.get(x["properties"]["code"]) == county]
        features.append(_county_feature(authorities.by_code()[county], ground))
    features.sort(key=lambda x: x["properties"]["code"])
    return {"type": "FeatureCollection", "features": features}


# Where the districts' simplified shapes do not quite meet, their union keeps slivers of a few
# hundred metres as holes (Lancashire's had eleven); a council the county surrounds (Derby in
# Derbyshire, 0.01 square degrees) is a hole to keep.
_SLIVER = 1e-3  # square degrees, about 8 km² in England


def _county_feature(county: Authority, districts: list[dict[str, Any]]) -> dict[str, Any]:
    """A county council's area: the ground of its districts as one shape."""
    from shapely.geometry import MultiPolygon, Polygon, mapping, shape
    from shapely.ops import unary_union

    whole = unary_union([shape(x["geometry"]) for x in districts])
    parts = [
        Polygon(p.exterior, [h for h in p.interiors if Polygon(h).area >= _SLIVER])
        for p in getattr(whole, "geoms", [whole])
    ]
    return {
        "type": "Feature",  # (a MultiPolygon, in lists, as the file's own shapes)
        "geometry": json.loads(json.dumps(mapping(MultiPolygon(parts)))),
        "properties": {"code": county.code, "name": county.name},
    }


@lru_cache(maxsize=1)
def definitions() -> dict[str, dict[str, Any]]:
    with REGIONS_PATH.open("rb") as f:
        return tomllib.load(f)


@lru_cache(maxsize=16)
def parse(value: str) -> Region:
    """The region a setting's value names; raises settings.SettingError with a clear message."""
    text = value.strip()
    defined = definitions()
    if text.casefold() in defined:
        return _defined(text.casefold(), defined[text.casefold()])
    if text.startswith(CUSTOM_PREFIX):
        text = text[len(CUSTOM_PREFIX) :]
    codes = [c.upper() for c in _SEPARATORS.split(text) if c]
    if not codes or not all(_GSS.match(c) for c in codes):
        raise settings.SettingError(
            f"{SETTING} is “{value}”: give one of {', '.join(defined)}, or a list of GSS codes "
            "separated by commas (for example E08000001, E08000002)."
        )
    known = authorities.by_code()
    unknown = [c for c in codes if c not in known]
    gone = [c for c in codes if c in known and not known[c].active]
    if unknown or gone:
        problems = [f"{c} is no UK local authority's code" for c in unknown] + [
            f"{c} is {_ended(known[c])}" for c in gone
        ]
        raise settings.SettingError(f"{SETTING} cannot be used: {'; '.join(problems)}.")
    chosen = tuple(known[c] for c in sorted(set(codes)))
    key = CUSTOM_PREFIX + ",".join(a.code for a in chosen)
    label = "this council" if len(chosen) == 1 else f"these {len(chosen):,} councils"
    return Region(key, label, "council", chosen)


def _defined(key: str, spec: dict[str, Any]) -> Region:
    known = authorities.by_code()
    if "codes" in spec:
        chosen = [known[c] for c in spec["codes"]]
    else:
        chosen = [a for a in authorities.registry() if a.active and a.nation in spec["nations"]]
    return Region(key, spec["label"], spec["noun"], tuple(sorted(chosen, key=lambda a: a.code)))


def holding(codes: set[str]) -> Region | None:
    """The region of data/regions.toml with the fewest councils that holds every one of
    `codes` (London's for London's councils, the United Kingdom for a mix); None when none
    does (a council that has ended)."""
    fits = [r for r in map(parse, definitions()) if codes <= r.by_code.keys()]
    return min(fits, key=lambda r: len(r.authorities), default=None)


_secret_value: str | None = None


def use_secrets(secrets: Mapping[str, Any] | None) -> None:
    """Let the region come from the app's secrets when the environment does not set it."""
    global _secret_value
    value = None if secrets is None else secrets.get(SETTING)
    _secret_value = str(value) if value not in (None, "") else None


def current() -> Region:
    """The region this process runs for: $CITYTOOLS_REGION, else the secrets, else London."""
    value = settings.value(SETTING, {SETTING: _secret_value} if _secret_value else None)
    return parse(value or DEFAULT)


def outside(text: str | None) -> Authority | None:
    """A UK authority the name refers to that is not part of the current region (else None)."""
    found = authorities.find(text)
    if found is None or current().find(authorities.fold(text or "")) is not None:
        return None
    return found


def whereabouts(authority: Authority) -> str:
    """Why an authority `outside` found is not one of the region's, for a message: "Wigan
    Council, which is outside London", or for an abolished body when it ended and who holds
    its area now ("Cumbria County Council, which ended on 31 Mar 2023; its area is now
    Cumberland and Westmorland and Furness")."""
    region = current()
    if authority.active:
        return f"{authority.official_name}, which is outside {region.label}"
    text = _ended(authority, codes=False)
    now = authorities.holders(authority)
    if now and not any(a.code in region.by_code for a in now):
        text += f", outside {region.label}"
    return text


def _ended(authority: Authority, codes: bool = True) -> str:
    """An abolished body, when it ended and who holds its area now: Harrogate Borough Council,
    which ended on 31 Mar 2023; its area is now North Yorkshire (E06000065). The codes are for
    a setting's message."""
    ended = day_label(date.fromisoformat(authority.end_date or ""))
    text = f"{authority.official_name}, which ended on {ended}"
    names = [f"{a.name} ({a.code})" if codes else a.name for a in authorities.holders(authority)]
    if names:
        text += "; its area is now " + join_words(names)
    return text
