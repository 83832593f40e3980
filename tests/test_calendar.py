"""The expiry calendar's data: heatmap, one month, the timeline, and the charts built on them."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from citydata.query import expiry, selection
from citydata.query.filters import FilterState
from tests.calendar_data import build_db, row
from ui.charts import calendar as charts

TODAY = date(2026, 11, 26)
EVERYTHING = FilterState()


@pytest.mark.parametrize(
    "state", [FilterState(), FilterState(service_area=("Housing",)), FilterState(q="civica")]
)
def test_the_heatmap_adds_up_to_the_records_with_an_end_date(db, state):
    with db.read() as r:
        heat = expiry.heatmap(r, state)
        counts = expiry.counts(r, state, TODAY)
        sql, params = selection.base(state)
        expected = r.rows(
            f"SELECT count(contract_end), round(sum(annual_value) FILTER "
            f"(WHERE contract_end IS NOT NULL), 2) FROM ({sql}) AS b",
            params,
        )[0]
    assert int(heat["contracts"].sum()) == expected[0] == counts["with_end"]
    assert round(float(heat["annual_value"].sum()), 2) == pytest.approx(float(expected[1]))
    assert counts["with_end"] + counts["no_end"] == counts["records"]
    assert heat["month"].between(1, 12).all()


def test_one_month_lists_its_contracts_day_by_day(tmp_path):
    db = build_db(
        tmp_path,
        [
            row("Camden", "2027-02-01", value="10"),
            row("Hackney", "2027-02-14", value="20"),
            row("Brent", "2027-02-14", value="30.5"),
            row("Barnet", "2027-02-28", value=None),
            row("Ealing", "2027-03-01"),
            row("Enfield", "2027-01-31"),
            row("Harrow", None),
        ],
    )
    with db.read() as r:
        heat = expiry.heatmap(r, EVERYTHING)
        month = expiry.month(r, EVERYTHING, "2027-02")
        days = expiry.month_days(r, EVERYTHING, "2027-02")
    assert month["borough"].tolist() == ["Camden", "Brent", "Hackney", "Barnet"]
    assert days[["day", "contracts"]].values.tolist() == [[1, 1], [14, 2], [28, 1]]
    # Barnet's contract on the 28th has no value: the day's value is not known, not £0
    assert days["annual_value"].tolist()[:2] == [10.0, 50.5] and pd.isna(days["annual_value"][2])
    grid = expiry.month_grid(days, "2027-02")
    assert len(grid) == 28 and grid["contracts"].sum() == 4
    assert grid.loc[grid["day"] == 14, ["contracts", "annual_value"]].values.tolist() == [[2, 50.5]]
    assert pd.isna(grid.loc[grid["day"] == 28, "annual_value"]).all()
    assert (grid.loc[grid["contracts"] == 0, "annual_value"] == 0).all(), "nothing ends: £0"
    tips = charts.month_chart(grid).frame.set_index("day")["value"]
    assert tips[28] == "not recorded" and tips[1] == "£10" and tips[2] == "£0"
    assert grid.loc[0, "weekday"] == "Mon" and grid["week"].max() == 4, "Feb 2027 starts Monday"
    options = expiry.month_options(heat)
    assert options == {
        "2027-01": "January 2027",
        "2027-02": "February 2027",
        "2027-03": "March 2027",
    }
    assert expiry.default_month(options, date(2027, 2, 10)) == "2027-02"
    assert expiry.default_month(options, date(2026, 6, 1)) == "2027-01"
    assert expiry.default_month(options, date(2030, 1, 1)) == "2027-03", "else the latest"
    assert expiry.default_month({}, TODAY) is None


def test_a_crowded_month_lists_its_first_contracts_by_day_and_says_how_many_more(tmp_path):
    db = build_db(
        tmp_path,
        [row(b, f"2027-02-{d:02d}") for d in (20, 3, 9) for b in ("Camden", "Brent", "Ealing")],
    )
    with db.read() as r:
        shown = expiry.month(r, EVERYTHING, "2027-02", 4)
        days = expiry.month_days(r, EVERYTHING, "2027-02")
    assert len(shown) == 4, "at most the limit"
    assert shown["contract_end"].dt.day.tolist() == [3, 3, 3, 9], "the earliest days first"
    assert shown["borough"].tolist()[:3] == ["Brent", "Camden", "Ealing"]
    total = int(days["contracts"].sum())
    assert total == 9 and expiry.month_grid(days, "2027-02")["contracts"].sum() == 9
    note = expiry.describe_month_limit(len(shown), total)
    assert note.startswith("Showing the first 4 of the 9 records ending this month")
    assert "Narrow the filters" in note
    assert expiry.describe_month_limit(9, 9) is None


def test_an_empty_month_still_draws_every_day():
    empty = pd.DataFrame(columns=["day", "contracts", "annual_value"])
    grid = expiry.month_grid(empty, "2028-02")
    assert len(grid) == 29 and grid["contracts"].sum() == 0
    assert grid.iloc[0]["weekday"] == "Tue" and grid["week"].max() == 5


def test_the_timeline_keeps_the_contracts_nearest_today_and_says_so(tmp_path):
    db = build_db(
        tmp_path,
        [
            row("Camden", "2026-11-30", area="Parking"),
            row("Hackney", "2027-06-30", area="Housing"),
            row("Brent", "2026-10-31", area="Housing"),  # ended
            row("Barnet", "2032-01-31", area="Housing"),  # furthest away
            row("Ealing", "2028-01-31", area="Parking", start=None),
            row("Enfield", None),
        ],
    )
    with db.read() as r:
        full = expiry.timeline(r, EVERYTHING, "service_area", TODAY)
        capped = expiry.timeline(r, EVERYTHING, "borough", TODAY, limit=3)
    assert full["group"].tolist() == ["Housing"] * 3 + ["Parking"] * 2
    assert dict(zip(full["borough"], full["status"], strict=True)) == {
        "Brent": expiry.ENDED,
        "Hackney": expiry.ENDS_SOON,
        "Barnet": expiry.ENDS_LATER,
        "Camden": expiry.ENDS_SOON,
        "Ealing": expiry.ENDS_LATER,
    }
    assert set(capped["borough"]) == {"Camden", "Hackney", "Ealing"}, "upcoming, nearest first"
    assert expiry.describe_limit(3, 5).startswith("The timeline shows the 3 contracts")
    assert expiry.describe_limit(5, 5) is None
    with pytest.raises(ValueError):
        expiry.timeline(r, EVERYTHING, "vendor; DROP TABLE contracts", TODAY)


def test_timeline_rows_have_distinct_labels(tmp_path):
    db = build_db(
        tmp_path,
        [row("Camden", "2027-01-31"), row("Camden", "2027-05-31"), row("Camden", "2028-01-31")],
    )
    with db.read() as r:
        df = expiry.timeline(r, EVERYTHING, "borough", TODAY)
    labels = expiry.timeline_row_labels(df, "borough")
    assert labels == [
        "Camden · Open Housing (Capita)",
        "Camden · Open Housing (Capita) [2]",
        "Camden · Open Housing (Capita) [3]",
    ]


def test_timeline_labels_say_a_vendor_not_given_not_nan(tmp_path):
    """A record naming no vendor (published notices often name none) was labelled on the
    Calendar's timeline as "Camden · Open Housing (nan)"."""
    db = build_db(tmp_path, [row("Camden", "2027-01-31", vendor=None), row("Brent", "2027-02-28")])
    with db.read() as r:
        by_borough = expiry.timeline(r, EVERYTHING, "borough", TODAY)
        by_area = expiry.timeline(r, EVERYTHING, "service_area", TODAY)
    assert expiry.timeline_row_labels(by_borough, "borough") == [
        "Brent · Open Housing (Capita)",
        "Camden · Open Housing (vendor not given)",
    ]
    assert expiry.timeline_row_labels(by_area, "service_area") == [
        "Housing · Camden – Open Housing (vendor not given)",
        "Housing · Brent – Open Housing (Capita)",
    ]


