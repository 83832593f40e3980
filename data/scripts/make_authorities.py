"""Make data/authorities.csv and data/uk_districts.geojson: every UK local authority, and a
simplified boundary for every district-level council.

Reads the GOV.UK-layout register of UK local authorities (``uk_local_authorities.csv``) and the
ONS super-generalised district boundaries of December 2020 (``uk_lad_2020_bsc.geojson``, joined on
GSS code, never on name), applies the reorganisations since then (``data/reorganisations.csv``,
kept by hand: each new council's code, names, first day and the bodies it replaced, whose areas
it covers exactly), and writes:

- ``data/authorities.csv``: one row per authority with a GSS code (combined authorities and the
  Greater London Authority are not councils that buy these systems and are left out): code,
  short name, official name, tier, nation, county (a district's county council), start and end
  dates, successor (the GSS code of the body that took over an abolished one), other names
  (the register's, ONS's current name, then the names councils publish under that no register
  gives: the Welsh councils' official Welsh names, a Welsh county's place with and without the
  mutation after "Sir", initials such as "BCP Council" and Gaelic names, in the tables below);
- ``data/uk_districts.geojson``: the district-level areas (a new council's shape is the union of
  the districts it replaced), simplified for a browser map
  (shapely ``make_valid`` then ``simplify``), rounded to 4 decimals, one feature a line.

Needs shapely (a development dependency).

    python data/scripts/make_authorities.py [REGISTER_CSV] [DISTRICTS_GEOJSON]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import mapping, shape

ROOT = Path(__file__).resolve().parents[2]
# The reference files sit in a "shared" folder beside the checkout (or beside its parent).
SHARED = next(
    (p / "shared" / "data" for p in ROOT.parents if (p / "shared" / "data").is_dir()),
    ROOT.parent / "shared" / "data",
)
DEFAULT_REGISTER = SHARED / "real" / "uk_local_authorities.csv"
DEFAULT_DISTRICTS = SHARED / "uk_lad_2020_bsc.geojson"
REORGANISATIONS = ROOT / "data" / "reorganisations.csv"
OUT_CSV = ROOT / "data" / "authorities.csv"
OUT_GEOJSON = ROOT / "data" / "uk_districts.geojson"
TOLERANCE = 0.0025  # degrees, about 150-280 m: near the ~200 m of the source
GRID = 1e-4  # the 4th decimal place, about 10 m
MAX_BYTES = 1_100_000
COLUMNS = (
    "code",
    "name",
    "official_name",
    "tier",
    "nation",
    "county",
    "start_date",
    "end_date",
    "successor",
    "other_names",
)
TIERS = {
    "CTY": "county",
    "NMD": "district",
    "UA": "unitary",
    "MD": "metropolitan borough",
    "LBO": "london borough",
    "CC": "london borough",
}
NATIONS = {"E": "England", "W": "Wales", "S": "Scotland", "N": "Northern Ireland"}
NOT_COUNCILS = ("COMB", "SRA")  # combined authorities, the Greater London Authority
# The register's two damaged names, each a character's UTF-8 bytes read as Latin-1: U+FFFD in
# "Sir Ynys Mï¿½n", and U+FFA0 where Swansea's "City and County of Swansea" has a space.
REPAIRS = {
    "Sir Ynys M\u00ef\u00bf\u00bdn": "Sir Ynys M\u00f4n",
    "Sir Ynys M\ufffdn": "Sir Ynys M\u00f4n",
    "City\u00ef\u00be\u00a0and County of Swansea": "City and County of Swansea",
}

# Each Welsh council's official Welsh name (`official-name-cy`), from the Welsh Government's
# principal-local-authority register (Open Government Licence v3.0; copied from
# openregister/local-authority-data, data/principal-local-authority/principal-local-authority.tsv
# @ 042616e). The register above has only the Welsh name of the area (its `name-cy`, "Sir
# Benfro"), not the council's ("Cyngor Sir Penfro", "Cyngor Sir Gâr").
WELSH_OFFICIAL_NAMES = {
    "W06000001": "Cyngor Sir Ynys Môn",
    "W06000002": "Cyngor Gwynedd",
    "W06000003": "Cyngor Bwrdeistref Sirol Conwy",
    "W06000004": "Cyngor Sir Ddinbych",
    "W06000005": "Cyngor Sir y Fflint",
    "W06000006": "Cyngor Bwrdeistref Sirol Wrecsam",
    "W06000008": "Cyngor Sir Ceredigion",
    "W06000009": "Cyngor Sir Penfro",
    "W06000010": "Cyngor Sir Gâr",
    "W06000011": "Dinas a Sir Abertawe",
    "W06000012": "Cyngor Bwrdeistref Sirol Castell-nedd Port Talbot",
    "W06000013": "Cyngor Bwrdeistref Sirol Pen-y-bont ar Ogwr",
    "W06000014": "Cyngor Bro Morgannwg",
    "W06000015": "Cyngor Dinas Caerdydd",
    "W06000016": "Cyngor Bwrdeistref Sirol Rhondda Cynon Taf",
    "W06000018": "Cyngor Bwrdeistref Sirol Caerffili",
    "W06000019": "Cyngor Bwrdeistref Sirol Blaenau Gwent",
    "W06000020": "Cyngor Bwrdeistref Sirol Torfaen",
    "W06000021": "Cyngor Sir Fynwy",
    "W06000022": "Cyngor Dinas Casnewydd",
    "W06000023": "Cyngor Sir Powys",
    "W06000024": "Cyngor Bwrdeistref Sirol Merthyr Tudful",
}
# The place in a Welsh county council's name, in its radical (dictionary) form. After "Sir"
# (county, a feminine noun) Welsh writes it with the soft mutation, as the register's area names
# do ("Sir Benfro", "Sir Gaerfyrddin", "Sir Ddinbych", "Sir Fynwy"), but councils and buyers
# also write it unmutated: "Cyngor Sir Penfro" is Pembrokeshire's official name, "Cyngor Sir
# Ceredigion" Ceredigion's. Both forms of each are written (`welsh_county_names`); the mutated
# one must be the register's, which checks this table. Not mutated in use, so not here: "Sir
# Powys", "Sir y Fflint" (after the article), "Sir Ynys Môn"; nor after "Dinas" (city) or
# "Cyngor" (council, masculine): "Cyngor Dinas Caerdydd", "Cyngor Gwynedd".
WELSH_COUNTY_PLACES = {
    "W06000004": "Dinbych",  # Denbighshire: Sir Ddinbych
    "W06000008": "Ceredigion",  # Ceredigion: Sir Geredigion beside the official Sir Ceredigion
    "W06000009": "Penfro",  # Pembrokeshire: Sir Benfro
    "W06000010": "Caerfyrddin",  # Carmarthenshire: Sir Gaerfyrddin ("Sir Gâr" for short)
    "W06000021": "Mynwy",  # Monmouthshire: Sir Fynwy
}
# The soft mutation of a word's first consonant (treiglad meddal), longest first: p b, t d,
# c g, b f, d dd, g (dropped), m f, ll l, rh r.
_SOFT = (
    ("ll", "l"),
    ("rh", "r"),
    ("p", "b"),
    ("t", "d"),
    ("c", "g"),
    ("b", "f"),
    ("d", "dd"),
    ("g", ""),
    ("m", "f"),
)
# Other names councils publish under that no register gives, each with where it came from.
# citydata.core.authorities reads an initialism only as written here, never alone or in other
# forms, unless it spells the council itself ("RBWM": Royal Borough of ...): "BCP" alone could be
# anything, "BCP Council" is Bournemouth, Christchurch and Poole. Gaelic: a council's Gaelic
# name where it is the council's own bilingual name; Comhairle nan Eilean Siar is already the
# register's official name, the only one taken under the Local Government (Gaelic Names)
# (Scotland) Act 1997. Other councils' Gaelic names (Argyll and Bute's, Glasgow's...) are
# translations used in Gaelic text, not names the councils publish under, so are not here.
CURATED_NAMES: dict[str, tuple[str, ...]] = {
    # The name the council uses for itself (bcpcouncil.gov.uk); NHS England's Data Uses Register
    # names it "BCP COUNCIL (BOURNEMOUTH, CHRISTCHURCH AND POOLE)".
    "E06000058": ("BCP Council",),
    # bathnes.gov.uk; the council's open data say "Contains data published by B&NES Council".
    "E06000022": ("B&NES", "B&NES Council", "BANES Council"),
    # The council's legal name.
    "E06000019": ("County of Herefordshire District Council",),
    # The council's short name and web address (rbwm.gov.uk).
    "E06000040": ("RBWM",),
    # Wyre Forest District Council's initials, in its buyer name in the November 2025 Contracts
    # Finder export ("Wyre Forest District Council on Behalf of WFDC / RBC / BDC").
    "E07000239": ("WFDC",),
    # Rhondda Cynon Taf's short names: "RCT Council" (its newsroom), rctcbc.gov.uk.
    "W06000016": ("RCT Council", "RCTCBC"),
    # Neath Port Talbot's short name on its logo and web site (npt.gov.uk).
    "W06000012": ("NPT Council",),
    # The Highland Council's Gaelic name, beside its English one on its own bilingual identity.
    "S12000017": ("Comhairle na Gàidhealtachd",),
}


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text[4:] if text.startswith("The ") else text


def _day(text: str) -> str:
    return text[:10] if text else ""


def soft_mutation(word: str) -> str:
    """A Welsh word as written after a word that softens it: Penfro -> Benfro, Caerfyrddin ->
    Gaerfyrddin, Dinbych -> Ddinbych, Mynwy -> Fynwy; a word that does not mutate is as it is."""
    for radical, soft in _SOFT:
        if word[: len(radical)].casefold() == radical:
            rest = word[len(radical) :]
            if not soft:
                return rest[:1].upper() + rest[1:]
            return (soft.capitalize() if word[0].isupper() else soft) + rest
    return word


def welsh_county_names(code: str, register_names: list[str]) -> list[str]:
    """A Welsh county council's name with its place both ways after "Sir": "Cyngor Sir Penfro"
    and "Cyngor Sir Benfro". The mutated form must be the register's area name ("Sir Benfro"),
    else the script stops: a wrong radical in WELSH_COUNTY_PLACES would go unseen."""
    place = WELSH_COUNTY_PLACES.get(code)
    if place is None:
        return []
    mutated = soft_mutation(place)
    area = [n for n in register_names if n.startswith("Sir ")]
    if area and area != [f"Sir {mutated}"]:
        raise SystemExit(f"{code}: {place} after 'Sir' is 'Sir {mutated}', the register {area}")
    return [f"Cyngor Sir {place}", f"Cyngor Sir {mutated}"]


def _county(row: dict[str, str], rows: list[dict[str, str]]) -> str:
    """A district's county council, from the old ONS (SNAC) code: its first two digits are the
    county's ("45UB" Adur: "45" West Sussex). The register's `overlapping-la` is wrong for many
    districts (Adur says Worcestershire), so it is not used. A district made after SNAC codes
    ended (East Suffolk, 2019) takes the county of the districts it replaced."""
    counties = {r["snac"]: r["gss-code"] for r in rows if r["local-authority-type"] == "CTY"}
    if row["snac"][:2] in counties:
        return counties[row["snac"][:2]]
    before = [r for r in rows if r["replaced_by"] == row["local-authority-code"]]
    found = {counties.get(r["snac"][:2]) for r in before} - {None}
    if len(found) != 1:
        raise SystemExit(f"no county for {row['official-name']}: {sorted(found)}")
    return found.pop()


def registry(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The register's authorities with a GSS code."""
    by_la_code = {r["local-authority-code"]: r for r in rows}
    kept = [
        r for r in rows if r["gss-code"].strip() and r["local-authority-type"] not in NOT_COUNCILS
    ]
    out: list[dict[str, str]] = []
    for r in kept:
        code = r["gss-code"].strip()
        kind = r["local-authority-type"]
        tier = TIERS.get(kind) or ("district" if code.startswith("N") else "unitary")
        county = _county(r, rows) if tier == "district" and code.startswith("E") else ""
        successor = ""
        if r["replaced_by"]:
            successor = by_la_code[r["replaced_by"]]["gss-code"].strip()
        names = [
            REPAIRS.get(n.strip(), n.strip())
            for n in (r["alt-name-1"], r["alt-name-2"], r["alt-name-3"])
        ]
        out.append(
            {
                "code": code,
                "name": _short(names[0] or r["official-name"]),
                "official_name": " ".join(r["official-name"].split()),
                "tier": tier,
                "nation": NATIONS[code[0]],
                "county": county,
                "start_date": _day(r["start-date"]),
                "end_date": _day(r["end-date"]),
                "successor": successor,
                "other_names": "; ".join(n for n in names[1:] if n),
            }
        )
    return out


