"""The app's first step on every run: open the database, or say plainly why it cannot be used.

The file's life is `citydata.lifecycle`'s; this module only speaks to the visitor:
- busy (another process holds the file, usually a command-line import): lifecycle waited and
  tried again; say the data is busy and to try again in a moment. Never offer a rebuild: the
  file is fine, and moving it aside would lose what the other process is writing.
- unusable (not a DuckDB file, another program's, corrupt, from a newer version): explain. Only
  a signed-in data steward is offered "Rebuild from the embedded data" (lifecycle.rebuild: the
  same build as a first start, $CITYTOOLS_RESTORE_FROM honoured, the old file kept beside it).
  The sign-in page still opens, so a steward can sign in to do it.
"""

from __future__ import annotations

from typing import Any, NoReturn

import streamlit as st

from citydata import lifecycle
from citydata.core import regions, settings
from ui import fetching, steward
from ui.reading import database
from ui.text import plain, set_up_wrongly

SIGN_IN_URL_PATH = "sign_in"
# Pages that still run when the database cannot be opened: where stewards sign in (the upload
# page shows only its sign-in form until then, and reads no data before it).
SIGN_IN_PAGES = frozenset({SIGN_IN_URL_PATH, "upload"})
BUSY = (
    "The data is busy: another program is using the database right now (usually an import "
    "from the command line). Try again in a moment."
)


def configure_region() -> None:
    """Take CITYTOOLS_REGION from the secrets too; a value that cannot be used stops the app
    here with a message naming the setting (nothing is opened or built)."""
    regions.use_secrets(st.secrets.to_dict() if st.secrets.load_if_toml_exists() else {})
    try:
        regions.current()
    except settings.SettingError as exc:
        _set_up_wrongly(exc)


def open_database(page: Any) -> None:
    """Return when the database is open; otherwise explain (and, for a steward, offer a
    rebuild) and stop this run. `page` is the page being opened: the sign-in page still runs."""
    try:
        database()
        return
    except settings.SettingError as exc:  # the file may be fine: no rebuild offered
        _set_up_wrongly(exc)
    except lifecycle.FileBusy:
        _busy()
    except lifecycle.StoreError as exc:
        _unusable(page, str(exc))


def start_inbox() -> None:
    """Start importing the fetches queued while the app holds the file (ui.fetching); a
    CITYTOOLS_INBOX_SECONDS that cannot be used stops the app here, named."""
    try:
        fetching.start_inbox(database())
    except settings.SettingError as exc:
        _set_up_wrongly(exc)


def _set_up_wrongly(exc: settings.SettingError) -> NoReturn:
    set_up_wrongly(exc)
    st.stop()


def _unusable(page: Any, problem: str) -> None:
    st.error(f"The database cannot be used. {plain(problem)}", icon=":material/error:")
    if not steward.access().allowed:
        st.write(
            "A data steward can rebuild it from the embedded data after signing in; the current "
            "file is kept. Everyone else: please try again later."
        )
        if getattr(page, "url_path", None) in SIGN_IN_PAGES:
            page.run()
        st.stop()
    _offer_rebuild()


def _busy() -> None:
    st.warning(BUSY, icon=":material/hourglass_top:")
    st.button("Try again", type="primary")  # a click runs the page again
    st.stop()


def _offer_rebuild() -> None:
    try:  # a backup to restore that is not there: a setting to correct, and no rebuild offered
        restore = lifecycle.restore_archive()
    except settings.SettingError as exc:
        _set_up_wrongly(exc)
    st.write(
        "You can start again from the embedded illustrative data"
        + (", then the backup named by CITYTOOLS_RESTORE_FROM" if restore else "")
        + ". The current file is not deleted: it is renamed and kept beside the new one, so "
        "nothing is lost."
    )
    if not st.button("Rebuild from the embedded data", type="primary"):
        st.stop()
    try:
        kept = lifecycle.rebuild()
    except lifecycle.FileBusy:
        _busy()
    except settings.SettingError as exc:  # (the backup went missing since the offer)
        _set_up_wrongly(exc)
    except lifecycle.StoreError as exc:
        st.error(f"The rebuild failed. {plain(str(exc))}", icon=":material/error:")
        st.stop()
    database()
    if kept is None:
        st.success("The database was rebuilt meanwhile (by someone else); it opens now.")
    else:
        st.success(
            "Rebuilt from the embedded data. The unusable file was kept as "
            f"{plain(kept.name)}, beside the new one."
        )
