"""Charts drawn from cached Vega-Lite specifications.

`st.altair_chart` turns its chart into a Vega-Lite specification on every run: altair builds
the chart, then validates the whole specification against the Vega-Lite schema (30-60 ms a
chart on the Market page). The builders in `ui.charts` return a `Drawing`, a frame and a
shape that depends only on a few parameters: `draw(drawing)` builds each shape once and sends
the frame as its data, so a new selection costs its frame, not a chart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import altair as alt
import streamlit as st
from altair.utils import schemapi

# The conversion `st.altair_chart` itself makes (Streamlit's theme, every dataset as Arrow
# bytes), so a cached chart is drawn exactly as `st.altair_chart` would draw it
# (tests/test_charting.py compares the two). Streamlit is pinned to one version.
from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

from citydata.core import regions
from ui.charts import Drawing

# Altair validates every piece of a chart as it is made (its "debug mode": the heatmap of the
# Overview spent 46 ms there), then the whole specification again when it is turned into
# Vega-Lite. The builders are tested; the one check of the whole specification stays.
schemapi.disable_debug_mode()

CHART_TTL_SECONDS = 600  # a shape nobody has drawn for 10 minutes goes (today's goes tomorrow)
# The named dataset a shape's layers read, as altair names the datasets of its own charts: the
# browser matches a chart's data to its specification by name.
FRAME = "frame"


def draw(drawing: Drawing, width: str | int = "stretch", height: str | int = "content") -> None:
    """Draw `drawing` (see `ui.charts.Drawing`) as `st.altair_chart(drawing.chart())` would: the
    specification of its shape, built once per shape, parameters and region whatever the
    selection, with its frame as the dataset the shape reads. A new selection costs its frame,
    not a chart, and the browser, given the specification it already has, swaps the new data
    into the chart it has drawn."""
    shape = drawing.shape
    name = f"{shape.__module__}.{shape.__qualname__}"
    spec = _shape_spec(shape, name, regions.current().key, drawing.params)
    spec["datasets"] = {**spec.get("datasets", {}), FRAME: drawing.frame}
    st.vega_lite_chart(spec=spec, width=width, height=height)


@st.cache_data(ttl=CHART_TTL_SECONDS, max_entries=256, show_spinner=False)
def _shape_spec(_shape: Callable[..., Any], name: str, region: str, params: tuple) -> dict:
    return _convert_altair_to_vega_lite_spec(_shape(*params).properties(data=alt.NamedData(FRAME)))
