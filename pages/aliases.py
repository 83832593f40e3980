"""Vendor names: a data steward groups spellings of one company under one vendor."""

import streamlit as st

import ui
from citydata.store import vendors
from ui import steward

who = steward.require()
st.title("Vendor names")
st.caption(
    'Spellings that mean the same company ("CAPITA PLC", "Capita Business Services Ltd") '
    "are counted as one vendor on every page. The records keep the name as it was written."
)

suggestions = ui.read(vendors.suggest_aliases)
st.subheader("Suggested groupings")
if suggestions.empty:
    st.info("No near-duplicate vendor names in the current records.")
else:
    st.write(
        "Spellings in the current records that look like another vendor's name. Select one and "
        "accept it to count it under that vendor from now on."
    )
    shown = suggestions[["alias", "records", "vendor", "vendor_records", "score", "reason"]]
    shown = shown.rename(
        columns={
            "alias": "Spelling",
            "records": "Its records",
            "vendor": "Group under",
            "vendor_records": "That vendor's records",
            "score": "Likeness (0-100)",
            "reason": "Why",
        }
    )
    picked = ui.table(shown, key="alias_suggestions", selectable=True)
    rows = picked.selection.rows if picked is not None else []
    if rows:
        row = suggestions.iloc[rows[0]]
        label = f"Count “{row['alias']}” under “{row['vendor']}”"
        if st.button(label, type="primary", key="accept_suggestion"):
            stored = vendors.accept_alias(
                ui.database(), row["alias"], row["vendor"], who.who or "data steward"
            )
            st.success(f"“{row['alias']}” is now counted under {stored}.")

st.subheader("Group a spelling yourself")
with st.form("manual_alias", clear_on_submit=True):
    left, right = st.columns(2)
    alias = left.text_input("Spelling as written", max_chars=vendors.MAX_NAME)
    vendor = right.text_input("Count it under the vendor", max_chars=vendors.MAX_NAME)
    if st.form_submit_button("Group"):
        try:
            stored = vendors.accept_alias(ui.database(), alias, vendor, who.who or "data steward")
        except vendors.AliasError as exc:
            st.error(str(exc))
        else:
            st.success(f"“{alias.strip()}” is now counted under {stored}.")

st.subheader("All groupings")
st.caption(
    "Groupings come from data/vendor_aliases.csv when the database is built, and from stewards "
    "here or with `python -m citydata aliases --accept`. To keep one for new databases, add it "
    "to that file too."
)
ui.table(ui.read(vendors.aliases), key="alias_table")
