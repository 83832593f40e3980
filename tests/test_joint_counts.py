"""A jointly bought contract counted once wherever the pages count contracts across councils.

Richmond and Wandsworth bought a revenues and benefits system together (tests/test_joint_notices
.py's AWARD), and a second system from two suppliers; Camden bought one alone. A joint notice is a
record of each council that bought it, so every page counting "contracts" across councils
counted it once per council: the Calendar said 5 contracts ending in June 2027 where 3 end (the
two-supplier notice's 2, twice, and Camden's), the Overview said 5 ending in the next 12 months,
a Collaboration group of the two councils held "2 contracts" of one. They now count each joint
contract once (a notice with two suppliers is two contracts), while the records listed, and each
council's own figures, stay one per council. Every database here is a real DuckDB file.
"""

from __future__ import annotations

from datetime import date

import pytest

from citydata.feeds import fetch
from citydata.output import group_briefing
from citydata.query import (
    collaboration,
    expiry,
    opportunities,
    pipeline,
    selection,
    vendor_profile,
)
from citydata.query.filters import FilterState
from tests.apptest import metric, run_app
from tests.test_joint_notices import AWARD, page

TODAY = date(2026, 12, 1)
PUBLISHED = FilterState(source_kind=("published",))
SHARED = "ocds-b5fd17-44444444-0000-4000-8000-000000000002"
ALONE = "ocds-b5fd17-44444444-0000-4000-8000-000000000003"
JUNE = {"startDate": "2024-07-01", "endDate": "2027-06-30"}
# Richmond and Wandsworth's housing system, from two suppliers: two contracts, four records
TWO_SUPPLIERS = AWARD | {
    "ocid": SHARED,
    "tender": {"title": "Housing management system",
               "classification": {"scheme": "CPV", "id": "48000000"}},
    "awards": [{"id": "1", "status": "active", "value": {"amount": 600000, "currency": "GBP"},
                "suppliers": [{"name": "Civica UK Ltd"}, {"name": "Capita Business Services"}],
                "contractPeriod": JUNE}],
}  # fmt: skip
# Camden's, bought alone
CAMDEN = TWO_SUPPLIERS | {
    "ocid": ALONE,
    "buyer": {"id": "GB-LAE:CMD", "name": "London Borough of Camden"},
    "parties": [{"id": "GB-LAE:CMD", "name": "London Borough of Camden", "roles": ["buyer"]}],
    "awards": [{"id": "1", "status": "active", "value": {"amount": 300000, "currency": "GBP"},
                "suppliers": [{"name": "Civica UK Ltd"}], "contractPeriod": JUNE}],
}  # fmt: skip


@pytest.fixture
def joint(db):
    """The three notices: 7 records, 4 contracts (3 ending in June 2027, 1 in March 2028)."""
    run = fetch.import_file(db, page(AWARD, TWO_SUPPLIERS, CAMDEN), "joint.json", "Ann")
    assert run.status == "done", run.message
    with db.read() as r:
        assert selection.headline(r, PUBLISHED, TODAY)["records"] == 7
    return db


def test_the_overview_counts_a_joint_contract_ending_once(joint):
    with joint.read() as r:
        head = selection.headline(r, PUBLISHED, TODAY)
        richmond = selection.headline(r, PUBLISHED.with_(borough=("Richmond upon Thames",)), TODAY)
    assert head["ending_12_months"] == 3  # was 5: the two-supplier notice's two, twice
    assert richmond["ending_12_months"] == 2  # Richmond's own: its record of each


def test_the_calendar_counts_a_joint_contract_ending_once(joint):
    with joint.read() as r:
        figures = expiry.counts(r, PUBLISHED, TODAY)
        heat = expiry.heatmap(r, PUBLISHED)
        days = expiry.month_days(r, PUBLISHED, "2027-06")
    assert (figures["with_end"], figures["ending_12_months"]) == (4, 3)  # were 7 and 5
    assert dict(zip(heat["month"], heat["contracts"], strict=True)) == {6: 3, 3: 1}  # 5 and 2
    # "3 contracts ending in June 2027" (was 5), and the table below it lists the 5 records
    assert (int(days["contracts"].sum()), int(days["records"].sum())) == (3, 5)


