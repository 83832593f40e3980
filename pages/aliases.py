"""Vendor names: a data steward groups spellings of one company under one vendor."""

import streamlit as st

import ui
from citydata.store import matches, vendors
from ui import steward

who = steward.require()
st.title("Vendor names")
st.caption(
    'Spellings that mean the same company ("CAPITA PLC", "Capita Business Services Ltd") '
    "are counted as one vendor on every page. The records keep the name as it was written."
)

if done := st.session_state.pop("_alias_done", None):
    st.success(done, icon=":material/check_circle:")

suggestions = ui.read(vendors.suggest_aliases)
st.header("Suggested groupings")
if suggestions.empty:
    st.info("No near-duplicate vendor names in the current records.")
else:
    st.write(
        "Spellings in the current records that look like another vendor's name. Choose one and "
        "accept it to count it under that vendor from now on."
    )
    labels = vendors.SUGGESTION_LABELS
    shown = suggestions[list(labels)].rename(columns=labels)
    ui.table(shown, key="alias_suggestions")
    # Chosen by the spelling itself, not by its row: after an acceptance the list is shorter,
    # and a row number would point at another suggestion (or past the end).
    by_alias = {row["alias"]: row for row in suggestions.to_dict("records")}
    alias = st.selectbox(
        "Suggestion to accept",
        list(by_alias),
        index=None,
        format_func=lambda a: f"{a} → {by_alias[a]['vendor']}",
        placeholder="Choose a spelling",
        key="alias_pick",
    )
    if alias is not None:
        row = by_alias[alias]
        label = f"Count “{ui.plain(row['alias'], 200)}” under “{ui.plain(row['vendor'], 200)}”"
        if st.button(label, type="primary", key="accept_suggestion"):
            stored = vendors.accept_alias(
                ui.database(), row["alias"], row["vendor"], who.who or "data steward"
            )
            matches.refresh_all(ui.database())
            st.session_state["_alias_done"] = (
                f"“{ui.plain(row['alias'])}” is now counted under {ui.plain(stored)}."
            )
            st.session_state.pop("alias_pick", None)
            st.rerun()

st.header("Group a spelling yourself")
with st.form("manual_alias", clear_on_submit=True):
    left, right = st.columns(2)
    alias = left.text_input("Spelling as written", max_chars=vendors.MAX_NAME)
    vendor = right.text_input("Count it under the vendor", max_chars=vendors.MAX_NAME)
    if st.form_submit_button("Group"):
        try:
            stored = vendors.accept_alias(ui.database(), alias, vendor, who.who or "data steward")
        except vendors.AliasError as exc:
            st.error(ui.plain(exc))
        else:
            matches.refresh_all(ui.database())
            st.success(f"“{ui.plain(alias)}” is now counted under {ui.plain(stored)}.")

st.header("All groupings")
st.caption(
    "Every spelling counted under another vendor's name, who grouped it and when. The first "
    "ones came with the app; the others were added by data stewards on this page. To stop "
    "counting a spelling under a vendor, ask whoever looks after the app."
)
groupings = ui.read(vendors.aliases)
ui.table(
    groupings[list(vendors.ALIAS_LABELS)].rename(columns=vendors.ALIAS_LABELS), key="alias_table"
)
