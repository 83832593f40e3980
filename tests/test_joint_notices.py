"""Published notices bought jointly by several councils: each council that bought one has it.

Before, a buyer naming two councils ("Babergh and Mid Suffolk District Councils", in Contracts
Finder's export of November 2025, tests/data/real/cf_export_notices_2025-11.csv; "Richmond and
Wandsworth Councils", who share their services) was refused as not one council, so the
contract was shown for neither, and a notice listing several buyers was read as its first
buyer's only. Now each of the region's councils it names has a record of it (the whole
contract's value, and its equal share of the annual value), a withdrawal takes it out of every
one, and a council's legal name with "and" in it ("Kensington and Chelsea", "Telford and
Wrekin") stays one council. Every database here is a real DuckDB file; the releases are OCDS
1.1 as Contracts Finder publishes them (tests/test_fetch.py).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

import docx
import openpyxl
import pytest

from citydata import ingest
from citydata.core import authorities, buyers, regions
from citydata.feeds import fetch
from citydata.output import briefing, word
from citydata.query import borough_profile
from citydata.query.filters import FilterState
from citydata.store import snapshots
from tests.apptest import new_visit, run_app
from tests.conftest import DATA
from tests.test_column_labels_app import files, tables
from tests.test_original_download import downloads  # noqa: F401 - a fixture
from tests.test_upload_app import password, sign_in  # noqa: F401 - fixtures and helpers
from tests.test_withdrawn_notices import adds_up

OCID = "ocds-b5fd17-44444444-0000-4000-8000-000000000001"
RICHMOND, WANDSWORTH, CAMDEN, ISLINGTON = "E09000027", "E09000032", "E09000007", "E09000019"
# Richmond and Wandsworth's revenues and benefits system, bought together: £900,000 for three
# years, £300,000 a year
AWARD = {
    "ocid": OCID, "id": "award", "date": "2025-01-10T09:00:00Z", "tag": ["award"],
    "buyer": {"id": "GB-LAE:RIC", "name": "Richmond and Wandsworth Councils"},
    "parties": [{"id": "GB-LAE:RIC", "name": "Richmond and Wandsworth Councils",
                 "roles": ["buyer"]}],
    "tender": {"title": "Revenues and benefits system",
               "classification": {"scheme": "CPV", "id": "48000000"}},
    "awards": [{"id": "1", "status": "active", "value": {"amount": 900000, "currency": "GBP"},
                "suppliers": [{"name": "NEC Software Solutions UK Ltd"}],
                "contractPeriod": {"startDate": "2025-04-01", "endDate": "2028-03-31"}}],
}  # fmt: skip
CANCELLED = AWARD | {
    "id": "cancellation",
    "date": "2025-06-02T10:00:00Z",
    "tag": ["awardUpdate"],
    "awards": [AWARD["awards"][0] | {"status": "cancelled"}],
}


def page(*releases: dict) -> bytes:
    return json.dumps({"version": "1.1", "releases": list(releases)}).encode()


def held(db) -> list[tuple]:
    return db.rows(
        "SELECT borough_code, vendor, contract_start, contract_end, annual_value, total_value"
        " FROM current_contracts WHERE source_kind = 'published' AND source_ref = $ref"
        " ORDER BY borough_code",
        {"ref": OCID},
    )


def each(*codes: str) -> list[tuple]:
    """The notice as each council holds it: the whole contract's value, half the yearly
    figure each."""
    return [
        (code, "NEC Software Solutions", date(2025, 4, 1), date(2028, 3, 31),
         Decimal("150000.00"), Decimal("900000.00"))
        for code in codes
    ]  # fmt: skip


def test_a_notice_two_councils_bought_together_is_each_councils(db):
    run = fetch.import_file(db, page(AWARD), "joint.json", "Ann")
    assert run.status == "done", run.message
    assert (run.imported, adds_up(run)) == (2, True)  # what was read is what was kept
    # was []: the buyer was refused as "not a London borough"
    assert held(db) == each(RICHMOND, WANDSWORTH)
    # the market counts the contract's £300,000 a year once, not twice
    assert db.scalar(
        "SELECT sum(annual_value) FROM current_contracts WHERE source_ref = $ref", {"ref": OCID}
    ) == Decimal("300000.00")
    with db.read() as r:  # a snapshot of notices for each council
        active = snapshots.active(r, kind=snapshots.PUBLISHED)
    assert {RICHMOND, WANDSWORTH} <= set(active)


def test_the_upload_says_it_is_a_joint_contract_and_how_its_value_is_shared():
    p = ingest.prepare(page(AWARD), "joint.json")
    assert p.refused is None
    assert p.records["borough"].tolist() == ["Richmond upon Thames", "Wandsworth"]
    assert p.records["row"].tolist() == [1, 1]  # one notice, one row of the file
    [said] = [x.reason for x in p.problems if x.column == "Buyer"]
    assert said == (
        "The buyer 'Richmond and Wandsworth Councils' is 2 councils buying jointly: the notice "
        "is recorded for Richmond upon Thames and Wandsworth as a joint contract, with the whole "
        "contract's value and an equal share of its annual value (divided by 2)."
    )
    # a file imported for one of the councils: that council's record only, still its share
    p = ingest.prepare(page(AWARD), "joint.json", borough="Wandsworth")
    assert p.records["borough"].tolist() == ["Wandsworth"] and p.rows_refused == 0
    assert p.records["annual_value"].tolist() == [Decimal("150000.00")]
    assert p.records["total_value"].tolist() == [Decimal("900000.00")]


def test_the_upload_page_says_the_joint_notice_gives_a_record_for_each_council(
    db_path,
    password,  # noqa: F811
):
    at = sign_in(new_visit())
    at.switch_page("pages/upload.py").run()
    at.get("file_uploader")[0].set_value(("joint.json", page(AWARD), "application/json")).run()
    assert not at.exception, [e.value for e in at.exception]
    shown = {m.label: m.value for m in at.metric}
    assert (shown["Rows read"], shown["Rows to import"], shown["Rows refused"]) == ("1", "1", "0")
    assert any(
        "These rows give 2 records" in c.value and "several councils bought together" in c.value
        for c in at.caption
    ), [c.value for c in at.caption]


def test_a_notice_listing_several_buyer_parties_is_each_of_theirs():
    """OCDS names the councils as parties: the buyer, and another council buying with it."""
    release = AWARD | {
        "buyer": {"id": "GB-LAE:CMD", "name": "London Borough of Camden"},
        "parties": [
            {"id": "GB-LAE:CMD", "name": "London Borough of Camden", "roles": ["buyer"]},
            {"id": "GB-LAE:ISL", "name": "Islington Council", "roles": ["procuringEntity"]},
            {"id": "GB-COH-1", "name": "NEC Software Solutions UK Ltd", "roles": ["supplier"]},
        ],
    }
    p = ingest.prepare(page(release), "parties.json")
    assert p.records["borough_code"].tolist() == [CAMDEN, ISLINGTON]  # was [CAMDEN]
    assert p.records["annual_value"].tolist() == [Decimal("150000.00")] * 2


def test_a_withdrawal_takes_the_joint_notice_out_of_every_council(db):
    fetch.import_file(db, page(AWARD), "award.json", "Ann")
    run = fetch.import_file(db, page(CANCELLED), "cancelled.json", "Ann")
    assert run.status == "done", run.message
    assert held(db) == []
    assert run.withdrawn == 2  # one notice, held by two councils
    assert adds_up(run)
    assert db.rows("SELECT borough_code, status FROM notice_withdrawals ORDER BY ALL") == [
        (RICHMOND, "cancelled"),
        (WANDSWORTH, "cancelled"),
    ]
    # the award again, an older release: it comes back for neither
    again = fetch.import_file(db, page(AWARD), "award-again.json", "Ann")
    assert again.imported == 0 and held(db) == []


def test_fetched_again_the_joint_notice_is_held_as_it_was(db):
    fetch.import_file(db, page(AWARD), "award.json", "Ann")
    again = fetch.import_file(db, page(AWARD), "award-again.json", "Ann")
    assert again.imported == 0 and again.held == 2 and adds_up(again)
    assert held(db) == each(RICHMOND, WANDSWORTH)


def test_each_council_matches_the_joint_notice_to_its_own_register(db):
    register = (
        b"Service area,System,Vendor,Contract start,Contract end\n"
        b"Revenues and Benefits,Revenues and benefits system,NEC Software Solutions UK Ltd,"
        b"01/04/2025,31/03/2028\n"
    )
    p = ingest.prepare(register, "wandsworth.csv", borough="Wandsworth")
    snapshots.commit(db, p, register, "Ann")
    fetch.import_file(db, page(AWARD), "award.json", "Ann")
    assert db.rows(
        "SELECT borough_code, matched FROM current_contracts"
        " WHERE source_kind = 'published' AND source_ref = $ref ORDER BY ALL",
        {"ref": OCID},
    ) == [(RICHMOND, False), (WANDSWORTH, True)]


def test_a_council_outside_the_region_is_left_out_and_said(db):
    release = AWARD | {"buyer": {"name": "Camden and Hertfordshire County Councils"}}
    release.pop("parties")
    p = ingest.prepare(page(release), "partly.json")
    assert p.records["borough_code"].tolist() == [CAMDEN]
    # its share of a contract bought by two: half, Hertfordshire's half not in London's totals
    assert p.records["annual_value"].tolist() == [Decimal("150000.00")]
    [said] = [x.reason for x in p.problems if x.column == "Buyer"]
    assert said.endswith(
        "recorded for Camden as a joint contract, with the whole contract's value and an equal "
        "share of its annual value (divided by 2). Not recorded for Hertfordshire County "
        "Council, which is outside London."
    )
    # as several buyer parties too
    parties = AWARD | {
        "buyer": {"name": "London Borough of Camden"},
        "parties": [
            {"name": "London Borough of Camden", "roles": ["buyer"]},
            {"name": "Hertfordshire County Council", "roles": ["buyer"]},
        ],
    }
    p = ingest.prepare(page(parties), "parties.json")
    assert p.records["borough_code"].tolist() == [CAMDEN]
    assert any("outside London" in x.reason for x in p.problems if x.column == "Buyer")


def test_a_joint_notice_of_councils_all_outside_the_region_says_where_each_is():
    release = AWARD | {"buyer": {"name": "Adur & Worthing Councils"}}
    release.pop("parties")
    p = ingest.prepare(page(release), "outside.json")
    assert p.refused == (
        "The 1 row cannot be imported. Row 1: The buyer 'Adur & Worthing Councils' is 2 councils "
        "buying jointly, none of them one of the 33 London authorities (32 boroughs and the "
        "City of London): Adur District Council, which is outside London; Worthing Borough "
        "Council, which is outside London."
    )


def _real_babergh() -> bytes:
    """The real Contracts Finder row of Babergh and Mid Suffolk's joint notice, with its header."""
    path = DATA / "real" / "cf_export_notices_2025-11.csv"
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    out = io.StringIO()
    joint = [r for r in rows[1:] if r[2] == "Babergh and Mid Suffolk District Councils"]
    csv.writer(out).writerows([rows[0], *joint])
    return out.getvalue().encode()


