"""Write the small upload files the ingest tests read (run from the repository root).

    python tests/data/ingest/make_files.py

Each file holds one quirk of real registers (see README.md here). They are committed; this
script says exactly how their bytes were made (encodings, line endings, binary headers).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def text(name: str, content: str, encoding: str = "utf-8", newline: str = "\r\n") -> None:
    body = content.replace("\n", newline)
    (HERE / name).write_bytes(body.encode(encoding))


REGISTER = """Borough,Service area,System,Vendor,Contract end,Annual value (£)
Camden,Housing,Northgate Housing,Northgate Public Services,31/03/2027,"£45,000.00"
Islington,Libraries,Spydus,Civica,31-Mar-27,£12500
Hackney,Planning,Uniform,Idox plc,2027-03-31,9999.5
Haringey,Revenues and benefits,Revenues & Benefits,Société Générale Informatique,01/04/2026,£1000
"""

WESTERN = """Borough,Service area,System,Vendor,Contract end,Annual value
Lambeth,Children’s social care,Mosaic,Café Systems Ltd,31/03/2027,"£250,000"
Lambeth,Housing,Renée Housing,Müller & Søn Ltd,30/09/2028,£18500.50
Lambeth,Libraries,Spydus,Civica,31/03/2029,£9000
"""


def main() -> None:
    (HERE / "bom_utf8.csv").write_bytes(b"\xef\xbb\xbf" + REGISTER.replace("\n", "\r\n").encode())
    text("cp1252_pound.csv", WESTERN, "cp1252")
    text("mac_roman.csv", WESTERN, "mac_roman", newline="\r")  # old Mac Excel: CR line ends
    text(
        "utf16_tab.txt",
        "Borough\tSystem\tVendor\tAnnual value\n"
        "Westminster\tSAP S/4HANA\tSAP (UK) Ltd\t£2,000,000\n"
        "Westminster\tAgilisys Digital\tAgilisys Ltd\t£320,000\n",
        "utf-16",
    )
    text(
        "semicolon.csv",
        "Borough;Service area;System;Vendor;Contract start;Contract end;Annual value\n"
        "Camden;Parking;Chipside;Chipside Ltd;01/04/2022;31/03/2027;£1,234,567.00\n"
        'Camden;Parking;"Taranto; PCN module";Imperial Civil Enforcement Solutions;'
        '01.04.2021;31.03.2026;"12,500"\n'
        "Camden;Education;ESS One;Education Software Solutions;1-Apr-2020;31-Mar-27;n/a\n",
    )
    text(
        "pipe.csv",
        "Borough|System|Vendor|Annual value\n"
        "Enfield|Oracle Fusion|Oracle Corporation UK Ltd|£1,500,000\n"
        "Enfield|Salesforce|Salesforce UK Ltd|£400,000\n",
    )
    text(
        "preamble.csv",
        "London Borough of Merton - ICT contracts register,,,,\n"
        "Published 1 April 2026,,,,\n"
        ",,,,\n"
        "Prepared by: Commercial Services,,,,\n"
        "Service area,System,Vendor,Contract end,Hosting\n"
        "Housing,Civica CX,Civica,31/03/2028,Cloud\n"
        "Parking,Chipside,Chipside Ltd,30/06/2027,SaaS\n",
    )
    text(
        "footer_total.csv",
        'Borough,System,Vendor,Annual value\nSutton,Mosaic,Servelec,"£200,000"\n'
        'Sutton,Agresso,Unit4,"£150,000"\n,,,\nTotal,,,"£350,000"\n,\u2020 \u2020,,\n',
    )
    text(
        "spacer_columns.csv",
        "Borough,,System,,Vendor,,,Contract end,\n"
        "Bexley,,iTrent,,MHR International,,,31/03/2029,\n"
        "Bexley,,Oracle Fusion,,Oracle,,,30/09/2030,\n",
    )
    text(
        "embedded_newlines.csv",
        'Borough,System,Vendor,Notes,Contract end\nLambeth,Mosaic,Servelec,"Adults and children\n'
        'two modules",31/03/2027\nLambeth,"Uniform\n(planning)",Idox,"Line one\nline two\n'
        'line three",31/02/2026\nLambeth,Civica Pay,Civica,,31/03/2029\n',
    )
    text(
        "ragged.csv",
        "Borough,System,Vendor,Contract end,Hosting\n"
        "Brent,Liquidlogic LCS,System C,31/03/2027,On premises\n"
        "Brent,Academy,Capita,31/03/2026\n"
        "Brent,Uniform,Idox,31/03/2028,Cloud,extra value\n"
        "Brent,Civica APP,Civica,30/06/2027,Hosted,,\n",
    )
    text(
        "transparency.csv",
        "Reference Number,Title of Agreement,Department Responsible,"
        "Description of the goods and/or services being provided,Supplier Name,"
        "Supplier Registration Number,Start Date,End Date,Review Date,Total Value of Contract,"
        "SME/VCSE,VAT not recoverable\n"
        "LEW-0001,Adult social care case management system,Adults' and Community Services,"
        '"Case management for adult social care, hosted",System C Healthcare Ltd,02048869,'
        '01/04/2021,31/03/2026,01/10/2025,"£1,250,000.00",No,£0\n'
        "LEW-0002,Revenues and benefits system,Resources - Revenues & Benefits,"
        "Council tax and housing benefit administration,Capita Business Services Ltd,02299747,"
        "01/07/2019,30/06/2026,,£980000,No,\n"
        "LEW-0003,Library management system,Culture and Community Services,"
        'Library management and self-service,Civica UK Ltd,01628868,1-Apr-2020,rolling,,"£75,000",'
        "No,\n"
        "LEW-0004,Waste collection IT,Environment,,Bartec Auto ID Ltd,03181744,01/04/2024,"
        "31/03/2023,,£60000,Yes,\n",
    )
    text(
        "generic_fuzzy.csv",
        "Council,Systems,Suppliers,Manufacturer,Contract End Dates,Annual Cost (£),Where hosted,"
        "Supplier satisfaction (1-5),Our ref\n"
        "RB Kingston,Mosaic,Servelec,Servelec,31/03/2027,85000,Cloud,4,K-1\n"
        "Royal Borough of Kingston upon Thames,ContrOCC,OLM Systems,OLM,31/03/2027,22000,"
        "on-prem,6,K-2\n"
        "Kingston,Mosaic,Servelec,Servelec,31/03/2027,85000,Cloud,4,K-1\n",
    )
    text(
        "dates.csv",
        "Borough,System,Vendor,Contract start,Contract end\n"
        "Ealing,A,V,01/04/2020,31/03/2027\n"
        "Ealing,B,V,1-Apr-2020,31-Mar-27\n"
        "Ealing,C,V,01.04.2020,31.03.2027\n"
        "Ealing,D,V,2020-04-01,2027-03-31T00:00:00Z\n"
        "Ealing,E,V,2020-04-01T00:00:00+01:00,46477\n"
        "Ealing,F,V,07/01/25,TBC\n"
        "Ealing,G,V,01/04/2020,\n"
        "Ealing,H,V,01/04/2020,31/02/2026\n"
        "Ealing,I,V,01/01/1,31/03/2027\n"
        "Ealing,J,V,01/04/2027,31/03/2020\n"
        "Ealing,K,V,1st April 2020,rolling\n",
    )
    text(
        "ocds_two_buyers.json",
        """{"version": "1.1", "uri": "https://example.org/package.json", "releases": [
 {"ocid": "ocds-test-0001", "id": "0001-award", "tag": ["tender"],
  "buyer": {"name": "London Borough of Hackney"},
  "tender": {"title": "Housing management system &amp; repairs", "value": {"amount": 0},
             "minValue": {"amount": 900000, "currency": "GBP"}},
  "awards": [{"id": "a1", "status": "active", "title": "",
              "value": {"amount": 250000, "currency": "GBP"},
              "suppliers": [{"name": "Northgate Public Services (UK) Ltd"}],
              "contractPeriod": {"startDate": "2021-04-01T00:00:00Z",
                                 "endDate": "2026-03-31T00:00:00Z"}}]},
 {"ocid": "ocds-test-0002", "id": "0002-award", "tag": ["award"],
  "buyer": {"name": "Kent County Council"},
  "awards": [{"id": "a2", "title": "Highways asset management",
              "value": {"amount": 120000, "currency": "GBP"},
              "suppliers": [{"name": "Yotta Ltd"}]}]}
]}
""",
        newline="\n",
    )
    # Files that are not tables at all.
    (HERE / "empty.csv").write_bytes(b"")
    text("header_only.csv", "Borough,System,Vendor\n")
    text("no_header.csv", "1,2,3\n4,5,6\n7,8,9\n")
    text("webpage.csv", "<!DOCTYPE html>\n<html><body><h1>Session expired</h1></body></html>\n")
    text("not_ocds.json", '{"name": "not a release package", "items": [1, 2, 3]}\n')
    png = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
        b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
        b"\x00\x00\x00\x00IEND\xaeB`\x82"
    )
    (HERE / "picture.csv").write_bytes(png)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        entry = zipfile.ZipInfo("register.csv", date_time=(2026, 1, 1, 0, 0, 0))  # same bytes
        z.writestr(entry, "Borough,System,Vendor\nCamden,Mosaic,Servelec\n")
    (HERE / "archive.csv").write_bytes(archive.getvalue())
    (HERE / "binary.csv").write_bytes(bytes(range(256)) * 4)
    (HERE / "old_excel.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)


if __name__ == "__main__":
    main()
