"""Real public files through the whole pipeline: prepared with checked counts, or refused.

The counts here were checked by hand against the files (csv module, grep, reading the rows):
see each test. None of these files may raise.
"""

from __future__ import annotations

import collections
import hashlib
from datetime import date
from pathlib import Path

import pytest

from citydata.core import boroughs
from citydata.ingest import prepare, read

DATA = Path(__file__).resolve().parent / "data"
REAL = DATA / "real"

SHA256 = {
    "real/cf_export_notices_2025-11.csv": (
        "f6f7585bb001fd5a6ae99125d334d9b8799f920a2023cce910a13df8e4800110"
    ),
    "real/hyndburn_spend_2025-01_spacer_columns.csv": (
        "2316971e083fc91c9528ab68f0957d739d17822925bd6bc881f5ee18f9f7b4da"
    ),
    "real/lambeth_payments_2012-06.csv": (
        "be5425e85fd269f98c69dbd01186503414566ccba89dbdffa45761f22a043aff"
    ),
    "real/london-fire-commissioner-award_20200727-20200803.csv": (
        "95e1a5dc3408efa512004edf415920f51bdee58892ae1fe62069ef8e4d7213c0"
    ),
    "real/ocds_cf2020_city_of_london_lbla_release.json": (
        "6b0d076e68dc5f43d48ffb14b1b69fa90cd34e54f7db5e1f59b2860f2df1026c"
    ),
    "real/ocds_standard_unsuccessful_tender.json": (
        "3488942899a4de87bb102600141b3b13de75c137880e18819785f39bf4599462"
    ),
    "uk_local_authorities.csv": (
        "99a29a2928f0ea18c117f03b2bc3e04f335803313d8294cde40a9a0a352ce9f6"
    ),
}


def load(name: str, **kw):
    return prepare((DATA / name).read_bytes(), Path(name).name, **kw)


@pytest.mark.parametrize("name", sorted(SHA256))
def test_real_files_are_kept_byte_for_byte(name):
    assert hashlib.sha256((DATA / name).read_bytes()).hexdigest() == SHA256[name]


# Contracts Finder export: 852 notices; 30 from London boroughs (15 boroughs, names in several
# capitalisations); the other 822 buyers are not London authorities.

CF_LONDON = {
    "Barnet": 1, "Bexley": 3, "Brent": 1, "Camden": 3, "Croydon": 3, "Enfield": 2, "Hackney": 3,
    "Haringey": 4, "Islington": 1, "Kingston upon Thames": 3, "Lewisham": 1, "Merton": 2,
    "Newham": 1, "Sutton": 1, "Waltham Forest": 1,
}  # fmt: skip


@pytest.fixture(scope="module")
def cf():
    return load("real/cf_export_notices_2025-11.csv")


def test_contracts_finder_export_keeps_the_london_boroughs_technology_notices(cf):
    assert cf.refused is None and cf.format == "contracts_finder"
    assert cf.source_kind == "published"
    assert cf.rows_read == 852
    # 822 buyers are not London authorities; of the 30 London notices 27 are not technology
    # (nursing beds, vehicle repairs, printing, building works...): 3 remain, all Kingston's.
    # All 849 are left out (nothing to fix in them), none refused.
    assert (len(cf.records), cf.rows_refused, cf.rows_left_out) == (3, 0, 849)
    assert dict(collections.Counter(cf.records["borough"])) == {"Kingston upon Thames": 3}
    assert cf.records["system"].tolist() == [
        "PlanX Subscription",
        "ASV Scans for PCI Renewal 2024",
        "Digital Signage Renwal",
    ]
    assert cf.records["service_area"].tolist() == [
        "Planning and building control",
        "Corporate IT and infrastructure",
        "Corporate IT and infrastructure",
    ]
    assert cf.records["vendor"].isna().all()  # open notices: nothing awarded yet
    notes = [x.reason for x in cf.warnings if x.row is None]
    assert "27 notices are not technology contracts: counted and left out" in " ".join(notes)