def test_the_real_babergh_and_mid_suffolk_notice_is_read_as_both_councils(monkeypatch):
    """BIP550137425, "Adaptations for Independent Living": building works (CPV 45211100), so
    no technology contract; it was refused for its buyer, and is now refused only for what it
    is. As a technology notice it is each council's."""
    monkeypatch.setenv(regions.SETTING, "united-kingdom")
    content = _real_babergh()
    p = ingest.prepare(content, "babergh.csv")
    refusals = [(x.column, x.reason) for x in p.problems if x.severity == "refused"]
    assert [c for c, _ in refusals] == ["Cpv Codes"]
    assert refusals[0][1].startswith("Not a technology contract")
    software = content.replace(b"45211100 ", b"48000000 ")  # the same notice, for software
    p = ingest.prepare(software, "babergh-software.csv")
    assert p.records["borough"].tolist() == ["Babergh", "Mid Suffolk"]
    assert p.records["source_ref"].tolist() == ["BIP550137425"] * 2
    # its estimated value, £7,000,000, is the whole contract's; for one day (9-10 Sep 2030, a
    # year at least), half of it a year each
    assert p.records["total_value"].tolist() == [Decimal("7000000.00")] * 2
    assert p.records["annual_value"].tolist() == [Decimal("3500000.00")] * 2


