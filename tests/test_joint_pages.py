"""A jointly bought notice on the pages that list records: who else bought it, and its money
counted once.

Richmond and Wandsworth bought a revenues and benefits system together (tests/test_joint_notices
.py's AWARD: £900,000 for three years, £150,000 a year on each council's record). The Overview
and the Borough profile said "Bought jointly with"; the Reconciliation, Collaboration, Renewal
pipeline and Vendor profile pages listed the same records with a £150,000 a year and no word
of why, nor of the other council. They now say it, in their tables and downloads, and their
sums of value count the contract's £300,000 a year once (each record's annual value is its
council's equal share; no page sums the whole contract value). Every database here is a real
DuckDB file.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

import docx
import pytest

from citydata import ingest
from citydata.feeds import fetch
from citydata.output import exports, group_briefing, word
from citydata.query import (
    collaboration,
    market,
    opportunities,
    pipeline,
    reconciliation,
    vendor_profile,
)
from citydata.query.filters import FilterState
from citydata.store import snapshots
from tests.apptest import run_app
from tests.test_column_labels_app import files
from tests.test_joint_notices import AWARD, page
from tests.test_original_download import downloads  # noqa: F401 - a fixture

TODAY = date(2026, 12, 1)
PUBLISHED = FilterState(source_kind=("published",))
VENDOR = "NEC Software Solutions"
WHO = {"Richmond upon Thames": "Wandsworth", "Wandsworth": "Richmond upon Thames"}
SAID = "Bought jointly with"


@pytest.fixture
def joint(db):
    """The joint notice, held by Richmond and Wandsworth; Wandsworth's register has it too."""
    register = (
        b"Service area,System,Vendor,Contract start,Contract end\n"
        b"Revenues and Benefits,Revenues and benefits system,NEC Software Solutions UK Ltd,"
        b"01/04/2025,31/03/2028\n"
    )
    p = ingest.prepare(register, "wandsworth.csv", borough="Wandsworth")
    snapshots.commit(db, p, register, "Ann")
    run = fetch.import_file(db, page(AWARD), "joint.json", "Ann")
    assert run.status == "done", run.message
    return db


def said(df) -> dict[str, str]:
    return dict(zip(df["borough"], df["bought_with"], strict=True))


def header(data: bytes) -> list[str]:
    return next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_renewal_pipeline_lists_who_else_bought_each_contract(joint):
    lead = pipeline.LeadTimes()  # 18 months: the decision on a contract ending Mar 2028 is late
    with joint.read() as r:
        due = pipeline.decisions_overdue(r, PUBLISHED, lead, TODAY)
        ending = pipeline.upcoming(r, PUBLISHED, lead, 24, TODAY)
        rows = exports.rows_csv(
            r,
            exports.Rows(*pipeline.upcoming_sql(PUBLISHED, lead, 24, TODAY), names=pipeline.LABELS),
        )
    assert said(due) == said(ending) == WHO
    assert due["annual_value"].sum() == Decimal("300000.00")  # the contract's year, once
    assert SAID in header(rows)


def test_the_collaboration_group_lists_who_else_bought_it_and_counts_its_value_once(joint):
    query = collaboration.Query("system", 6, False)
    with joint.read() as r:
        [group] = collaboration.groups(r, PUBLISHED, query, TODAY).to_dict("records")
        members = collaboration.group_members(
            r, PUBLISHED, query, group["key"], group["first_end"], group["last_end"]
        )
        every = exports.rows_csv(
            r, exports.Rows(*collaboration.members_sql(PUBLISHED, query, TODAY))
        )
    assert said(members) == WHO
    # £150,000 a year on each council's record: the group's combined value is the contract's
    assert group["combined_annual_value"] == 300000
    assert SAID in header(every)
    briefing = exports.with_labels(group_briefing.briefing_frame(members))
    assert dict(zip(briefing["Borough"], briefing[SAID], strict=True)) == WHO
    # the Markdown and Word briefings: a column naming the other council, as a borough's does
    note = group_briefing.briefing_markdown(group, members, query, TODAY)
    assert f"| Contract end | Annual value (£) | {SAID} |" in note
    assert "| 150,000 | Wandsworth |" in note
    table = docx.Document(
        io.BytesIO(word.collaboration(group_briefing.briefing(group, members, query, TODAY)))
    ).tables[-1]
    assert [c.text for c in table.rows[0].cells][-1] == SAID
    assert table.rows[1].cells[-1].text == "Wandsworth"


