"""Charts from cached specifications, and tabs that build only what is on screen.

A chart drawn through `ui.charting` must look exactly as `st.altair_chart` would draw it (the
same Vega-Lite specification, the same data), be built once per selection, and a page's tab
that is not open must not send its chart or table.
"""

from __future__ import annotations

import json

import altair as alt
import pyarrow as pa
from streamlit.testing.v1 import AppTest

from tests.apptest import run_app


def _both_ways():
    import pandas as pd
    import streamlit as st

    from ui import charting
    from ui.charts.market import end_years_chart

    years = pd.DataFrame(
        {"year": [2026, 2027, 2028], "contracts": [4, 9, 1], "annual_value": [1.5e5, 2e6, None]}
    )
    st.altair_chart(end_years_chart(years).chart(), width="stretch")
    charting.draw(end_years_chart(years))


def _named_by_position(element) -> tuple[dict, list[bytes]]:
    """A drawn chart's specification with each dataset's name written as its position (as
    the browser compares them), and its datasets' Arrow bytes."""
    text = element.proto.spec
    for position, dataset in enumerate(element.proto.datasets):
        text = text.replace(json.dumps(dataset.name), f'"__st_dataset_{position}"')
    return json.loads(text), [d.data.data for d in element.proto.datasets]


def test_a_drawn_chart_is_the_chart_altair_would_draw():
    at = AppTest.from_function(_both_ways, default_timeout=60).run()
    assert not at.exception
    altair_drawn, drawn = at.get("vega_lite_chart")
    assert _named_by_position(drawn) == _named_by_position(altair_drawn)
    assert drawn.proto.datasets, "the data travels as Arrow, as st.altair_chart sends it"


def _counted():
    import altair as alt
    import pandas as pd
    import streamlit as st

    from ui import charting
    from ui.charts import Drawing

    calls = st.session_state.setdefault("calls", [])

    def shape(title):
        calls.append(title)
        return alt.Chart().mark_bar().encode(x="n:Q", y="name:N").properties(title=title)

    df = pd.DataFrame({"name": ["a", "b"], "n": [1, st.session_state.get("n", 2)]})
    charting.draw(Drawing(df, shape, (st.session_state.get("title", "first"),)))


def test_a_chart_s_shape_is_built_once_whatever_its_data():
    at = AppTest.from_function(_counted, default_timeout=60).run()
    at.session_state["n"] = 5  # a new selection: new data, the same shape
    at.run()
    assert at.session_state["calls"] == ["first"], "new data does not build the chart again"
    drawn = at.get("vega_lite_chart")[0].proto.datasets[0].data.data
    assert pa.ipc.open_stream(drawn).read_all().column("n").to_pylist() == [1, 5]
    at.session_state["title"] = "second"
    at.run()
    at.run()
    assert at.session_state["calls"] == ["first", "second"]
    assert json.loads(at.get("vega_lite_chart")[0].proto.spec)["title"] == "second"


def _market_panel(at, heading: str) -> tuple[int, int]:
    """(charts, tables) the Market page sends under `heading`, up to the next heading."""
    charts = tables = 0
    inside = False
    for node in _walk(at.main):
        kind = getattr(node, "type", "")
        if kind == "header":
            inside = node.value == heading
        elif inside and kind == "vega_lite_chart":
            charts += 1
        elif inside and kind == "dataframe":
            tables += 1
    return charts, tables


