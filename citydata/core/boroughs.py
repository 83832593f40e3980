"""The 33 London authorities: GSS codes, canonical short names, aliases and geometry."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from citydata.core import settings


@dataclass(frozen=True)
class Borough:
    code: str  # GSS code, E09000001..E09000033
    name: str  # canonical short name
    official_name: str


BOROUGHS: tuple[Borough, ...] = (
    Borough("E09000001", "City of London", "City of London Corporation"),
    Borough("E09000002", "Barking and Dagenham", "London Borough of Barking and Dagenham"),
    Borough("E09000003", "Barnet", "London Borough of Barnet"),
    Borough("E09000004", "Bexley", "London Borough of Bexley"),
    Borough("E09000005", "Brent", "London Borough of Brent"),
    Borough("E09000006", "Bromley", "London Borough of Bromley"),
    Borough("E09000007", "Camden", "London Borough of Camden"),
    Borough("E09000008", "Croydon", "London Borough of Croydon"),
    Borough("E09000009", "Ealing", "London Borough of Ealing"),
    Borough("E09000010", "Enfield", "London Borough of Enfield"),
    Borough("E09000011", "Greenwich", "Royal Borough of Greenwich"),
    Borough("E09000012", "Hackney", "London Borough of Hackney"),
    Borough("E09000013", "Hammersmith and Fulham", "London Borough of Hammersmith and Fulham"),
    Borough("E09000014", "Haringey", "London Borough of Haringey"),
    Borough("E09000015", "Harrow", "London Borough of Harrow"),
    Borough("E09000016", "Havering", "London Borough of Havering"),
    Borough("E09000017", "Hillingdon", "London Borough of Hillingdon"),
    Borough("E09000018", "Hounslow", "London Borough of Hounslow"),
    Borough("E09000019", "Islington", "London Borough of Islington"),
    Borough("E09000020", "Kensington and Chelsea", "Royal Borough of Kensington and Chelsea"),
    Borough("E09000021", "Kingston upon Thames", "Royal Borough of Kingston upon Thames"),
    Borough("E09000022", "Lambeth", "London Borough of Lambeth"),
    Borough("E09000023", "Lewisham", "London Borough of Lewisham"),
    Borough("E09000024", "Merton", "London Borough of Merton"),
    Borough("E09000025", "Newham", "London Borough of Newham"),
    Borough("E09000026", "Redbridge", "London Borough of Redbridge"),
    Borough("E09000027", "Richmond upon Thames", "London Borough of Richmond upon Thames"),
    Borough("E09000028", "Southwark", "London Borough of Southwark"),
    Borough("E09000029", "Sutton", "London Borough of Sutton"),
    Borough("E09000030", "Tower Hamlets", "London Borough of Tower Hamlets"),
    Borough("E09000031", "Waltham Forest", "London Borough of Waltham Forest"),
    Borough("E09000032", "Wandsworth", "London Borough of Wandsworth"),
    Borough("E09000033", "Westminster", "City of Westminster"),
)
BY_CODE = {b.code: b for b in BOROUGHS}
BY_NAME = {b.name: b for b in BOROUGHS}
NAMES: tuple[str, ...] = tuple(b.name for b in BOROUGHS)

GEOMETRY_PATH = settings.DATA_DIR / "london_boroughs.geojson"

# How people write a borough's name around its short name ({} stands for the short name).
_LONDON_BOROUGH_FORMS = (
    "{}",
    "London Borough of {}",
    "LB {}",
    "LB of {}",
    "{} Council",
    "{} London Borough Council",
    "Council of the London Borough of {}",
    "{} Borough Council",
)
_ROYAL_BOROUGH_FORMS = ("Royal Borough of {}", "RB {}", "RB of {}")
_ROYAL_BOROUGHS = frozenset({"E09000011", "E09000020", "E09000021"})

# Short names people write besides the canonical one; they take the same forms.
_SHORT_VARIANTS: dict[str, tuple[str, ...]] = {
    "E09000002": ("Barking",),
    "E09000013": ("Hammersmith",),
    "E09000021": ("Kingston",),
    "E09000027": ("Richmond",),
}

# Names that follow no pattern: initialisms and the two cities' own styles.
_EXACT_ALIASES: dict[str, tuple[str, ...]] = {
    "E09000001": ("City of London Corporation", "Corporation of London"),
    "E09000002": ("LBBD",),
    "E09000011": ("RBG",),
    "E09000013": ("LBHF", "H&F"),
    "E09000020": ("RBKC", "K&C"),
    "E09000021": ("RBK",),
    "E09000027": ("LBRuT",),
    "E09000030": ("LBTH",),
    "E09000031": ("LBWF",),
    "E09000033": ("City of Westminster", "Westminster City Council", "City of Westminster Council"),
}

_APOSTROPHES = re.compile("['`\u00b4\u2018\u2019\u02bc]")
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def _fold(text: str) -> str:
    """Fold case, accents, apostrophes, '&', punctuation, spacing and a leading 'the'."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = _APOSTROPHES.sub("", text).replace("&", " and ")
    words = _NOT_WORD.sub(" ", text).split()
    if words[:1] == ["the"]:
        words = words[1:]
    return " ".join(words)


def _aliases(borough: Borough) -> list[str]:
    names = [borough.official_name, borough.code, *_EXACT_ALIASES.get(borough.code, ())]
    if borough.code == "E09000001":
        return [borough.name, *names]  # the City is no borough: none of the borough forms apply
    forms = _LONDON_BOROUGH_FORMS
    if borough.code in _ROYAL_BOROUGHS:
        forms += _ROYAL_BOROUGH_FORMS
    for short in (borough.name, *_SHORT_VARIANTS.get(borough.code, ())):
        names += [form.format(short) for form in forms]
    return names


def _build_lookup() -> dict[str, Borough]:
    table: dict[str, Borough] = {}
    for borough in BOROUGHS:
        for alias in _aliases(borough):
            key = _fold(alias)
            if table.setdefault(key, borough) is not borough:
                raise ValueError(f"alias {alias!r} names two authorities")
    return table


_LOOKUP: dict[str, Borough] = _build_lookup()


class UnknownBorough(ValueError):
    """A name that is not one of the 33 London authorities."""

    def __init__(self, text: str | None) -> None:
        self.text = text
        super().__init__(
            f'"{text}" is not one of the 33 London authorities (32 boroughs and the City of London)'
        )


def resolve(text: str | None) -> Borough | None:
    """The authority a name or GSS code refers to, or None; exact after folding, never a guess."""
    if text is None:
        return None
    return _LOOKUP.get(_fold(text))


def lookup(text: str | None) -> Borough:
    """Like resolve(), but raise UnknownBorough for a name it does not know."""
    borough = resolve(text)
    if borough is None:
        raise UnknownBorough(text)
    return borough


@lru_cache(maxsize=1)
def geojson() -> dict[str, Any]:
    """The 33 boundaries as GeoJSON (properties: code, name); one shared dict, do not mutate."""
    with GEOMETRY_PATH.open(encoding="utf-8") as f:
        return json.load(f)
