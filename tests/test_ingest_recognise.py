"""Recognising formats and mapping columns: template, transparency code, Contracts Finder, fuzzy."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from citydata.core import regions
from citydata.core.schema import FIELD_NAMES, FIELDS
from citydata.ingest import prepare, recognise, template_bytes, template_columns
from citydata.ingest.template import example
from citydata.output import exports

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


def test_template_columns_are_the_field_labels():
    assert tuple(f.label for f in FIELDS) == template_columns()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_template_round_trip(fmt):
    p = prepare(template_bytes(fmt), f"template.{fmt}")
    assert p.format == "template" and p.refused is None and p.problems == []
    assert p.columns == list(template_columns())
    assert p.mapping == {f.name: f.label for f in FIELDS}
    record = p.records.iloc[0].to_dict()
    assert record.pop("row") == 2
    assert record == example() and record["borough"] == "Camden"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_another_region_s_template_speaks_its_words_and_reads_back(fmt, monkeypatch):
    """Outside London the template says Council, its example is one of the region's councils
    and its help names no London borough, so a steward there uploads it back as it is."""
    monkeypatch.setenv(regions.SETTING, "greater-manchester")
    columns = template_columns()
    assert columns[:2] == ("Council code", "Council")
    p = prepare(template_bytes(fmt), f"template.{fmt}")
    assert p.format == "template" and p.refused is None and p.problems == []
    assert (p.mapping["borough_code"], p.mapping["borough"]) == ("Council code", "Council")
    record = p.records.iloc[0].to_dict()
    assert (record["borough"], record["borough_code"]) == ("Bolton", "E08000001")
    if fmt == "xlsx":
        help_text = " ".join(
            str(c.value)
            for row in load_workbook(io.BytesIO(template_bytes(fmt)))["Help"]
            for c in row
            if c.value
        )
        assert "Bolton" in help_text and "E08000001" in help_text
        assert not re.search(r"borough|Camden|E09", help_text, re.IGNORECASE), help_text


def test_template_csv_opens_in_excel_with_pound_sign():
    content = template_bytes("csv")
    assert content.startswith(b"\xef\xbb\xbf")
    header, example, _ = content.decode("utf-8-sig").split("\r\n")
    assert header.split(",")[8] == "Annual value (£)"
    assert "31/03/2027" in example


def test_template_xlsx_has_help_and_real_dates():
    wb = load_workbook(io.BytesIO(template_bytes("xlsx")))
    assert wb.sheetnames == ["Contracts", "Help"]
    assert wb["Contracts"]["G2"].value.date() == date(2022, 4, 1)
    assert "Adults' social care" in " ".join(str(c.value) for c in wb["Help"]["B"])
    with pytest.raises(ValueError):
        template_bytes("pdf")


def test_an_export_of_the_app_comes_back_unchanged():
    """The embedded CSV (canonical names) and a labelled export both read back exactly."""
    demo = pd.read_csv(ROOT / "data" / "demo_contracts.csv", dtype=str, keep_default_na=False)
    p = prepare((ROOT / "data" / "demo_contracts.csv").read_bytes(), "demo_contracts.csv")
    assert (p.format, len(p.records), p.rows_refused) == ("template", 800, 0)
    assert p.records["system"].tolist() == demo["system"].tolist()
    values = [str(v) if v is not None else "" for v in p.records["annual_value"]]
    assert values == demo["annual_value"].tolist()
    ends = [d.isoformat() if d else "" for d in p.records["contract_end"]]
    assert ends == demo["contract_end"].tolist()
    exported = exports.to_csv(exports.with_labels(demo.head(50)))
    again = prepare(exported, "export.csv")
    assert again.format == "template"
    assert again.records[list(FIELD_NAMES)].equals(p.records.head(50)[list(FIELD_NAMES)])


def test_transparency_code_register():
    p = prepare((DATA / "ingest" / "transparency.csv").read_bytes(), "t.csv", borough="Lewisham")
    assert p.format == "transparency"
    assert {k: v for k, v in p.mapping.items() if v} == {
        "service_area": "Department Responsible",
        "system": "Title of Agreement",
        "vendor": "Supplier Name",
        "contract_start": "Start Date",
        "contract_end": "End Date",
        "annual_value": "Total Value of Contract",
        "source_ref": "Reference Number",
    }
    assert p.records["service_area"].tolist() == [
        "Adults' social care",
        "Revenues and benefits",
        "Libraries and culture",
    ]
    total = [x for x in p.problems if x.row is None and x.column == "Total Value of Contract"]
    assert "total value of each contract, not its value per year" in total[0].reason
    assert [(x.row, x.column) for x in p.rejects] == [(5, "End Date")]


def test_contracts_finder_export_is_recognised():
    p = prepare((DATA / "real" / "cf_export_notices_2025-11.csv").read_bytes(), "cf.csv")
    assert p.format == "contracts_finder"
    assert p.mapping["borough"] == "Organisation Name"
    assert p.mapping["vendor"] == "Supplier [Name|Address|Ref type|Ref Number|Is SME|Is VCSE]"
    assert p.mapping["contract_end"] == "End Date"  # 'Contract end date' is empty in this file


def test_contracts_finder_supplier_column_gives_the_name():
    header = (
        '"Notice Identifier","Notice Type","Organisation Name",Title,"Cpv Codes","Start Date",'
        '"End Date","Awarded Value","Supplier [Name|Address|Ref type|Ref Number|Is SME|Is VCSE]"\n'
    )
    row = (
        "N-1,Contract,London Borough of Camden,Case management,48000000,01/04/2024,31/03/2029,"
        '"1,500,000","Servelec Group Ltd|Rutland House, Sheffield|Companies House|123|No|No"\n'
    )
    p = prepare((header + row).encode(), "cf.csv")
    assert p.format == "contracts_finder"
    # The notice's value is the whole contract's: kept as the total; 5 years give the annual.
    assert p.records[["borough", "vendor", "total_value", "annual_value"]].values.tolist() == [
        ["Camden", "Servelec Group Ltd", Decimal("1500000.00"), Decimal("300000.00")]
    ]
    assert p.records["annual_value_derived"].tolist() == [True]


def _cf_rows(*rows: dict[str, str]) -> bytes:
    """The real Contracts Finder export's header (43 columns) over `rows`."""
    real = (DATA / "real" / "cf_export_notices_2025-11.csv").read_text(encoding="utf-8")
    header = next(csv.reader(io.StringIO(real)))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, restval="", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def test_contracts_finder_notice_without_an_award_keeps_its_own_dates_and_value():
    # An export mixing an awarded notice (the award's dates and value) with an open one (only
    # the notice's): each row is read from its own columns, not the open one left blank.
    awarded = {
        "Notice Identifier": "AW-1",
        "Notice Type": "Awarded",
        "Organisation Name": "London Borough of Camden",
        "Title": "Revenues and benefits software",
        "Cpv Codes": "48000000",
        "Start Date": "01/04/2025",
        "End Date": "31/03/2029",
        "Value Low": "300000",
        "Awarded Value": "270000",
        "Contract start date": "01/04/2025",
        "Contract end date": "31/03/2028",
        "Supplier [Name|Address|Ref type|Ref Number|Is SME|Is VCSE]": "Civica UK Ltd|Leeds",
    }
    open_notice = {
        "Notice Identifier": "OP-2",
        "Notice Type": "Contract",
        "Organisation Name": "London Borough of Hackney",
        "Title": "Library management system",
        "Cpv Codes": "48000000",
        "Start Date": "01/06/2025",
        "End Date": "31/05/2030",
        "Value Low": "500000",
        "Value High": "600000",
    }
    p = prepare(_cf_rows(awarded, open_notice), "cf.csv")
    assert p.refused is None and p.mapping["contract_end"] == "Contract end date"
    got = p.records[["borough", "contract_start", "contract_end", "total_value"]]
    assert got.values.tolist() == [
        ["Camden", date(2025, 4, 1), date(2028, 3, 31), Decimal("270000.00")],
        ["Hackney", date(2025, 6, 1), date(2030, 5, 31), Decimal("600000.00")],
    ]
    notes = [x.reason for x in p.file_notes]
    assert (
        "'Contract end date' is blank in 1 row (a notice with no award yet): its 'End Date' "
        "was read instead." in notes
    )
    assert not [x for x in p.problems if x.reason.startswith("No end date")]
    # The page's "These columns will not be imported" names none of the columns read.
    read = {"Start Date", "End Date", "Value High", "Value Low", "Cpv Codes", "Published Date"}
    assert not read & set(p.unused_columns) and "Contact Telephone" in p.unused_columns


