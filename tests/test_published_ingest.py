"""Every shape publishers give notices in, recognised by itself and read as technology records.

The files in tests/data/notices/ are made for these tests in the publishers' real layouts (see
tests/data/README.md); the real Contracts Finder export, OCDS release package and award register
are tested in test_ingest_real.py.
"""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from citydata.core import buyers, technology
from citydata.ingest import prepare

NOTICES = Path(__file__).resolve().parent / "data" / "notices"


def load(name: str, content: bytes | None = None):
    return prepare(content if content is not None else (NOTICES / name).read_bytes(), name)


def test_contracts_finder_api_search_result_is_read_and_only_technology_is_kept():
    p = load("cf_api_search.json")
    assert (p.format, p.source_kind, p.refused) == ("contracts_finder_api", "published", None)
    assert p.records["borough"].tolist() == ["Camden", "Havering", "Kensington and Chelsea"]
    camden = p.records.iloc[0]
    # '&#039;', '&amp;' decoded; the product names the service area.
    assert camden["system"] == (
        "Children's social care case management: Liquidlogic LCS support & hosting"
    )
    assert camden["service_area"] == "Children's social care"
    assert (camden["contract_start"], camden["contract_end"]) == (
        date(2024, 4, 1),
        date(2027, 3, 31),
    )
    assert camden["total_value"] == Decimal("1500000.00")
    assert camden["annual_value"] == Decimal("500000.00") and camden["annual_value_derived"]
    assert camden["notice_url"] == (
        "https://www.contractsfinder.service.gov.uk/Notice/6f1c9a52-3b1e-4f7a-9d2e-0a1b2c3d4e01"
    )
    havering = p.records.iloc[1]  # "THE LONDON BOROUGH OF HAVERING"; no end date
    assert havering["service_area"] == "Revenues and benefits"
    assert havering["total_value"] == Decimal("450000.00")  # awarded 0: the estimate's top
    assert havering["annual_value"] is None and not havering["annual_value_derived"]
    assert p.records.iloc[2]["service_area"] == "Corporate IT and infrastructure"
    # The bench, the nursing beds and the building works: counted and reported, not imported.
    not_tech = {x.row: x.reason for x in p.rejects if x.column == "CPV codes"}
    assert sorted(not_tech) == [4, 5, 6]
    assert "39113000" in not_tech[4] and "Not a technology contract" in not_tech[4]
    notes = [x.reason for x in p.warnings if x.row is None]
    assert any(r.startswith("3 notices are not technology contracts") for r in notes)
    manchester = [x for x in p.rejects if x.row == 7]
    assert "Manchester City Council, which is outside London" in manchester[0].reason


@pytest.mark.parametrize(
    ("notices", "said"),
    [
        ([], "This file holds no notices: there is nothing in it to import."),
        (None, "This file holds no notices: there is nothing in it to import."),
        (True, "its 'noticeList' is not a list of notices"),  # was "could not be read"
    ],
)
def test_a_contracts_finder_search_result_without_notices_says_so(notices, said):
    # (an empty one was "a header row but no data rows under it": a JSON file has neither)
    p = prepare(json.dumps({"hitCount": 0, "noticeList": notices}).encode(), "search.json")
    assert said in (p.refused or "") and p.records.empty


def test_ocds_record_package_compiles_releases_and_reads_each_award_and_supplier():
    p = load("ocds_record_package_1_0.json")
    assert (p.format, p.source_kind, p.refused) == ("ocds", "published", None)
    assert p.records["vendor"].tolist() == [
        "NEC Software Solutions UK Ltd",
        "Kirona Solutions Ltd",
        "Totalmobile Ltd",
    ]
    assert set(p.records["borough"]) == {"Hackney"}  # the buyer from the tender release
    assert set(p.records["service_area"]) == {"Housing"}
    lot1, lot2 = p.records.iloc[0], p.records.iloc[1]
    # contracts[].period, matched to each award by awardID
    assert (lot1["contract_start"], lot1["contract_end"]) == (date(2024, 4, 1), date(2030, 3, 31))
    assert (lot2["contract_start"], lot2["contract_end"]) == (date(2024, 6, 1), date(2026, 5, 31))
    assert lot1["total_value"] == Decimal("2400000.00") and lot1["annual_value"] == Decimal(
        "400000.00"
    )
    assert lot2["total_value"] is None  # shared by two suppliers: not repeated on each
    assert any("shared by 2 suppliers" in x.reason for x in p.warnings)


