"""The map's numbers equal plain SQL on the same file, and boroughs without data are marked."""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import date

import pandas as pd
import pytest

from citydata.core import boroughs
from citydata.output import exports
from citydata.query import borough_profile, mapdata
from citydata.query.filters import FilterState
from ui.charts import boroughmap, mapclasses, mapgeometry

TODAY = date(2026, 10, 1)  # the demo data's anchor date

# Each metric written again, independently, as SQL over current_contracts.
EXPECTED_SQL = {
    "records": "count(*)",
    "ending": "count(*) FILTER (WHERE contract_end >= DATE '2026-10-01'"
    " AND contract_end < DATE '2027-10-01')",
    "vendors": "count(DISTINCT vendor)",
    "systems": "count(DISTINCT system)",
    "vendor_share": "100.0 * sum(CASE WHEN vendor = 'Civica' THEN 1 ELSE 0 END) / count(*)",
    "annual_value": "sum(annual_value)",
}
STATES = {
    "everything": (FilterState(), ""),
    "housing and parking": (
        FilterState(service_area=("Housing", "Parking")),
        "WHERE service_area IN ('Housing', 'Parking')",
    ),
    "cloud, ending by 2029": (
        FilterState(hosting=("Cloud (SaaS)",), end_to=date(2029, 12, 31)),
        "WHERE hosting = 'Cloud (SaaS)' AND contract_end <= DATE '2029-12-31'",
    ),
}


def by_sql(db, metric: str, where: str) -> dict[str, float]:
    rows = db.rows(
        f"SELECT borough_code, {EXPECTED_SQL[metric]} FROM current_contracts {where} GROUP BY 1"
    )
    return {code: float(v) for code, v in rows if v is not None}


@pytest.mark.parametrize("state_name", list(STATES))
@pytest.mark.parametrize("metric", [m.key for m in mapdata.METRICS])
def test_each_metric_per_borough_equals_sql_on_the_same_file(db, metric, state_name):
    state, where = STATES[state_name]
    with db.read() as r:
        values = mapdata.borough_values(r, state, metric, 12, "Civica", TODAY)
    assert list(values["borough_code"]) == [b.code for b in boroughs.BOROUGHS]
    expected = by_sql(db, metric, where)
    got = values.dropna(subset=["value"]).set_index("borough_code")["value"].to_dict()
    assert got.keys() == expected.keys()
    for code, value in expected.items():
        # shares are rounded to a tenth with the borough's other vendors' (so that they add up
        # to 100 on its profile): within 0.1 of the exact share
        assert got[code] == pytest.approx(value, abs=0.1001), code


@pytest.mark.parametrize("state_name", list(STATES))
def test_a_vendors_share_is_the_one_its_boroughs_profile_shows(db, state_name):
    """The Map's "Share held by a vendor" rounded each share on its own while a borough's
    profile rounds its vendors' shares together to add up to 100: the Map said 5.6% where the
    City of London's profile said 5.5% for the same vendor and filters."""
    state, _ = STATES[state_name]
    with db.read() as r:
        vendors = mapdata.vendor_options(r, state)[:8]  # (the 8 with most records)
        shown = {
            v: mapdata.borough_values(r, state, "vendor_share", 12, v, TODAY).set_index("borough")
            for v in vendors
        }
        compared = 0
        for name in boroughs.NAMES:
            profile = borough_profile.vendor_shares(r, state, name)
            for vendor, share in zip(profile["vendor"], profile["share"], strict=True):
                if vendor in shown:
                    assert shown[vendor].loc[name, "value"] == share, (name, vendor)
                    compared += 1
    assert compared > 50


def test_boroughs_without_records_are_marked_not_zero(db):
    with db.read() as r:
        values = mapdata.borough_values(r, FilterState(borough=("Camden", "Hackney")), "records")
    missing = values[values["status"] == mapdata.NO_RECORDS]
    assert len(missing) == 31
    assert missing["value"].isna().all()
    assert set(values.loc[values["status"] == mapdata.OK, "borough"]) == {"Camden", "Hackney"}


def test_a_real_zero_stays_zero_and_is_not_marked(db):
    """A borough with records but none ending in the window has 0, drawn in the scale's colour."""
    with db.read() as r:
        values = mapdata.borough_values(r, FilterState(), "ending", 6, None, TODAY)
    zeros = values[values["value"] == 0]
    assert len(zeros) and (zeros["status"] == mapdata.OK).all()
    bins = mapclasses.classes(values["value"], "count")
    assert mapclasses.colour_of(0.0, bins) == bins[0].colour != mapclasses.NO_DATA_COLOUR


