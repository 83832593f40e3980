"""Coming to market: the boroughs' contracts that end, or whose renewal falls to be decided, in
the next one to three years, per service area and quarter: for suppliers and new entrants.

Built on the one filtered base query with decide-by dates (citydata.query.pipeline), so its
counts agree with the Renewal pipeline. "In the next N years" means on or after today and before
the same day N years on. Per service area: the contracts ending and their combined annual value,
the boroughs, the decisions due, the incumbents (the suppliers of the contracts ending, most
first), the suppliers now in that market and its HHI concentration (of records, as on the Market
page), and whether a challenger has room: at least `ROOM_MIN_ENDING` contracts ending in a
market held by at most `ROOM_MAX_VENDORS` suppliers or highly concentrated (HHI above 2,000).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import pandas as pd

from citydata.core import boroughs, settings
from citydata.core.dates import add_months
from citydata.core.formatting import count
from citydata.query import market, pipeline, selection
from citydata.query.filters import FilterState
from citydata.query.pipeline import LeadTimes
from citydata.store.db import Reader

HIDE_VALUES = "CITYTOOLS_HIDE_MARKET_VALUES"
YEARS = (1, 2, 3)
DEFAULT_YEARS = 2
ROOM_MIN_ENDING = 3
ROOM_MAX_VENDORS = 3
HIGH_HHI = 2000
MODERATE_HHI = 1000
INCUMBENTS_SHOWN = 3
VALUE_COLUMNS = ("value_ending", "value_deciding")
# The window's two events: a contract ending, a renewal decision falling due.
_ENDS = "WHERE contract_end >= $today AND contract_end < $horizon"
_DUE = "WHERE decide_by >= $today AND decide_by < $horizon"

LABELS = {
    "service_area": "Service area",
    "quarter": "Quarter",
    "ending": "Contracts ending",
    "value_ending": "Annual value ending (£)",
    "boroughs": "Boroughs",
    "deciding": "Decisions due",
    "value_deciding": "Annual value of decisions due (£)",
    "suppliers": "Suppliers in this market now",
    "hhi": "Concentration (HHI)",
    "concentration": "How concentrated",
    "incumbents": "Main incumbents",
    "room": "Room for a challenger",
}


def _window(state: FilterState, lead: LeadTimes, years: int, today: date) -> tuple[str, dict]:
    sql, params = pipeline.dated(state, lead)
    params |= {"today": today, "horizon": add_months(today, 12 * int(years))}
    return sql, params


def quarters(
    r: Reader, state: FilterState, lead: LeadTimes, years: int, today: date
) -> pd.DataFrame:
    """Per service area and calendar quarter: contracts ending (and their combined annual
    value) and decisions falling due in the window (a contract bought jointly once: its
    councils' records end and fall due together). `quarter` is '2027 Q1' (January-March)."""
    sql, params = _window(state, lead, years, today)
    held = selection.joint_held(r)
    return r.df(
        f"""WITH d AS ({sql}),
        e AS (SELECT service_area, contract_end AS day, TRUE AS ends, annual_value AS v_end,
                     NULL::DECIMAL(18,2) AS v_dec, {selection.JOINT} AS joint
              FROM d {_ENDS}
              UNION ALL
              SELECT service_area, decide_by, FALSE, NULL, annual_value, {selection.JOINT}
              FROM d {_DUE})
        SELECT service_area,
               year(day) || ' Q' || quarter(day) AS quarter,
               CAST({selection.contracts(held, "ends", "joint")} AS INTEGER) AS ending,
               CASE WHEN bool_or(ends) THEN round(sum(v_end), 2) ELSE 0 END AS value_ending,
               CAST({selection.contracts(held, "NOT ends", "joint")} AS INTEGER) AS deciding,
               CASE WHEN bool_or(NOT ends) THEN round(sum(v_dec), 2) ELSE 0 END
                   AS value_deciding
        FROM e GROUP BY ALL ORDER BY service_area, quarter""",
        params,
    )


def _value_of(where: str) -> str:
    """The combined annual value of the records `where` picks: £0 when it picks none (no
    decision due is worth nothing); no value only when every one it picks has none."""
    return (
        f"CASE WHEN count(*) FILTER ({where}) = 0 THEN 0"
        f" ELSE round(sum(annual_value) FILTER ({where}), 2) END"
    )


def markets(
    r: Reader, state: FilterState, lead: LeadTimes, years: int, today: date
) -> pd.DataFrame:
    """One row per service area with contracts ending or decisions due in the window, the
    markets with most contracts ending first (a contract bought jointly once; the incumbents
    ranked by the contracts they hold that end)."""
    sql, params = _window(state, lead, years, today)
    held = selection.joint_held(r)
    ends, due = _ENDS.removeprefix("WHERE "), _DUE.removeprefix("WHERE ")
    window = r.df(
        f"""WITH d AS ({sql}),
        ending AS (SELECT * FROM d {_ENDS}),
        inc AS (SELECT service_area, string_agg(vendor, ', ' ORDER BY n DESC, vendor)
                    AS incumbents
                FROM (SELECT *, row_number() OVER (PARTITION BY service_area
                                                   ORDER BY n DESC, vendor) AS rk
                      FROM (SELECT service_area, vendor, {selection.contracts(held)} AS n
                            FROM ending
                            WHERE vendor IS NOT NULL GROUP BY ALL))
                WHERE rk <= {INCUMBENTS_SHOWN} GROUP BY service_area),
        w AS (SELECT service_area,
               CAST({selection.contracts(held, ends)} AS INTEGER) AS ending,
               {_value_of(_ENDS)} AS value_ending,
               CAST(count(DISTINCT borough) FILTER ({_ENDS}) AS INTEGER) AS boroughs,
               CAST({selection.contracts(held, due)} AS INTEGER) AS deciding,
               {_value_of(_DUE)} AS value_deciding
              FROM d GROUP BY service_area)
        SELECT w.*, inc.incumbents FROM w LEFT JOIN inc USING (service_area)
        WHERE ending > 0 OR deciding > 0""",
        params,
    )
    conc = market.concentration_from((r, whole_market(state), "supplier"))
    conc = conc[["service_area", "vendors", "hhi"]]
    out = window.merge(conc, on="service_area", how="left").rename(columns={"vendors": "suppliers"})
    out["suppliers"] = out["suppliers"].fillna(0).astype(int)
    out["concentration"] = out["hhi"].map(concentration_words)
    out["room"] = [
        room_words(e, s, h)
        for e, s, h in zip(out["ending"], out["suppliers"], out["hhi"], strict=True)
    ]
    # "(not given)" where contracts end naming no vendor; nothing where none ends (a market
    # with decisions due alone has no contract ending, so no incumbent of one to name)
    out["incumbents"] = out["incumbents"].fillna("(not given)").where(out["ending"] > 0, "")
    columns = ["service_area", "ending", "value_ending", "boroughs", "deciding", "value_deciding",
               "incumbents", "suppliers", "hhi", "concentration", "room"]  # fmt: skip
    return out.sort_values(["ending", "service_area"], ascending=[False, True])[
        columns
    ].reset_index(drop=True)


def whole_market(state: FilterState) -> FilterState:
    """The selection whose suppliers make up a market: every supplier of the chosen boroughs,
    service areas and dates, whichever vendor, system or search picked the contracts (with
    Civica chosen, a market is not one of a single supplier)."""
    return state.with_(vendor=(), system=(), q="")


def concentration_words(hhi: float | None) -> str:
    """Plain words for an HHI (the competition authorities' usual bands)."""
    if hhi is None or pd.isna(hhi):
        return "not known"
    if hhi > HIGH_HHI:
        return "highly concentrated: a few suppliers hold most of it"
    if hhi >= MODERATE_HHI:
        return "moderately concentrated"
    return "competitive: many suppliers"


def has_room(ending: int, suppliers: int, hhi: float | None) -> bool:
    concentrated = hhi is not None and not pd.isna(hhi) and hhi > HIGH_HHI
    return ending >= ROOM_MIN_ENDING and (suppliers <= ROOM_MAX_VENDORS or concentrated)


def room_words(ending: int, suppliers: int, hhi: float | None) -> str:
    if has_room(ending, suppliers, hhi):
        hold = "holds" if suppliers == 1 else "hold"
        return (
            f"Yes: {count(ending, 'contract')} ending, {count(suppliers, 'supplier')} {hold} "
            "this market"
        )
    if ending < ROOM_MIN_ENDING:
        return "Few contracts ending"
    return "Crowded: many suppliers already"


def headline(df: pd.DataFrame) -> dict[str, float | int | None]:
    """Totals over the markets table. The combined value of the contracts ending is None (not
    recorded, not £0) when contracts end and none of them has a value, as in the table; £0 when
    none ends."""
    ending = df["value_ending"][df["ending"] > 0]
    return {
        "ending": int(df["ending"].sum()),
        "value_ending": None
        if len(ending) and ending.isna().all()
        else float(df["value_ending"].fillna(0).sum()),
        "deciding": int(df["deciding"].sum()),
        "room": int(
            sum(
                has_room(e, s, h)
                for e, s, h in zip(df["ending"], df["suppliers"], df["hhi"], strict=True)
            )
        ),
    }


def values_hidden(secrets: Mapping[str, Any] | None = None) -> bool:
    """True when the installation hides contract values from this view (HIDE_VALUES)."""
    text = (settings.value(HIDE_VALUES, secrets) or "").strip().lower()
    if text in ("", "false", "no", "0", "off"):
        return False
    if text in ("true", "yes", "1", "on"):
        return True
    raise settings.SettingError(f"{HIDE_VALUES} is “{text[:20]}”; use true or false.")


def without_values(df: pd.DataFrame) -> pd.DataFrame:
    """The table with contract values removed (for installations that hide them)."""
    return df.drop(columns=[c for c in (*VALUE_COLUMNS, "annual_value") if c in df.columns])


def quarter_grid(quarters: pd.DataFrame, what: str = "ending") -> pd.DataFrame:
    """`quarters` as a grid: a row per service area, a column per quarter, `what` in cells.
    A quarter with nothing in it is 0; a value stays empty where the quarter has contracts
    and none of them has a value, as in the markets table."""
    if what not in ("ending", "deciding", "value_ending", "value_deciding"):
        raise ValueError(f"no such measure: {what}")
    grid = quarters.pivot(index="service_area", columns="quarter", values=what)
    present = quarters.pivot(index="service_area", columns="quarter", values="ending").notna()
    grid = grid.where(present, 0)
    if what in ("ending", "deciding"):
        grid = grid.astype(int)
    grid.columns = [str(c) for c in grid.columns]
    return grid.reset_index().rename(columns={"service_area": "Service area"})


def labelled(df: pd.DataFrame) -> pd.DataFrame:
    """The table with the column names people read, in the region's words ('Councils'
    outside London): the page's table, its downloads and `coming`'s CSV."""
    return df.rename(columns=lambda c: boroughs.reword(LABELS.get(c, c)))


def feed_records(
    r: Reader, state: FilterState, lead: LeadTimes, years: int, today: date, limit: int
) -> pd.DataFrame:
    """Contracts ending in the window, with decide-by dates, for the subscribable calendar."""
    records = pipeline.with_decide_by(r, state, lead, limit=limit, today=today)
    horizon = pd.Timestamp(add_months(today, 12 * int(years)))
    ends = pd.to_datetime(records["contract_end"])
    return records[(ends >= pd.Timestamp(today)) & (ends < horizon)].reset_index(drop=True)
