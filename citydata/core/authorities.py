"""Every UK local authority: GSS codes, names however written, tiers, abolished bodies.

The registry is `data/authorities.csv` (made from the GOV.UK-layout register by
`data/scripts/make_authorities.py`; see data/README.md). The 33 London authorities keep their
hand-written short names and the many ways Londoners write them (`citydata.core.boroughs`); every
other authority is known by its code, short name, official name, the register's other names
(among them Welsh and Gaelic names and initials councils publish under: "Cyngor Sir Penfro",
"Comhairle na Gàidhealtachd", "BCP Council") and the usual forms around their stems ("Bolton
Council", "Bolton Metropolitan Borough Council"; never around initials).

A name is folded (case, accents, apostrophes, '&', punctuation, spacing, a leading 'the') and
then looked up exactly: never a guess. A folded name that could mean two authorities is dropped.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from citydata.core import london, settings

REGISTRY_PATH = settings.DATA_DIR / "authorities.csv"
DISTRICTS_PATH = settings.DATA_DIR / "uk_districts.geojson"
TIERS = ("london borough", "metropolitan borough", "unitary", "county", "district")


@dataclass(frozen=True)
class Authority:
    code: str  # GSS code, e.g. E09000007, E08000003, W06000015
    name: str  # canonical short name
    official_name: str
    tier: str = "london borough"  # one of TIERS
    nation: str = "England"
    county: str | None = None  # a district's county council (GSS code)
    end_date: str | None = None  # ISO date an abolished body ended
    successor: str | None = None  # GSS code of the body that took over an abolished one
    other_names: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return self.end_date is None

    @property
    def has_district_shape(self) -> bool:
        """County councils share their ground with their districts: no shape of their own."""
        return self.tier != "county"


LONDON: tuple[Authority, ...] = tuple(Authority(*row) for row in london.ROWS)
_LONDON_BY_CODE = {a.code: a for a in LONDON}

_APOSTROPHES = re.compile("['`\u00b4\u2018\u2019\u02bc]")
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Fold case, accents, apostrophes, '&', punctuation, spacing and a leading 'the'."""
    text = text.casefold()
    if not text.isascii():  # (ASCII has no accents to take off)
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    text = _APOSTROPHES.sub("", text).replace("&", " and ")
    words = _NOT_WORD.sub(" ", text).split()
    if words[:1] == ["the"]:
        words = words[1:]
    return " ".join(words)


# How people write a council's name around its short name ({} stands for the short name).
_COUNCIL_FORMS = (
    "{}",  # the name inside another: "Anglesey", "Ynys Môn"
    "{} Council",
    "{} City Council",
    "{} Borough Council",
    "{} District Council",
    "{} County Council",
    "{} County Borough Council",
    "{} Metropolitan Borough Council",
    "{} Metropolitan District Council",
    "{} MBC",
    "{} BC",
    "{} DC",
    "{} CC",
    "{} UA",
    "City of {}",
    "City of {} Council",
    "Borough of {}",
    "Metropolitan Borough of {}",
    "City and County of {}",
    # The legal style, as in "The Borough Council of Calderdale" (the 'The' folds away)
    "Borough Council of {}",
    "City Council of {}",
    "County Council of {}",
    "District Council of {}",
)
# A Welsh council's name in Welsh ("Cyngor Gwynedd", "Cyngor Sir Powys", "Cyngor Bwrdeistref
# Sirol Wrecsam", "Dinas a Sir Abertawe") and the usual short "Bridgend CBC".
_WELSH_FORMS = (
    "{} CBC",
    "Cyngor {}",
    "Cyngor Sir {}",
    "Cyngor Dinas {}",
    "Cyngor Bwrdeistref Sirol {}",
    "Dinas a Sir {}",
    "Cyngor Dinas a Sir {}",
    "Cyngor Sir a Dinas {}",  # the other order, as Democracy Club's list of councils has it
)
_WORDS_AROUND = re.compile(
    r"^(city of |city and county of |isle of |sir "
    # a Welsh council's own words: "Cyngor Bwrdeistref Sirol Wrecsam", "Dinas a Sir Abertawe";
    # "Cyngor Sir Penfro" keeps its "Sir" ("Penfro" alone is the town of Pembroke)
    r"|cyngor (bwrdeistref sirol |dinas a sir |sir a dinas |dinas )?|dinas a sir |sir a dinas )"
    r"|( city| county| county borough| borough| district"
    r"| metropolitan borough| metropolitan district)?( council)?$"
    r"|, (city|county) of$| ua$",  # the register's "Bristol, City of" and "Southend UA"
    re.I,
)


def _stem(name: str) -> str:
    """'City of Bristol' -> 'Bristol', 'Southend UA' -> 'Southend', 'St. Helens' -> 'St. Helens',
    'Isle of Anglesey' -> 'Anglesey', 'Sir Ynys Môn' ('Ynys Môn county') -> 'Ynys Môn', 'Cyngor
    Bwrdeistref Sirol Wrecsam' -> 'Wrecsam', 'Cyngor Sir Gâr' -> 'Sir Gâr': the name inside the
    forms."""
    return _WORDS_AROUND.sub("", name).strip() or name