def _unique_names(authorities: list[dict[str, str]]) -> list[dict[str, str]]:
    """Sorted by code, names unique: an abolished body whose short name an active one now uses
    (Buckinghamshire County Council, North Yorkshire County Council) is named officially."""
    active_names = {a["name"] for a in authorities if not a["end_date"]}
    for a in authorities:
        if a["end_date"] and a["name"] in active_names:
            a["other_names"] = "; ".join(n for n in (a["name"], a["other_names"]) if n)
            a["name"] = a["official_name"]
    names = [a["name"] for a in authorities]
    if len(set(names)) != len(names):
        raise SystemExit(
            f"duplicate short names: {sorted({n for n in names if names.count(n) > 1})}"
        )
    return sorted(authorities, key=lambda a: a["code"])


def reorganise(authorities: list[dict[str, str]], changes: list[dict[str, str]]) -> None:
    """Add the councils made since the register (`changes`, rows of reorganisations.csv) and end
    the bodies they replaced the day before. A body replaced by one council names it as its
    successor; a county split between two (Cumbria, Northamptonshire) names none."""
    by_code = {a["code"]: a for a in authorities}
    replaced_by: dict[str, list[str]] = {}
    for change in changes:
        code = change["code"]
        if code in by_code:
            raise SystemExit(f"{code} ({change['name']}) is already in the register")
        for old in change["predecessors"].split():
            if old not in by_code or by_code[old]["end_date"]:
                raise SystemExit(f"{change['name']} replaced {old}, which is no active authority")
            replaced_by.setdefault(old, []).append(code)
        authorities.append(
            {
                "code": code,
                "name": change["name"],
                "official_name": change["official_name"],
                "tier": "unitary",
                "nation": NATIONS[code[0]],
                "county": "",
                "start_date": change["start_date"],
                "end_date": "",
                "successor": "",
                "other_names": "",
            }
        )
    for old, new in replaced_by.items():
        start = min(c["start_date"] for c in changes if c["code"] in new)
        by_code[old]["end_date"] = (date.fromisoformat(start) - timedelta(days=1)).isoformat()
        by_code[old]["successor"] = new[0] if len(new) == 1 else ""


