"""Pure chart builders: a DataFrame in, an Altair chart or a pydeck Deck out. No queries here.

A chart of a selection is a `Drawing`: the frame it draws, worked out from the selection, and
its shape, an altair chart without data whose layers read that frame. Everything that depends
on the selection travels in the frame (the rows' order, which cells get white text, the words
written on the bars), so the shape depends only on its few parameters: `ui.charting` builds
each shape once, and a new selection sends only its data, which the browser swaps into the
chart it already has.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import altair as alt
import pandas as pd


class Drawing(NamedTuple):
    frame: pd.DataFrame  # the data the chart's layers read
    shape: Callable[..., Any]  # shape(*params): an altair chart without data of its own
    params: tuple = ()  # small values the shape depends on (a field, a threshold, today)

    def chart(self) -> Any:
        """The whole altair chart, data and all: what `st.altair_chart` would be given."""
        return self.shape(*self.params).properties(data=self.frame)


# A chart's names beside its bars (a y axis' labels) take at most LABEL_SHARE of the chart's
# width on screen: a label limit in pixels alone, right for a laptop, took the whole width of a
# phone (the Calendar's timeline drew its names and no bar at 390 px).
ROOM = "room"  # the chart's width on screen in pixels, a Vega-Lite parameter of the chart
LABEL_SHARE = 0.45
NARROW = 640  # a legend narrower than this lists its entries one under another


def room() -> Any:
    """The `ROOM` parameter, added to a chart with `.add_params(room())`. `containerSize()`
    alone is read once, as the chart is first drawn; `0 * width` reads it again whenever the
    chart's width changes (a window narrowed, a tablet turned)."""
    return alt.param(name=ROOM, expr="containerSize()[0] + 0 * width")


def label_limit(pixels: int) -> Any:
    """An axis' `labelLimit`: `pixels` where the chart has room, less on a narrow screen."""
    return alt.ExprRef(f"clamp({ROOM} * {LABEL_SHARE}, 60, {pixels})")


def legend_columns(entries: int) -> Any:
    """A top legend's `columns`: all its entries in a row, one a row on a narrow screen (a row
    of them ran off a phone's screen: "Ended ● End…")."""
    return alt.ExprRef(f"{ROOM} < {NARROW} ? 1 : {entries}")