def test_a_collaboration_group_holds_a_joint_contract_once(joint):
    """The housing system's group: Richmond and Wandsworth's two contracts (two suppliers,
    bought together, with no annual value given) and Camden's: 3 contracts (was 5), listed
    as their 5 records; the revenues system's group of the two councils holds 1 (was 2)."""
    query = collaboration.Query("system", 6, False)
    with joint.read() as r:
        housing, revenues = collaboration.groups(r, PUBLISHED, query, TODAY).to_dict("records")
        members = collaboration.group_members(
            r, PUBLISHED, query, housing["key"], housing["first_end"], housing["last_end"]
        )
    assert (housing["contracts"], revenues["contracts"]) == (3, 1)
    assert housing["contracts_in_groups"] == 4  # "Contracts in groups" (was 7)
    assert (housing["records"], housing["records_in_groups"], len(members)) == (5, 7, 5)
    note = group_briefing.briefing_markdown(housing, members, query, TODAY)
    assert "have 3 contracts for the same system" in note  # was 5
    assert "(2 contracts have no value recorded)" in note  # was 4


def test_coming_to_market_counts_a_joint_contract_ending_once(joint):
    lead = pipeline.LeadTimes()
    with joint.read() as r:
        markets = opportunities.markets(r, PUBLISHED, lead, 3, TODAY)
        quarters = opportunities.quarters(r, PUBLISHED, lead, 3, TODAY)
    ending = dict(zip(markets["service_area"], markets["ending"], strict=True))
    assert ending == {"Housing": 3, "Revenues and benefits": 1}  # were 5 and 2
    assert opportunities.headline(markets)["ending"] == 4  # "Contracts ending" (was 7)
    assert markets["room"][0] == "Yes: 3 contracts ending, 2 suppliers hold this market"
    assert markets["boroughs"].tolist() == [3, 2]  # each council still named
    assert dict(zip(quarters["quarter"], quarters["ending"], strict=True)) == {
        "2027 Q2": 3,
        "2028 Q1": 1,
    }


def test_the_renewal_pipeline_counts_a_joint_contract_once(joint):
    """The figures and each list's heading count contracts (with 18 months' lead, all 4 are
    overdue for a decision; 3 end in the next 12 months); each list shows, and says it holds,
    every council's record."""
    with joint.read() as r:
        figures = pipeline.summary(r, PUBLISHED, pipeline.LeadTimes(), TODAY)
        listed = pipeline.decisions_overdue(r, PUBLISHED, pipeline.LeadTimes(), TODAY)
    assert (figures["decisions_overdue"], figures["ending_12"], figures["upcoming"]) == (4, 3, 4)
    assert figures["decisions_overdue_records"] == len(listed) == 7
    assert (figures["ending_12_records"], figures["records"]) == (5, 7)


def test_the_vendor_profile_counts_a_joint_contract_held_once(joint):
    """Civica holds Camden's contract and the housing contract Richmond and Wandsworth bought
    together: "Contracts held: 2" (was 3), its records table the 3 records."""
    with joint.read() as r:
        profile = vendor_profile.profile(r, PUBLISHED, "Civica", today=TODAY)
    summary = profile.summary
    assert (summary["held"], summary["own"] + summary["resale"]) == (2, 2)  # were 3
    assert summary["records"] == 3
    assert summary["boroughs"] == 3 and len(profile.contracts) == 3
    # "When its contracts end": the joint housing contract ends once in its year
    assert int(profile.end_years["contracts"].sum()) == 2  # was 3 records


def test_the_pages_say_a_joint_contract_once(joint):
    """What the Calendar and the Vendor profile show: the figures count contracts, the month's
    table lists every council's record."""
    joint.close()  # (the app opens the file itself)
    link = {"source_kind": "published", "calendar_view": "One month"}
    at = run_app(link, page="pages/calendar.py")
    assert metric(at, "Contracts with an end date") == "4"  # was 7
    at = at.selectbox(key="calendar_month").set_value("2027-06").run()
    assert "**3 contracts ending in June 2027**" in [m.value for m in at.markdown]  # was 5
    assert len(at.dataframe[0].value) == 5  # Camden's, and each council's two
    at = run_app({"source_kind": "published", "vendor_profile": "Civica"}, "pages/vendor.py")
    assert metric(at, "Contracts held") == "2"  # was 3