def test_contracts_finder_refusals_name_the_buyer_or_say_it_is_not_technology(cf):
    refused_rows = collections.defaultdict(list)
    for x in cf.rejects:
        refused_rows[x.row].append(x)
    assert len(refused_rows) == 849
    buyer = [x for x in cf.rejects if x.column == "Organisation Name"]
    assert len(buyer) == 822
    assert all(boroughs.resolve(x.value) is None for x in buyer)
    first = min(buyer, key=lambda x: x.row)
    assert first.reason == (
        "The buyer 'Castle Pool Community Partnership' is not a London borough or the City of "
        "London; only the 33 London authorities' contracts are imported."
    )
    # A buyer's name in brackets or with an apostrophe is quoted whole, and the rest is as
    # written: its end was once cut ("only the 33…' contracts are imported").
    for name in ("Building Digital UK (BDUK)", "Guy's and St Thomas' NHS Foundation Trust"):
        assert next(x.reason for x in buyer if x.value == name) == (
            f"The buyer '{name}' is not a London borough or the City of London; only the 33 "
            "London authorities' contracts are imported."
        )
    assert not [x.reason for x in cf.problems if "…' contracts" in x.reason]
    london = {
        row
        for row, found in refused_rows.items()
        if not any(x.column == "Organisation Name" for x in found)
    }
    not_tech = [x for x in cf.rejects if x.reason.startswith("Not a technology contract")]
    camden_beds = next(x for x in not_tech if x.row == 115)  # Camden's nursing beds
    assert camden_beds.column == "Cpv Codes" and "85144000" in camden_beds.reason
    assert len(london) == 27 and london <= {x.row for x in not_tech}
    # Five (non-London) notices have the cut-short date '01/01/1' as both start and end date.
    truncated = [x for x in cf.rejects if x.value == "01/01/1"]
    assert sorted({x.row for x in truncated}) == [53, 120, 198, 232, 509]
    assert sorted(x.column for x in truncated) == ["End Date"] * 5 + ["Start Date"] * 5


def test_contracts_finder_values_are_totals_and_annual_is_derived_from_dates(cf):
    by_row = cf.records.set_index("row")
    planx = by_row.loc[491]
    assert planx["borough"] == "Kingston upon Thames"
    assert str(planx["total_value"]) == "72000.00"  # the notice's value: the whole contract's
    assert planx["annual_value_derived"] is True
    years = (planx["contract_end"] - planx["contract_start"]).days / 365.25
    assert abs(float(planx["annual_value"]) - 72000 / years) < 72000 / years * 0.01
    ragged = sorted(x.row for x in cf.warnings if "values but the header row has 43" in x.reason)
    assert len(ragged) >= 1
    assert sum("No supplier is named" in x.reason for x in cf.warnings) == 3
    assert any(x.column == "Value High" and "total value" in x.reason for x in cf.warnings)


def test_contracts_finder_export_across_the_united_kingdom_keeps_only_technology(monkeypatch):
    """Every council's notices in the export: six are technology. Twelve were taken for it
    before: transport, coastal works and training frameworks whose descriptions mention
    software (or the tool the documents go through), and frameworks of many lots with one IT
    code among them; and route planning software was filed under planning applications."""
    monkeypatch.setenv("CITYTOOLS_REGION", "united-kingdom")
    p = load("real/cf_export_notices_2025-11.csv")
    kept = p.records[["borough", "system", "service_area"]].values.tolist()
    it = "Corporate IT and infrastructure"
    assert kept == [
        ["Lincolnshire", "Trading Standards CMS Awarded Contract", "Regulatory services"],
        ["Wokingham", "Route Planning", "Highways and transport"],
        ["Kingston upon Thames", "PlanX Subscription", "Planning and building control"],
        ["Kingston upon Thames", "ASV Scans for PCI Renewal 2024", it],
        ["Kingston upon Thames", "Digital Signage Renwal", it],
        ["Worcestershire", "Dynamic Purchasing System Digital Connectivity: Services to "
         "Understanding Mobile Coverage and Performance", it],
    ]  # fmt: skip
    reasons = {x.reason for x in p.rejects if x.reason.startswith("Not a technology contract")}
    assert (
        "Not a technology contract: 60112000, 60120000, 60130000, and only its description "
        "mentions 'software'. Only technology notices are imported."
    ) in reasons
    assert (
        "Not a technology contract: main CPV code 79810000; only 1 of its 26 codes (72413000) "
        "is technology, and no software is named. Only technology notices are imported."
    ) in reasons


