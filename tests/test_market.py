"""Shares, top N plus others, HHI, concentration, satisfaction, adoption and vendor profiles,
against figures worked out by hand for the small market in tests/market_data.py."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from citydata.core.formatting import money
from citydata.query import adoption, market, satisfaction, selection, vendor_profile
from citydata.query.filters import FilterState
from citydata.store import vendors
from tests import market_data
from tests.calendar_data import build_db, row
from ui.charts import market as charts

ALL = FilterState()


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The hand-made market, built once for the module (about 0.35 CPU s): its tests only read."""
    db = market_data.build(tmp_path_factory.mktemp("market"))
    with db.read() as r:
        yield r
    db.close()


@pytest.fixture
def agg(small):
    """The whole selection read once, as the Market page reads it: every panel is worked out
    from this frame (`market.*_from`, `satisfaction.*_from`)."""
    return market.aggregate(small, ALL)


def as_rows(df, columns):
    return [tuple(row) for row in df[columns].itertuples(index=False)]


def test_ranking_by_records_keeps_the_top_two_and_groups_the_rest(agg):
    ranking = market.ranking_from(agg, "records", 2)
    assert as_rows(ranking, ["vendor", "vendors", "records", "records_share"]) == [
        ("Civica", 1, 7, 38.9),  # 7 / 18
        ("Capita", 1, 6, 33.3),  # every spelling of Capita grouped: 6 / 18
        ("Others (4 vendors)", 4, 5, 27.8),  # Idox 2, Agilisys, Bytes, Zellis
    ]
    assert ranking["rank"].isna().tolist() == [False, False, True]
    # Idox, Zellis (Camden), Bytes (Hackney), Idox, Agilisys (Islington): all three boroughs
    assert ranking["boroughs"].tolist() == [3, 3, 3]
    assert ranking["records"].sum() == 18


def test_ranking_by_value_and_by_boroughs(agg):
    by_value = market.ranking_from(agg, "annual_value", 2)
    assert as_rows(by_value, ["vendor", "annual_value", "value_share"]) == [
        ("Capita", 410_000.0, 50.0),  # of £820,000
        ("Civica", 310_000.0, 37.8),
        ("Others (4 vendors)", 100_000.0, 12.2),  # Zellis has no value: counts for nothing
    ]
    by_reach = market.ranking_from(agg, "boroughs", 3)
    # Civica and Capita both serve 3 boroughs; Civica has more records, so comes first.
    # Shares are of all 33 London authorities, not of the 3 that have records here.
    assert as_rows(by_reach, ["vendor", "boroughs", "boroughs_share"]) == [
        ("Civica", 3, 9.1),
        ("Capita", 3, 9.1),
        ("Idox", 2, 6.1),
        ("Others (3 vendors)", 3, 9.1),
    ]
    head = market.headline_from(agg, 3)
    assert market.headline_sentence(head, by_reach, "boroughs") == (
        "2 vendors lead by authorities served, each 3 of 33 (9.1%)"
    )
    assert market.headline_sentence(head, by_value, "annual_value") == (
        f"3 vendors hold {head['value_share']:.1f}% of annual value"
    )
    one = market.ranking_from(agg, "boroughs", 1)
    assert market.headline_sentence(head, one, "boroughs") == (
        "Civica leads by authorities served: 3 of 33 (9.1%)"
    )


def test_one_vendor_is_counted_in_the_singular(agg):
    # six vendors, the top five named: the rest is one vendor
    ranking = market.ranking_from(agg, "records", 5)
    assert ranking["vendor"].iloc[-1] == "Others (1 vendor)"
    head = {"top_n": 1, "share": 100.0, "value_share": 100.0}
    assert market.headline_sentence(head, ranking, "records") == (
        "1 vendor holds 100.0% of records"
    )
    assert market.headline_sentence(head, ranking, "annual_value") == (
        "1 vendor holds 100.0% of annual value"
    )


def test_no_others_row_when_every_vendor_fits(agg):
    ranking = market.ranking_from(agg, "records", 10)
    assert len(ranking) == 6 and ranking["rank"].tolist() == [1, 2, 3, 4, 5, 6]
    # ties (one record each) are broken by name
    assert ranking["vendor"].tolist()[3:] == ["Agilisys", "Bytes Software Services", "Zellis"]