def test_annual_value_with_no_recorded_values_is_marked(db):
    """Records without any annual value: not £0, and not 'no records' either."""
    with db.write() as w:
        w.execute("UPDATE contracts SET annual_value = NULL WHERE borough = 'Camden'")
    with db.read() as r:
        values = mapdata.borough_values(r, FilterState(), "annual_value")
    row = values.set_index("borough").loc["Camden"]
    assert row["status"] == mapdata.NO_VALUES and math.isnan(row["value"]) and row["records"] > 0
    assert (values.set_index("borough").drop("Camden")["status"] == mapdata.OK).all()


def test_the_end_date_filter_window_counts_known_ends_in_the_filter(db):
    state = FilterState(end_from=date(2027, 1, 1), end_to=date(2027, 6, 30))
    with db.read() as r:
        values = mapdata.borough_values(r, state, "ending", 0)
    expected = by_sql(db, "records", "WHERE contract_end BETWEEN '2027-01-01' AND '2027-06-30'")
    got = values.dropna(subset=["value"]).set_index("borough_code")["value"].to_dict()
    assert got == expected
    assert "between 1 Jan 2027 and 30 Jun 2027" in mapdata.window_phrase(state, 0)


def test_windows_run_from_today(db):
    assert mapdata.window_bounds(FilterState(), 6, TODAY) == (TODAY, date(2027, 3, 31))
    assert mapdata.window_bounds(FilterState(), 24, TODAY) == (TODAY, date(2028, 9, 30))
    with pytest.raises(ValueError):
        mapdata.window_bounds(FilterState(), 7, TODAY)


def test_unknown_metric_is_refused(db):
    with db.read() as r, pytest.raises(ValueError, match="unknown metric"):
        mapdata.borough_values(r, FilterState(), "count(*); DROP TABLE contracts")


def test_top_vendors_are_the_three_with_most_records(db):
    with db.read() as r:
        values = mapdata.borough_values(r, FilterState(), "records")
    expected = db.rows(
        "SELECT vendor, count(*) FROM current_contracts WHERE borough = 'Camden' "
        "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 3"
    )
    shown = values.set_index("borough").loc["Camden", "top_vendors"]
    assert shown == ", ".join(f"{v} ({n})" for v, n in expected)


def test_vendor_options_follow_the_filters_most_records_first(db):
    with db.read() as r:
        options = mapdata.vendor_options(r, FilterState(service_area=("Housing",)))
    expected = db.rows(
        "SELECT vendor FROM current_contracts WHERE service_area = 'Housing' "
        "GROUP BY 1 ORDER BY count(*) DESC, 1"
    )
    assert options == [v for (v,) in expected]


def test_ranked_table_puts_boroughs_without_a_value_last_unranked(db):
    with db.read() as r:
        values = mapdata.borough_values(r, FilterState(borough=("Camden", "Barnet")), "records")
    table = mapdata.ranked(values)
    assert list(table["borough"][:2]) == ["Barnet", "Camden"]  # 29 and 23 records
    assert list(table["rank"][:2]) == [1, 2]
    assert table["rank"][2:].isna().all()
    assert (table["note"][2:] == "No records under the filters").all()
    labelled = mapdata.labelled(table, "Records")
    assert list(labelled.columns)[:4] == ["Rank", "Borough code", "Borough", "Records"]
    # a count is written as the page shows it, 29 and not 29.0, in the CSV download too
    rows = list(csv.reader(io.StringIO(exports.to_csv(labelled).decode("utf-8-sig"))))
    assert rows[1][2:4] == ["Barnet", "29"] and rows[3][3] == ""


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        ([18, 23, 30], "count"),
        ([0, 0, 0], "count"),
        ([0.0, 12.5, 100.0], "percent"),
        ([86_750.0, 3_350_000.0, 9_100_000.0], "money"),
        ([None, 4, 7], "count"),
    ],
)
def test_every_value_falls_in_a_class_and_the_legend_reads_in_order(values, kind):
    series = pd.Series(values, dtype="float64")
    bins = mapclasses.classes(series, kind)
    assert 1 <= len(bins) <= len(mapclasses.PALETTE)
    assert len({b.colour for b in bins}) == len(bins)
    for value in series.dropna():
        colour = mapclasses.colour_of(value, bins)
        [home] = [b for b in bins if b.colour == colour]
        assert home.low <= value and (value < home.high or home is bins[-1])
    assert mapclasses.colour_of(float("nan"), bins) == mapclasses.NO_DATA_COLOUR