@pytest.mark.parametrize("after", [" - Digital Services", " (RBK)"])
def test_a_notice_whose_buyer_names_its_department_or_code_is_still_its_councils(after):
    """Kingston's three technology notices with a department or a code after the buyer's name,
    as other councils' notices in the same export have ("Hertfordshire County Council -
    Environment", "Coventry City Council (COV)", whose notices the import once refused although
    the buyer lookup knew them): still Kingston's, with a warning saying how it was read."""
    content = (REAL / "cf_export_notices_2025-11.csv").read_bytes()
    written = "The Royal Borough of Kingston upon Thames"
    assert content.count(f'"{written}"'.encode()) == 3
    renamed = content.replace(f'"{written}"'.encode(), f'"{written}{after}"'.encode())
    p = prepare(renamed, "notices.csv")
    assert (len(p.records), set(p.records["borough"])) == (3, {"Kingston upon Thames"})
    said = {x.reason for x in p.warnings if x.column == "Organisation Name"}
    assert said == {
        f"The buyer '{written}{after}' is read as Kingston upon Thames, the council its name "
        "starts with."
    }


# London Fire Commissioner award register: 9 awards; the buyer is not a borough.


def test_london_fire_commissioner_awards_are_refused_because_the_buyer_is_not_a_borough():
    p = load("real/london-fire-commissioner-award_20200727-20200803.csv")
    assert p.format == "contracts_finder"
    assert p.refused == (
        "None of the 9 rows can be imported. For example, row 2: The buyer 'London Fire "
        "Commissioner' is not a London borough or the City of London; only the 33 London "
        "authorities' contracts are imported."
    )
    assert {x.row for x in p.rejects} == {x.row for x in p.rejects if x.column == "Buyer Name"}
    assert len([x for x in p.rejects if x.column == "Buyer Name"]) == 9
    assert p.records.empty
    assert p.mapping["annual_value"] == "Award Value" and p.mapping["system"] == "Award Title"


# OCDS release package: one City of London award (tagged 'tender') to four chambers.


def test_ocds_release_package_gives_one_row_per_supplier_and_is_not_technology():
    """Legal services (CPV 791...): read as one row per supplier, then counted and left out."""
    table = read.read(
        (DATA / "real/ocds_cf2020_city_of_london_lbla_release.json").read_bytes(), "x"
    )
    assert table.data["Supplier"].tolist() == [
        "Cornerstone Barristers",
        "Ely Place Chambers",
        "The 36 Group Ltd",
        "Chambers of Rachel Sleeman",
    ]
    assert set(table.data["Title"]) == {  # '&#039;' decoded
        "London Boroughs' Legal Alliance (LBLA) Barristers Framework - Lot 7: Property"
    }
    assert set(table.data["Contract start"]) == {"2020-01-01T00:00:00Z"}
    assert set(table.data["Buyer e-mail"]) == {"Matthew.Jones@cityoflondon.gov.uk"}
    assert set(table.data["CPV codes"]) == {"79100000 79110000 79130000 79140000"}
    p = load("real/ocds_cf2020_city_of_london_lbla_release.json")
    assert p.format == "ocds" and p.records.empty
    assert p.refused == (
        "None of the 4 rows can be imported. For example, row 1: Not a technology contract: "
        "79100000, 79110000, 79130000, and no software is named. Only technology notices are "
        "imported."
    )
    shared = [x for x in table.problems if x.column == "Value"]
    assert len(shared) == 4 and "£1,300,000" in shared[0].reason


