"""The app's edge: the cached database, cached queries, the sidebar filters, shared widgets.

Pages call these helpers and `citydata`; nothing in `citydata` knows about Streamlit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, NamedTuple, TypeVar

import pandas as pd
import streamlit as st

from citydata import lifecycle
from citydata.core import boroughs, dates, regions, settings
from citydata.core import text as text_rules
from citydata.core.formatting import count
from citydata.output import exports, provenance, workbook
from citydata.query import borough_profile, corrections, filters, peers, selection
from citydata.query.filters import FilterState
from citydata.store import ledger, versions
from citydata.store.db import Database, Reader
from ui import charting, datefields, faults, links
from ui.charts import Drawing
from ui.faults import fragment  # noqa: F401 (re-exported: pages call ui.fragment)
from ui.links import (  # noqa: F401 (re-exported: pages call ui.share_link, ui.stop...)
    address_to_copy,
    copy_link,
    current_link,
    naming_dropped_settings,
    note_dropped_page_settings,
    share_link,
    share_note,
    shown_as,
    site_address,
    stop,
)

T = TypeVar("T")
CACHE_TTL_SECONDS = 300
TABLE_ROWS = 1_000  # rows a table shows; downloads hold everything


def configure_region() -> None:
    """Take CITYTOOLS_REGION from the secrets too; a value that cannot be used stops the app
    here with a message naming the setting (nothing is opened or built)."""
    regions.use_secrets(st.secrets.to_dict() if st.secrets.load_if_toml_exists() else {})
    try:
        regions.current()
    except settings.SettingError as exc:
        set_up_wrongly(exc)
        st.stop()


def set_up_wrongly(exc: settings.SettingError) -> None:
    """Say that a setting cannot be used, naming it and its value (shown as written)."""
    st.error(f"The app is set up wrongly. {plain(str(exc))}", icon=":material/error:")


def noun(n: int | None = None, capital: bool = False) -> str:
    """'borough' in London, 'council' elsewhere; plural for a count other than 1."""
    return boroughs.noun(n, capital)


@st.cache_resource(show_spinner="Opening the database…")
def _database(path: str) -> Database:
    db = lifecycle.open_store(path)
    ledger.fold(db, path)  # what `alerts send` recorded while this app was stopped or serving
    return db


def database() -> Database:
    """The process's one database handle (built from the embedded data when missing)."""
    return _database(str(lifecycle.db_path()))


def data_version() -> int:
    return versions.data_version(database())


class _NewerData(Exception):
    """The data changed since this script run began (not cached, so never a stale entry)."""


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=512, show_spinner=False)
def _cached(
    _fn: Callable[..., Any], name: str, path: str, version: int, state: Any, args: tuple, day: date
) -> Any:
    # (`day`, today's date, only keys the entry: a query that counts from today, the Overview's
    # "ending in the next 12 months", is worked out again when the day changes, not up to
    # CACHE_TTL_SECONDS after midnight)
    with _database(path).read() as r:
        if versions.data_version(r) != version:
            raise _NewerData
        return _fn(r, state, *args)


def pin_version() -> None:
    """Fix the data version and the day for this script run: every panel of the page reads
    that state of the data, on that day."""
    st.session_state["_data_version"] = data_version()
    st.session_state["_day"] = dates.today()


def _day() -> date:
    return st.session_state.get("_day") or dates.today()


def query(fn: Callable[..., T], state: Any, *args: Any) -> T:
    """Run `fn(reader, state, *args)`, cached per data version, filters and arguments.

    Keys are small (names, the filter state, the snapshot version), never DataFrames. Every
    query of one run reads the version pinned at its start; if a commit lands part-way, the
    page runs again from the top, so it never shows panels from two states of the data.
    """
    name = f"{fn.__module__}.{fn.__qualname__}"
    version = st.session_state.get("_data_version") or data_version()
    try:
        return _cached(fn, name, str(lifecycle.db_path()), version, state, tuple(args), _day())
    except _NewerData:
        st.rerun()


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=512, show_spinner=False)
def _derived(
    _then: Callable[..., Any],
    then_name: str,
    _fn: Callable[..., Any],
    name: str,
    path: str,
    version: int,
    state: Any,
    args: tuple,
    then_args: tuple,
    day: date,
) -> Any:
    return _then(_cached(_fn, name, path, version, state, args, day), *then_args)


