"""Download buttons: a table's or a selection's CSV and Excel files, and a briefing's files."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from citydata.core import dates
from citydata.output import exports, provenance, workbook
from citydata.query.filters import FilterState
from citydata.store.db import Reader
from ui.reading import query, read
from ui.text import plain


def downloads(
    data: pd.DataFrame | Callable[[], pd.DataFrame] | FilterState | exports.Rows,
    stem: str,
    key: str,
    records: int | None = None,
    *,
    filtered: bool = True,
) -> None:
    """CSV and Excel downloads, neutralised against formula injection.

    `data` may be a function: it then runs only when someone clicks a button. A `FilterState`
    means every record it selects, and `exports.Rows` a query's rows: DuckDB writes those
    files when a button is clicked, and a selection too big for the app gets a note saying why
    a button is off (`exports.offer`). `records`: how many rows `data` holds, when the page
    knows (a DataFrame's are counted); a selection too big for a download is then not offered.

    The files say what they were made of (`provenance`): their names carry the sidebar's
    filters (or those of `data`, a FilterState) in short, and the Excel file a sheet saying
    them in full, when it was made, from which snapshots, and its row count. `filtered=False`:
    a table the filters do not choose (an upload's problems).
    """
    records_of_state = isinstance(data, FilterState)
    state = data if isinstance(data, FilterState) else None
    if state is None and filtered:
        state = st.session_state.get("filters")
    if isinstance(data, FilterState):
        if records is None:
            records = query(exports.record_count, data)
        data = exports.records(data)
    elif isinstance(data, pd.DataFrame) and records is None:
        records = len(data)  # (an upload's problems can outgrow an Excel sheet)
    offer = exports.Offer() if records is None else exports.offer(records)

    def csv() -> bytes:
        if isinstance(data, exports.Rows):
            return read(lambda r: exports.rows_csv(r, data))
        return exports.to_csv(exports.with_labels(data() if callable(data) else data))

    def about(r: Reader) -> workbook.About | None:
        made = dates.now()
        return None if state is None else provenance.about(r, state, made)

    # (every filtered record: "Contracts"; a page's table: what its file is called)
    sheet = "Contracts" if records_of_state else provenance.sheet_title(stem)

    def excel() -> bytes:
        if isinstance(data, exports.Rows):
            return read(lambda r: exports.rows_xlsx(r, data, sheet, about=about(r)))
        frame = exports.with_labels(data() if callable(data) else data)
        return exports.to_xlsx(frame, sheet, about=None if state is None else read(about))

    kinds = [
        ("CSV", csv, "csv", "text/csv", offer.csv),
        ("Excel", excel, "xlsx", exports.XLSX_MIME, offer.excel),
    ]
    row = st.container(horizontal=True)  # (each button as wide as its words, side by side)
    for label, make, suffix, mime, offered in kinds:
        row.download_button(
            f"Download {label}",
            data=make,
            file_name=exports.file_name(provenance.named(stem, state), suffix, dates.today()),
            mime=mime,
            key=f"{key}-{suffix}",
            icon=":material/download:",
            on_click="ignore",
            disabled=not offered,
            help=None if offered else plain(offer.note),
        )
    if offer.note:
        st.caption(plain(offer.note))


# A briefing's file kinds: ending -> (what the button calls it, MIME type, icon).
BRIEFING_KINDS = {
    "txt": ("text", "text/plain", ":material/description:"),
    "md": ("Markdown", "text/markdown", ":material/description:"),
    "csv": ("CSV", "text/csv", ":material/download:"),
    "xlsx": ("Excel", exports.XLSX_MIME, ":material/download:"),
    "docx": ("Word", exports.DOCX_MIME, ":material/article:"),
}


def briefing_downloads(stem: str, key: str, **files: Callable[[], bytes]) -> None:
    """One "Download briefing (kind)" button per file, side by side: `txt=make, docx=...`,
    each named `stem.<ending>` and made only when clicked (no rerun)."""
    row = st.container(horizontal=True)
    for ending, make in files.items():
        label, mime, icon = BRIEFING_KINDS[ending]
        row.download_button(
            f"Download briefing ({label})",
            data=make,
            file_name=f"{stem}.{ending}",
            mime=mime,
            key=f"{key}-{ending}",
            icon=icon,
            on_click="ignore",
        )
