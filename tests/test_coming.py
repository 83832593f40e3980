"""Coming to market: the counts, values, incumbents and concentration a supplier reads, checked
against plain SQL and Python over the same file; values hidden by the setting everywhere; the
download and the command line neutralised against formulas."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from datetime import date

import pandas as pd
import pytest
from icalendar import Calendar

from citydata import cli
from citydata.core import dates
from citydata.core.dates import add_months
from citydata.query import market, opportunities, pipeline
from citydata.query.filters import FilterState
from citydata.store import snapshots
from tests.apptest import metric, run_app, shown
from tests.snapshot_helpers import borough_records, prepared

TODAY = date(2026, 12, 1)
LEAD = pipeline.LeadTimes(default=18, by_area=(("Housing", 24),))


def expected(db, state_sql: str, years: int) -> pd.DataFrame:
    """Per service area, worked out in Python from the raw rows."""
    rows = db.df(
        "SELECT service_area, vendor, borough, contract_end, CAST(annual_value AS DOUBLE) AS v"
        f" FROM current_contracts WHERE {state_sql}"
    )
    horizon = add_months(TODAY, 12 * years)
    rows = rows[rows["contract_end"].notna()].copy()
    rows["end"] = pd.to_datetime(rows["contract_end"]).dt.date
    rows["decide"] = [
        add_months(e, -LEAD.months_for(a))
        for e, a in zip(rows["end"], rows["service_area"], strict=True)
    ]
    ending = rows[(rows["end"] >= TODAY) & (rows["end"] < horizon)]
    deciding = rows[(rows["decide"] >= TODAY) & (rows["decide"] < horizon)]
    out = pd.DataFrame(
        {
            "ending": ending.groupby("service_area").size(),
            "value_ending": ending.groupby("service_area")["v"].sum(min_count=1),
            "boroughs": ending.groupby("service_area")["borough"].nunique(),
            "deciding": deciding.groupby("service_area").size(),
            "value_deciding": deciding.groupby("service_area")["v"].sum(min_count=1),
        }
    )
    # Counts of nothing are 0, and so is the value of nothing; a value stays unknown (NaN)
    # only where there are records and none of them has a value.
    for count, value in (("ending", "value_ending"), ("deciding", "value_deciding")):
        out[count] = out[count].fillna(0)
        out.loc[out[count] == 0, value] = 0.0
    return out.fillna({"boroughs": 0})


@pytest.mark.parametrize("years", opportunities.YEARS)
def test_markets_agree_with_the_raw_rows(db, years):
    with db.read() as r:
        got = opportunities.markets(r, FilterState(), LEAD, years, TODAY).set_index("service_area")
        conc = market.concentration_from(market.aggregate(r, FilterState())).set_index(
            "service_area"
        )
        quarters = opportunities.quarters(r, FilterState(), LEAD, years, TODAY)
    want = expected(db, "TRUE", years)
    assert sorted(got.index) == sorted(want.index)
    for area, row in want.iterrows():
        assert got.loc[area, "ending"] == row["ending"], area
        assert got.loc[area, "deciding"] == row["deciding"], area
        assert got.loc[area, "boroughs"] == row["boroughs"], area
        for value in ("value_ending", "value_deciding"):
            assert float(got.loc[area, value]) == pytest.approx(
                row[value], abs=0.05, nan_ok=True
            ), (area, value)
        assert got.loc[area, "hhi"] == conc.loc[area, "hhi"]
        assert got.loc[area, "suppliers"] == conc.loc[area, "vendors"]
    assert quarters["ending"].sum() == got["ending"].sum()
    assert quarters["deciding"].sum() == got["deciding"].sum()
    assert list(got["ending"]) == sorted(got["ending"], reverse=True), "most ending first"


def test_filters_narrow_it_like_every_other_page(db):
    state = FilterState(borough=("Camden", "Hackney"))
    with db.read() as r:
        got = opportunities.markets(r, state, LEAD, 3, TODAY).set_index("service_area")
    want = expected(db, "borough IN ('Camden', 'Hackney')", 3)
    assert got["ending"].sum() == want["ending"].sum() > 0


def test_no_decision_due_is_worth_nothing_not_an_unknown_amount(db):
    """A service area with contracts ending but no decision due in the window once showed
    "None" as the value of its decisions due; it is £0, as the count is 0."""
    state = FilterState(borough=("Hackney",))
    with db.read() as r:
        got = opportunities.markets(r, state, LEAD, 2, TODAY)
    want = expected(db, "borough = 'Hackney'", 2)
    none_due = got[got["deciding"] == 0]
    assert len(none_due) > 0 and (none_due["value_deciding"] == 0).all(), none_due
    nothing_ends = got[got["ending"] == 0]
    assert (nothing_ends["value_ending"] == 0).all(), nothing_ends
    assert got["value_deciding"].sum() == pytest.approx(want["value_deciding"].sum(), abs=0.5)


def test_the_combined_value_of_contracts_without_values_is_not_recorded_not_nothing():
    """Contracts ending whose records give no value (Hackney's electoral system, say) made the
    headline "Their combined annual value £0", as if they were worth nothing: it is not known.
    Markets where nothing ends are worth £0, and the values that are known still add up."""
    markets = pd.DataFrame(
        {"service_area": ["Electoral services", "Housing"], "ending": [1, 0],
         "value_ending": [None, 0.0], "deciding": [0, 2], "suppliers": [1, 2], "hhi": [1e4, 5e3]}
    )  # fmt: skip
    assert opportunities.headline(markets)["value_ending"] is None
    nothing = markets.assign(ending=[0, 0], value_ending=[0.0, 0.0])
    assert opportunities.headline(nothing)["value_ending"] == 0.0
    some = markets.assign(ending=[1, 2], value_ending=[None, 1500.5])
    assert opportunities.headline(some)["value_ending"] == 1500.5


def test_a_quarter_with_nothing_ending_is_worth_nothing_in_the_grid(db):
    """The grid by quarter gave an unknown amount (and, through its pivot, £0 for an amount
    nobody knows): a quarter's value is £0 where nothing ends or falls due in it, and empty
    where contracts end in it and none of them has a value."""
    state = FilterState(borough=("Hackney",))
    with db.read() as r:
        quarters = opportunities.quarters(r, state, LEAD, 3, TODAY)
    for count, value in (("ending", "value_ending"), ("deciding", "value_deciding")):
        none = quarters[quarters[count] == 0]
        assert len(none) > 0 and (none[value] == 0).all(), none
    known = quarters.iloc[[0]].assign(value_ending=None, ending=2)
    other = quarters.iloc[[0]].assign(
        service_area="Zz unknown", quarter="2031 Q4", ending=1, value_ending=None
    )
    grid = opportunities.quarter_grid(pd.concat([known, other]), "value_ending")
    cells = grid.set_index("Service area")
    area, quarter = known["service_area"].iloc[0], known["quarter"].iloc[0]
    assert pd.isna(cells.loc[area, quarter]), "contracts without values: not known"
    assert pd.isna(cells.loc["Zz unknown", "2031 Q4"])
    assert cells.loc[area, "2031 Q4"] == 0, "no contracts in the quarter: nothing"
    counts = opportunities.quarter_grid(pd.concat([known, other]), "ending")
    assert counts.set_index("Service area").loc[area, "2031 Q4"] == 0
    assert counts["2031 Q4"].dtype.kind == "i", "counts stay whole numbers"


def test_incumbents_are_the_suppliers_of_the_contracts_ending_most_first(db):
    with db.read() as r:
        got = opportunities.markets(r, FilterState(), LEAD, 3, TODAY).set_index("service_area")
    rows = db.df(
        "SELECT service_area, vendor, count(*) AS n FROM current_contracts"
        " WHERE contract_end >= $t AND contract_end < $h GROUP BY ALL",
        {"t": TODAY, "h": add_months(TODAY, 36)},
    )
    for area, group in rows.groupby("service_area"):
        top = group.sort_values(["n", "vendor"], ascending=[False, True])["vendor"].head(3)
        assert got.loc[area, "incumbents"] == ", ".join(top)


def test_a_market_with_decisions_due_but_nothing_ending_names_no_incumbent(tmp_path):
    """A service area where renewal decisions fall due but no contract ends in the window
    showed "(not given)" as its main incumbents, as if the data did not say who holds the
    contracts; it names none now, since none ends. "(not given)" stays for contracts ending
    that name no vendor."""
    from tests.calendar_data import build_db, row

    small = build_db(
        tmp_path,
        [
            row("Camden", "2028-12-31", vendor="Northgate"),  # decide by 31 Dec 2026
            row("Hackney", "2027-03-31", area="Parking", system="Park", vendor=None),
            row("Brent", "2027-04-30", area="Parking", system="Park", vendor="Parkco"),
            row("Barnet", "2027-05-31", area="Parking", system="Park", vendor="Parkco"),
            row("Ealing", "2027-06-30", area="Parking", system="Park", vendor=None),
            row("Enfield", "2027-07-31", area="Parking", system="Park", vendor=None),
            row("Bexley", "2027-08-31", area="Education", system="School", vendor=None),
        ],
    )
    lead = pipeline.LeadTimes(default=18, by_area=(("Housing", 24),))
    with small.read() as r:
        got = opportunities.markets(r, FilterState(), lead, 1, TODAY).set_index("service_area")
    small.close()
    assert (got.loc["Housing", "ending"], got.loc["Housing", "deciding"]) == (0, 1)
    assert got.loc["Housing", "incumbents"] == ""
    assert got.loc["Parking", "incumbents"] == "Parkco", "the vendor named, most first"
    assert got.loc["Education", "incumbents"] == "(not given)", "ending, naming no vendor"


@pytest.mark.parametrize(
    ("ending", "suppliers", "hhi", "room"),
    [
        (10, 2, 5000, True),  # many ending, few suppliers
        (10, 8, 2500, True),  # many suppliers, but a few hold most of it
        (10, 8, 1500, False),  # crowded
        (2, 1, 10000, False),  # too few contracts ending to matter
        (3, 3, None, True),
    ],
)
def test_room_for_a_challenger(ending, suppliers, hhi, room):
    assert opportunities.has_room(ending, suppliers, hhi) is room
    assert opportunities.room_words(ending, suppliers, hhi).startswith("Yes") is room


def test_room_in_words_counts_one_supplier_in_the_singular():
    assert opportunities.room_words(16, 1, 10000) == (
        "Yes: 16 contracts ending, 1 supplier holds this market"
    )
    assert opportunities.room_words(3, 2, None) == (
        "Yes: 3 contracts ending, 2 suppliers hold this market"
    )


def test_concentration_in_plain_words():
    assert opportunities.concentration_words(2500).startswith("highly concentrated")
    assert opportunities.concentration_words(1500) == "moderately concentrated"
    assert opportunities.concentration_words(400).startswith("competitive")


def coming(db_path, *args):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(["coming", "--today", TODAY.isoformat(), "--db", str(db_path), *args])
    return code, out.getvalue(), err.getvalue()


def test_the_command_line_writes_a_formula_safe_csv(db, db_path, tmp_path):
    records = borough_records(db, "E09000007")
    first = records.index[:5]  # five contracts of one supplier ending: its top incumbent
    records.loc[first, "vendor"] = '=HYPERLINK("http://x")'
    records.loc[first, "service_area"] = "Parking"
    records.loc[first, "contract_end"] = "2027-06-30"
    snapshots.commit(db, prepared(records), b"camden", user="Ann")
    db.close()
    out = tmp_path / "coming.csv"
    code, _, _ = coming(db_path, "--years", "1", "-o", str(out))
    assert code == 0
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert "Annual value ending (£)" in table.columns
    cells = [str(c) for c in table["Main incumbents"]]
    assert any("HYPERLINK" in c for c in cells)
    assert not any(c.startswith("=") for c in cells)


def test_hidden_values_leave_the_page_the_download_the_json_and_the_feed(
    db_path, monkeypatch, tmp_path
):
    monkeypatch.setenv("CITYTOOLS_HIDE_MARKET_VALUES", "true")
    code, out, err = coming(db_path, "--json", "--feed")
    assert code == 0, err
    rows = json.loads(out)
    assert rows and not any("value" in key for row in rows for key in row)
    feed = Calendar.from_ical((tmp_path / "feeds" / "coming-to-market.ics").read_bytes())
    descriptions = [str(e["DESCRIPTION"]) for e in feed.walk("VEVENT")]
    assert descriptions and not any("Annual value" in d for d in descriptions)

    at = run_app(page="pages/coming.py")
    assert metric(at, "Their annual value") == "not published"
    assert not any("£" in str(c) for d in at.dataframe for c in d.value.columns)


def test_the_page_shows_the_same_figures(db_path):
    at = run_app({"coming_years": "3 years"}, page="pages/coming.py")
    assert not at.error
    lead, _ = pipeline.lead_times_or_default()
    from citydata import lifecycle

    db = lifecycle.open_store(db_path)
    try:
        with db.read() as r:
            head = opportunities.headline(
                opportunities.markets(r, FilterState(), lead, 3, dates.today())
            )
    finally:
        db.close()
    assert metric(at, "Contracts ending in 3 years") == f"{head['ending']:,}"
    assert metric(at, "Their combined annual value") == f"£{head['value_ending']:,.0f}"
    assert metric(at, "Room for a challenger") == f"{head['room']:,}"
    # The calendar's address as a link; its copy box only when asked for ("Copy address"): a
    # code box on the page would make the browser load the syntax highlighter on every load.
    assert any("coming-to-market.ics)" in m.value for m in at.markdown)
    assert not at.code
    labels = [b.label for b in at.get("download_button")]
    assert "Download CSV" in labels


def test_a_vendor_filter_picks_the_contracts_not_the_market_s_suppliers(db):
    """With Vendor = Civica every market once said "1 suppliers hold this market" and so had
    room for a challenger: the suppliers and concentration are the whole market's."""
    with db.read() as r:
        everyone = opportunities.markets(r, FilterState(), LEAD, 3, TODAY)
        civica = opportunities.markets(r, FilterState(vendor=("Civica",)), LEAD, 3, TODAY)
    assert len(civica) and civica["ending"].sum() < everyone["ending"].sum()
    whole = everyone.set_index("service_area")
    for row in civica.itertuples():
        assert row.suppliers == whole.loc[row.service_area, "suppliers"] > 1, row.service_area
        assert row.hhi == whole.loc[row.service_area, "hhi"]
    assert set(civica["incumbents"]) == {"Civica"}, "the contracts ending are Civica's"


def test_a_public_address_without_https_is_named_not_offered_as_the_feed(db_path, monkeypatch):
    """The calendar's address was 'citytools.example.org/app/static/...': no link a calendar
    could subscribe to. The page now says the app is set up wrongly, naming the setting."""
    monkeypatch.setenv("CITYTOOLS_PUBLIC_URL", "citytools.example.org")
    at = run_app(page="pages/coming.py")
    assert [shown(e.value) for e in at.error] == [
        "The app is set up wrongly. CITYTOOLS_PUBLIC_URL is “citytools.example.org”, which is "
        "not a web address (https://...)."
    ]
    assert not any("coming-to-market.ics" in m.value for m in at.markdown)
