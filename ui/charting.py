"""Charts drawn from cached Vega-Lite specifications.

`st.altair_chart` turns its chart into a Vega-Lite specification on every run: altair builds
the chart, then validates the whole specification against the Vega-Lite schema (50-250 ms a
chart on the Market page). The chart builders in `ui.charts` are pure functions of small
frames, so `chart(build, *args)` keeps the specification each set of arguments gives (the
arguments are hashed: pass the small frames a chart is drawn from, never a table of records)
and draws it with `st.vega_lite_chart`. A rerun that shows the same chart again only hashes
its arguments; a new selection builds its chart once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st
from altair.utils import schemapi

# The conversion `st.altair_chart` itself makes (Streamlit's theme, every dataset as Arrow
# bytes), so a cached chart is drawn exactly as `st.altair_chart` would draw it
# (tests/test_charting.py compares the two). Streamlit is pinned to one version.
from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

from citydata.core import regions

# Altair validates every piece of a chart as it is made (its "debug mode": the heatmap of the
# Overview spent 46 ms there), then the whole specification again when it is turned into
# Vega-Lite. The builders are tested; the one check of the whole specification stays.
schemapi.disable_debug_mode()

CHART_TTL_SECONDS = 600  # specifications for a selection nobody has shown for 10 minutes go


@st.cache_data(ttl=CHART_TTL_SECONDS, max_entries=256, show_spinner=False)
def _spec(_build: Callable[..., Any], name: str, region: str, args: tuple, kwargs: dict) -> dict:
    return _convert_altair_to_vega_lite_spec(_build(*args, **kwargs))


def spec(build: Callable[..., Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The Vega-Lite specification of `build(*args, **kwargs)` (an altair chart builder), built
    once per builder, region (a builder's words depend on it) and arguments."""
    name = f"{build.__module__}.{build.__qualname__}"
    return _spec(build, name, regions.current().key, args, kwargs)


def chart(
    build: Callable[..., Any], *args: Any, width: str | int = "stretch", **kwargs: Any
) -> None:
    """Draw `build(*args, **kwargs)` as `st.altair_chart(..., width=width)` draws it, from a
    cached specification (see `spec`)."""
    st.vega_lite_chart(spec=spec(build, *args, **kwargs), width=width)
