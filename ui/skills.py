"""The "Who can help" panel: the boroughs running a system, most in-house skill first.

Shown on the Adoption page (for the chosen system) and on the borough profile (for one of the
borough's systems, from its peers). The table comes from citydata.query.skills.
"""

from __future__ import annotations

import streamlit as st

from citydata.core.text import file_stem
from citydata.query import skills
from citydata.query.filters import FilterState
from ui.downloading import downloads
from ui.reading import query
from ui.tables import dataframe
from ui.text import noun, plain

COLUMN_CONFIG = {
    "Satisfaction (1-5)": st.column_config.NumberColumn(format="%.1f"),
    "Next contract end": st.column_config.DateColumn(format="DD/MM/YYYY"),
    "Records": st.column_config.NumberColumn(),
}


def panel(state: FilterState, system: str, key: str, besides: str | None = None) -> None:
    """A sentence saying who can help with `system` (or that nobody recorded skills), and the
    table with its downloads."""
    found = query(skills.who_can_help, state, system, besides)
    st.markdown(plain(skills.in_words(found, system, noun())))
    if found.empty:
        return
    table = skills.labelled(found)
    dataframe(table, hide_index=True, width="stretch", column_config=COLUMN_CONFIG, key=key)
    st.caption(
        f"Every {noun()} running it under the filters (the {noun(capital=True)} filter "
        "aside), most in-house skill first, then the most satisfied. Skill levels and contact "
        "roles are what each register records; ask the role, not a named person."
    )
    downloads(table, f"who-can-help-{file_stem(system, 'system')}", key=f"{key}-downloads")