def test_find_a_tender_buyers_known_by_contact_email_and_identifier():
    p = load("fts_release_package.json")
    assert (p.format, p.refused) == ("ocds", None)
    assert p.records["borough"].tolist() == ["Croydon", "Havering"]
    assert p.records["service_area"].tolist() == ["Parking", "Customer services and CRM"]
    assert p.records["notice_url"].tolist() == [
        "https://www.find-tender.service.gov.uk/Notice/003456-2025",
        "https://www.find-tender.service.gov.uk/Notice/003457-2025",
    ]
    said = [x.reason for x in p.warnings if x.column == "Buyer"]
    assert said == [
        "The buyer 'Delta eSourcing' is not itself a council; the notice is Croydon's, from its "
        "contact e-mail (croydon.gov.uk).",
        "The buyer 'oneSource shared service' is not itself a council; the notice is "
        "Havering's, from its identifier (GB-LAE:HAV).",
    ]


def test_flattened_ocds_csv_is_recognised_by_its_json_path_headers():
    p = load("ocds_flattened.csv")
    assert (p.format, p.source_kind, p.refused) == ("ocds_flat", "published", None)
    assert p.records[["borough", "system", "vendor", "row"]].values.tolist() == [
        ["Lewisham", "Library management system (Spydus)", "Civica UK Ltd", 2],
        ["Southwark", "Waste & recycling collection software", "Bartec Auto ID Ltd", 4],
        ["Southwark", "Waste & recycling collection software", "Whitespace Work Software Ltd", 4],
    ]
    assert p.records["service_area"].tolist() == [
        "Libraries and culture",
        "Environment and waste",
        "Environment and waste",
    ]
    assert p.records.iloc[0]["total_value"] == Decimal("450000.00")  # '450000.0' as text
    assert [x.row for x in p.rejects] == [3]  # grounds maintenance: not technology
    shared = next(x for x in p.warnings if "shared by" in x.reason)
    assert (shared.row, shared.value, shared.reason) == (
        4,
        "90,000",  # '90000.0' as text: not Python's '90,000.0'
        "The award's value (£90,000) is shared by 2 suppliers, so no value is given for each.",
    )


def test_flattened_ocds_xlsx_reads_the_same_as_the_csv():
    book = openpyxl.Workbook()
    sheet = book.active
    for line in (NOTICES / "ocds_flattened.csv").read_text(encoding="utf-8").splitlines():
        sheet.append(line.split(","))
    buffer = io.BytesIO()
    book.save(buffer)
    from_xlsx = load("ocds_flattened.xlsx", buffer.getvalue())
    from_csv = load("ocds_flattened.csv")
    assert from_xlsx.format == "ocds_flat" and from_xlsx.refused is None
    columns = ["borough", "system", "vendor", "service_area", "total_value", "row"]
    assert from_xlsx.records[columns].values.tolist() == from_csv.records[columns].values.tolist()


