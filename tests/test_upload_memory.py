"""What a steward's session keeps of an upload: the current file only (as read and as
corrected), and nothing once it is committed, cancelled or removed from the upload box."""

from __future__ import annotations

from tests.apptest import run_app
from tests.test_upload_app import camden_register, password, sign_in  # noqa: F401
from ui import steward


def kept(at) -> dict:
    return at.session_state[steward._MEMO] if steward._MEMO in at.session_state else {}  # noqa: SIM401


def upload(at, name: str, content: bytes):
    at.get("file_uploader")[0].set_value((name, content, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def checked_camden(db_path):
    at = sign_in(run_app())
    at.switch_page("pages/upload.py").run()
    upload(at, "camden.csv", camden_register(db_path, vendor_header="Who we pay"))
    next(s for s in at.selectbox if s.label == "Which borough is this file for?").set_value(
        "Camden"
    ).run()
    for header in ("Who we pay", "System", "Who we pay"):  # the steward tries columns
        next(s for s in at.selectbox if s.label == "Vendor").set_value(header).run()
    return at


def test_a_session_keeps_at_most_two_versions_of_the_one_file_being_checked(db_path, password):  # noqa: F811
    at = checked_camden(db_path)
    assert 1 <= len(kept(at)) <= steward.MEMO_KEEP
    upload(at, "other.csv", camden_register(db_path, vendor_header="Supplier name"))
    digests = {key[0] for key in kept(at)}
    assert len(digests) == 1 and len(kept(at)) <= steward.MEMO_KEEP, "the first file is gone"


def test_cancel_forgets_the_file_and_empties_the_box(db_path, password):  # noqa: F811
    at = checked_camden(db_path)
    next(b for b in at.button if b.label == "Cancel").click().run()
    assert not at.exception
    assert not kept(at)
    assert at.get("file_uploader")[0].value is None


def test_removing_the_file_from_the_box_forgets_it(db_path, password):  # noqa: F811
    at = checked_camden(db_path)
    at.get("file_uploader")[0].set_value(None).run()
    assert not at.exception
    assert not kept(at)


def test_a_commit_forgets_the_file(db_path, password):  # noqa: F811
    at = checked_camden(db_path)
    next(b for b in at.button if b.label == "Commit").click().run()
    assert not at.exception
    assert "Stored 1 new snapshot(s)" in at.success[0].value
    assert not kept(at)