def test_counting_by_maker_credits_the_manufacturer_not_the_reseller(small):
    makers = market.ranking_from(market.aggregate(small, ALL, "maker"), "records", 10)
    assert "Bytes Software Services" not in makers["vendor"].tolist()
    assert makers.set_index("vendor").loc["Microsoft", "records"] == 1
    assert makers.set_index("vendor").loc["Capita", "records"] == 6  # "Capita plc" grouped


def test_headline_share_and_how_few_vendors_hold_half(agg):
    head = market.headline_from(agg, 2)
    assert head["records"] == 18 and head["vendors"] == 6 and head["top_n"] == 2
    assert head["top_records"] == 13 and head["share"] == 72.2
    assert head["half_vendors"] == 2  # 7 is not more than half of 18; 7 + 6 is
    assert head["value_share"] == 87.8  # (410k + 310k) / 820k
    assert market.headline_from(agg, 50)["top_n"] == 6


def test_shares_by_service_area_with_others(agg):
    areas = market.area_shares_from(agg, 2)
    housing = areas[areas.service_area == "Housing"]
    assert as_rows(housing, ["vendor", "records", "share"]) == [
        ("Capita", 5, 50.0),
        ("Civica", 3, 30.0),
        ("Others (1 vendor)", 2, 20.0),
    ]
    education = areas[areas.service_area == "Education"]
    assert as_rows(education, ["vendor", "share"]) == [("Civica", 100.0)]


def test_hhi_top_shares_and_the_threshold(agg):
    conc = market.concentration_from(agg, threshold=2500).set_index("service_area")
    assert conc.loc["Housing", "hhi"] == 3800  # 50² + 30² + 20²
    assert conc.loc["Parking", "hhi"] == 2500  # 4 x 25²
    assert conc.loc["Education", "hhi"] == 10_000  # one vendor
    assert conc.loc["Housing", "top1_share"] == 50.0 and conc.loc["Housing", "top3_share"] == 100.0
    assert conc.loc["Parking", "top1_share"] == 25.0 and conc.loc["Parking", "top3_share"] == 75.0
    assert conc.loc["Parking", "vendors"] == 4 and conc.loc["Housing", "top_vendor"] == "Capita"
    # "above" the threshold is strictly above: Parking sits exactly on it
    assert conc["above_threshold"].to_dict() == {
        "Education": True,
        "Housing": True,
        "Parking": False,
    }
    assert list(conc.index) == ["Education", "Housing", "Parking"]  # most concentrated first
    lower = market.concentration_from(agg, threshold=2499)
    assert lower["above_threshold"].all()


def test_hhi_by_value(agg):
    conc = market.concentration_from(agg, by="annual_value").set_index("service_area")
    # Housing: 400k, 150k, 50k of 600k -> 66.67² + 25² + 8.33² = 5138.9
    assert conc.loc["Housing", "hhi"] == 5139
    assert conc.loc["Housing", "top1_share"] == 66.7


def test_filters_apply_to_every_breakdown(small):
    hackney = FilterState(borough=("Hackney",))
    assert market.headline_from(market.aggregate(small, hackney), 10)["records"] == 5
    ranking = market.ranking_from(market.aggregate(small, hackney), "records", 10)
    assert dict(zip(ranking.vendor, ranking.records, strict=True)) == {
        "Capita": 2,
        "Civica": 2,
        "Bytes Software Services": 1,
    }
    empty = FilterState(q="nothing like this")
    assert market.ranking_from(market.aggregate(small, empty)).empty
    assert market.concentration_from(market.aggregate(small, empty)).empty
    assert market.headline_from(market.aggregate(small, empty))["share"] is None


def test_unknown_measures_and_roles_are_refused(small, agg):
    with pytest.raises(ValueError):
        market.ranking_from(agg, "records; DROP TABLE contracts")
    with pytest.raises(ValueError):
        market.aggregate(small, ALL, "anyone")
    with pytest.raises(ValueError):
        market.concentration_from(agg, by="boroughs")