def test_ocds_1_1_release_package_with_several_releases_of_one_process():
    tender = {
        "ocid": "ocds-b5fd17-00000000-0000-4000-8000-000000000009",
        "id": "t",
        "date": "2024-01-01T00:00:00Z",
        "tag": ["tender"],
        "buyer": {"name": "Westminster City Council"},
        "tender": {"title": "CRM platform", "classification": {"id": "48445000"}},
    }
    award = {
        "ocid": tender["ocid"],
        "id": "a",
        "date": "2024-02-01T00:00:00Z",
        "tag": ["award"],
        "awards": [
            {
                "id": "1",
                "suppliers": [{"name": "Salesforce UK Ltd"}],
                "value": {"amount": 90000, "currency": "GBP"},
                "contractPeriod": {"startDate": "2024-03-01", "endDate": "2025-02-28"},
            }
        ],
    }
    package = {"version": "1.1", "releases": [award, tender]}  # out of order on purpose
    p = load("package.json", json.dumps(package).encode())
    assert len(p.records) == 1
    row = p.records.iloc[0]
    assert (row["borough"], row["system"], row["vendor"]) == (
        "Westminster",
        "CRM platform",
        "Salesforce UK Ltd",
    )
    assert row["service_area"] == "Customer services and CRM"
    assert row["annual_value"] == Decimal("90000.00")  # one year: the total is the year's
    assert row["release_date"] == datetime(2024, 2, 1)  # the newest release's, whatever order


def test_each_shape_keeps_when_the_release_it_was_read_from_was_published():
    """So that an older release of a notice held never replaces it (citydata.store.snapshots):
    OCDS `date` (a record package's compiled release's), Contracts Finder's published date (its
    API and its CSV export, in UTC), none where the file gives none."""
    dated = {
        "cf_api_search.json": datetime(2024, 3, 1, 10, 0),
        "fts_release_package.json": datetime(2025, 2, 3, 9, 0),
        "ocds_record_package_1_0.json": datetime(2024, 3, 1),
        "ocds_flattened.csv": None,  # its columns have no releases/0/date
    }
    for name, when in dated.items():
        assert load(name).records["release_date"].iloc[0] == when, name
    real = NOTICES.parent / "real" / "cf_export_notices_2025-11.csv"
    export = prepare(real.read_bytes(), real.name)
    assert export.records["release_date"].iloc[0] == datetime(2024, 12, 12, 13, 4, 44)
    flat = (NOTICES / "ocds_flattened.csv").read_text(encoding="utf-8").splitlines()
    flat[0] += ",releases/0/date"
    flat[1:] = [line + ",2025-06-30T09:15:00+01:00" for line in flat[1:] if line]
    p = load("flat.csv", "\n".join(flat).encode())
    assert set(p.records["release_date"]) == {datetime(2025, 6, 30, 8, 15)}  # in UTC


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("THE LONDON BOROUGH OF HAVERING", "Havering"),
        ("Royal Borough of Kensington and Chelsea", "Kensington and Chelsea"),
        ("Croydon", "Croydon"),
        ("LB Hackney", "Hackney"),
    ],
)
def test_buyer_names_however_spelt(name, expected):
    assert buyers.find(name).authority.name == expected


def test_buyer_platforms_by_email_domain_and_identifier_never_outside_the_region():
    assert buyers.find("Delta eSourcing", "a.b@social.camden.gov.uk").authority.name == "Camden"
    assert buyers.find("Platform", None, "E09000012").authority.name == "Hackney"
    assert buyers.find("Platform", "a@manchester.gov.uk", "E08000003") is None
    assert buyers.find("Platform", "a@camden.gov.uk.evil.example") is None