def derive(
    then: Callable[..., T], fn: Callable[..., Any], state: Any, args: tuple, *then_args: Any
) -> T:
    """`then(query(fn, state, *args), *then_args)`, cached by the same small keys as `query`:
    a panel worked out from a query's result (the Market page's panels from its one read of
    the selection) is worked out once per selection, not on every rerun."""
    name = f"{fn.__module__}.{fn.__qualname__}"
    then_name = f"{then.__module__}.{then.__qualname__}"
    version = st.session_state.get("_data_version") or data_version()
    path = str(lifecycle.db_path())
    try:
        return _derived(
            then, then_name, fn, name, path, version, state, tuple(args), then_args, _day()
        )
    except _NewerData:
        st.rerun()


def read(fn: Callable[[Reader], T]) -> T:
    """Run `fn(reader)` uncached, in one consistent read."""
    with database().read() as r:
        return fn(r)


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=16, show_spinner=False)
def filter_options(path: str, version: int) -> dict[str, list[str]]:
    with _database(path).read() as r:
        return selection.options(r)


# ---- sidebar filters -------------------------------------------------------------------------


def page_filters() -> FilterState:
    """The sidebar filters app.py drew for this run; call at the top of every page.

    Without them the page file is running on its own, not through app.py (a server's very first
    request opening a page by its address: see ui.pagesdir); then it runs again through app.py.
    """
    from ui import pagesdir

    if not pagesdir.inside_app():
        pagesdir.run_through_app()
    return st.session_state["filters"]


SOURCE_HELP = (
    "With both (nothing picked), a published notice matched to a register record counts once, "
    "as the register record: its dates, service area and system are the register's, and the "
    "filters decide by them. With published notices alone, each notice counts with its own, so "
    "a contract-end range can keep a notice whose register record it leaves out, or the other "
    "way round. The Reconciliation page shows where the two disagree."
)


def sidebar_filters() -> FilterState:
    """Draw the filters in the sidebar, bound to the URL, and return the user's selection."""
    options = filter_options(str(lifecycle.db_path()), data_version())
    links.note_invalid_url_values(
        options, lambda given: read(lambda r: selection.regrouped(r, given))
    )
    with st.sidebar:
        st.header("Filters")
        for choice in filters.CHOICES:
            st.multiselect(
                choice.shown,
                options[choice.key],
                key=choice.key,
                bind="query-params",
                placeholder=f"All {choice.noun} values" if choice.key == "hosting" else "All",
                help=SOURCE_HELP if choice.key == "source_kind" else None,
            )
        st.caption("Contract ends")
        # One above the other: side by side, each box was too narrow to show a whole date.
        st.date_input("From", value=None, key="end_from", bind="query-params", format="DD/MM/YYYY")
        st.date_input("To", value=None, key="end_to", bind="query-params", format="DD/MM/YYYY")
        datefields.enter_applies_dates()
        st.text_input(
            "Search",
            key="q",
            bind="query-params",
            placeholder="system, vendor, reference…",
            max_chars=200,
        )
        st.button("Clear filters", on_click=_clear_filters, width="stretch")
        for note in st.session_state.get("_url_notes", []):
            st.warning(plain(note, links.URL_NOTE_LIMIT), icon=":material/info:")
    state = filters.state_from_widgets({k: st.session_state.get(k) for k in filters.URL_KEYS})
    state, notes = corrections.normalise(state, options)  # the same clean-up as the command line's
    for note in notes:
        st.sidebar.warning(note, icon=":material/info:")
    return state


def _clear_filters() -> None:
    for choice in filters.CHOICES:
        st.session_state[choice.key] = []
    for key in filters.DATE_KEYS:
        st.session_state[key] = None
    st.session_state[filters.SEARCH_KEY] = ""
    st.session_state["_url_notes"] = []


# ---- shared page parts -----------------------------------------------------------------------


class Figure(NamedTuple):
    """One headline figure (`st.metric`): its label, its value as shown, and help text."""

    label: str
    value: str
    help: str | None = None