def _active_names() -> list[tuple[str, authorities.Authority]]:
    return [
        (name, a)
        for a in authorities.registry()
        if a.active
        for name in dict.fromkeys((a.name, a.official_name))
    ]


def test_every_councils_own_and_official_name_is_that_council_never_split(monkeypatch):
    """Every active authority of data/authorities.csv: "Kensington and Chelsea", "Brighton and
    Hove City Council", "Redcar and Cleveland", "Telford and Wrekin", "Dumfries and Galloway",
    "Perth and Kinross", "Argyll and Bute", "Neath Port Talbot County Borough Council"..."""
    monkeypatch.setenv(regions.SETTING, "united-kingdom")
    names = _active_names()
    assert len(names) > 700 and sum(" and " in n.lower() for n, _ in names) > 30
    wrong = []
    for name, council in names:
        found = buyers.find(name)
        if buyers.joint(name) or found is None or found.authority != council:
            wrong.append(name)
    assert wrong == []
    # imported, each is one record, its council's
    releases = [
        AWARD | {"ocid": f"{OCID}-{i}", "buyer": {"name": name}, "parties": []}
        for i, (name, _) in enumerate(names)
    ]
    p = ingest.prepare(page(*releases), "every-council.json")
    assert p.records["borough_code"].tolist() == [a.code for _, a in names]
    assert not any("jointly" in x.reason for x in p.problems)