@pytest.mark.parametrize(
    ("cpv", "title", "technology_", "area"),
    [
        ("48000000", "Liquidlogic LCS", True, "Children's social care"),
        ("72000000", "Council tax system", True, "Revenues and benefits"),
        ("30213100", "Laptops", True, "Corporate IT and infrastructure"),
        ("64200000", "Mobile phone contract", True, "Corporate IT and infrastructure"),
        ("50300000", "Printer repairs", True, "Corporate IT and infrastructure"),
        ("45000000", "Building works", False, "Other"),
        ("39113000", "Memorial bench", False, "Other"),
        ("", "Uniform supply for staff", False, "Other"),  # a product name as an everyday word
        ("", "Idox Uniform upgrade", True, "Planning and building control"),
        ("79100000", "Legal services|Apply via ProContract", False, "Other"),  # a portal
        # Real notices (Contracts Finder, November 2025) once taken for technology: software
        # mentioned in passing under other work's codes, one IT code of several, a tool named
        ("45243000", "Coastal Management DPS|Due to a change in software this has moved", False,
         "Other"),
        ("60120000 60130000", "Transport DPS|Documents are sent securely via Egress", False,
         "Other"),
        ("71621000 79411000 72221000 79400000", "Monitoring of school improvement", False, "Other"),
        ("80000000", "Learning and training DPS|Enterprise skills and ICT courses", False, "Other"),
        # ... and what still counts: the main code, most codes, the title, a product and maker
        ("72000000 79999100", "Document scanning", True, "Corporate IT and infrastructure"),
        ("35125110 48517000 72212517 72261000", "Identity verification", True,
         "Corporate IT and infrastructure"),
        ("45000000", "Housing management system replacement", True, "Housing"),
        ("", "Idox Enterprise support", True, "Planning and building control"),
        # 'planning' that is not about planning applications
        ("48000000", "Route Planning|Cloud-based route planning for home to school transport",
         True, "Highways and transport"),
        ("48000000", "Planning portal", True, "Planning and building control"),
        # technology by its title, with no area in its words or codes: filed as software with
        # no more specific code is (the rules file's `default` line), not under "Other"
        ("79000000", "Cyber security assessment", True, "Corporate IT and infrastructure"),
        ("", "Replacement telephony", True, "Corporate IT and infrastructure"),
    ],
)  # fmt: skip
def test_technology_and_service_area_rules(cpv, title, technology_, area):
    title, _, description = title.partition("|")
    verdict = technology.classify(cpv, title, description)
    assert (verdict.technology, verdict.service_area) == (technology_, area)


def test_an_edited_rules_file_with_a_mistake_is_refused_naming_the_line(tmp_path):
    rules = tmp_path / "cpv_service_areas.csv"
    rules.write_text(
        "rule,match,service_area,note\ncpv,48,Corporate IT and infrastructure,\n"
        "keyword,bins,Rubbish,\n",
        encoding="utf-8",
    )
    with pytest.raises(technology.RulesError) as caught:
        technology.load(technology.TECHNOLOGY_CPV_PATH, rules)
    assert str(caught.value).startswith(
        "cpv_service_areas.csv, line 3: 'Rubbish' is not a service area"
    )


def test_a_rules_file_saved_in_another_encoding_says_which_line_and_what_to_do(tmp_path):
    """Said before as "This file could not be read. Open it in a spreadsheet...": the notices
    uploaded were blamed for the rules file, saved by a spreadsheet as Windows-1252."""
    rules = tmp_path / "cpv_service_areas.csv"
    rules.write_bytes(
        b"rule,match,service_area,note\ncpv,48,Corporate IT and infrastructure,\n"
        b"keyword,caf\xe9,Leisure and culture,\n"
    )
    with pytest.raises(technology.RulesError) as caught:
        technology.load(technology.TECHNOLOGY_CPV_PATH, rules)
    assert str(caught.value) == (
        "cpv_service_areas.csv, line 3: it is not UTF-8 text. Save the file again as CSV UTF-8."
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("default,,Rubbish,", "line 3: 'Rubbish' is not a service area"),
        ("default,software,Housing,", "line 3: the rule must be cpv (with digits), keyword"),
    ],
)
def test_a_default_area_line_must_name_an_area_and_match_nothing(tmp_path, line, message):
    rules = tmp_path / "cpv_service_areas.csv"
    rules.write_text(
        f"rule,match,service_area,note\ncpv,48,Corporate IT and infrastructure,\n{line}\n",
        encoding="utf-8",
    )
    with pytest.raises(technology.RulesError) as caught:
        technology.load(technology.TECHNOLOGY_CPV_PATH, rules)
    assert str(caught.value).startswith(f"cpv_service_areas.csv, {message}")