def test_satisfaction_per_vendor_per_borough_and_the_correlation(small, agg):
    per_borough = satisfaction.by_borough_from(agg).set_index("borough")
    assert per_borough["suppliers"].to_dict() == {"Camden": 4, "Hackney": 3, "Islington": 4}
    assert per_borough["scored"].to_dict() == {"Camden": 2, "Hackney": 1, "Islington": 2}
    assert per_borough["average"].to_dict() == {"Camden": 2.0, "Hackney": 4.0, "Islington": 3.0}
    per_vendor = satisfaction.by_vendor_from(agg).set_index("vendor")
    assert per_vendor.loc["Capita", "average"] == 3.0 and per_vendor.loc["Capita", "scored"] == 2
    assert per_vendor.loc["Civica", "average"] == 2.5
    assert "Idox" not in per_vendor.index  # no scores
    summary = satisfaction.summary_from(agg)
    # x = (4, 3, 4), y = (2, 4, 3): r = -1 / sqrt(2/3 * 2) = -0.866
    assert summary == {
        "records": 18,
        "scored": 5,
        "average": 2.8,
        "boroughs_scored": 3,
        "correlation": -0.87,
    }
    two = satisfaction.summary_from(
        market.aggregate(small, FilterState(borough=("Camden", "Hackney")))
    )
    assert two["correlation"] is None and two["boroughs_scored"] == 2
    assert "lower satisfaction" in satisfaction.correlation_words(-0.87)
    assert satisfaction.correlation_words(None) == "too few boroughs with scores to say"


def test_no_correlation_for_boroughs_alike_is_said_as_such_not_as_too_few(tmp_path):
    """Three boroughs with scores are enough for an r; when each has one supplier (one service
    area picked, say) there is none to work out, and the page said "too few boroughs"."""
    c, h, i = market_data.CAMDEN, market_data.HACKNEY, market_data.ISLINGTON
    rows = [
        (c, "Parking", "Permits A", "Capita", "", "2028-01-31", "10", "2"),
        (h, "Parking", "Permits B", "Civica", "", "2028-01-31", "10", "4"),
        (i, "Parking", "Permits C", "Idox", "", "2028-01-31", "10", "3"),
        (i, "Housing", "Open Housing", "Capita", "", "2028-01-31", "10", "3"),
        (c, "Housing", "Civica CX", "Civica", "", "2028-01-31", "10", "3"),
        (h, "Housing", "Civica CX", "Civica", "", "2028-01-31", "10", "3"),
    ]
    parking, housing = market_data.aggregates(
        tmp_path,
        rows,
        FilterState(service_area=("Parking",)),
        FilterState(service_area=("Housing",)),
    )
    for agg in (parking, housing):
        summary = satisfaction.summary_from(agg)
        assert summary["boroughs_scored"] == 3 and summary["correlation"] is None
    said = satisfaction.correlation_words(None, satisfaction.by_borough_from(parking))
    assert said == "no link to measure: each has 1 supplier"
    said = satisfaction.correlation_words(None, satisfaction.by_borough_from(housing))
    assert said == "no link to measure: each has 1 supplier"
    two = satisfaction.by_borough_from(parking).iloc[:2]  # two boroughs: too few, as before
    assert satisfaction.correlation_words(None, two) == "too few boroughs with scores to say"


def test_no_correlation_for_one_average_score_says_so():
    per = pd.DataFrame(
        {"borough": ["A", "B", "C"], "suppliers": [1, 2, 3], "records": [1, 2, 3],
         "scored": [1, 1, 2], "average": [3.0, 3.0, 3.0]}
    )  # fmt: skip
    said = satisfaction.correlation_words(None, per)
    assert said == "no link to measure: each averages 3.00"


def test_shares_written_on_the_charts_round_a_half_up_as_the_tables_show_them(tmp_path):
    """Capita holds 5 of Housing's 8 records: 62.5% in the tables, and the bar and the
    concentration chart wrote "62%" (a half sent to the even number); Civica's 37.5% "38%"."""
    c = market_data.CAMDEN
    rows = [
        *[(c, "Housing", f"Capita {i}", "Capita", "", "2028-01-31", "10", "") for i in range(5)],
        *[(c, "Housing", f"Civica {i}", "Civica", "", "2028-01-31", "10", "") for i in range(3)],
    ]
    (agg,) = market_data.aggregates(tmp_path, rows, ALL)
    areas = market.area_shares_from(agg)
    assert areas["share"].tolist() == [62.5, 37.5]
    labels = charts.area_share_chart(areas).frame["label"].tolist()
    assert labels == ["Capita 63%", "Civica 38%"]
    conc = charts.concentration_chart(market.concentration_from(agg), 2000).frame
    assert conc["label"].tolist() == ["5,313 · Capita 63% · above"]


