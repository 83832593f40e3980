"""Words on screen: text shown literally in any widget that renders Markdown, the region's
noun for a council, and a setting that cannot be used named as it was written."""

from __future__ import annotations

from typing import Any

import streamlit as st

from citydata.core import boroughs, settings
from citydata.core import text as text_rules


def plain(text: Any, limit: int | None = text_rules.MARKDOWN_LIMIT) -> str:
    """Text for any widget that renders Markdown (st.markdown, caption, warning, success, info,
    error, button, tab and metric labels) that shows literally: one line, at most `limit`
    characters, no link, image, heading, colour or auto-linked address (text.markdown_literal).
    """
    return text_rules.markdown_literal(text, limit)


def noun(n: int | None = None, capital: bool = False) -> str:
    """'borough' in London, 'council' elsewhere; plural for a count other than 1."""
    return boroughs.noun(n, capital)


def set_up_wrongly(exc: settings.SettingError) -> None:
    """Say that a setting cannot be used, naming it and its value (shown as written)."""
    st.error(f"The app is set up wrongly. {plain(str(exc))}", icon=":material/error:")