def test_a_steward_chooses_the_area_of_technology_that_says_none(tmp_path):
    head = "rule,match,service_area,note\ntechnology,telephony,,\n"
    chosen, unsaid = tmp_path / "chosen.csv", tmp_path / "unsaid.csv"
    chosen.write_text(head + "default,,Customer services and CRM,\n", encoding="utf-8")
    unsaid.write_text(head, encoding="utf-8")  # no default line: such contracts go under Other
    for path, area in ((chosen, "Customer services and CRM"), (unsaid, "Other")):
        rules = technology.load(technology.TECHNOLOGY_CPV_PATH, path)
        assert technology._area(rules, ["79000000"], "Replacement telephony", "", None) == area


def test_the_quick_test_before_each_rule_never_changes_a_verdict():
    """`classify` looks for a rule's folded word in the folded text before running its pattern;
    the pattern alone must never find more. Every product, keyword and technology word, written
    in capitals, in small letters, and with each i as Python's case-blind matching also reads it
    (dotted capital I, dotless i), in a title and in a description."""
    rules = technology.load()
    words = [n for _, n, _, _ in rules.products]
    words += [w for _, w, _ in rules.keywords] + [w for _, w in rules.technology_words]
    spellings = (
        str.upper,
        str.lower,
        lambda w: w.replace("i", "İ"),
        lambda w: w.replace("i", "ı"),
        lambda w: w.upper().replace("I", "ı"),
    )
    checked = 0
    for word in words:
        for spelling in spellings:
            written = spelling(word)
            for title, description in ((f"New {written} system", ""), ("Notice", written)):
                text = f"{title}\n{description}"
                by_pattern = next(
                    (
                        n
                        for p, n, _, _ in rules.products
                        if p.search(title if n in technology._PORTALS else text)
                    ),
                    None,
                )
                found = technology._product(rules, title, text)
                assert (found and found[0]) == by_pattern, (word, written)
                for p, w, *_ in (*rules.keywords, *rules.technology_words):
                    if p.search(text.casefold()):
                        assert technology._fold(w) in technology._fold(text), (w, written)
                        checked += 1
    assert checked > len(words)


@pytest.mark.parametrize(
    ("award", "tender", "value", "said"),
    [
        (-600000, None, None, "The award's value (-600,000) cannot be a contract's value, so it "
         "is not used."),
        (float("-inf"), 450000, Decimal("450000.00"), "The award's value (-Infinity) cannot be "
         "a contract's value, so it is not used: £450,000 is used instead."),
        (0, None, None, None),  # what publishers write for a value not disclosed: unsaid
    ],
)  # fmt: skip
def test_an_ocds_amount_below_zero_or_not_a_number_is_passed_over_and_said(
    award, tender, value, said
):
    """An award's value of -600,000 (or JSON's -Infinity) was taken as "no value" without a
    word, as a value of 0 is: a steward was not told that the notice's figure was unusable."""
    package = json.loads((NOTICES / "fts_release_package.json").read_bytes())
    release = package["releases"][0]
    release["awards"][0]["value"]["amount"] = award
    if tender is not None:
        release["tender"]["value"] = {"amount": tender, "currency": "GBP"}
    p = load("fts_release_package.json", json.dumps(package).encode())  # (-Infinity: as Python)
    croydon = p.records.iloc[0]
    assert croydon["borough"] == "Croydon" and croydon["total_value"] == value
    reasons = [x.reason for x in p.warnings if x.column == "Value" and x.row is not None]
    assert reasons == ([said] if said else [])


