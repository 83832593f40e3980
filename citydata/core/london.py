"""The 33 London authorities as Londoners write them: short names and the forms around them."""

from __future__ import annotations

from typing import Protocol


class _Named(Protocol):
    code: str
    name: str
    official_name: str


# (GSS code, canonical short name, official name); authorities.LONDON makes them Authorities.
ROWS: tuple[tuple[str, str, str], ...] = (
    ("E09000001", "City of London", "City of London Corporation"),
    ("E09000002", "Barking and Dagenham", "London Borough of Barking and Dagenham"),
    ("E09000003", "Barnet", "London Borough of Barnet"),
    ("E09000004", "Bexley", "London Borough of Bexley"),
    ("E09000005", "Brent", "London Borough of Brent"),
    ("E09000006", "Bromley", "London Borough of Bromley"),
    ("E09000007", "Camden", "London Borough of Camden"),
    ("E09000008", "Croydon", "London Borough of Croydon"),
    ("E09000009", "Ealing", "London Borough of Ealing"),
    ("E09000010", "Enfield", "London Borough of Enfield"),
    ("E09000011", "Greenwich", "Royal Borough of Greenwich"),
    ("E09000012", "Hackney", "London Borough of Hackney"),
    ("E09000013", "Hammersmith and Fulham", "London Borough of Hammersmith and Fulham"),
    ("E09000014", "Haringey", "London Borough of Haringey"),
    ("E09000015", "Harrow", "London Borough of Harrow"),
    ("E09000016", "Havering", "London Borough of Havering"),
    ("E09000017", "Hillingdon", "London Borough of Hillingdon"),
    ("E09000018", "Hounslow", "London Borough of Hounslow"),
    ("E09000019", "Islington", "London Borough of Islington"),
    ("E09000020", "Kensington and Chelsea", "Royal Borough of Kensington and Chelsea"),
    ("E09000021", "Kingston upon Thames", "Royal Borough of Kingston upon Thames"),
    ("E09000022", "Lambeth", "London Borough of Lambeth"),
    ("E09000023", "Lewisham", "London Borough of Lewisham"),
    ("E09000024", "Merton", "London Borough of Merton"),
    ("E09000025", "Newham", "London Borough of Newham"),
    ("E09000026", "Redbridge", "London Borough of Redbridge"),
    ("E09000027", "Richmond upon Thames", "London Borough of Richmond upon Thames"),
    ("E09000028", "Southwark", "London Borough of Southwark"),
    ("E09000029", "Sutton", "London Borough of Sutton"),
    ("E09000030", "Tower Hamlets", "London Borough of Tower Hamlets"),
    ("E09000031", "Waltham Forest", "London Borough of Waltham Forest"),
    ("E09000032", "Wandsworth", "London Borough of Wandsworth"),
    ("E09000033", "Westminster", "City of Westminster"),
)
CODES = frozenset(code for code, _, _ in ROWS)

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
    "{} LBC",
    "{} LB",
    "{} London Borough",
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


def aliases(borough: _Named) -> list[str]:
    """Every way of writing one London authority's name that the app accepts."""
    names = [borough.official_name, borough.code, *_EXACT_ALIASES.get(borough.code, ())]
    if borough.code == "E09000001":
        return [borough.name, *names]  # the City is no borough: none of the borough forms apply
    forms = _LONDON_BOROUGH_FORMS
    if borough.code in _ROYAL_BOROUGHS:
        forms += _ROYAL_BOROUGH_FORMS
    for short in (borough.name, *_SHORT_VARIANTS.get(borough.code, ())):
        names += [form.format(short) for form in forms]
    return names
