"""What a steward's session keeps of an upload: the current file only (as read and as
corrected), and nothing once it is committed, cancelled or removed from the upload box.

One signed-in session goes through all of it, as a steward's would: check a file (trying
columns), put another file in the box, check that one and cancel, check the first again and
remove it from the box, check it once more and commit. (Four sessions, each signing in and
checking the file anew, cost about twice as much: tests/README.md "How long the suite takes".)"""

from __future__ import annotations

from tests.apptest import new_visit
from tests.test_upload_app import camden_register, password, sign_in  # noqa: F401
from ui import steward, uploading


def kept(at) -> dict:
    return at.session_state[steward.PREPARED] if steward.PREPARED in at.session_state else {}  # noqa: SIM401


def upload(at, name: str, content: bytes):
    at.get("file_uploader")[0].set_value((name, content, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def for_camden(at):
    next(s for s in at.selectbox if s.label == "Which borough is this file for?").set_value(
        "Camden"
    ).run()
    return at


def check(at, content: bytes, vendor_columns: tuple[str, ...]):
    """Upload Camden's file, say which borough it is for and try `vendor_columns` in turn."""
    for_camden(upload(at, "camden.csv", content))
    for header in vendor_columns:
        next(s for s in at.selectbox if s.label == "Vendor").set_value(header).run()
    assert not at.exception, [e.value for e in at.exception]
    assert kept(at), "the file being checked is kept while it is checked"
    return at


def test_a_session_keeps_only_the_file_being_checked_and_forgets_it_when_done(db_path, password):  # noqa: F811
    camden = camden_register(db_path, vendor_header="Who we pay")
    at = sign_in(new_visit())
    at.switch_page("pages/upload.py").run()

    # At most two versions (as read, as corrected) of the one file being checked.
    check(at, camden, ("Who we pay", "System", "Who we pay"))  # the steward tries columns
    assert 1 <= len(kept(at)) <= uploading.MEMO_KEEP
    upload(at, "other.csv", camden_register(db_path, vendor_header="Supplier name"))
    digests = {key[0] for key in kept(at)}
    assert len(digests) == 1 and len(kept(at)) <= uploading.MEMO_KEEP, "the first file is gone"

    # Cancel (once the other file is checked too) forgets the file and empties the box.
    for_camden(at)
    assert kept(at)
    next(b for b in at.button if b.label == "Cancel").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not kept(at), "cancel forgets the file"
    assert at.get("file_uploader")[0].value is None

    # Removing the file from the box forgets it.
    check(at, camden, ("System",))
    at.get("file_uploader")[0].set_value(None).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not kept(at), "removing the file from the box forgets it"

    # A commit forgets the file.
    check(at, camden, ("Who we pay",))
    next(b for b in at.button if b.label == "Commit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Stored 1 new snapshot" in at.success[0].value
    assert not kept(at), "a commit forgets the file"