def test_the_vendor_profile_lists_who_else_bought_it_and_counts_its_value_once(joint):
    with joint.read() as r:
        profile = vendor_profile.profile(r, PUBLISHED, VENDOR, today=TODAY)
    assert said(profile.contracts) == WHO
    assert profile.summary["annual_value"] == 300000.0
    assert profile.boroughs["annual_value"].sum() == 300000.0
    assert profile.end_years["annual_value"].sum() == 300000.0


def test_the_reconciliation_says_who_else_bought_a_notice_matched_or_not(joint):
    with joint.read() as r:
        richmond = reconciliation.reconcile(r, FilterState(), "Richmond upon Thames")
        wandsworth = reconciliation.reconcile(r, FilterState(), "Wandsworth")
    assert richmond.published_only["bought_with"].tolist() == ["Wandsworth"]
    assert wandsworth.matched["bought_with"].tolist() == ["Richmond upon Thames"]
    download = exports.with_labels(richmond.labelled())
    published = download["Outcome"] == reconciliation.OUTCOMES["published_only"]
    assert download[published][SAID].tolist() == ["Wandsworth"]
    assert download[~published][SAID].isna().all()  # a register's records name no other


def test_the_market_and_coming_to_market_count_the_joint_contract_once(joint):
    with joint.read() as r:
        ranking = market.ranking_from(market.aggregate(r, PUBLISHED), by="annual_value")
        markets = opportunities.markets(r, PUBLISHED, pipeline.LeadTimes(), 3, TODAY)
    assert ranking["annual_value"].sum() == 300000
    assert markets["value_ending"].sum() == 300000


def test_the_pages_show_bought_jointly_with_under_its_label_and_note(joint, downloads):  # noqa: F811
    joint.close()  # (the app opens the file itself)
    note = exports.NOTES["bought_with"]

    def column(at, name="bought_with"):
        for frame in at.dataframe:  # (the first table listing some)
            config = json.loads(frame.proto.columns or "{}")
            if name in frame.value.columns and frame.value[name].notna().any():
                return frame.value[name].dropna().tolist(), config.get(name, {})
        raise AssertionError(f"no table lists {name}")

    at = run_app(
        {"source_kind": "published", "pipeline_list": "Decision overdue"}, "pages/pipeline.py"
    )
    values, config = column(at)
    assert sorted(values) == sorted(WHO.values())
    assert (config.get("label"), config.get("help")) == (SAID, note)
    at = run_app({"reconcile": "Richmond upon Thames"}, "pages/reconcile.py")
    values, config = column(at)
    assert values == ["Wandsworth"] and (config.get("label"), config.get("help")) == (SAID, note)
    [(_, _, data)] = [d for d in downloads if "reconciliation" in d[1]]
    assert SAID in header(data() if callable(data) else data)
    at = run_app({"source_kind": "published", "group_by": "system"}, "pages/collaborate.py")
    values, config = column(at)  # the group's contracts, under "Briefing on one group"
    assert sorted(values) == sorted(WHO.values())
    assert (config.get("label"), config.get("help")) == (SAID, note)
    assert SAID in header(files(downloads, "collaboration-group-1")["csv"])
    at = run_app({"source_kind": "published", "vendor_profile": VENDOR}, "pages/vendor.py")
    values, config = column(at, SAID)
    assert sorted(values) == sorted(WHO.values()) and config.get("help") == note
    assert SAID in header(files(downloads, "vendor-records")["csv"])
