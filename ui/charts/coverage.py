"""The coverage matrix: which borough has records in which service area."""

from __future__ import annotations

import altair as alt
import pandas as pd

from citydata.core import boroughs as authorities
from citydata.core.boroughs import noun
from citydata.core.schema import SERVICE_AREA_LABELS
from ui.charts import Drawing, label_limit, room


def coverage_table(
    long: pd.DataFrame, boroughs: list[str], areas: list[str] | None = None
) -> pd.DataFrame:
    """Borough rows x service-area columns (`areas`, every one by default) of record counts,
    0 where a borough has none."""
    wide = long.pivot_table(
        index="borough", columns="service_area", values="records", aggfunc="sum", fill_value=0
    )
    columns = list(SERVICE_AREA_LABELS if areas is None else areas)
    wide = wide.reindex(index=boroughs, columns=columns, fill_value=0).fillna(0).astype(int)
    wide.index.name = authorities.noun(capital=True)  # 'Borough' in London, else 'Council'
    wide.columns.name = None
    return wide


CELL = 30  # a cell's width in pixels where the screen has room
AXIS = 182  # the names beside the rows and the axis' title, in pixels
MIN_CELL_FOR_NUMBER = 16  # a narrower cell shows its count in the tooltip only


def coverage_width(wide: pd.DataFrame) -> int:
    """The heatmap's width where there is room: CELL pixels a service area. Given to the chart
    as its largest width, so a narrower screen (a phone, a tablet) narrows the cells rather
    than push the matrix, and the whole page with it, off the right of the screen."""
    return CELL * len(wide.columns) + AXIS


def coverage_heatmap(wide: pd.DataFrame) -> Drawing:
    """A heatmap of `coverage_table` with the count in every cell; gaps are white cells with 0."""
    who = wide.index.name or noun(capital=True)
    # What depends on the selection travels in the data (the rows' order, which cells get white
    # text), so the specification stays the same and the browser swaps the data in place.
    rows = {name: i for i, name in enumerate(wide.index)}
    long = wide.reset_index().melt(id_vars=who, var_name="Service area", value_name="Records")
    long["position"] = long[who].map(rows)
    long["dark"] = long["Records"] >= max(2, int(long["Records"].max() * 0.6))
    return Drawing(long, _coverage, (who, tuple(wide.columns)))


def _coverage(who: str, areas: tuple[str, ...]) -> alt.LayerChart:
    base = alt.Chart().encode(
        x=alt.X(
            "Service area:N",
            sort=list(areas),  # every service area, whatever the selection
            axis=alt.Axis(orient="top", labelAngle=-90, labelLimit=170, labelOverlap=False),
        ),
        y=alt.Y(
            f"{who}:N",
            sort=alt.EncodingSortField(field="position", op="min"),
            axis=alt.Axis(labelOverlap=False, labelLimit=label_limit(160)),
        ),
        tooltip=[f"{who}:N", "Service area:N", "Records:Q"],
    )
    cells = base.mark_rect(stroke="#c8c8c8").encode(
        color=alt.condition(
            "datum.Records > 0",
            alt.Color(
                "Records:Q",
                scale=alt.Scale(scheme="blues"),
                legend=alt.Legend(title="Records", orient="bottom"),
            ),
            alt.value("#ffffff"),
        )
    )
    text = base.mark_text(fontSize=11).encode(
        text=alt.Text("Records:Q"),
        color=alt.condition("datum.dark", alt.value("white"), alt.value("#222")),
        # (`width` is the drawn matrix's: on a phone the cells are too narrow for a number)
        opacity=alt.condition(
            f"width / {max(len(areas), 1)} >= {MIN_CELL_FOR_NUMBER}", alt.value(1), alt.value(0)
        ),
    )
    return (cells + text).properties(width=alt.Step(CELL), height=alt.Step(20)).add_params(room())
