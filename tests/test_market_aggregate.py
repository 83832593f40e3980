"""The Market page reads the selection once (`market.aggregate`) and works out every panel from
it. Each panel so worked out equals the query that read the whole selection for that panel
alone (tests/market_reference.py), to the row, column, type and rounding: on the demo data and
on a small market with the awkward cases (a vendor not given, records without a value, ties)."""

from __future__ import annotations

import pandas as pd
import pytest

from citydata import lifecycle
from citydata.query import mapdata, market, satisfaction, selection
from citydata.query.filters import FilterState
from tests import market_data
from tests import market_reference as direct
from tests.apptest import run_app

CAMDEN, HACKNEY, ISLINGTON = market_data.CAMDEN, market_data.HACKNEY, market_data.ISLINGTON

EDGE_ROWS = market_data.EDGE_ROWS

STATES = {
    "all": FilterState(),
    "one borough": FilterState(borough=("Hackney",)),
    "no values at all": FilterState(vendor=("Zellis",)),
    "one service area": FilterState(service_area=("Parking",)),
    "nothing": FilterState(q="nothing like this"),
}


def panels_agree(r, state: FilterState, role: str) -> None:
    """Every panel equals its own query over the whole selection, worked out from one
    aggregate frame (as the Market page does) or in one statement in the database (as the
    Coming to market page reads concentration). Each reference query is run once and both
    ways of working a panel out are compared with it."""
    tops = (1, 2, 3, 10)
    thresholds = [(by, t) for by in ("records", "annual_value") for t in (500, 2000, 2500)]
    want_headline = {n: direct.headline(r, state, n, role) for n in tops}
    want_ranking = {
        (by, n): direct.vendor_ranking(r, state, by, n, role)
        for by in market.MEASURES
        for n in tops
    }
    want_areas = {n: direct.area_shares(r, state, n, role) for n in tops}
    want_concentration = {
        (by, t): direct.concentration(r, state, t, by, role) for by, t in thresholds
    }
    want_summary = direct.summary(r, state)
    want_by_borough, want_by_vendor = direct.by_borough(r, state), direct.by_vendor(r, state)
    for agg in (market.aggregate(r, state, role), (r, state, role)):
        for top_n in tops:
            assert market.headline_from(agg, top_n) == want_headline[top_n]
            for by in market.MEASURES:
                pd.testing.assert_frame_equal(
                    market.ranking_from(agg, by, top_n), want_ranking[by, top_n]
                )
            pd.testing.assert_frame_equal(market.area_shares_from(agg, top_n), want_areas[top_n])
        for by, threshold in thresholds:
            pd.testing.assert_frame_equal(
                market.concentration_from(agg, threshold, by), want_concentration[by, threshold]
            )
        assert satisfaction.summary_from(agg) == want_summary
        pd.testing.assert_frame_equal(satisfaction.by_borough_from(agg), want_by_borough)
        pd.testing.assert_frame_equal(satisfaction.by_vendor_from(agg), want_by_vendor)


@pytest.mark.parametrize("role", sorted(market.ROLES))
@pytest.mark.parametrize("state", STATES.values(), ids=STATES.keys())
def test_every_panel_from_the_aggregate_equals_its_own_query_on_the_demo_data(
    built_db, state, role
):
    db = lifecycle.open_store(built_db)
    try:
        with db.read() as r:
            panels_agree(r, state, role)
    finally:
        db.close()


@pytest.fixture(scope="module")
def edge(tmp_path_factory):
    """The awkward market, built once for the module (about 0.35 CPU s): its tests only read."""
    db = market_data.build(tmp_path_factory.mktemp("edge"), EDGE_ROWS)
    with db.read() as r:
        yield r
    db.close()


@pytest.mark.parametrize("role", sorted(market.ROLES))
@pytest.mark.parametrize("state", STATES.values(), ids=STATES.keys())
def test_every_panel_from_the_aggregate_equals_its_own_query_on_awkward_data(edge, state, role):
    panels_agree(edge, state, role)


def test_the_awkward_cases_are_really_there(edge):
    ranking = market.ranking_from(market.aggregate(edge, FilterState()), "annual_value", 50)
    values = dict(zip(ranking.vendor, ranking.annual_value, strict=True))
    # no vendor: no rank, one row after the ranked vendors, its records and value kept
    assert values[market.NOT_GIVEN] == 12_345.67
    assert ranking.vendor.tolist()[-1] == market.NOT_GIVEN and pd.isna(ranking["rank"].iloc[-1])
    assert pd.isna(values["Zellis"]) and pd.isna(values["Arcus"])  # no value: ranked last
    assert ranking.vendor.tolist()[-3:-1] == ["Zellis", "Arcus"]  # 2 records before 1
    assert values["Tie One"] == values["Tie Two"] == 33_333.33
    assert ranking.vendor.tolist().index("Tie One") < ranking.vendor.tolist().index("Tie Two")
    # Money is exact: £0.01 eight times is £0.08, not a float's near miss
    assert values["Halfway Ltd"] == 0.08
    assert (
        market.headline_from(market.aggregate(edge, FilterState(vendor=("Zellis",))))["value_share"]
        is None
    )
    per_vendor = satisfaction.by_vendor_from(market.aggregate(edge, FilterState())).set_index(
        "vendor"
    )
    assert per_vendor.loc["Halfway Ltd", "average"] == 2.13  # 2.125 rounds half away from 0
    # the records with no vendor are not a supplier of their borough
    suppliers = satisfaction.by_borough_from(market.aggregate(edge, FilterState())).set_index(
        "borough"
    )["suppliers"]
    assert suppliers.to_dict() == {"Camden": 5, "Hackney": 5, "Islington": 6}


