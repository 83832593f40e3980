"""Councils of every region are recognised from a notice's party identifier, not only London's.

data/authority_identifiers.csv is written by data/scripts/make_authority_identifiers.py from the
GOV.UK local-authority registers (each council's three-letter code, as OCDS identifiers such as
GB-LAE:MAN use it) and the hand-kept e-mail domains in data/authority_email_domains.csv.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from citydata import ingest
from citydata.core import authorities, boroughs, buyers
from citydata.core.settings import DATA_DIR


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_every_authority_the_regions_know_has_its_register_code():
    rows = _rows("authority_identifiers.csv")
    assert [r["code"] for r in rows] == sorted(a.code for a in authorities.registry())
    # Every council of the register has its code; the six made since (reorganisations.csv) none
    # yet, so they are recognised by name and e-mail domain only.
    by_code = {r["code"]: r for r in rows}
    newer = {r["code"] for r in _rows("reorganisations.csv")}
    codes = [r["iso_3166_2"] for r in rows if r["code"] not in newer]
    assert len(set(codes)) == len(codes) == 424 and all(len(c) == 3 for c in codes)
    assert len(newer) == 6 and all(by_code[c]["iso_3166_2"] == "" for c in newer)
    assert by_code["E08000003"]["iso_3166_2"] == "MAN"  # Manchester
    assert by_code["W06000015"]["iso_3166_2"] == "CRF"  # Cardiff
    assert by_code["S12000033"]["iso_3166_2"] == "ABE"  # Aberdeen City
    # The e-mail domains, kept by hand, are carried over unchanged.
    domains = {r["code"]: r["email_domains"] for r in _rows("authority_email_domains.csv")}
    assert all(by_code[code]["email_domains"] == d for code, d in domains.items())
    assert by_code["E09000007"]["email_domains"] == "camden.gov.uk"


@pytest.mark.parametrize(
    ("key", "identifier", "expected"),
    [
        ("greater-manchester", "GB-LAE:MAN", "Manchester"),
        ("wales", "GB-LAW:CRF", "Cardiff"),
        ("scotland", "GB-LAS:ABE", "Aberdeen City"),
        ("west-yorkshire", "GB-LAE:LDS", "Leeds"),
    ],
)
def test_a_platform_buyer_is_known_by_its_identifier_in_any_region(
    region, key, identifier, expected
):
    region(key)
    found = buyers.find("Due North Ltd (The Chest)", None, identifier)
    assert found is not None and found.how == "identifier"
    assert found.authority.name == expected


def test_a_council_of_another_region_is_never_taken_for_one_of_this_region(region):
    region("greater-manchester")
    assert buyers.find("Platform", None, "GB-LAE:CMD") is None  # Camden: London, not here
    region("london")
    assert buyers.find("Platform", None, "GB-LAE:MAN") is None


def test_a_manchester_notice_through_a_platform_imports_under_greater_manchester(region):
    region("greater-manchester")
    release = {
        "ocid": "ocds-h6vhtk-0a0b0c",
        "id": "012345-2025",
        "date": "2025-05-01T09:00:00Z",
        "tag": ["award"],
        "buyer": {"id": "GB-LAE:MAN", "name": "The Chest (North West e-procurement portal)"},
        "parties": [
            {
                "id": "GB-LAE:MAN",
                "name": "The Chest (North West e-procurement portal)",
                "roles": ["buyer"],
                "identifier": {"scheme": "GB-LAE", "id": "MAN"},
            },
            {"id": "GB-COH-02222222", "name": "Civica UK Ltd", "roles": ["supplier"]},
        ],
        "tender": {
            "title": "Revenues and benefits system",
            "classification": {"scheme": "CPV", "id": "48000000"},
        },
        "awards": [
            {
                "id": "012345-2025-1",
                "status": "active",
                "value": {"amount": 300000, "currency": "GBP"},
                "suppliers": [{"id": "GB-COH-02222222", "name": "Civica UK Ltd"}],
                "contractPeriod": {"startDate": "2025-06-01", "endDate": "2028-05-31"},
            }
        ],
    }
    package = {"uri": "x", "version": "1.1", "releases": [release]}
    p = ingest.prepare(json.dumps(package).encode(), "manchester.json")
    assert p.refused is None, p.refused
    assert p.records["borough"].tolist() == ["Manchester"]
    assert p.records["borough_code"].tolist() == ["E08000003"]
    said = [x.reason for x in p.warnings if "identifier" in x.reason]
    assert said and "GB-LAE:MAN" in said[0]


def test_no_e_mail_domain_belongs_to_another_council_in_real_notices(region):
    """Contracts Finder, November 2025: wherever a notice's buyer name is a council, its contact
    address's domain, if recorded, is that council's. (A shared service's domain, such as the
    one Cambridge's notices came from, would send another council's notices to the wrong
    place when a platform is the buyer.)"""
    region("united-kingdom")
    path = Path(__file__).parent / "data" / "real" / "cf_export_notices_2025-11.csv"
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    checked = 0
    for row in rows:
        named, mailed = (
            boroughs.resolve(row["Organisation Name"]),
            buyers.by_email(row["Contact Email"]),
        )
        if named is not None and mailed is not None:
            assert mailed.authority == named, (row["Organisation Name"], row["Contact Email"])
            checked += 1
    assert checked > 300