def test_no_largest_vendor_by_value_where_no_value_is_recorded(tmp_path):
    """Ranked by value, a service area whose records give no annual value (or only £0) named
    its alphabetically first vendor as the "Largest vendor", with no share beside it."""
    c, h = market_data.CAMDEN, market_data.HACKNEY
    rows = [
        (c, "Parking", "P1", "Zeta", "", "2028-01-01", "", ""),
        (h, "Parking", "P2", "Alpha", "", "2028-01-01", "", ""),
        (h, "Parking", "P3", "Zeta", "", "2028-01-01", "", ""),
        (c, "Housing", "H1", "Zeta", "", "2028-01-01", "0", ""),
        (h, "Housing", "H2", "Alpha", "", "2028-01-01", "0", ""),
        (c, "Education", "E1", "Zeta", "", "2028-01-01", "10", ""),
        (h, "Education", "E2", "Alpha", "", "2028-01-01", "30", ""),
    ]
    (agg,) = market_data.aggregates(tmp_path, rows, ALL)
    shown = charts.labelled(market.concentration_from(agg, by="annual_value"))
    shown = shown.set_index("Service area")
    assert shown.loc["Education", "Largest vendor"] == "Alpha"  # £30 of £40
    assert shown.loc["Education", "Largest vendor's share (%)"] == 75.0
    for area in ("Parking", "Housing"):
        assert pd.isna(shown.loc[area, "Largest vendor"]), area
        assert pd.isna(shown.loc[area, "Largest vendor's share (%)"]), area
    by_records = market.concentration_from(agg).set_index("service_area")
    assert by_records.loc["Parking", "top_vendor"] == "Zeta"  # 2 of 3 records


def test_supplier_and_manufacturer_are_kept_apart(small):
    bytes_ = vendor_profile.summary(small, ALL, "Bytes Software Services", date(2026, 1, 1))
    assert (bytes_["held"], bytes_["own"], bytes_["resale"], bytes_["made"]) == (1, 0, 1, 0)
    microsoft = vendor_profile.summary(small, ALL, "Microsoft")
    assert (microsoft["held"], microsoft["made"], microsoft["made_boroughs"]) == (0, 1, 1)
    capita = vendor_profile.summary(small, ALL, "Capita", date(2027, 4, 1))
    # "Capita plc" as manufacturer is Capita itself: its own product, not a resale
    assert (capita["held"], capita["own"], capita["resale"], capita["made"]) == (6, 6, 0, 0)
    assert capita["boroughs"] == 3 and capita["systems"] == 3 and capita["service_areas"] == 2
    assert capita["annual_value"] == 410_000.0
    assert capita["next_end"] == date(2027, 6, 30)  # the first end on or after the day given
    roles = vendor_profile.contracts(small, ALL, "Microsoft")["role"].tolist()
    assert roles == [vendor_profile.ROLE_LABELS["made"]]
    systems = vendor_profile.systems(small, ALL, "Bytes Software Services")
    assert as_rows(systems, ["system", "maker", "supplied_by"]) == [
        ("Microsoft Dynamics 365", "Microsoft", "Bytes Software Services")
    ]


def test_vendor_profile_tables(small):
    served = vendor_profile.boroughs(small, ALL, "Capita").set_index("borough")
    assert served["records"].to_dict() == {"Camden": 3, "Hackney": 2, "Islington": 1}
    assert served.loc["Camden", "systems"] == "Capita Parking; Capita Repairs; Open Housing"
    years = vendor_profile.end_years(small, ALL, "Capita")
    assert as_rows(years, ["year", "contracts"]) == [
        ("2027", 2),
        ("2028", 2),
        ("2029", 1),
        ("No end date", 1),
    ]
    records = vendor_profile.contracts(small, ALL, "Capita")
    assert sorted(set(records["vendor_as_written"])) == [
        "CAPITA PLC",
        "Capita",
        "Capita Business Services Ltd",
    ]
    names = vendor_profile.vendor_names(small, ALL)
    assert "Microsoft" in names and "Capita" in names and "CAPITA PLC" not in names