# Spend files and a list of authorities: not registers; the message says what is missing.


def test_lambeth_payments_are_refused_for_want_of_a_system():
    p = load("real/lambeth_payments_2012-06.csv")
    assert p.refused.startswith(
        "This file cannot be imported: no column was found for the system (or the contract "
        "title). It looks like a list of payments (spend data), not a register of contracts."
    )
    assert p.columns == [
        "Body",
        "Department",
        "Supplier Name",
        "Invoice Creation Date",
        "Invoice Nett Amount",
        "Subj Description",
    ]
    assert p.rows_read == 3155 and p.records.empty
    notes = [x.reason for x in p.problems if x.row is None]
    assert "The 9 rows above the header row (row 10) hold a title or notes" in notes[0]
    skipped = [(x.row, x.reason) for x in p.problems if "total row" in x.reason]
    assert skipped == [(3167, "Row 3167 is a total row and was skipped.")], "with its row"
    # 638 rows where date and amount run together, plus one more short row: 639 short rows.
    assert sum("has 5 values" in x.reason or "has 4 values" in x.reason for x in p.problems) == 639


def test_hyndburn_spend_is_refused_for_want_of_a_borough_and_vendor():
    p = load("real/hyndburn_spend_2025-01_spacer_columns.csv")
    assert p.refused.startswith(
        "This file cannot be imported: no column was found for the borough (no borough column, "
        "and no borough was chosen for the file); the vendor (the supplier). It looks like a list "
        "of payments (spend data), not a register of contracts."
    )
    # 17 physical columns, 8 real ones; headers with trailing spaces trimmed.
    assert p.columns == [
        "Department Area",
        "Service Area",
        "Description",
        "Line",
        "HBC Ref No.",
        "Name:",
        "Payment Date",
        "Amount Paid",
    ]
    assert p.rows_read == 821
    outside = load("real/hyndburn_spend_2025-01_spacer_columns.csv", borough="Hyndburn")
    assert outside.refused.startswith('"Hyndburn" is not one of the 33 London authorities')


def test_list_of_local_authorities_is_not_a_register():
    p = load("uk_local_authorities.csv")
    assert p.refused.startswith(
        "This file cannot be imported: no column was found for the system (or the contract "
        "title); the vendor (the supplier)."
    )
    assert p.rows_read == 457


def test_london_fire_commissioner_awards_read_cleanly_under_a_chosen_borough():
    """With the buyer column set aside, every other quirk of the file reads right: ISO
    timestamps with Z, float values ('453000.0'), addresses with line breaks (each award one row, as
    a spreadsheet shows it)."""
    p = load(
        "real/london-fire-commissioner-award_20200727-20200803.csv",
        borough="Croydon",
        mapping={"borough": None},
    )
    assert p.refused is None
    # No CPV codes: technology by title (wireless, cyber, software, platform, Citrix); the
    # handling equipment, the online library, insurance and library services are left out.
    assert p.records["row"].tolist() == [3, 4, 6, 7, 9]
    assert {x.row for x in p.rejects} == {2, 5, 8, 10}
    wifi = p.records.iloc[0]
    assert (wifi["system"], wifi["vendor"]) == (
        "Replacement of Wireless Access Points",
        "BT Global Services",
    )
    assert (wifi["contract_start"], wifi["contract_end"]) == (date(2020, 2, 18), date(2023, 2, 17))
    assert str(wifi["total_value"]) == "453000.00"  # '453000.0', the whole contract's value
    assert str(wifi["annual_value"]) == "151000.00" and wifi["annual_value_derived"]
    assert wifi["service_area"] == "Corporate IT and infrastructure"
    assert str(p.records["total_value"].iloc[4]) == "73470.49"
