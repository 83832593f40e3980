"""The authorities of the current region: GSS codes, canonical short names, aliases, geometry.

London's 33 by default (CITYTOOLS_REGION, see `citydata.core.regions`). `BOROUGHS`, `BY_CODE`,
`BY_NAME` and `NAMES` are the current region's, read when used (module attributes computed on
access), so code written for London works for any region.
"""

from __future__ import annotations

import re
from typing import Any

from rapidfuzz import fuzz, process

from citydata.core import regions
from citydata.core.authorities import Authority, fold

Borough = Authority  # the name the rest of the app has always used
GEOMETRY_PATH = regions.LONDON_GEOMETRY  # London's own shapes; other regions use uk_districts


def __getattr__(name: str) -> Any:
    if name not in ("BOROUGHS", "BY_CODE", "BY_NAME", "NAMES"):
        # (before the region is read: importing this module asks for `__path__`, and a region
        # setting that cannot be used must not stop an import before the app can say so)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    region = regions.current()
    if name == "BOROUGHS":
        return region.authorities
    if name == "BY_CODE":
        return region.by_code
    if name == "BY_NAME":
        return region.by_name
    if name == "NAMES":
        return region.names
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class UnknownBorough(ValueError):
    """A name that is not one of the current region's authorities."""

    def __init__(self, text: str | None) -> None:
        self.text = text
        region = regions.current()
        message = f'"{text}" is not one of {region.describe()}'
        if not region.is_london:
            elsewhere = regions.outside(text)
            if elsewhere is not None:
                message += f" (it is {regions.whereabouts(elsewhere)})"
        super().__init__(message)


def resolve(text: str | None) -> Authority | None:
    """The region's authority a name or GSS code refers to, or None; exact after folding, never a
    guess. An abolished body's name gives its successor when that is in the region."""
    if text is None:
        return None
    return regions.current().find(fold(text))


def lookup(text: str | None) -> Authority:
    """Like resolve(), but raise UnknownBorough for a name it does not know."""
    borough = resolve(text)
    if borough is None:
        raise UnknownBorough(text)
    return borough


def near(text: str, limit: int = 3) -> list[str]:
    """The region's authorities whose names are closest to a name it does not know ("Camdem":
    Camden), best first; none when nothing is close. For "did you mean ...?"."""
    names = [a.name for a in regions.current().authorities]
    found = process.extract(
        text, names, scorer=fuzz.WRatio, processor=str.casefold, limit=limit, score_cutoff=80
    )
    return [name for name, *_ in found]


def outside(text: str | None) -> Authority | None:
    """The UK authority a name refers to when it exists but is not in the region, else None."""
    return regions.outside(text)


def noun(n: int | None = None, capital: bool = False) -> str:
    """What the region's authorities are called: 'borough(s)' in London, 'council(s)' elsewhere."""
    word = regions.current().nouns(n)
    return word[0].upper() + word[1:] if capital else word


_BOROUGH = re.compile(r"\b([Bb])orough(s?)\b")


def reword(text: str) -> str:
    """The app's own wording for the region: 'Borough' -> 'Council' outside London.

    For the app's labels, headings and captions only, never for data (names such as
    "Tewkesbury Borough Council" stay as they are).
    """
    if regions.current().is_london:
        return text
    return _BOROUGH.sub(lambda m: ("C" if m[1] == "B" else "c") + "ouncil" + m[2], text)


def separator() -> str:
    """What goes between council names in a list: "; " in a region where a name holds a comma
    (Northern Ireland's "Armagh City, Banbridge and Craigavon"), else ", " (London's lists are
    as they were)."""
    return "; " if any("," in name for name in regions.current().names) else ", "


def which() -> str:
    """'London borough' in London, else 'council in Greater Manchester' ('council' for a list)."""
    region = regions.current()
    if region.is_london:
        return "London borough"
    return (
        "council" if region.key.startswith(regions.CUSTOM_PREFIX) else f"council in {region.label}"
    )


def the(n: int) -> str:
    """'the one council', 'the 3 boroughs': a number of the region's authorities after 'the'
    (never 'the 1 council')."""
    return f"the one {noun(1)}" if n == 1 else f"the {n:,} {noun(n)}"


def authorities(n: int | None = None) -> str:
    """The region's authorities counted as a whole: 'authorities' in London (32 boroughs and
    the City of London), the region's noun elsewhere ('councils')."""
    if regions.current().is_london:
        return "authority" if n in (None, 1) else "authorities"
    return noun(n)


def all_of(n: int) -> str:
    """'all 33 authorities' (London), 'all 10 councils', or 'the one council' of a region of
    one (never 'all 1 authority')."""
    return f"the one {authorities(1)}" if n == 1 else f"all {n:,} {authorities(n)}"


def count() -> int:
    """How many authorities the region has (the N of 'of N')."""
    return len(regions.current().authorities)


def codes() -> list[str]:
    """The GSS codes of the region's authorities: those 'of N' counts."""
    return [a.code for a in regions.current().authorities]


def geojson() -> dict[str, Any]:
    """The region's boundaries as GeoJSON (properties: code, name); shared, do not mutate."""
    return regions.current().geojson()