def test_hatching_stays_inside_the_polygon_and_out_of_its_hole():
    outer = [[0.0, 51.0], [0.1, 51.0], [0.1, 51.1], [0.0, 51.1], [0.0, 51.0]]
    hole = [[0.03, 51.03], [0.07, 51.03], [0.07, 51.07], [0.03, 51.07], [0.03, 51.03]]
    segments = mapgeometry.hatch_lines([outer, hole], spacing=0.005)
    assert len(segments) > 10
    for (x1, y1), (x2, y2) in segments:
        for x, y in ((x1, y1), (x2, y2), ((x1 + x2) / 2, (y1 + y2) / 2)):
            assert -1e-6 <= x <= 0.1 + 1e-6 and 51.0 - 1e-6 <= y <= 51.1 + 1e-6
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        assert not (0.031 < mx < 0.069 and 51.031 < my < 51.069)


def test_the_deck_carries_every_borough_with_its_value(db):
    with db.read() as r:
        values = mapdata.borough_values(r, FilterState(borough=("Camden",)), "vendors")
    metric = mapdata.METRIC_BY_KEY["vendors"]
    deck = boroughmap.choropleth(values, metric, mapclasses.classes(values["value"], "count"))
    layers = {layer.id: layer for layer in deck.layers}
    features = layers[boroughmap.LAYER_ID].data["features"]
    assert len(features) == 33
    by_name = {f["properties"]["name"]: f["properties"] for f in features}
    assert by_name["Camden"]["value"] == values.set_index("borough").loc["Camden", "value"]
    assert by_name["Hackney"]["value"] is None
    assert by_name["Hackney"]["value_label"] == "no records"
    hackney = [f["properties"]["name"] for f in features].index("Hackney")
    assert boroughmap.fill_colours(json.loads(deck.to_json()))[hackney][:3] == [0xD4, 0xD4, 0xD4]
    assert layers["no-records-hatching"].data  # 32 boroughs hatched
    assert "{measure}: {value_label}" in deck._tooltip["text"]
    assert by_name["Camden"]["measure"] == "Distinct vendors", "the metric's label by default"


def test_a_total_of_a_half_is_rounded_up_on_the_map_as_in_its_table(tmp_path):
    """Camden's annual values add up to £122,500: the table under the map says £122,500, and
    the map's label and tooltip said £122k (a half sent to the even digit); likewise the
    profile's "Annual value" and its briefings."""
    from tests import market_data

    rows = [
        (market_data.CAMDEN, "Housing", "Open Housing", "Capita", "", "2028-01-31", "61250", ""),
        (market_data.CAMDEN, "Parking", "Permits", "Civica", "", "2028-01-31", "61250", ""),
        (market_data.HACKNEY, "Parking", "Permits", "Civica", "", "2028-01-31", "2.50", ""),
    ]
    db = market_data.build(tmp_path, rows)
    with db.read() as r:
        values = mapdata.borough_values(r, FilterState(), "annual_value")
    db.close()
    metric = mapdata.METRIC_BY_KEY["annual_value"]
    deck = boroughmap.choropleth(values, metric, mapclasses.classes(values["value"], "money"))
    features = {x.id: x for x in deck.layers}[boroughmap.LAYER_ID].data["features"]
    shown = {f["properties"]["name"]: f["properties"]["value_label"] for f in features}
    assert shown["Camden"] == "£123k" and shown["Hackney"] == "£3"


@pytest.mark.parametrize("values", [[5.0, 5.1, 5.2], [33.3, 33.4], [0.1, 0.2, 0.3]])
def test_shares_close_together_get_a_legend_naming_each_range_once(values):
    """Shares are written to one decimal: the legend of 5.0%, 5.1% and 5.2% read '5%', '5.1%',
    '5.1%', '5.2%', '5.2%', two colours each called 5.1%, one of which no value could have."""
    bins = mapclasses.classes(pd.Series(values), "percent")
    labels = [b.label for b in bins]
    assert len(set(labels)) == len(labels)
    for b in bins:  # each range holds a value as written (to one decimal)
        first = math.ceil(b.low * 10 - 1e-9) / 10
        assert first < b.high or b is bins[-1]
    assert [mapclasses.colour_of(v, bins) for v in values] == [b.colour for b in bins][
        : len(values)
    ]
