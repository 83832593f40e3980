"""Councils named as they publish: Welsh names with or without the mutation after "Sir", the
official Welsh and Gaelic names, and the initials some councils go by.

The names are written into data/authorities.csv's other_names by data/scripts/make_authorities.py
(its tables WELSH_OFFICIAL_NAMES, WELSH_COUNTY_PLACES and CURATED_NAMES, each with its source);
citydata.core.authorities makes the usual forms around them, except around initials.
"""

from __future__ import annotations

import csv
import importlib.util
import sys

import pytest

from citydata.core import authorities, buyers, regions
from citydata.core.settings import DATA_DIR
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def script():
    """data/scripts/make_authorities.py as a module (it is a script, not a package)."""
    pytest.importorskip("shapely")
    path = ROOT / "data" / "scripts" / "make_authorities.py"
    spec = importlib.util.spec_from_file_location("make_authorities", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_authorities"] = module
    spec.loader.exec_module(module)
    yield module
    del sys.modules["make_authorities"]


PEMBROKESHIRE, CARMARTHENSHIRE, HIGHLAND, BCP = "W06000009", "W06000010", "S12000017", "E06000058"

FOUND = [
    # Welsh official names (the Welsh Government's register), the place after "Sir" either way
    ("wales", "Cyngor Sir Penfro", PEMBROKESHIRE),
    ("wales", "CYNGOR SIR PENFRO", PEMBROKESHIRE),
    ("wales", "Cyngor Sir Benfro", PEMBROKESHIRE),
    ("wales", "Sir Penfro", PEMBROKESHIRE),
    ("wales", "Cyngor Sir Gâr", CARMARTHENSHIRE),
    ("wales", "Cyngor Sir Gar", CARMARTHENSHIRE),
    ("wales", "Sir Gâr", CARMARTHENSHIRE),
    ("wales", "Cyngor Sir Caerfyrddin", CARMARTHENSHIRE),
    ("wales", "Cyngor Sir Gaerfyrddin", CARMARTHENSHIRE),
    ("wales", "Cyngor Sir Dinbych", "W06000004"),
    ("wales", "Cyngor Sir Geredigion", "W06000008"),
    ("wales", "Cyngor Sir Mynwy", "W06000021"),
    ("wales", "Cyngor Bwrdeistref Sirol Castell-nedd Port Talbot", "W06000012"),
    ("wales", "Cyngor Sir a Dinas Abertawe", "W06000011"),
    ("wales", "RCT Council", "W06000016"),
    ("wales", "RCTCBC", "W06000016"),
    ("wales", "NPT Council", "W06000012"),
    # The Highland Council's Gaelic name, accents or none
    ("scotland", "Comhairle na Gàidhealtachd", HIGHLAND),
    ("scotland", "COMHAIRLE NA GAIDHEALTACHD", HIGHLAND),
    ("scotland", "Comhairle nan Eilean Siar", "S12000013"),
    # Initials councils publish under
    ("united-kingdom", "BCP Council", BCP),
    ("united-kingdom", "BCP COUNCIL", BCP),
    ("united-kingdom", "B&NES Council", "E06000022"),
    ("united-kingdom", "B&NES", "E06000022"),
    ("united-kingdom", "BANES Council", "E06000022"),
    ("united-kingdom", "RBWM", "E06000040"),
    # A council's legal name, where it is not its everyday one
    ("united-kingdom", "County of Herefordshire District Council", "E06000019"),
    ("united-kingdom", "Cyngor Sir Penfro", PEMBROKESHIRE),
    ("united-kingdom", "Comhairle na Gàidhealtachd", HIGHLAND),
]


@pytest.mark.parametrize(("key", "text", "code"), FOUND)
def test_a_council_is_found_by_the_name_it_publishes_under(region, key, text, code) -> None:
    region(key)
    assert authorities.find(text).code == code
    assert buyers.find(text).authority.code == code


# Names like those that are not the council: initials alone or in made-up forms, a town's name
# (Penfro is Pembroke, Caerfyrddin Carmarthen) or its council, the Gàidhealtachd (the
# Gaelic-speaking Highlands, not the council), other Highland bodies.
NOT_FOUND = [
    "BCP",
    "City of BCP",
    "BCP Borough Council",
    "RCT",
    "NPT",
    "BANES",
    "Gâr",
    "Penfro",
    "Caerfyrddin",
    "Cyngor Tref Penfro",
    "Cyngor Tref Caerfyrddin",
    "Gàidhealtachd",
    "Na Gàidhealtachd",
    "NHS Highland",
    "Highlands and Islands Enterprise",
]


@pytest.mark.parametrize("text", NOT_FOUND)
def test_a_look_alike_is_no_council(region, text) -> None:
    region("united-kingdom")
    assert authorities.find(text) is None
    assert buyers.find(text) is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        # a department after the name, in Welsh, Gaelic or English
        ("Cyngor Sir Penfro - Adran Addysg", PEMBROKESHIRE),
        ("Cyngor Sir Benfro - Adran Addysg", PEMBROKESHIRE),
        ("Cyngor Sir Gâr - Adran Gwasanaethau Corfforaethol", CARMARTHENSHIRE),
        ("Comhairle na Gàidhealtachd - Foghlam", HIGHLAND),
        ("Comhairle nan Eilean Siar - Foghlam", "S12000013"),
        ("BCP Council - Adult Social Care", BCP),
        ("BCP COUNCIL (BOURNEMOUTH, CHRISTCHURCH AND POOLE)", BCP),
        # the same council's names in two languages
        ("Cyngor Sir Penfro - Pembrokeshire County Council", PEMBROKESHIRE),
        ("Cyngor Sir Benfro - Pembrokeshire County Council", PEMBROKESHIRE),
        ("The City of Cardiff Council / Cyngor Dinas Caerdydd", "W06000015"),
        ("The Highland Council / Comhairle na Gàidhealtachd", HIGHLAND),
        ("The Highland Council / Highland Council", HIGHLAND),
        # two councils: neither
        ("Cyngor Sir Penfro - Cyngor Sir Gâr", None),
        ("Cyngor Sir Benfro - Cyngor Sir Gaerfyrddin", None),
        ("The City of Cardiff Council / Cyngor Sir Benfro", None),
        ("BCP Council / Dorset Council", None),
        ("Cyngor Sir Penfro / Pembroke Town Council", None),
    ],
)
def test_a_buyer_named_with_a_department_or_in_two_languages(region, text, code) -> None:
    region("united-kingdom")
    found = buyers.find(text)
    assert (found and found.authority.code) == code