# Widths in pixels of a metric's words in Streamlit 1.67's font (measured in Chromium: labels
# 5.8-7.0 a character, values 14.5-18 a character; the help icon 24 with its margin).
LABEL_PX, VALUE_PX, HELP_PX, SLACK_PX = 6.4, 17.0, 26, 6


def metric_width(figure: Figure) -> int:
    """The narrowest a figure's column can be with its label and value whole."""
    label = LABEL_PX * len(figure.label) + (HELP_PX if figure.help else 0)
    return round(max(label, VALUE_PX * len(figure.value), 120) + SLACK_PX)


def metrics(*shown: Figure, per_row: int | None = None) -> None:
    """Headline figures side by side, `per_row` (all) a row where the page is wide enough.

    A responsive grid rather than fixed columns: where a figure's label or value would not fit
    its column (a tablet, a laptop zoomed in, a phone), the row holds fewer figures and the
    rest go below, rather than cut the words to "Top 10 vendors' share of re…" or "£54,016,…".
    """
    grid = st.grid(
        per_row or len(shown), min_column_width=max(map(metric_width, shown)), gap="small"
    )
    for figure in shown:
        grid.metric(figure.label, figure.value, help=figure.help)


def plain(text: Any, limit: int | None = text_rules.MARKDOWN_LIMIT) -> str:
    """Text for any widget that renders Markdown (st.markdown, caption, warning, success, info,
    error, button, tab and metric labels) that shows literally: one line, at most `limit`
    characters, no link, image, heading, colour or auto-linked address (text.markdown_literal).
    """
    return text_rules.markdown_literal(text, limit)


def selection_header(state: FilterState, noun: str = "contracts") -> None:
    """The plain-English summary of the filters, and the illustrative-data notice."""
    st.markdown(f"**{plain(filters.summary(state, noun))}**")
    found = query(selection.illustrative, state)
    if found.boroughs:
        st.info(illustrative_notice(found), icon=":material/science:")


def illustrative_notice(found: selection.Illustrative) -> str:
    """'Illustrative data. The records for Camden are generated examples, ...': which records
    are examples, and, when some of those boroughs' records are published notices, that those
    are real."""
    demo = found.boroughs
    if len(demo) == 1:
        which = plain(demo[0])
    else:
        total = boroughs.count()
        which = f"{f'all {total}' if len(demo) == total else len(demo)} {boroughs.noun(2)}"
    if found.published:
        notices = count(found.published, "published notice")
        what = (
            f"The register records for {which} are generated examples, not real contracts; "
            f"{'its' if len(demo) == 1 else 'their'} {notices} "
            f"{'is' if found.published == 1 else 'are'} real."
        )
    else:
        what = f"The records for {which} are generated examples, not real contracts."
    return (
        f"Illustrative data. {what} Each {boroughs.noun()}'s examples are replaced when a data "
        "steward uploads its own register."
    )


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
    for name in map(str, df.columns):
        if name.endswith("(£)"):
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


@faults.fragment
def chart_and_table(drawing: Drawing, df: pd.DataFrame, stem: str, key: str) -> None:
    """The chart of `drawing` (its shape built once: `charting.draw`), the table behind
    it (its own tab, in the link as `<key>_view`) and the table's downloads. Only the tab on
    screen is built and sent; the other is made when someone opens it, and switching tabs
    reruns this panel alone (a fragment), not the page."""
    tab_chart, tab_table = st.tabs(["Chart", "Table"], key=f"{key}_view", bind="query-params")
    if tab_chart.open:
        with tab_chart:
            charting.draw(drawing)
    if tab_table.open:
        with tab_table:
            table(df)
    downloads(df, stem, key)


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


def service_type_split(state: FilterState) -> None:
    """Frontline against corporate for the selection: records, their share and annual value."""
    split = query(selection.service_type_split, state)
    if split.empty:
        return
    st.header("Frontline and corporate services")  # a section under the page's title (h2)
    table(
        split.rename(
            columns={
                "service_type": "Service type",
                "records": "Records",
                "records_share": "Share of records (%)",
                "annual_value": "Annual value (£)",
            }
        ),
        key="service_type_split",
    )
    st.caption(
        "Frontline: services residents use directly (social care, housing, waste...). "
        "Corporate: the council's own running (finance, HR, IT). The people who run the app "
        "decide which service area is which; the Service type filter in the sidebar picks one."
    )