def add_names(authorities: list[dict[str, str]]) -> None:
    """Add to other_names the names councils publish under that the register lacks: each Welsh
    council's official Welsh name, a Welsh county's place both ways after "Sir", and
    CURATED_NAMES. A name the authority already has is not repeated; a code that is no active
    authority stops the script."""
    by_code = {a["code"]: a for a in authorities}
    codes = {*WELSH_OFFICIAL_NAMES, *WELSH_COUNTY_PLACES, *CURATED_NAMES}
    for code in sorted(codes):
        if code not in by_code or by_code[code]["end_date"]:
            raise SystemExit(f"{code} in the names of make_authorities.py is no active authority")
        a = by_code[code]
        others = [n for n in a["other_names"].split("; ") if n]
        added = [
            WELSH_OFFICIAL_NAMES.get(code, ""),
            *welsh_county_names(code, others),
            *CURATED_NAMES.get(code, ()),
        ]
        for name in added:
            if name and name not in (a["name"], a["official_name"], *others):
                others.append(name)
        a["other_names"] = "; ".join(others)


def _rounded(coords: Any) -> Any:
    if isinstance(coords[0], (int, float)):
        return [round(c, 4) for c in coords]
    return [_rounded(c) for c in coords]


def _merged(raw: dict[str, Any], authorities: list[dict[str, str]]) -> dict[str, Any]:
    """Each active district-level area's shape: the source's, or for a council made since, the
    union of the districts it replaced (so their shared edges go)."""
    by_code = {a["code"]: a for a in authorities}
    shapes: dict[str, list[Any]] = {}
    names: dict[str, str] = {}
    for feature in raw["features"]:
        code = feature["properties"]["code"]
        if code in by_code and by_code[code]["end_date"] and by_code[code]["successor"]:
            code = by_code[code]["successor"]
        elif code not in by_code or by_code[code]["end_date"]:
            raise SystemExit(f"{code} ({feature['properties']['name']}) is no active authority")
        else:
            names[code] = feature["properties"]["name"]
        # make_valid splits a self-touching ring into parts that share edges: merge them again,
        # or the map would draw their shared edges as boundaries inside the district
        shapes.setdefault(code, []).extend(
            shapely.get_parts(shapely.make_valid(shape(feature["geometry"])))
        )
    return {code: (shapely.union_all(parts), names.get(code)) for code, parts in shapes.items()}