def _initials(name: str) -> bool:
    """Whether a name has a word of initials ("BCP Council", "RBWM", "B&NES", "BwD"): two
    capitals or more, and more capitals than not ("Stoke-on-Trent" is a name)."""
    for word in name.split():
        capitals = sum(c.isupper() for c in word)
        if capitals > 1 and 2 * capitals > sum(c.isalpha() for c in word):
            return True
    return False


def _generated(authority: Authority) -> list[str]:
    """The forms around each stem of the authority's names, its register's other names too:
    "Southend UA" gives "Southend City Council", the name Southend-on-Sea's council uses. Initials
    give no forms: "BCP Council" is Bournemouth, Christchurch and Poole, but "BCP" alone, "BCP
    BC" or "City of BCP" could be anyone; only the names written in the register count."""
    names = (authority.name, authority.official_name, *authority.other_names)
    stems = {authority.name} | {_stem(n) for n in names}
    forms = _COUNCIL_FORMS
    if authority.nation == "Wales":
        forms += _WELSH_FORMS
    stems = {s for s in stems if not _initials(s)}
    return [form.format(s) for s in sorted(stems) for form in forms]


@lru_cache(maxsize=1)
def registry() -> tuple[Authority, ...]:
    """Every authority in the register, sorted by code; London's 33 as `boroughs` writes them."""
    out = []
    with REGISTRY_PATH.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            others = tuple(n for n in row["other_names"].split("; ") if n)
            if row["code"] in _LONDON_BY_CODE:
                out.append(_LONDON_BY_CODE[row["code"]])
                continue
            out.append(
                Authority(
                    code=row["code"],
                    name=row["name"],
                    official_name=row["official_name"],
                    tier=row["tier"],
                    nation=row["nation"],
                    county=row["county"] or None,
                    end_date=row["end_date"] or None,
                    successor=row["successor"] or None,
                    other_names=others,
                )
            )
    return tuple(out)


@lru_cache(maxsize=1)
def by_code() -> dict[str, Authority]:
    return {a.code: a for a in registry()}


def holders(authority: Authority) -> tuple[Authority, ...]:
    """The active authorities that hold an authority's area now: itself while active; for an
    abolished one its successor, followed while that too has ended (West Somerset, then
    Somerset West and Taunton, now Somerset), or for a county split between new councils
    (Cumbria, Northamptonshire) the holders of its districts; none if nobody is recorded."""
    if authority.active:
        return (authority,)
    if authority.successor is None:
        parts = [a for a in registry() if a.county == authority.code and not a.active]
        found = {h.code: h for part in parts for h in holders(part)}
        return tuple(found[code] for code in sorted(found))
    return holders(by_code()[authority.successor])


@lru_cache(maxsize=1)
def national_lookup() -> dict[str, Authority]:
    """Folded name -> authority, for every authority (active and abolished).

    Names come in three strengths: an active authority's own names (code, short and official
    names, London's hand-written forms), an abolished body's own names, then the generated
    forms. A stronger name wins; two names of the same strength that fold alike are dropped.
    """
    levels: list[list[tuple[str, Authority]]] = [[], []]
    for a in registry():
        if not a.active:
            levels[0] += [(n, a) for n in _own(a)]
        if a.code not in london.CODES:
            levels[1] += [(n, a) for n in _generated(a)]
    table = dict(own_names())
    for level in levels:
        _add_level(table, level)
    return table


@lru_cache(maxsize=1)
def own_names() -> dict[str, Authority]:
    """national_lookup's strongest names alone: folded own name -> active authority. A key
    here has the same authority in national_lookup (weaker names never replace it), so a
    name found here needs none of the rest, which costs most of national_lookup's time."""
    table: dict[str, Authority] = {}
    _add_level(table, [(n, a) for a in registry() if a.active for n in _own(a)])
    return table


def _own(a: Authority) -> list[str]:
    own = [a.code, a.name, a.official_name, *a.other_names]
    return own + london.aliases(a) if a.code in london.CODES else own


def _add_level(table: dict[str, Authority], level: list[tuple[str, Authority]]) -> None:
    """Add one strength of names to `table`: keys already there stay; two names of this
    strength that fold alike for different authorities are dropped."""
    found: dict[str, Authority | None] = {}
    for name, a in level:
        key = fold(name)
        if not key or key in table:
            continue
        found[key] = a if found.get(key, a) == a else None
    table |= {k: a for k, a in found.items() if a is not None}


def find(text: str | None) -> Authority | None:
    """Any UK authority (active or abolished) a name or GSS code refers to, or None."""
    if text is None:
        return None
    return national_lookup().get(fold(text))
