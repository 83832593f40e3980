"""Everything Streamlit. This file is the pages' face of the package: the helpers every page
calls as `ui.<name>`, each defined in the module named after what it holds (ui/reading.py the
database and its cached reads, ui/sidebar.py the filters, ui/panels.py the shared panels,
ui/tables.py, ui/downloading.py, ui/text.py, ui/links.py the share links, ui/faults.py).
Constants are read from their module (`ui.tables.TABLE_ROWS`), so a test that changes one
changes it everywhere; the modules of this package import each other, never this file.

Nothing in `citydata` knows about Streamlit.
"""

from ui.downloading import briefing_downloads, downloads
from ui.faults import fragment
from ui.links import address_to_copy, share_link, share_note, shown_as, site_address, stop
from ui.panels import Figure, chart_and_table, metrics, selection_header, service_type_split
from ui.reading import database, derive, query, read
from ui.sidebar import page_filters
from ui.tables import dataframe, table
from ui.text import noun, plain

__all__ = [
    "Figure",
    "address_to_copy",
    "briefing_downloads",
    "chart_and_table",
    "database",
    "dataframe",
    "derive",
    "downloads",
    "fragment",
    "metrics",
    "noun",
    "page_filters",
    "plain",
    "query",
    "read",
    "selection_header",
    "service_type_split",
    "share_link",
    "share_note",
    "shown_as",
    "site_address",
    "stop",
    "table",
]