def test_a_release_with_no_ocid_is_not_read_as_a_notice_in_json_or_a_flattened_file():
    """A release with no `ocid` was imported with no reference, where no later release of it
    could ever replace it; a flattened row with none was dropped without a word. Each is now
    an entry that is not a notice, counted (read = rows read + not notices)."""
    lines = (NOTICES / "ocds_flattened.csv").read_text(encoding="utf-8").splitlines()
    lines[2] = "," + lines[2].split(",", 1)[1]  # the second release's ocid left blank
    flat = prepare(("\n".join(lines) + "\n").encode(), "flat.csv")
    whole = prepare((NOTICES / "ocds_flattened.csv").read_bytes(), "flat.csv")
    assert (flat.rows_read, flat.not_notices) == (whole.rows_read - 1, 1)
    assert "Grounds maintenance" not in set(flat.records["system"].dropna())
    assert not flat.refused

    release = {
        "id": "r1", "date": "2025-01-01T00:00:00Z",
        "buyer": {"name": "London Borough of Camden"},
        "tender": {"title": "Revenues and benefits system",
                   "classification": {"scheme": "CPV", "id": "48000000"}},
        "awards": [{"id": "1", "status": "active", "suppliers": [{"name": "Civica UK Ltd"}]}],
    }  # fmt: skip
    package = {"releases": [release, release | {"ocid": "ocds-b5fd17-1", "id": "r2"}]}
    read = prepare(json.dumps(package).encode(), "notices.json")
    assert (read.rows_read, read.not_notices) == (1, 1)
    assert read.records["source_ref"].tolist() == ["ocds-b5fd17-1"]


def _croydon_award(value: dict, tender_value: dict | None = None):
    """Find a Tender's release package with Croydon's award given `value`: its record and the
    notes on its row's value."""
    package = json.loads((NOTICES / "fts_release_package.json").read_bytes())
    release = package["releases"][0]
    release["awards"][0]["value"] = value
    if tender_value is not None:
        release["tender"]["value"] = tender_value
    p = load("fts_release_package.json", json.dumps(package).encode())
    croydon = p.records.iloc[0]
    assert croydon["borough"] == "Croydon"
    row = int(croydon["row"])
    notes = [x.reason for x in p.warnings if x.row == row and x.column in ("Value", "Currency")]
    return croydon, notes


@pytest.mark.parametrize(
    ("value", "kept", "said"),
    [
        ({"amountGross": 120000, "currency": "GBP"}, Decimal("120000.00"),
         ["The award's value is given only as its gross amount, VAT included (no amount "
          "without VAT): £120,000 is kept."]),
        ({"amountNet": 100000, "amountGross": 120000, "currency": "GBP"}, Decimal("100000.00"), []),
        ({"amount": 100000, "amountGross": 120000, "currency": "GBP"}, Decimal("100000.00"), []),
        ({"amount": None, "amountGross": 120000, "currency": "GBP"}, Decimal("120000.00"),
         ["The award's value is given only as its gross amount, VAT included (no amount "
          "without VAT): £120,000 is kept."]),
    ],
    ids=["gross-only", "net-and-gross", "amount-and-gross", "amount-null"],
)  # fmt: skip
def test_an_ocds_value_given_only_with_vat_is_read_and_said_to_be_gross(value, kept, said):
    """UK notices give a value without VAT (`amount`) and with it (`amountGross`); one giving
    only the gross amount was read as no value at all."""
    croydon, notes = _croydon_award(value)
    assert croydon["total_value"] == kept
    assert notes == said


def test_the_note_on_a_negative_foreign_value_says_one_thing():
    """It said the tender's value "is used instead", and then that it was "not in pounds; left
    out" (no value was kept), naming the award's -500 without its currency."""
    croydon, notes = _croydon_award(
        {"amount": -500, "currency": "EUR"}, {"amount": 1000, "currency": "EUR"}
    )
    assert croydon["total_value"] is None
    assert notes == [
        "The award's value (EUR -500) cannot be a contract's value, so it is not used, and "
        "the tender's value, EUR 1,000, is not in pounds: no value is kept."
    ]
    croydon, notes = _croydon_award({"amount": -500, "currency": "EUR"})
    assert notes == [
        "The award's value (EUR -500) cannot be a contract's value, so it is not used."
    ]


def test_a_flattened_file_gives_its_gross_value_too():
    content = (NOTICES / "ocds_flattened.csv").read_bytes()
    gross = content.replace(b"awards/0/value/amount,", b"awards/0/value/amountGross,", 1)
    assert gross != content
    before, after = prepare(content, "flat.csv"), prepare(gross, "flat.csv")
    assert after.records["total_value"].tolist() == before.records["total_value"].tolist()
    assert any("gross amount, VAT included" in x.reason for x in after.warnings)
