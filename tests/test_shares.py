"""Shares of a whole shown together add up to exactly 100%: the Market page's ranking (its chart's
labels and its table), the vendor shares of each service area, the split by service type, a
borough's vendors on its profile and in its briefings. Each share was rounded on its own, so
three vendors with one record each showed 33.3% + 33.3% + 33.3% = 99.9% (and other sets
100.1%). One function rounds them all (`formatting.shares`, the largest remainder method)."""

from __future__ import annotations

import io
import math
from datetime import date

import docx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from citydata.core.formatting import share_column, share_of, shares
from citydata.output import briefing, word
from citydata.query import borough_profile, market, selection
from citydata.query.filters import FilterState
from tests import market_data
from tests.apptest import run_app
from ui.charts import market as charts

CAMDEN = market_data.CAMDEN
# Three vendors with one record (and £100 a year) each in one borough and one service area.
THIRDS = [
    (CAMDEN, "Housing", "Alpha Housing", "Alpha", "", "2028-03-31", "100", ""),
    (CAMDEN, "Housing", "Beta Housing", "Beta", "", "2028-03-31", "100", ""),
    (CAMDEN, "Housing", "Gamma Housing", "Gamma", "", "2028-03-31", "100", ""),
]
THIRDS_SHOWN = [33.4, 33.3, 33.3]


def tenths(values) -> int:
    """What the shown shares add up to, in tenths of a percent (exact, unlike a float sum)."""
    return sum(round(v * 10) for v in values)


def test_three_equal_parts_show_as_a_whole_not_99_9():
    assert shares([1, 1, 1]) == THIRDS_SHOWN
    assert shares([1] * 7) == [14.3] * 6 + [14.2]
    assert shares([2, 1]) == [66.7, 33.3]


def test_a_missing_part_has_no_share_and_nothing_has_none():
    assert shares([3, None, 1, 0]) == [75.0, None, 25.0, 0.0]
    assert shares([None, None]) == [None, None] and shares([0, 0]) == [None, None]
    assert shares([]) == []


@given(st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=40))
def test_shares_add_up_to_100_and_each_is_within_a_tenth_of_the_truth(parts):
    shown = shares(parts)
    if sum(parts) == 0:
        assert shown == [None] * len(parts)
        return
    assert tenths(shown) == 1000
    for part, share in zip(parts, shown, strict=True):
        assert abs(share - 100 * part / sum(parts)) < 0.1 + 1e-9
        assert math.isclose(share * 10, round(share * 10))  # one decimal
    larger = [i for i in range(len(parts)) for j in range(len(parts)) if parts[i] > parts[j]]
    for i in larger:  # a larger part never shows a smaller share
        assert all(shown[i] >= shown[j] for j in range(len(parts)) if parts[i] > parts[j])


def test_within_groups_each_adds_up():
    import pandas as pd

    found = share_column(pd.Series([1, 1, 1, 5, 0]), pd.Series(["a", "a", "a", "b", "b"]))
    assert found.tolist() == [*THIRDS_SHOWN, 100.0, 0.0]


@pytest.fixture(scope="module")
def thirds(tmp_path_factory):
    db = market_data.build(tmp_path_factory.mktemp("thirds"), THIRDS)
    yield db
    db.close()


def test_the_market_ranking_its_labels_and_the_area_shares_add_up(thirds):
    with thirds.read() as r:
        agg = market.aggregate(r, FilterState())
    ranking = market.ranking_from(agg, "records", 10)
    assert ranking.records_share.tolist() == THIRDS_SHOWN
    assert ranking.value_share.tolist() == THIRDS_SHOWN
    labels = charts.ranking_chart(ranking, "records").frame["label"].tolist()
    assert labels == ["1 (33.4%)", "1 (33.3%)", "1 (33.3%)"]
    by_value = charts.ranking_chart(market.ranking_from(agg, "annual_value", 10), "annual_value")
    assert [label.split(" ")[1] for label in by_value.frame["label"]] == [
        "(33.4%)",
        "(33.3%)",
        "(33.3%)",
    ]
    areas = market.area_shares_from(agg, 3)
    assert areas.share.tolist() == THIRDS_SHOWN


def test_concentration_gives_the_largest_vendors_the_shares_their_bar_shows(thirds, db):
    """The concentration table rounded the largest vendor's share on its own: 33.3% for
    Alpha, which the service area's bar beside it shows with 33.4% (and a top three of 77.1%
    over three segments adding up to 77.2%). Where every record names a vendor the two are
    the same shares, and now the same figures."""
    with thirds.read() as r:
        conc = market.concentration_from(market.aggregate(r, FilterState()))
    assert conc[["top_vendor", "top1_share", "top3_share"]].values.tolist() == [
        ["Alpha", 33.4, 100.0]
    ]
    with db.read() as r:
        agg = market.aggregate(r, FilterState())
    bars, compared = market.area_shares_from(agg, 3), 0
    for row in market.concentration_from(agg).itertuples():
        area = bars[bars["service_area"] == row.service_area]
        if (area["vendor"] == market.NOT_GIVEN).any():
            continue  # (its shares are of every record, the concentration's of those named)
        top = area[area["rank"].notna()]
        assert row.top1_share == top["share"].iloc[0], row.service_area
        true = 100 * top["records"].sum() / area["records"].sum()
        assert abs(row.top3_share - true) <= 0.05 + 1e-9, row.service_area
        compared += 1
    assert compared > 10


