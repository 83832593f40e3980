"""The borough map's colour classes and their legend: up to five classes of a round size over
the values (`classes`), each value's colour (`colour_of`; the grey of "no records" for none),
and the legend, a row of swatches with their ranges (`legend`, an Altair Drawing).

Pure builders, used by `ui.charts.boroughmap` to colour the map and by the Map page to draw the
legend beside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import altair as alt
import pandas as pd

from citydata.core.formatting import money
from ui.charts import Drawing

# ColorBrewer YlGnBu without its palest step: light = low, dark = high; every class stands out
# from the white page and from the grey of "no records".
PALETTE: tuple[str, ...] = ("#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494")
NO_DATA_COLOUR = "#d4d4d4"
LEGEND_HEIGHT = 80


@dataclass(frozen=True)
class ColourClass:
    low: float
    high: float  # exclusive, except for the last class
    colour: str
    label: str


def classes(values: pd.Series, kind: str, n: int = len(PALETTE)) -> list[ColourClass]:
    """Up to `n` equal classes of a round size covering the values, from a round number.

    Each class holds values from its `low` up to (not including) its `high`; the last one holds
    everything above its `low` and is labelled 'low+' ('20+', '£400k+').
    """
    known = values.dropna()
    top = float(known.max()) if len(known) else 0.0
    bottom = float(known.min()) if len(known) else 0.0
    for step in _round_steps((top - bottom) / n, least=_RESOLUTION.get(kind, 0.0)):
        low = math.floor(bottom / step + 1e-9) * step
        count = math.floor((top - low) / step + 1e-9) + 1
        if count <= n:
            break
    palette = _spread(count, n)
    out = []
    for i in range(count):
        # (bounds rounded: 3 x 0.1 is 0.30000000000000004, and 0.3 would fall below it)
        lo, hi = round(low + i * step, 9), round(low + (i + 1) * step, 9)
        last = i == count - 1
        out.append(ColourClass(lo, hi, palette[i], _class_label(lo, hi, kind, last, top)))
    return out


def colour_of(value: float | None, bins: list[ColourClass]) -> str:
    """The class colour for a value; the no-data grey for a missing one."""
    if value is None or pd.isna(value):
        return NO_DATA_COLOUR
    for b in bins:
        if value < b.high:
            return b.colour
    return bins[-1].colour


def legend(
    bins: list[ColourClass], title: str, any_missing: bool, any_unvalued: bool = False
) -> Drawing:
    """A row of colour swatches with their ranges, the hatched grey for 'no records' and, with
    `any_unvalued`, the plain grey of areas whose records give no value (no annual value)."""
    rows = [{"Range": b.label, "colour": b.colour, "hatched": ""} for b in bins]
    if any_missing:
        rows.append({"Range": "No records", "colour": NO_DATA_COLOUR, "hatched": "/ / /"})
    if any_unvalued:
        rows.append({"Range": "No value recorded", "colour": NO_DATA_COLOUR, "hatched": ""})
    frame = pd.DataFrame(rows).assign(position=range(len(rows)))
    return Drawing(frame, _legend, (title, len(rows)))


def _legend(title: str, classes: int) -> alt.LayerChart:
    x = alt.X(
        "Range:N",
        sort=alt.EncodingSortField(field="position", op="min"),
        axis=None,
        scale=alt.Scale(paddingInner=0.08),
    )
    base = alt.Chart().encode(x=x, tooltip=["Range:N"])
    swatches = base.mark_rect(stroke="#888888", strokeWidth=0.5).encode(
        y=alt.value(0), y2=alt.value(22), color=alt.Color("colour:N", scale=None)
    )
    hatching = base.mark_text(color="#555555", fontSize=12).encode(
        y=alt.value(11), text="hatched:N"
    )
    labels = base.mark_text(color="#31333f", fontSize=12).encode(y=alt.value(36), text="Range:N")
    return (swatches + hatching + labels).properties(
        height=44,
        width=min(105 * classes, 700),
        title=alt.TitleParams(title, anchor="start", fontSize=13, fontWeight="normal"),
    )


# The smallest difference between two values of a kind as they are written: a count is whole,
# a share has one decimal (`mapdata.METRICS`). A narrower class could hold no written value and
# read as its neighbour ('5.1%' twice).
_RESOLUTION = {"count": 1.0, "percent": 0.1}


def _round_steps(raw: float, least: float = 0.0) -> list[float]:
    """Round class widths (1, 2, 2.5, 3, 4 or 5 x 10^k) from about `raw` upwards, smallest first,
    none narrower than `least` (counts: whole-number widths of at least 1)."""
    if raw <= 0:
        return [max(1.0, least)]
    magnitude = 10 ** math.floor(math.log10(raw))
    steps = [m * magnitude * 10**e for e in (0, 1, 2) for m in (1, 2, 2.5, 3, 4, 5)]
    if least == 1:
        steps = [s for s in steps if s >= 1 and s == int(s)] or [1.0]
    elif least:
        steps = [s for s in steps if s >= least - 1e-12] or [least]
    return sorted(s for s in steps if s >= raw - 1e-12) or [steps[-1]]


def _spread(count: int, n: int) -> list[str]:
    """`count` colours spread over the palette (all of it when count == n)."""
    if count >= n:
        return list(PALETTE)
    if count == 1:
        return [PALETTE[2]]
    return [PALETTE[round(i * (n - 1) / (count - 1))] for i in range(count)]


def _class_label(lo: float, hi: float, kind: str, last: bool, top: float) -> str:
    """A class's range as the values it holds are written: counts are whole ('5–9') and shares
    have one decimal ('10–19.9%', as the map and its table write 19.9%), so a range ends at the
    last value below the next class's start and no value reads as in two classes ('10%–20%'
    then '20%–30%' put 20.0% in both, in words). Money is written to about three figures, so
    its ranges meet at round amounts ('£2m–£4m')."""
    if kind == "percent":
        first, end = math.ceil(lo * 10 - 1e-9) / 10, (math.ceil(hi * 10 - 1e-9) - 1) / 10
        if last:
            return f"{first:g}%" if top <= first else f"{first:g}%+"
        return f"{first:g}%" if end <= first else f"{first:g}–{end:g}%"
    write = {"count": "{:,.0f}".format, "money": _legend_money}[kind]
    if last:
        return write(lo) if top <= lo else f"{write(lo)}+"
    if kind == "count":
        return write(lo) if hi - 1 <= lo else f"{write(lo)}–{write(hi - 1)}"
    return f"{write(lo)}–{write(hi)}"


def _legend_money(value: float) -> str:
    """A class boundary: round numbers such as £1.025m keep their fourth figure."""
    return money(value, digits=4)
