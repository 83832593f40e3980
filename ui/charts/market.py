"""Charts of the market, satisfaction, vendor profiles and adoption: DataFrames in, Altair out.

Every chart carries its numbers as text marks, so nothing depends on telling colours apart, and
`labelled()` gives the table behind each chart its readable column names.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from citydata.core.boroughs import noun
from citydata.core.formatting import money, whole_percent
from citydata.output.exports import with_labels
from ui.charts import Drawing, label_limit, room

LABELS = {
    "rank": "Rank",
    "vendor": "Vendor",
    "vendors": "Vendors",
    "records": "Records",
    "records_share": "Share of records (%)",
    "boroughs": "Boroughs",
    "boroughs_share": "Share of all authorities (%)",
    "annual_value": "Annual value (£)",
    "value_share": "Share of value (%)",
    "share": "Share of records (%)",
    "top_vendor": "Largest vendor",
    "top1_share": "Largest vendor's share (%)",
    "top3_share": "Top 3 vendors' share (%)",
    "hhi": "HHI",
    "above_threshold": "Above threshold",
    "scored": "Scored records",
    "average": "Average satisfaction (1-5)",
    "suppliers": "Suppliers",
    "systems": "Systems",
    "service_areas": "Service areas",
    "supplied_by": "Supplied by",
    "maker": "Maker",
    "role": "Role",
    "first_end": "First contract end",
    "last_end": "Last contract end",
    "year": "Contract ends in",
    "vendor_as_written": "Vendor as written",
    "alias": "Spelling",
    "spellings": "All spellings",
    "vendor_records": "Vendor's records",
    "score": "Score (0-100)",
    "reason": "Why",
}
BAR = "#2b6cb0"
MUTED = "#9aa5b1"
HIGHLIGHT = "#c05621"
ORDINALS = ("1st", "2nd", "3rd", "4th", "5th")
# Satisfaction is scored 1 (poor) to 5 (good): its axes show exactly that range.
SCORE_SCALE = alt.Scale(domain=[1, 5], nice=False, zero=False)
SCORE_TICKS = [1, 2, 3, 4, 5]


def _in_order(df: pd.DataFrame) -> pd.DataFrame:
    """`df` with its rows' order as a column, "position": a chart sorts by it (`IN_ORDER`)
    rather than by a list of the selection's names written into its specification, so a
    filter change only swaps the chart's data and the browser updates the chart in place."""
    return df.assign(position=range(len(df)))


IN_ORDER = alt.EncodingSortField(field="position", op="min")


def labelled(df: pd.DataFrame) -> pd.DataFrame:
    """`df` with the column names people read; yes/no columns as words."""
    out = df.copy()
    for column in out.columns:
        if out[column].dtype == bool:
            out[column] = out[column].map({True: "Yes", False: "No"})
    return with_labels(out.rename(columns=LABELS))


def _pct(value: float | None) -> str:
    return "–" if value is None or pd.isna(value) else f"{value:.1f}%"


def ranking_table(ranking: pd.DataFrame) -> pd.DataFrame:
    """The ranking as people read it: readable names, no rank on the "Others" row (blank, not
    "None"), and no count of vendors per row (1 on every named row; "Others" says its own)."""
    out = ranking.drop(columns=["vendors"]).astype({"rank": "Int64"})
    return labelled(out)


def ranking_chart(ranking: pd.DataFrame, by: str, authorities: int = 33) -> Drawing:
    """Horizontal bars of `market.ranking_from`, the "Others" bar in grey, numbers as text;
    boroughs served read "12 of 33 (36.4%)", of all `authorities`."""
    df = _in_order(ranking)
    if by == "records":
        df["label"] = [
            f"{n:,} ({_pct(s)})" for n, s in zip(df.records, df.records_share, strict=True)
        ]
    elif by == "boroughs":
        df["label"] = [
            f"{n} of {authorities} ({_pct(s)})"
            for n, s in zip(df.boroughs, df.boroughs_share, strict=True)
        ]
    else:
        df["label"] = [
            f"{money(v)} ({_pct(s)})" for v, s in zip(df.annual_value, df.value_share, strict=True)
        ]
    df["kind"] = ["Others" if pd.isna(rk) else "Vendor" for rk in df["rank"]]
    return Drawing(df, _ranking, (by,))