@pytest.mark.parametrize("region", ["london", "wales", "scotland"])
def test_a_council_outside_the_region_with_and_in_its_name_is_not_two(monkeypatch, region):
    monkeypatch.setenv(regions.SETTING, region)
    assert [name for name, _ in _active_names() if buyers.joint(name)] == []
    release = AWARD | {"buyer": {"name": "Telford and Wrekin Council"}, "parties": []}
    p = ingest.prepare(page(release), "telford.json")
    assert "is Telford & Wrekin Council, which is outside" in (p.refused or "")


def test_each_councils_record_says_who_else_bought_the_joint_notice(db):
    """Richmond's record showed £150,000 a year of a £900,000 three-year contract with no word
    of why, nor that Wandsworth bought it too: now each names the other."""
    register = b"Service area,System,Vendor\nRevenues and Benefits,Revenues system,NEC Software\n"
    snapshots.commit(db, ingest.prepare(register, "camden.csv", borough="Camden"), register, "Ann")
    single = AWARD | {"ocid": f"{OCID}-single", "buyer": {"name": "London Borough of Camden"}}
    single.pop("parties")
    run = fetch.import_file(db, page(AWARD, single), "joint.json", "Ann")
    assert run.status == "done", run.message
    stored = "SELECT borough, bought_with FROM contracts WHERE source_ref = $ref ORDER BY ALL"
    assert db.rows(stored, {"ref": OCID}) == [
        ("Richmond upon Thames", "Wandsworth"),
        ("Wandsworth", "Richmond upon Thames"),
    ]
    assert db.rows(
        "SELECT borough, source_kind, bought_with FROM current_contracts"
        " WHERE borough_code = $camden ORDER BY ALL",
        {"camden": CAMDEN},
    ) == [("Camden", "published", None), ("Camden", "register", None)]  # one buyer; a register
    assert db.rows(
        "SELECT borough, bought_with FROM current_contracts WHERE source_ref = $ref ORDER BY 1",
        {"ref": OCID},
    ) == [("Richmond upon Thames", "Wandsworth"), ("Wandsworth", "Richmond upon Thames")]