def test_a_welsh_buyer_outside_the_region_is_said_to_be_outside(region) -> None:
    region("greater-manchester")
    assert buyers.find("Cyngor Sir Penfro - Adran Addysg") is None
    assert regions.outside("Cyngor Sir Penfro").code == PEMBROKESHIRE


@pytest.mark.parametrize(
    ("radical", "mutated"),
    [
        ("Penfro", "Benfro"),
        ("Caerfyrddin", "Gaerfyrddin"),
        ("Dinbych", "Ddinbych"),
        ("Mynwy", "Fynwy"),
        ("Ceredigion", "Geredigion"),
        ("Trefynwy", "Drefynwy"),
        ("Gwynedd", "Wynedd"),
        ("Llanelli", "Lanelli"),
        ("Rhondda", "Rondda"),
        ("Abertawe", "Abertawe"),  # a vowel does not mutate
        ("Ynys Môn", "Ynys Môn"),
    ],
)
def test_the_soft_mutation_after_sir(script, radical, mutated) -> None:
    assert script.soft_mutation(radical) == mutated


def test_a_wrong_place_in_the_script_s_table_stops_it(script) -> None:
    """The mutated form it makes must be the register's area name, which checks the table."""
    assert script.welsh_county_names(PEMBROKESHIRE, ["Sir Benfro"]) == [
        "Cyngor Sir Penfro",
        "Cyngor Sir Benfro",
    ]
    with pytest.raises(SystemExit, match="Sir Benfro"):
        script.welsh_county_names(PEMBROKESHIRE, ["Sir Fenfro"])


def test_the_registry_holds_the_names_of_the_script_s_tables(script) -> None:
    """data/authorities.csv was made again after the tables last changed: adding their names to
    it adds nothing."""
    with (DATA_DIR / "authorities.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    before = [dict(r) for r in rows]
    script.add_names(rows)
    assert rows == before
    by_code = {r["code"]: r["other_names"].split("; ") for r in rows}
    assert "Cyngor Sir Penfro" in by_code[PEMBROKESHIRE]
    assert "Comhairle na Gàidhealtachd" in by_code[HIGHLAND]
    # every Welsh council has its official Welsh name
    assert sorted(script.WELSH_OFFICIAL_NAMES) == sorted(c for c in by_code if c[:3] == "W06")


def test_a_table_naming_no_active_council_stops_the_script(script, monkeypatch) -> None:
    rows = [{"code": "E07000007", "name": "Wycombe", "end_date": "2020-03-31", "other_names": ""}]
    monkeypatch.setattr(script, "WELSH_OFFICIAL_NAMES", {})
    monkeypatch.setattr(script, "WELSH_COUNTY_PLACES", {})
    monkeypatch.setattr(script, "CURATED_NAMES", {"E07000007": ("WDC",)})
    with pytest.raises(SystemExit, match="E07000007"):
        script.add_names(rows)