def _ranking(by: str) -> alt.LayerChart:
    x_field, title = {
        "records": ("records", "Records"),
        "boroughs": ("boroughs", f"{noun(2, True)} served"),
        "annual_value": ("annual_value", "Annual value (£)"),
    }[by]
    base = alt.Chart().encode(
        y=alt.Y("vendor:N", sort=IN_ORDER, title=None, axis=alt.Axis(labelLimit=label_limit(260))),
        x=alt.X(f"{x_field}:Q", title=title),
        tooltip=[
            alt.Tooltip("vendor:N", title="Vendor"),
            alt.Tooltip("records:Q", title="Records", format=","),
            alt.Tooltip("boroughs:Q", title=f"{noun(2, True)} served"),
            alt.Tooltip("annual_value:Q", title="Annual value (£)", format=",.0f"),
        ],
    )
    bars = base.mark_bar().encode(
        color=alt.Color(
            "kind:N", scale=alt.Scale(domain=["Vendor", "Others"], range=[BAR, MUTED]), legend=None
        )
    )
    text = base.mark_text(align="left", dx=4, color="#222").encode(text="label:N")
    return (bars + text).properties(height=alt.Step(24)).add_params(room())


SEGMENT_CHAR_PX = 6.5  # width of a character written on a bar segment (11 px text)


def _segment_label(vendor: str, share: float, named: bool) -> str:
    """The text written on a segment of a 100% bar: the vendor's name only when it fits.

    At the narrowest layout one percent of the bar holds about one character."""
    with_name = f"{vendor} {whole_percent(share)}"
    if named and len(with_name) * 1.1 <= share:
        return with_name
    return whole_percent(share) if share >= 6 else ""


def area_share_chart(long: pd.DataFrame, top_n: int = 3) -> Drawing:
    """Stacked 100% bars of `market.area_shares_from(..., top_n)`: leaders left, names written
    on the bars; the places' colours are the same in every selection."""
    df = long.copy()
    df["place"] = [
        "Others" if pd.isna(rk) else ORDINALS[int(rk) - 1] if rk <= 5 else f"{int(rk)}th"
        for rk in df["rank"]
    ]
    df["order"] = df["rank"].fillna(99).astype(int)
    df["label"] = [
        _segment_label(v, s, o < 99) for v, s, o in zip(df.vendor, df.share, df.order, strict=True)
    ]
    areas = (
        df[df.order == 1].sort_values("share", ascending=False)["service_area"].tolist()
        or df["service_area"].drop_duplicates().tolist()
    )
    df["position"] = df["service_area"].map({a: i for i, a in enumerate(areas)})
    return Drawing(df, _area_shares, (top_n,))


def _area_shares(top_n: int) -> alt.LayerChart:
    places = [*(ORDINALS[i] if i < len(ORDINALS) else f"{i + 1}th" for i in range(top_n)), "Others"]
    base = alt.Chart().encode(
        y=alt.Y(
            "service_area:N", sort=IN_ORDER, title=None, axis=alt.Axis(labelLimit=label_limit(260))
        ),
        x=alt.X(
            "share:Q", stack="zero", title="Share of records (%)", scale=alt.Scale(domain=[0, 100])
        ),
        order=alt.Order("order:Q"),
        tooltip=[
            alt.Tooltip("service_area:N", title="Service area"),
            alt.Tooltip("vendor:N", title="Vendor"),
            alt.Tooltip("records:Q", title="Records"),
            alt.Tooltip("share:Q", title="Share (%)"),
        ],
    )
    bars = base.mark_bar(stroke="white", strokeWidth=1.5).encode(
        color=alt.Color(
            "place:N",
            scale=alt.Scale(domain=places, scheme="blues", reverse=True),
            # (below the bars: at the right it took a quarter of a phone's width from them)
            legend=alt.Legend(title="Vendor's place", orient="bottom", columns=2),
        )
    )
    text = base.mark_text(align="right", dx=-4, fontSize=11).encode(
        x=alt.X("share:Q", stack="zero", bandPosition=1),
        text="label:N",
        color=alt.condition("datum.order <= 2", alt.value("white"), alt.value("#222")),
        # Written only on a segment drawn wide enough for it (about 6.5 pixels a character at
        # this size): on a phone the words of neighbouring segments ran into each other.
        opacity=alt.condition(
            "scale('x', datum.share_end) - scale('x', datum.share_start)"
            f" >= length(datum.label) * {SEGMENT_CHAR_PX} + 8",
            alt.value(1),
            alt.value(0),
        ),
    )
    return (bars + text).properties(height=alt.Step(26)).add_params(room())


