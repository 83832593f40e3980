"""Wrong upload passwords are counted by the server, not by the browser session: a reload, a
new tab or another browser meets the same lock (the README's promise)."""

from __future__ import annotations

from dataclasses import replace

from citydata.core import stewards
from tests.apptest import new_visit, shown
from tests.test_upload_app import can_open_upload, password, sign_in  # noqa: F401


def locked(at) -> bool:
    return any("Too many wrong passwords" in shown(e.value) for e in at.error)


def new_session():
    """A fresh browser session (a reload, a new tab, another browser) on the same server."""
    at = new_visit()
    at.switch_page("pages/sign_in.py").run()
    return at


def test_a_new_session_does_not_get_fresh_guesses_for_the_same_name(db_path, password):  # noqa: F811
    for _ in range(stewards.MAX_FAILURES):  # each guess from its own session, as after a reload
        at = sign_in(new_visit(), name="Ann Steward", password="guess")
        assert not locked(at) or _ == stewards.MAX_FAILURES - 1
    assert locked(at)
    fresh = sign_in(new_session(), name="Ann Steward", password=password)
    assert locked(fresh), "even the right password waits while the name is locked"
    assert not can_open_upload(fresh)


def test_changing_the_name_does_not_buy_more_than_the_installations_limit(db_path, password):  # noqa: F811
    for i in range(stewards.MAX_FAILURES_ALL):
        at = sign_in(new_visit(), name=f"Guess {i}", password="guess")
    assert locked(at)
    fresh = new_session()
    assert locked(fresh) and not fresh.text_input, "no form for anyone while the server waits"


def test_another_name_may_sign_in_while_one_name_is_locked(db_path, password):  # noqa: F811
    for _ in range(stewards.MAX_FAILURES):
        sign_in(new_visit(), name="Mallory", password="guess")
    at = sign_in(new_visit(), name="Ann Steward", password=password)
    assert not locked(at)
    assert can_open_upload(at)


def test_changing_the_password_signs_out_whoever_signed_in_with_the_old_one(
    db_path,
    password,  # noqa: F811
    monkeypatch,
):
    at = sign_in(new_visit(), name="Ann Steward", password=password)
    assert can_open_upload(at)
    monkeypatch.setenv("CITYTOOLS_UPLOAD_PASSWORD", "a new password")
    at.switch_page("pages/upload.py")
    at.run()  # the page open in the browser, run again: no upload box, the form and why
    assert not at.get("file_uploader")
    warned = [shown(w.value) for w in at.warning]
    assert any("The upload password has been changed since you signed in" in w for w in warned)
    assert [t.label for t in at.text_input] == ["Your name or email", "Upload password"]
    assert not can_open_upload(at)
    at = sign_in(at, name="Ann Steward", password="a new password")
    assert can_open_upload(at)


def test_a_password_sign_in_ends_after_its_hours(db_path, password):  # noqa: F811
    at = sign_in(new_visit(), name="Ann Steward", password=password)
    assert can_open_upload(at)
    found = at.session_state["_steward_password_user"]
    hours = stewards.SIGN_IN_HOURS * 3600
    at.session_state["_steward_password_user"] = replace(found, at=found.at - hours)
    assert not can_open_upload(at)