def test_the_top_threes_share_is_their_true_share_not_their_rounded_shares_added_up(tmp_path):
    """Concentration per service area: three vendors with 2 records each, beside three with
    1, hold 6 of 9 records, 66.7%. The top three's share was their rounded shares added up
    (22.2% each, as the bar shows them: 66.6%), which for other markets can be a few tenths
    off; it is now the true share rounded once, as "N vendors hold X%" is. The largest
    vendor's share stays the bar's."""
    vendors = ["Alpha", "Alpha", "Beta", "Beta", "Gamma", "Gamma", "Delta", "Epsilon", "Zeta"]
    rows = [
        (CAMDEN, "Parking", f"Permit {i}", vendor, "", "2028-01-31", "100", "")
        for i, vendor in enumerate(vendors)
    ]
    small = market_data.build(tmp_path, rows)
    try:
        with small.read() as r:
            agg = market.aggregate(r, FilterState())
    finally:
        small.close()
    bar = market.area_shares_from(agg, 3)
    assert bar["share"].tolist() == [22.2, 22.2, 22.2, 33.4]
    for by in ("records", "annual_value"):
        conc = market.concentration_from(agg, by=by)
        assert conc[["top1_share", "top3_share"]].values.tolist() == [[22.2, 66.7]], by
    assert share_of(6, 9) == 66.7 and share_of(1, 16) == 6.3 and share_of(1, 0) is None


def test_the_headline_share_is_the_true_share_to_a_tenth_beside_rows_that_add_up_to_100(
    tmp_path, db
):
    """ "N vendors hold X%" (the Market's headline and figures, the Overview's "Share held by
    the 10 largest vendors") is the share those vendors hold, rounded to a tenth: 4 of 7 records
    is 57.1%. The ranking's rows are rounded so that all of them add up to 100 (28.6%, 14.3%,
    14.3% and 42.8% for the rest), so its top rows may add up to a little more or less; adding
    them up instead said 57.2%, and for ten vendors could be several tenths from the truth."""
    rows = [
        (CAMDEN, "Parking", f"Permit {i}", vendor, "", "2028-01-31", "100", "")
        for i, vendor in enumerate(["", "", "", "Alpha", "Alpha", "Beta", "Gamma"])
    ]
    small = market_data.build(tmp_path, rows)
    try:
        with small.read() as r:
            agg = market.aggregate(r, FilterState())
            overview = selection.headline(r, FilterState())["top10_vendor_share"]
    finally:
        small.close()
    ranking = market.ranking_from(agg, "records", 10)
    assert ranking["records_share"].tolist() == [28.6, 14.3, 14.3, 42.8]
    head = market.headline_from(agg, 10)
    assert head["share"] == head["value_share"] == overview == 57.1
    states = [
        FilterState(),
        FilterState(borough=("Camden", "Hackney")),
        FilterState(service_area=("Parking", "Housing")),
        FilterState(borough=("Barnet",)),
    ]
    with db.read() as r:
        for state in states:
            records = selection.records(r, state)
            for n in (1, 3, 5, 10):
                head = market.headline_from(market.aggregate(r, state), n)
                counts = records["vendor"].value_counts()  # (most first; ties by name)
                counts = counts.sort_index().sort_values(ascending=False, kind="stable")
                true = 100 * counts.iloc[:n].sum() / len(records)
                assert abs(head["share"] - true) <= 0.05 + 1e-9, (state, n, head["share"], true)
            overview = selection.headline(r, state)["top10_vendor_share"]
            assert overview == market.headline_from(market.aggregate(r, state), 10)["share"]


def test_a_boroughs_vendors_add_up_on_its_profile_and_in_its_briefings(thirds):
    with thirds.read() as r:
        p = borough_profile.build(r, FilterState(), "Camden", date(2026, 10, 1))
    assert p.vendors["share"].tolist() == THIRDS_SHOWN
    text = briefing.text(p)
    assert "Alpha: 1 (33.4%)" in text and "Beta: 1 (33.3%)" in text and "Gamma: 1 (33.3%)" in text
    cells = [c.text for t in docx.Document(io.BytesIO(word.borough(p))).tables for c in t._cells]
    assert [c for c in cells if c.endswith("%")] == ["33.4%", "33.3%", "33.3%"]


def test_the_service_type_split_adds_up(db):
    with db.read() as r:
        split = selection.service_type_split(r, FilterState())
    assert tenths(split.records_share) == 1000


def test_the_market_page_shows_shares_that_add_up(tmp_path, monkeypatch):
    db = market_data.build(tmp_path, THIRDS)
    db.close()  # the app opens the file itself
    monkeypatch.setenv("CITYTOOLS_DB", str(db.path))
    at = run_app(page="pages/market.py")
    ranking = next(d.value for d in at.dataframe if "Share of records (%)" in d.value.columns)
    assert tenths(ranking["Share of records (%)"]) == 1000
    assert ranking["Share of records (%)"].tolist() == THIRDS_SHOWN