def concentration_chart(conc: pd.DataFrame, threshold: int) -> Drawing:
    """HHI per service area with the threshold drawn as a dashed line; markets above it are
    coloured and say so in words."""
    df = _in_order(conc.dropna(subset=["hhi"]))
    df["status"] = ["Above threshold" if a else "At or below" for a in df.above_threshold]
    df["label"] = [
        f"{h:,} · {v} {whole_percent(s)}" + (" · above" if a else "")
        for h, v, s, a in zip(df.hhi, df.top_vendor, df.top1_share, df.above_threshold, strict=True)
    ]
    return Drawing(df, _concentration, (threshold,))


def _concentration(threshold: int) -> alt.LayerChart:
    base = alt.Chart().encode(
        y=alt.Y(
            "service_area:N", sort=IN_ORDER, title=None, axis=alt.Axis(labelLimit=label_limit(260))
        ),
        x=alt.X(
            "hhi:Q",
            title="Herfindahl-Hirschman index (0-10,000)",
            scale=alt.Scale(domain=[0, 10_000]),
        ),
        tooltip=[
            alt.Tooltip("service_area:N", title="Service area"),
            alt.Tooltip("hhi:Q", title="HHI", format=","),
            alt.Tooltip("vendors:Q", title="Vendors"),
            alt.Tooltip("top_vendor:N", title="Largest vendor"),
            alt.Tooltip("top1_share:Q", title="Its share (%)"),
            alt.Tooltip("top3_share:Q", title="Top 3 share (%)"),
        ],
    )
    bars = base.mark_bar().encode(
        color=alt.Color(
            "status:N",
            scale=alt.Scale(domain=["Above threshold", "At or below"], range=[HIGHLIGHT, MUTED]),
            legend=alt.Legend(title=None, orient="bottom"),
        )
    )
    text = base.mark_text(align="left", dx=4, color="#222").encode(text="label:N")
    rule = (
        alt.Chart(pd.DataFrame({"hhi": [threshold], "label": [f"threshold {threshold:,}"]}))
        .mark_rule(strokeDash=[6, 4], color="#222")
        .encode(x="hhi:Q")
    )
    rule_text = rule.mark_text(align="left", dx=4, dy=-6, baseline="bottom", color="#222").encode(
        text="label:N", y=alt.value(0)
    )
    return (bars + rule + text + rule_text).properties(height=alt.Step(24)).add_params(room())


def satisfaction_scatter(per_borough: pd.DataFrame) -> Drawing:
    """Each borough's suppliers against its average satisfaction, named, with a fitted line."""
    df = per_borough[per_borough.scored > 0].copy()
    df["label"] = [f"{b} ({n})" for b, n in zip(df.borough, df.scored, strict=True)]
    # Boroughs at the same point share one label rather than print over each other: the
    # point's first row carries every name there, the others none.
    at_point = ["suppliers", "average"]
    joined = df.groupby(at_point)["label"].transform(", ".join)
    df["names"] = joined.where(~df.duplicated(at_point), "")
    return Drawing(df, _satisfaction)