def test_a_joint_record_names_councils_outside_the_region_and_several_in_it():
    release = AWARD | {"buyer": {"name": "Camden and Hertfordshire County Councils"}}
    release.pop("parties")
    p = ingest.prepare(page(release), "partly.json")
    assert p.records["bought_with"].tolist() == ["Hertfordshire"]
    three = AWARD | {
        "buyer": {"name": "London Borough of Camden"},
        "parties": [
            {"name": "London Borough of Camden", "roles": ["buyer"]},
            {"name": "Islington Council", "roles": ["buyer"]},
            {"name": "Royal Borough of Kensington and Chelsea", "roles": ["buyer"]},
        ],
    }
    p = ingest.prepare(page(three), "three.json")
    assert dict(zip(p.records["borough"], p.records["bought_with"], strict=True)) == {
        "Camden": "Islington; Kensington and Chelsea",
        "Islington": "Camden; Kensington and Chelsea",
        "Kensington and Chelsea": "Camden; Islington",
    }
    # a file imported for one of them: its record still names the others
    p = ingest.prepare(page(AWARD), "joint.json", borough="Wandsworth")
    assert p.records["bought_with"].tolist() == ["Richmond upon Thames"]


def test_the_overview_and_its_download_say_who_else_bought_each_record(db, downloads):  # noqa: F811
    """Richmond's record read "Whole contract value £900,000", "Annual value £150,000" and
    nothing more: now it says Wandsworth bought it too, the annual value's note says it is a
    share, and the CSV download carries the column, which an upload of it never mistakes for
    a field (a register's records say no council bought them jointly)."""
    fetch.import_file(db, page(AWARD), "joint.json", "Ann")
    db.close()  # (the app opens the file itself)
    at = run_app({"borough": "Richmond upon Thames", "source_kind": "published"})
    records = tables(at)[-1]
    assert records["bought_with"] == "Bought jointly with"
    frame = [f for f in at.dataframe if "bought_with" in f.value.columns][-1]
    assert frame.value["bought_with"].tolist() == ["Wandsworth"]
    help = json.loads(frame.proto.columns)["annual_value"]["help"]
    assert "this council's equal share of the yearly figure" in help
    content = files(downloads)["csv"]
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert [(r["Borough"], r["Bought jointly with"]) for r in rows] == [
        ("Richmond upon Thames", "Wandsworth")
    ]
    again = ingest.prepare(content, "download.csv")
    assert again.format == "template" and again.rows_refused == 0
    assert "Bought jointly with" not in again.mapping.values()
    assert again.records["vendor"].tolist() == ["NEC Software Solutions"]
    assert "bought_with" not in again.records.columns  # a register never says so


def test_the_briefings_say_a_joint_contracts_value_is_a_share_and_who_else_bought_it(db):
    """Richmond's briefing listed the system at "£150k a year" with no word of Wandsworth."""
    fetch.import_file(db, page(AWARD), "joint.json", "Ann")
    published = FilterState(source_kind=("published",))
    with db.read() as r:
        p = borough_profile.build(r, published, "Richmond upon Thames", date(2026, 1, 5))
    assert "£150k a year (the borough's equal share: bought jointly with Wandsworth)" in " ".join(
        briefing.text(p).split()
    )
    book = openpyxl.load_workbook(io.BytesIO(briefing.xlsx(p)))
    sheet = [[c.value for c in row] for row in book["Systems"].iter_rows()]
    assert sheet[1][sheet[0].index("Bought jointly with")] == "Wandsworth"
    table = docx.Document(io.BytesIO(word.borough(p))).tables[1]
    header = [c.text for c in table.rows[0].cells]
    assert table.rows[1].cells[header.index("Bought jointly with")].text == "Wandsworth"
    # a council that bought alone: no such column in its Word briefing, nothing after its value
    with db.read() as r:
        alone = borough_profile.build(r, FilterState(), "Camden", date(2026, 1, 5))
    assert "jointly" not in briefing.text(alone)
    headers = [
        [c.text for c in t.rows[0].cells]
        for t in docx.Document(io.BytesIO(word.borough(alone))).tables
    ]
    assert not any("Bought jointly with" in h for h in headers)