# ---- charts ------------------------------------------------------------------------------


def test_the_heatmap_chart_has_a_cell_for_every_month_and_marks_this_one(db):
    with db.read() as r:
        heat = expiry.heatmap(r, EVERYTHING)
    drawing = charts.heatmap_chart(heat, "contracts", TODAY)
    years = int(heat["year"].max()) - int(heat["year"].min()) + 1
    cells = drawing.frame
    assert len(cells) == years * 12
    assert cells["contracts"].sum() == int(heat["contracts"].sum())
    now = cells[cells["now"]]
    assert now[["year", "month"]].values.tolist() == [[TODAY.year, TODAY.month]]
    assert len(drawing.chart().to_dict()["layer"]) == 3, "cells, numbers, this month's outline"
    charts.heatmap_chart(heat, "annual_value").chart().to_dict()
    with pytest.raises(ValueError):
        charts.heatmap_chart(heat, "satisfaction")


def test_the_timeline_chart_marks_today(db):
    with db.read() as r:
        df = expiry.timeline(r, FilterState(borough=("Camden",)), "borough", TODAY)
    spec = charts.timeline_chart(df, "borough", TODAY).chart().to_dict()
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["bar", "point", "rule", "text"]
    data = [v for v in spec["datasets"].values() if len(v) == 1 and "today" in v[0]]
    assert data and data[0][0]["label"] == "Today 26 Nov 2026"


def test_a_month_whose_contracts_have_no_value_says_so_rather_than_0():
    heat = pd.DataFrame(
        {"year": [2027, 2027], "month": [2, 3], "contracts": [1, 2], "annual_value": [None, 5.0]}
    )
    grid = charts.heatmap_chart(heat, "annual_value", TODAY).frame.set_index("When")
    assert grid.loc["Feb 2027", "Value"] == "not recorded"
    assert grid.loc["Feb 2027", "Value label"] == "no value"
    assert grid.loc["Mar 2027", "Value"] == "£5" and grid.loc["Apr 2027", "Value"] == "£0"
