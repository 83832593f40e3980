"""Tables: readable column names (money, percentages, dates), empty cells for missing values,
the region's word for a council, and the record columns' labels as their downloads write them."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from citydata.core import boroughs
from citydata.output import exports
from citydata.query import borough_profile, peers

TABLE_ROWS = 1_000  # rows a table shows; downloads hold everything


# What a table shows for a missing value (no hosting recorded, a record without a value):
# an empty cell, in every column type, rather than Streamlit's grey "None".
MISSING = ""


def dataframe(df: pd.DataFrame, **kwargs: Any) -> Any:
    """`st.dataframe` of `df` with empty cells for missing values (`MISSING`), its column
    names in the region's words ('Council' outside London)."""
    kwargs["column_config"] = region_columns(df, kwargs.get("column_config"))
    return st.dataframe(df, placeholder=MISSING, **kwargs)


def region_columns(df: pd.DataFrame, config: dict[str, Any] | None) -> dict[str, Any]:
    """A column config whose labels and help say 'council' rather than 'borough' outside
    London; a column without a label of its own gets its name so reworded."""
    out = dict(config or {})
    for name in map(str, df.columns):
        shown = out.get(name, {})
        if shown is None:
            continue
        shown = {"label": name} | dict(shown) if isinstance(shown, dict) else {"label": shown}
        out[name] = {
            k: boroughs.reword(v) if k in ("label", "help") and isinstance(v, str) else v
            for k, v in shown.items()
        }
    return out


def table(df: pd.DataFrame, key: str | None = None, selectable: bool = False) -> Any:
    """A table with readable column names: '(£)' columns as money, '(%)' ones as percentages,
    dates as dates. With `selectable`, one row can be picked; returns the selection event."""
    config: dict[str, Any] = {}
    # A table of records (one naming who else bought a joint contract) says what its annual
    # value and "Bought jointly with" are, as the records tables do (RECORD_COLUMN_CONFIG).
    records = exports.label("bought_with") in df.columns
    notes = {exports.label(n): note for n, note in exports.NOTES.items()} if records else {}
    for name in map(str, df.columns):
        if name in notes and name.endswith("(£)"):
            config[name] = st.column_config.NumberColumn(format="£%,.0f", help=notes[name])
        elif name in notes:
            config[name] = st.column_config.TextColumn(help=notes[name])
        elif name.endswith("(£)"):
            config[name] = st.column_config.NumberColumn(format="£%,.0f")
        elif name.endswith("(%)"):
            config[name] = st.column_config.NumberColumn(format="%.1f%%")
        elif pd.api.types.is_datetime64_any_dtype(df[name]):
            config[name] = st.column_config.DateColumn(format="DD/MM/YYYY")
    extra: dict[str, Any] = {"on_select": "rerun", "selection_mode": "single-row"}
    return dataframe(
        df.head(TABLE_ROWS),
        hide_index=True,
        width="stretch",
        column_config=config,
        key=key,
        **(extra if selectable else {}),
    )


def _named(name: str) -> str:
    """A record column's label, the one its downloads write (`exports.label`; reworded
    'Council' outside London where it is shown, by `dataframe`)."""
    return exports.written_label(name)


RECORD_COLUMN_CONFIG: dict[str, Any] = {
    "borough_code": None,
    "snapshot_id": None,
    **{
        name: st.column_config.TextColumn(_named(name))
        for name in ("borough", "service_area", "system", "vendor", "manufacturer", "hosting")
    },
    **{
        name: st.column_config.DateColumn(_named(name), format="DD/MM/YYYY")
        for name in ("contract_start", "contract_end")
    },
    "annual_value": st.column_config.NumberColumn(
        _named("annual_value"), format="£%,.0f", help=exports.NOTES["annual_value"]
    ),
    "total_value": st.column_config.NumberColumn(_named("total_value"), format="£%,.0f"),
    "annual_value_derived": st.column_config.CheckboxColumn(_named("annual_value_derived")),
    "bought_with": st.column_config.TextColumn(
        _named("bought_with"), help=exports.NOTES["bought_with"]
    ),
    "satisfaction": st.column_config.NumberColumn(
        _named("satisfaction"), help="Supplier satisfaction, 1 (poor) to 5 (good)."
    ),
    **{
        name: st.column_config.TextColumn(_named(name))
        for name in ("source_ref", "skill_level", "contact_role", "source_kind", "source")
    },
}

# The borough profile's vendor and peer tables (record columns as above), named as its
# briefings name them.
_PROFILE = {**borough_profile.VENDOR_LABELS, **peers.PEER_LABELS}
PROFILE_COLUMN_CONFIG: dict[str, Any] = {
    **RECORD_COLUMN_CONFIG,
    "records": st.column_config.NumberColumn(_PROFILE["records"]),
    "share": st.column_config.ProgressColumn(
        _PROFILE["share"], format="%.1f%%", min_value=0, max_value=100
    ),
    **{
        name: st.column_config.TextColumn(_PROFILE[name])
        for name in ("systems", "match", "peer_borough", "peer_system", "peer_vendor")
    },
    "peer_contract_end": st.column_config.DateColumn(
        _PROFILE["peer_contract_end"], format="DD/MM/YYYY"
    ),
    "months_apart": st.column_config.NumberColumn(
        _PROFILE["months_apart"],
        help="Whole months from this borough's end date to the peer's (+ later).",
    ),
}