def _walk(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def test_only_the_open_tab_is_built_and_sent(db_path):
    at = run_app(page="pages/market.py")
    assert _market_panel(at, "Vendor shares by service area") == (1, 0), "the chart alone"
    at = run_app({"areas_view": "Table"}, page="pages/market.py")
    assert _market_panel(at, "Vendor shares by service area") == (0, 1), "the table alone"
    assert at.tabs, "the tabs are still there to switch"


def test_every_calendar_tab_keeps_its_choice_but_only_the_open_one_draws(db_path):
    for view, chart in (("", "heatmap"), ("One month", "month"), ("Timeline", "timeline")):
        at = run_app({"calendar_view": view} if view else {}, page="pages/calendar.py")
        assert not at.exception
        assert len(at.get("vega_lite_chart")) == 1, chart
        keys = {w.key for w in at.selectbox} | {w.key for w in at.get("button_group")}
        assert {"calendar_month", "calendar_measure", "timeline_group"} <= keys, view


# Two selections as different as a filter change makes them: every record, and one borough in
# two service areas (other rows, categories, order and largest values).
SELECTIONS = (
    ("all", {}),
    ("camden", {"borough": ("Camden",), "service_area": ("Housing", "Education")}),
)


def _sent(drawing) -> dict:
    """The specification `ui.charting.draw` sends for `drawing` (its shape, made with no data
    but the dataset it reads by name: nothing in it may need the data to be worked out), with
    each dataset's name written as its position, as the browser compares them:
    Streamlit's chart re-embeds the Vega view when this changes and otherwise only swaps the
    datasets in place (ArrowVegaLiteChart's `baseSpecKey`)."""
    from streamlit.elements.vega_charts import (
        _convert_altair_to_vega_lite_spec,
        _marshall_chart_data,
        _prepare_vega_lite_spec,
        _stabilize_vega_json_spec,
    )
    from streamlit.proto.VegaLiteChart_pb2 import VegaLiteChart

    from ui.charting import FRAME

    chart = drawing.shape(*drawing.params).properties(data=alt.NamedData(FRAME))
    spec = _prepare_vega_lite_spec(_convert_altair_to_vega_lite_spec(chart), True)
    proto = VegaLiteChart()
    _marshall_chart_data(proto, spec)
    text = _stabilize_vega_json_spec(json.dumps(spec))
    for position, dataset in enumerate(proto.datasets):
        text = text.replace(json.dumps(dataset.name), f'"__st_dataset_{position}"')
    return json.loads(text)


def _every_chart(db, state) -> dict[str, object]:
    """Every chart the pages draw, built as its page builds it for `state`."""
    from datetime import date

    from citydata.core import boroughs
    from citydata.query import (
        adoption,
        borough_profile,
        expiry,
        market,
        satisfaction,
        selection,
        vendor_profile,
    )
    from ui.charts import calendar, coverage, profile
    from ui.charts import market as charts

    today = date(2026, 12, 5)
    with db.read() as r:
        agg = market.aggregate(r, state)
        shown = list(state.borough) or list(boroughs.NAMES)
        wide = coverage.coverage_table(selection.coverage(r, state), sorted(shown))
        heat = expiry.heatmap(r, state)
        chosen = expiry.default_month(expiry.month_options(heat), today)
        days = expiry.month_grid(expiry.month_days(r, state, chosen), chosen)
        periods = expiry.timeline(r, state, "borough", today)
        systems = adoption.systems((r, state))
        vendor = agg.sort_values("records").iloc[-1]["vendor"]
        years = vendor_profile.end_years(r, state, vendor)
        camden = borough_profile.build(r, state.with_(borough=()), "Camden", today)
    charts_by_name = {
        "coverage": coverage.coverage_heatmap(wide),
        "calendar heatmap": calendar.heatmap_chart(heat, "contracts", today),
        "calendar heatmap, value": calendar.heatmap_chart(heat, "annual_value", today),
        "month": calendar.month_chart(days),
        "timeline": calendar.timeline_chart(periods, "borough", today),
        "profile timeline": profile.timeline(camden.systems.head(1000), today),
        "systems": charts.systems_chart(systems.head(25)),
        "end years": charts.end_years_chart(years),
    }
    for by in ("records", "boroughs", "annual_value"):
        ranking = market.ranking_from(agg, by, 10)
        charts_by_name[f"ranking by {by}"] = charts.ranking_chart(ranking, by, 33)
    charts_by_name["area shares"] = charts.area_share_chart(market.area_shares_from(agg, 3))
    conc = market.concentration_from(agg, 2000, "records")
    charts_by_name["concentration"] = charts.concentration_chart(conc, 2000)
    charts_by_name["satisfaction"] = charts.satisfaction_scatter(satisfaction.by_borough_from(agg))
    per_vendor = satisfaction.by_vendor_from(agg)
    charts_by_name["satisfaction by vendor"] = charts.vendor_satisfaction_chart(per_vendor)
    return charts_by_name


def test_a_filter_change_only_swaps_a_chart_s_data(db):
    """Every chart's specification is the same for two different selections: only its
    datasets differ, so the browser updates the drawn chart in place instead of building
    the chart again (orders, thresholds and domains travel in the data)."""
    from citydata.query.filters import FilterState

    built = {name: _every_chart(db, FilterState(**fields)) for name, fields in SELECTIONS}
    first, second = (built[name] for name, _ in SELECTIONS)
    for chart in first:
        assert _sent(first[chart]) == _sent(second[chart]), chart
