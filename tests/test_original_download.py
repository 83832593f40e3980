"""A steward gets back the file a snapshot came from, byte for byte, on the History page: on a
hosted copy, with no command line, it is the only way to see what was uploaded."""

from __future__ import annotations

import inspect

import pytest

from citydata import ingest, lifecycle
from citydata.store import snapshots
from tests.apptest import new_visit, run_app
from tests.test_upload_app import camden_register, password, sign_in  # noqa: F401


@pytest.fixture
def downloads(monkeypatch) -> list[tuple[str, str, object]]:
    """(label, file name, data) of every download button drawn from now on (AppTest does not
    serve a download's deferred data): on a container, and `st.download_button`, bound when
    Streamlit was imported."""
    import streamlit as st
    from streamlit.elements.widgets.button import ButtonMixin

    drawn: list[tuple[str, str, object]] = []
    signature = inspect.signature(ButtonMixin.download_button)

    def recording(button, bound: bool):
        def record(*args, **kwargs):
            given = signature.bind(*((None, *args) if bound else args), **kwargs).arguments
            drawn.append((given["label"], str(given.get("file_name")), given["data"]))
            return button(*args, **kwargs)

        return record

    monkeypatch.setattr(
        ButtonMixin, "download_button", recording(ButtonMixin.download_button, False)
    )
    monkeypatch.setattr(st, "download_button", recording(st.download_button, True))
    return drawn


def test_a_steward_downloads_the_file_a_snapshot_came_from_as_received(
    db_path,
    password,  # noqa: F811
    downloads,
):
    content = b"\xef\xbb\xbf" + camden_register(db_path).replace(b"\n", b"\r\n")  # BOM, CRLF
    db = lifecycle.open_store(db_path)
    try:
        prepared = ingest.prepare(content, "Camden register.csv", borough="Camden")
        [upload_id] = snapshots.commit(db, prepared, content, "ann")
        with db.read() as r:
            taken = r.scalar(
                "SELECT CAST(created_at AS DATE) FROM snapshots WHERE id = $id", {"id": upload_id}
            )
    finally:
        db.close()
    at = sign_in(new_visit())
    at.switch_page("pages/history.py").run()
    at.selectbox(key="h_borough").set_value("Camden").run()
    assert not at.exception
    [(label, name, data)] = [d for d in downloads if "as received" in d[0]]
    assert label == f"Download the file of snapshot {upload_id}, as received"
    # named as uploaded, with the snapshot and its day: two snapshots' files never overwrite
    assert name == f"Camden register-snapshot-{upload_id}-{taken:%Y-%m-%d}.csv"
    assert data() == content


def test_a_visitor_gets_no_file_of_a_snapshot(db_path, downloads):
    content = camden_register(db_path)
    db = lifecycle.open_store(db_path)
    try:
        prepared = ingest.prepare(content, "Camden register.csv", borough="Camden")
        snapshots.commit(db, prepared, content, "ann")
    finally:
        db.close()
    at = run_app(page="pages/history.py")
    at.selectbox(key="h_borough").set_value("Camden").run()
    assert not at.exception
    assert "Compare two snapshots of Camden's register" in [s.value for s in at.subheader]
    assert not [d for d in downloads if "as received" in d[0]]