def test_the_whole_profile_read_once_is_every_panel_read_on_its_own(small):
    """The page reads a profile once (`profile`, one pass over the selection into a table of
    the read); each panel read on its own must give the same answer, for every vendor and
    maker, in a filtered selection too, and the read is left as it was."""
    hackney = FilterState(borough=("Hackney", "Camden"))
    for state in (ALL, hackney):
        for vendor in vendor_profile.vendor_names(small, ALL):
            whole = vendor_profile.profile(small, state, vendor, 2, date(2027, 4, 1))
            assert whole.summary == vendor_profile.summary(small, state, vendor, date(2027, 4, 1))
            pd.testing.assert_frame_equal(
                whole.boroughs, vendor_profile.boroughs(small, state, vendor)
            )
            pd.testing.assert_frame_equal(
                whole.systems, vendor_profile.systems(small, state, vendor)
            )
            pd.testing.assert_frame_equal(
                whole.end_years, vendor_profile.end_years(small, state, vendor)
            )
            pd.testing.assert_frame_equal(
                whole.contracts, vendor_profile.contracts(small, state, vendor, 2)
            )
    capita = vendor_profile.profile(small, ALL, "Capita")
    assert capita.summary["held"] == 6 and len(capita.contracts) == 6
    assert not small.rows(
        "SELECT table_name FROM duckdb_tables() WHERE table_name = $t",
        {"t": vendor_profile.KEPT},
    )


def test_a_vendors_rows_are_found_before_the_makers_are_joined_with_the_same_result(small):
    """`vendors.involving` keeps the rows whose vendor or maker is V before the maker join;
    the rows must be those of keeping `vendor = V OR maker = V` after joining every row."""
    sql, params = selection.base(ALL)
    for vendor in vendor_profile.vendor_names(small, ALL):
        bound = dict(params, v=vendor)
        every = small.rows(
            f"SELECT source_ref, maker FROM ({vendors.with_maker(sql)}) AS m"
            " WHERE vendor = $v OR maker = $v ORDER BY ALL",
            bound,
        )
        first = small.rows(
            f"SELECT source_ref, maker FROM ({vendors.with_maker(vendors.involving(sql, 'v'))})"
            " AS m WHERE vendor = $v OR maker = $v ORDER BY ALL",
            bound,
        )
        assert first == every and every, vendor


def test_which_boroughs_use_a_system_and_the_matrix(small):
    users = adoption.system_users(small, ALL, "Open Housing")
    assert users["borough"].tolist() == ["Camden", "Hackney", "Islington"]
    assert set(users["vendor"]) == {"Capita"}
    summary = adoption.system_summary(small, ALL, "Open Housing")
    assert (summary["boroughs"], summary["records"], summary["vendors"]) == (3, 3, 1)
    assert adoption.system_summary(small, ALL, "Nothing")["records"] == 0
    systems = adoption.systems((small, ALL))
    assert systems.iloc[0]["system"] == "Civica CX"  # 3 boroughs, 3 records; ties by name
    long = adoption.matrix((small, ALL))
    wide = adoption.matrix_table(long, ["Camden", "Hackney", "Islington", "Barnet"])
    # most valuable first, each with the vendor holding the contract
    assert wide.loc["Camden", "Housing"] == (
        "Open Housing (Capita); Capita Repairs (Capita); Civica CX (Civica); Idox Housing (Idox)"
    )
    assert wide.loc["Hackney", "Parking"] == "Microsoft Dynamics 365 (Bytes Software Services)"
    assert wide.loc["Barnet"].tolist() == ["", "", ""]
    assert list(wide.columns) == ["Education", "Housing", "Parking"]  # taxonomy order


def test_the_matrix_says_in_words_what_a_record_does_not_give(tmp_path):
    """A record naming no vendor (published notices often name none) was written "Open
    Housing (?)" in the Adoption matrix, where every other page says "(vendor not given)"."""
    rows = [
        row("Camden", "2027-01-31", vendor=None),
        row("Camden", "2027-02-28", system=None, vendor="Civica"),
    ]
    db = build_db(tmp_path, rows)
    with db.read() as r:
        wide = adoption.matrix_table(adoption.matrix((r, ALL)), ["Camden"])
    db.close()
    assert wide.loc["Camden", "Housing"] == (
        "Open Housing (vendor not given); system not given (Civica)"
    )