def test_contracts_finder_notes_count_only_the_notices_kept():
    """A notice left out as not technology, or as another council's, was counted in "'Contract
    end date' is blank in 3 rows" and "The value is 0 in 3 rows", though one of the three was
    imported."""
    open_notice = {
        "Notice Type": "Contract", "Cpv Codes": "48000000", "Start Date": "01/06/2025",
        "End Date": "31/05/2030", "Value Low": "0", "Value High": "0", "Awarded Value": "0",
    }  # fmt: skip
    kept = open_notice | {"Notice Identifier": "OP-1", "Title": "Library management system",
                          "Organisation Name": "London Borough of Hackney"}  # fmt: skip
    grounds = open_notice | {"Notice Identifier": "OP-2", "Title": "Grounds maintenance",
                             "Organisation Name": "London Borough of Camden",
                             "Cpv Codes": "77310000"}  # fmt: skip
    leeds = kept | {"Notice Identifier": "OP-3", "Organisation Name": "Leeds City Council"}
    awarded = {  # (an awarded notice: the award's columns are read, the notice's where blank)
        "Notice Identifier": "AW-1", "Notice Type": "Awarded", "Cpv Codes": "48000000",
        "Organisation Name": "London Borough of Camden", "Title": "Revenues and benefits software",
        "Awarded Value": "270000", "Contract start date": "01/04/2025",
        "Contract end date": "31/03/2028",
        "Supplier [Name|Address|Ref type|Ref Number|Is SME|Is VCSE]": "Civica UK Ltd|Leeds",
    }  # fmt: skip
    p = prepare(_cf_rows(awarded, kept, grounds, leeds), "cf.csv")
    assert p.refused is None and p.records["source_ref"].tolist() == ["AW-1", "OP-1"]
    notes = [x.reason for x in p.file_notes]
    assert (
        "'Contract end date' is blank in 1 row (a notice with no award yet): its 'End Date' "
        "was read instead." in notes
    )
    assert (
        "The value is 0 in 1 row: Contracts Finder writes 0 for a value not disclosed, so it "
        "has no value." in notes
    )
    assert not [n for n in notes if "in 2 rows" in n or "in 3 rows" in n], notes