def _satisfaction() -> alt.LayerChart:
    base = alt.Chart().encode(
        x=alt.X(
            "suppliers:Q",
            title="Suppliers (distinct vendors)",
            scale=alt.Scale(zero=False, nice=True),
            axis=alt.Axis(format="d", tickMinStep=1),
        ),
        y=alt.Y(
            "average:Q",
            title="Average satisfaction (1 poor - 5 good)",
            scale=SCORE_SCALE,
            axis=alt.Axis(values=SCORE_TICKS),
        ),
    )
    points = base.mark_circle(size=60, color=BAR, opacity=0.8).encode(
        tooltip=[
            alt.Tooltip("borough:N", title=noun(capital=True)),
            alt.Tooltip("suppliers:Q", title="Suppliers"),
            alt.Tooltip("average:Q", title="Average satisfaction"),
            alt.Tooltip("scored:Q", title="Scored records"),
        ]
    )
    names = base.mark_text(align="left", dx=6, fontSize=10, color="#333").encode(text="names:N")
    line = base.transform_regression("suppliers", "average").mark_line(
        color="#222", strokeDash=[6, 4]
    )
    return (points + names + line).properties(height=560)


def bar_with_labels(
    df: pd.DataFrame, category: str, value: str, label: str, title: str, counts: bool = True
) -> Drawing:
    """Horizontal bars in the frame's order, each bar's `label` written beside it; `counts`
    keeps the axis to whole numbers."""
    return Drawing(_in_order(df), _bars, (category, value, label, title, counts))


def _bars(category: str, value: str, label: str, title: str, counts: bool) -> alt.LayerChart:
    axis = alt.Axis(format="d", tickMinStep=1) if counts else alt.Axis()
    base = alt.Chart().encode(
        y=alt.Y(
            f"{category}:N", sort=IN_ORDER, title=None, axis=alt.Axis(labelLimit=label_limit(260))
        ),
        x=alt.X(f"{value}:Q", title=title, axis=axis),
        tooltip=[alt.Tooltip(f"{category}:N"), alt.Tooltip(f"{value}:Q", title=title)],
    )
    bars = base.mark_bar(color=BAR)
    text = base.mark_text(align="left", dx=4, color="#222").encode(text=f"{label}:N")
    return (bars + text).properties(height=alt.Step(22)).add_params(room())


def vendor_satisfaction_chart(per_vendor: pd.DataFrame, top_n: int = 20) -> Drawing:
    """Average satisfaction of the vendors with the most scored records: a dot on the 1-5
    scale per vendor (a bar would start at a score of 0, which nobody can give)."""
    df = _in_order(per_vendor.head(top_n))
    df["label"] = [f"{a:.2f} ({n} scored)" for a, n in zip(df.average, df.scored, strict=True)]
    return Drawing(df, _vendor_satisfaction)


def _vendor_satisfaction() -> alt.LayerChart:
    base = alt.Chart().encode(
        y=alt.Y("vendor:N", sort=IN_ORDER, title=None, axis=alt.Axis(labelLimit=label_limit(260))),
        x=alt.X(
            "average:Q",
            title="Average satisfaction (1 poor - 5 good)",
            scale=SCORE_SCALE,
            axis=alt.Axis(values=SCORE_TICKS),
        ),
        tooltip=[
            alt.Tooltip("vendor:N", title="Vendor"),
            alt.Tooltip("average:Q", title="Average satisfaction"),
            alt.Tooltip("scored:Q", title="Scored records"),
        ],
    )
    dots = base.mark_circle(size=90, color=BAR, opacity=1)
    text = base.mark_text(align="left", dx=8, color="#222").encode(text="label:N")
    return (dots + text).properties(height=alt.Step(22)).add_params(room())


def systems_chart(systems: pd.DataFrame) -> Drawing:
    """Systems by the number of boroughs using them."""
    df = systems.copy()
    df["label"] = [f"{n} {noun(n)}" for n in df.boroughs]
    return bar_with_labels(df, "system", "boroughs", "label", f"{noun(2, True)} using it")


def end_years_chart(years: pd.DataFrame) -> Drawing:
    """Contracts by the year they end, with counts and value written on."""
    df = years.copy()
    df["label"] = [f"{n} ({money(v)})" for n, v in zip(df.contracts, df.annual_value, strict=True)]
    return bar_with_labels(df, "year", "contracts", "label", "Contracts ending")
