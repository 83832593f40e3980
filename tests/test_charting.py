"""Charts from cached specifications, and tabs that build only what is on screen.

A chart drawn through `ui.charting` must look exactly as `st.altair_chart` would draw it (the
same Vega-Lite specification, the same data), be built once per selection, and a page's tab
that is not open must not send its chart or table.
"""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from tests.apptest import run_app


def _both_ways():
    import pandas as pd
    import streamlit as st

    from ui import charting
    from ui.charts.market import end_years_chart

    years = pd.DataFrame(
        {"year": [2026, 2027, 2028], "records": [4, 9, 1], "annual_value": [1.5e5, 2e6, None]}
    )
    st.altair_chart(end_years_chart(years), width="stretch")
    charting.chart(end_years_chart, years)


def test_a_cached_chart_is_the_chart_altair_would_draw():
    at = AppTest.from_function(_both_ways, default_timeout=60).run()
    assert not at.exception
    altair_drawn, cached = at.get("vega_lite_chart")
    assert json.loads(cached.proto.spec) == json.loads(altair_drawn.proto.spec)
    assert [(d.name, d.data.data) for d in cached.proto.datasets] == [
        (d.name, d.data.data) for d in altair_drawn.proto.datasets
    ]
    assert cached.proto.datasets, "the data travels as Arrow, as st.altair_chart sends it"


def _counted():
    import pandas as pd
    import streamlit as st

    from ui import charting

    calls = st.session_state.setdefault("calls", [])

    def build(df, title):
        import altair as alt

        calls.append(title)
        return alt.Chart(df).mark_bar().encode(x="n:Q", y="name:N").properties(title=title)

    df = pd.DataFrame({"name": ["a", "b"], "n": [1, 2]})
    charting.chart(build, df, st.session_state.get("title", "first"))


def test_a_chart_is_built_once_per_arguments():
    at = AppTest.from_function(_counted, default_timeout=60).run()
    at.run()
    assert at.session_state["calls"] == ["first"], "the same chart again is not rebuilt"
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