@pytest.mark.parametrize(
    ("low", "high", "total"),
    [
        ("200000", "450000", Decimal("450000.00")),  # a range: its top
        ("0", "0", None),  # 0 is Contracts Finder's "not disclosed": no value, not £0
        ("200000", "0", Decimal("200000.00")),
    ],
)
def test_contracts_finder_export_and_api_give_a_notice_the_same_value(low, high, total):
    # Whichever way the notice arrives, it has the same value: a fetched notice does not
    # change value against the downloaded one.
    row = {
        "Notice Identifier": "HAV-0002",
        "Notice Type": "Contract",
        "Organisation Name": "London Borough of Havering",
        "Title": "Council tax and business rates system",
        "Cpv Codes": "48440000",
        "Start Date": "01/01/2025",
        "End Date": "31/12/2029",
        "Value Low": low,
        "Value High": high,
    }
    item = {
        "id": "x",
        "noticeIdentifier": "HAV-0002",
        "organisationName": "London Borough of Havering",
        "title": "Council tax and business rates system",
        "cpvCodes": "48440000",
        "start": "2025-01-01T00:00:00Z",
        "end": "2029-12-31T00:00:00Z",
        "valueLow": int(low),
        "valueHigh": int(high),
    }
    api = json.dumps({"hitCount": 1, "noticeList": [{"item": item}]}).encode()
    totals = [
        prepare(content, name).records["total_value"].tolist()
        for content, name in ((_cf_rows(row), "cf.csv"), (api, "cf.json"))
    ]
    assert totals == [[total], [total]]