def test_records_naming_no_vendor_are_no_vendor_and_still_count_in_the_shares(edge):
    """Records with no vendor were ranked and counted as one vendor, "(vendor not given)": the
    Market said 18 vendors where the Overview said 17 and could rank it first, and its
    concentration took them for one supplier. They are now no vendor, and still records."""
    agg = market.aggregate(edge, FilterState())
    vendors, records = edge.rows("SELECT count(DISTINCT vendor), count(*) FROM current_contracts")[
        0
    ]
    head = market.headline_from(agg, 3)
    assert head["vendors"] == vendors and head["records"] == records
    ranking = market.ranking_from(agg, "records", 50)
    ranked = ranking[ranking["rank"].notna()]
    assert len(ranked) == vendors and market.NOT_GIVEN not in set(ranked.vendor)
    assert ranking.records.sum() == records and ranking.records_share.sum() == pytest.approx(
        100, abs=0.3
    )
    areas = market.area_shares_from(agg, 50).set_index(["service_area", "vendor"])
    unnamed = areas.loc[("Education", market.NOT_GIVEN)]
    assert pd.isna(unnamed["rank"]) and unnamed["records"] == 1
    conc = market.concentration_from(agg).set_index("service_area")
    named = edge.rows(
        "SELECT count(DISTINCT vendor), count(*) FROM current_contracts"
        " WHERE service_area = 'Parking'"
    )[0]
    assert conc.loc["Parking", "vendors"] == named[0] and conc.loc["Parking", "records"] == named[1]
    assert (conc["top_vendor"] != market.NOT_GIVEN).all()


def test_the_map_and_the_overview_name_the_largest_vendors_among_those_named(tmp_path):
    """Records naming no vendor took one of a borough's three places on the Map (which then
    named two) and counted as one of the Overview's ten largest vendors."""
    rows = [
        (CAMDEN, "Parking", f"Permit {i}", vendor, "", "2028-01-31", "", "")
        for i, vendor in enumerate(["", "", "", "Alpha", "Alpha", "Beta", "Gamma"])
    ]
    db = market_data.build(tmp_path, rows)
    try:
        with db.read() as r:
            tops = mapdata.borough_values(r, FilterState()).set_index("borough")["top_vendors"]
            head = selection.headline(r, FilterState())
    finally:
        db.close()
    assert tops["Camden"] == "Alpha (2), Beta (1), Gamma (1)"
    assert head["vendors"] == 3 and head["top10_vendor_share"] == round(100 * 4 / 7, 1)


def test_the_aggregate_is_small_and_keeps_the_selections_totals(built_db):
    db = lifecycle.open_store(built_db)
    try:
        with db.read() as r:
            agg = market.aggregate(r, FilterState())
            records, value = r.rows("SELECT count(*), sum(annual_value) FROM current_contracts")[0]
            scored = r.scalar("SELECT count(satisfaction) FROM current_contracts")
    finally:
        db.close()
    assert len(agg) < records
    assert int(agg.records.sum()) == records and int(agg.scored.sum()) == scored
    assert int(agg.value_pence.sum()) == int(value * 100)  # whole pence: nothing lost


def test_the_page_reads_the_selection_once(db_path, monkeypatch):
    calls = []
    real = market.aggregate

    def counted(r, state, role="supplier"):
        calls.append(role)
        return real(r, state, role)

    counted.__module__, counted.__qualname__ = real.__module__, real.__qualname__
    monkeypatch.setattr(market, "aggregate", counted)
    sources = []
    panel = market.from_aggregate

    def in_memory(source, *args, **kwargs):
        sources.append(type(source))  # a frame; (reader, state, role) would read per panel
        return panel(source, *args, **kwargs)

    monkeypatch.setattr(market, "from_aggregate", in_memory)
    tables = {f"{k}_view": "Table" for k in ("areas", "conc", "sat-borough", "sat-vendor")}
    at = run_app({"market_role": "Maker"} | tables, "pages/market.py")
    assert not at.exception and not at.error
    assert calls == ["maker"]
    assert len(sources) == 7 and set(sources) == {pd.DataFrame}  # 4 market and 3 satisfaction
    assert len(at.dataframe) >= 5  # ranking, areas, concentration, boroughs, vendors
    at.run()  # the same selection again: the panels are not worked out again
    assert calls == ["maker"] and len(sources) == 7