def test_every_chart_writes_its_numbers_as_text_not_only_colour(small, agg):
    ranking = market.ranking_from(agg, "records", 2)
    built = {
        "ranking": charts.ranking_chart(ranking, "records"),
        "by value": charts.ranking_chart(market.ranking_from(agg, "annual_value"), "annual_value"),
        "areas": charts.area_share_chart(market.area_shares_from(agg, 2)),
        "concentration": charts.concentration_chart(market.concentration_from(agg), 2000),
        "scatter": charts.satisfaction_scatter(satisfaction.by_borough_from(agg)),
        "vendors": charts.vendor_satisfaction_chart(satisfaction.by_vendor_from(agg)),
        "systems": charts.systems_chart(adoption.systems((small, ALL))),
        "ends": charts.end_years_chart(vendor_profile.end_years(small, ALL, "Capita")),
    }
    for name, drawing in built.items():
        spec = drawing.chart().to_dict()
        marks = [layer["mark"] for layer in spec["layer"]]
        kinds = [m["type"] if isinstance(m, dict) else m for m in marks]
        assert "text" in kinds, name
    assert built["ranking"].frame["label"].tolist() == ["7 (38.9%)", "6 (33.3%)", "5 (27.8%)"]
    assert "10,000 · Civica 100% · above" in built["concentration"].frame["label"].tolist()


def test_tables_behind_the_charts_have_readable_headings(agg):
    conc = charts.labelled(market.concentration_from(agg, threshold=2500))
    assert list(conc.columns) == [
        "Service area",
        "Records",
        "Vendors",
        "Largest vendor",
        "Largest vendor's share (%)",
        "Top 3 vendors' share (%)",
        "HHI",
        "Above threshold",
    ]
    assert conc["Above threshold"].tolist() == ["Yes", "Yes", "No"]
    # One money format on every page (the Market charts said £1.2m where the map said £1.23m).
    assert money(1_234_567) == "£1.23m" and money(None) == "no value"


def test_satisfaction_axes_run_from_1_to_5(agg):
    """Scores are 1 (poor) to 5 (good); the axes once ran 0-4."""
    for chart in (
        charts.satisfaction_scatter(satisfaction.by_borough_from(agg)),
        charts.vendor_satisfaction_chart(satisfaction.by_vendor_from(agg)),
    ):
        spec = chart.chart().to_dict()
        axis = "y" if spec["layer"][0]["encoding"]["y"]["field"] == "average" else "x"
        scored = spec["layer"][0]["encoding"][axis]
        assert scored["field"] == "average"
        assert scored["scale"]["domain"] == [1, 5] and scored["axis"]["values"] == [1, 2, 3, 4, 5]


def test_the_ranking_table_has_no_column_of_ones_and_no_none(agg):
    shown = charts.ranking_table(market.ranking_from(agg, "boroughs", 2))
    assert "Vendors" not in shown.columns
    assert shown.columns[:2].tolist() == ["Rank", "Vendor"]
    assert "Share of all authorities (%)" in shown.columns
    assert pd.isna(shown["Rank"].iloc[-1]) and shown["Rank"].iloc[0] == 1
    labels = charts.ranking_chart(market.ranking_from(agg, "boroughs", 2), "boroughs", 33).frame
    assert labels["label"].iloc[0] == "3 of 33 (9.1%)"


@pytest.mark.parametrize(
    "state",
    [ALL, FilterState(borough=("Camden", "Hackney")), FilterState(service_area=("Housing",))],
    ids=["all", "two boroughs", "housing"],
)
def test_the_adoption_tables_from_one_read_are_those_from_the_database(db, state):
    """The page reads the selection once (`adoption.usage`) and works both tables out from that
    frame: the same tables, values and order as from the database."""
    with db.read() as r:
        usage = adoption.usage(r, state)
        for table in (adoption.systems, adoption.matrix):
            pd.testing.assert_frame_equal(table(usage), table((r, state)))
        top = adoption.systems(usage, 5)
        assert top.equals(adoption.systems((r, state)).head(5)) and len(top) == 5


def test_the_headline_counts_councils_served_outside_london(monkeypatch) -> None:
    """Outside London the ranking is "Councils served", but the headline said "leads by
    authorities served" and "No vendor serves any authority"."""
    import pandas as pd

    from citydata.core import regions

    monkeypatch.setenv(regions.SETTING, "greater-manchester")
    ranking = pd.DataFrame(
        {"rank": [1.0], "vendor": ["Civica"], "boroughs": [4], "boroughs_share": [40.0]}
    )
    assert market.headline_sentence({}, ranking, "boroughs") == (
        "Civica leads by councils served: 4 of 10 (40.0%)"
    )
    assert market.headline_sentence({}, ranking.iloc[:0], "boroughs") == (
        "No vendor serves any council in this selection"
    )


def test_a_timeline_of_one_contract_left_says_the_contract() -> None:
    from citydata.query import expiry

    said = expiry.describe_limit(1, 40)
    assert said.startswith("The timeline shows the contract ending nearest to today, of 40 ")