def test_generic_headers_are_matched_by_synonyms_and_fuzzily():
    p = prepare((DATA / "ingest" / "generic_fuzzy.csv").read_bytes(), "g.csv")
    assert p.format == "generic"
    assert {k: v for k, v in p.mapping.items() if v} == {
        "borough": "Council",
        "system": "Systems",
        "vendor": "Suppliers",
        "manufacturer": "Manufacturer",
        "contract_end": "Contract End Dates",
        "annual_value": "Annual Cost (£)",
        "hosting": "Where hosted",
        "satisfaction": "Supplier satisfaction (1-5)",
        "source_ref": "Our ref",
    }
    assert p.suggested_mapping == p.mapping
    assert set(p.records["borough"]) == {"Kingston upon Thames"}
    assert not [x for x in p.problems if "total value" in x.reason]  # 'Annual Cost' is annual


def test_each_column_serves_one_field_and_the_closer_name_wins():
    mapping = recognise.suggest(["Title", "Description", "Supplier", "Supplier name", "Value"])
    assert mapping["system"] == "Title"
    assert mapping["vendor"] == "Supplier"
    assert list(mapping.values()).count("Supplier") == 1
    assert recognise.header_field("Name") is None  # too vague to guess
    assert recognise.header_field("  Contract  End (dd/mm/yyyy) ") == "contract_end"


def test_user_mapping_overrides_the_suggestion():
    content = (
        b"Authority,Application,Company,Go live,Renewal\n"
        b"Brent,Mosaic,Servelec,2019-04-01,31/03/2027\n"
    )
    p = prepare(content, "x.csv")
    assert p.suggested_mapping["contract_end"] is None
    p = prepare(content, "x.csv", mapping={"contract_end": "Renewal", "contract_start": "Go live"})
    assert p.refused is None
    assert p.mapping["contract_end"] == "Renewal" and p.suggested_mapping["contract_end"] is None
    assert p.records[["contract_start", "contract_end"]].values.tolist() == [
        [date(2019, 4, 1), date(2027, 3, 31)]
    ]
    p = prepare(content, "x.csv", mapping={"vendor": None})
    assert "no column was found for the vendor" in p.refused


def test_bad_user_mapping_is_refused_not_raised():
    content = b"Borough,System,Vendor\nBrent,Mosaic,Servelec\n"
    assert prepare(content, "x.csv", mapping={"colour": "System"}).refused == (
        "'colour' is not a field of a contract record."
    )
    assert prepare(content, "x.csv", mapping={"system": "Product"}).refused == (
        "The column 'Product' chosen for System is not in this file."
    )


def test_missing_required_fields_are_all_named():
    p = prepare(b"Colour,Size\nred,10\n", "x.csv")
    assert p.refused.startswith(
        "This file cannot be imported: no column was found for the borough (no borough column, "
        "and no borough was chosen for the file); the system (or the contract title); the "
        "vendor (the supplier)."
    )
    assert "Its columns are 'Colour', 'Size'." in p.refused
    p = prepare(b"Colour,System,Vendor\nred,Mosaic,Servelec\n", "x.csv", borough="Camden")
    assert p.refused is None and p.records["borough"].tolist() == ["Camden"]


def test_a_persons_contact_column_is_never_taken_for_a_field():
    # "Contact name" is one letter from "contract name", a System heading: the people's names
    # in it were imported as systems.
    content = (
        b"Borough,Software package,Supplier,Contact name,Contact email,End date\n"
        b"Brent,Mosaic,Servelec,Jane Smith,jane.smith@brent.gov.uk,31/03/2027\n"
    )
    p = prepare(content, "x.csv")
    assert "Contact name" not in p.mapping.values()
    assert "Contact email" not in p.mapping.values()
    assert p.refused.startswith(
        "This file cannot be imported: no column was found for the system (or the contract title)"
    )
    for header in ("Contact Name", "contact  name", "Contract Manager", "Owner", "E-mail"):
        assert recognise.header_field(header) is None, header
    assert recognise.header_field("Contract name") == "system"  # the real heading still maps
    p = prepare(content, "x.csv", mapping={"system": "Software package"})
    assert p.refused is None and p.records["system"].tolist() == ["Mosaic"]