def districts(raw: dict[str, Any], authorities: list[dict[str, str]]) -> list[dict[str, Any]]:
    """One simplified feature per district-level area, named from the registry, sorted by code."""
    by_code = {a["code"]: a for a in authorities}
    features = []
    for code, (geometry, other) in _merged(raw, authorities).items():
        geometry = geometry.simplify(TOLERANCE, preserve_topology=True)
        geometry = shapely.make_valid(shapely.set_precision(geometry, GRID))
        if geometry.geom_type == "GeometryCollection":  # keep the areas, drop stray lines
            parts = [g for g in geometry.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
            geometry = shapely.union_all(parts)
        if not geometry.is_valid or geometry.geom_type not in ("Polygon", "MultiPolygon"):
            raise SystemExit(f"bad geometry for {code}: {shapely.is_valid_reason(geometry)}")
        out = mapping(geometry)
        # ONS's latest name, e.g. after a 2025 rename (None: a council made since the source)
        known = {by_code[code]["name"], *by_code[code]["other_names"].split("; ")}
        if other and other not in known:
            by_code[code]["other_names"] = "; ".join(
                n for n in (by_code[code]["other_names"], other) if n
            )
        features.append(
            {
                "type": "Feature",
                "properties": {"code": code, "name": by_code[code]["name"]},
                "geometry": {"type": out["type"], "coordinates": _rounded(out["coordinates"])},
            }
        )
    return sorted(features, key=lambda f: f["properties"]["code"])


def dumps(features: list[dict[str, Any]]) -> str:
    lines = [json.dumps(f, separators=(",", ":"), ensure_ascii=False) for f in features]
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("register", nargs="?", type=Path, default=DEFAULT_REGISTER)
    parser.add_argument("districts", nargs="?", type=Path, default=DEFAULT_DISTRICTS)
    args = parser.parse_args(argv)
    with args.register.open(encoding="utf-8", newline="") as f:
        authorities = registry(list(csv.DictReader(f)))
    with REORGANISATIONS.open(encoding="utf-8", newline="") as f:
        reorganise(authorities, list(csv.DictReader(f)))
    authorities = _unique_names(authorities)
    raw = json.loads(args.districts.read_text(encoding="utf-8"))
    OUT_GEOJSON.write_text(dumps(districts(raw, authorities)), encoding="utf-8")
    add_names(authorities)
    with OUT_CSV.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(authorities)
    size = OUT_GEOJSON.stat().st_size
    if size >= MAX_BYTES:
        raise SystemExit(f"{OUT_GEOJSON} is {size} bytes, over {MAX_BYTES}")
    print(f"wrote {OUT_CSV} ({len(authorities)} authorities), {OUT_GEOJSON} ({size:,} bytes)")


if __name__ == "__main__":
    sys.exit(main())
