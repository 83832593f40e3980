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

import pandas as pd


class Drawing(NamedTuple):
    frame: pd.DataFrame  # the data the chart's layers read
    shape: Callable[..., Any]  # shape(*params): an altair chart without data of its own
    params: tuple = ()  # small values the shape depends on (a field, a threshold, today)

    def chart(self) -> Any:
        """The whole altair chart, data and all: what `st.altair_chart` would be given."""
        return self.shape(*self.params).properties(data=self.frame)
