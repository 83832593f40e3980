"""Who may change the data: the decision for every way the app can be set up."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from citydata.core import settings, stewards
from citydata.core.stewards import ACCOUNT, NONE, PASSWORD, Lockout

AUTH = {
    "redirect_uri": "https://tools.example.gov.uk/oauth2callback",
    "cookie_secret": "s3cret",
    "client_id": "id",
    "client_secret": "secret",
    "server_metadata_url": "https://login.example.com/.well-known/openid-configuration",
}
STEWARDS = ["Ann@Camden.gov.uk", "bob@hackney.gov.uk"]
OIDC = {"auth": AUTH, "CITYTOOLS_STEWARDS": STEWARDS}
ANN = {"is_logged_in": True, "email": "ann@camden.gov.uk", "email_verified": True}


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch):
    for s in settings.SETTINGS:
        monkeypatch.delenv(s.name, raising=False)


@pytest.mark.parametrize(
    "secrets, user, password_user, allowed, mode",
    [
        ({}, {}, None, False, NONE),
        ({}, ANN, None, False, NONE),  # an identity alone grants nothing
        ({"auth": AUTH}, ANN, None, False, NONE),  # sign-in without a list of stewards
        ({"CITYTOOLS_STEWARDS": STEWARDS}, ANN, None, False, NONE),  # a list without sign-in
        (OIDC, ANN, None, True, ACCOUNT),
        (OIDC | {"CITYTOOLS_STEWARDS": "ann@camden.gov.uk, x@y"}, ANN, None, True, ACCOUNT),
        (OIDC, ANN | {"email": "eve@x.com"}, None, False, ACCOUNT),
        (OIDC, ANN | {"email_verified": False}, None, False, ACCOUNT),
        (OIDC, {"email": "ann@camden.gov.uk"}, None, False, ACCOUNT),
        (OIDC, {}, "Ann (upload password)", False, ACCOUNT),
        ({"CITYTOOLS_UPLOAD_PASSWORD": "pw"}, {}, None, False, PASSWORD),
        ({"CITYTOOLS_UPLOAD_PASSWORD": "pw"}, {}, "Ann (upload password)", True, PASSWORD),
        ({"CITYTOOLS_UPLOAD_PASSWORD": "pw"}, {"email": "test@example.com"}, None, False, PASSWORD),
        ({"auth": {"redirect_uri": "x"}, "CITYTOOLS_STEWARDS": STEWARDS}, ANN, None, False, NONE),
        (OIDC | {"auth": AUTH | {"cookie_secret": ""}}, ANN, None, False, NONE),
    ],
    ids=[
        "nothing configured",
        "signed in, nothing configured",
        "sign-in but no steward list",
        "steward list but no sign-in",
        "steward signed in",
        "steward list as text",
        "signed in, not a steward",
        "address not verified",
        "an email without a sign-in",
        "password session does not count under account sign-in",
        "password set, not typed",
        "password typed",
        "an email alone is not a password",
        "incomplete auth section",
        "auth without cookie secret",
    ],
)  # fmt: skip
def test_who_may_change_the_data(secrets, user, password_user, allowed, mode):
    access = stewards.decide(secrets, user, password_user)
    assert (access.allowed, access.mode) == (allowed, mode), access.reason
    assert access.reason
    if allowed:
        assert access.who in ("ann@camden.gov.uk", "Ann (upload password)")


def test_a_named_provider_section_counts_as_account_sign_in():
    secrets = {
        "auth": {k: AUTH[k] for k in ("redirect_uri", "cookie_secret")}
        | {
            "microsoft": {k: AUTH[k] for k in ("client_id", "client_secret", "server_metadata_url")}
        },
        "CITYTOOLS_STEWARDS": STEWARDS,
    }
    assert stewards.mode(secrets) == ACCOUNT


def test_with_nothing_configured_the_reason_says_how_to_enable_uploads():
    reason = stewards.decide({}, {}).reason
    assert "CITYTOOLS_UPLOAD_PASSWORD" in reason and "CITYTOOLS_STEWARDS" in reason


def test_the_environment_sets_the_password_too(monkeypatch):
    monkeypatch.setenv("CITYTOOLS_UPLOAD_PASSWORD", "from-env")
    assert stewards.mode({}) == PASSWORD
    assert stewards.password_matches("from-env", {})
    assert not stewards.password_matches("from-env ", {})
    assert not stewards.password_matches("", {})


def test_no_password_configured_matches_nothing():
    assert not stewards.password_matches("", {})
    assert not stewards.password_matches("anything", {"CITYTOOLS_UPLOAD_PASSWORD": ""})


def test_steward_emails_are_read_from_lists_and_text():
    assert stewards.steward_emails("a@x.gov.uk; B@Y.gov.uk\nc@z.org") == {
        "a@x.gov.uk",
        "b@y.gov.uk",
        "c@z.org",
    }
    assert stewards.steward_emails("['a@x.gov.uk', 'b@y.gov.uk']") == {"a@x.gov.uk", "b@y.gov.uk"}
    assert stewards.steward_emails(None) == frozenset()


def test_wrong_passwords_lock_the_name_for_a_while():
    lockout = Lockout()
    for i in range(stewards.MAX_FAILURES):
        assert lockout.attempt("Ann", 100.0 + i) == 0
    wait = lockout.wait_seconds(" ANN ", 105.0)
    assert 0 < wait <= stewards.WINDOW_SECONDS, "the same name, however it is typed"
    assert lockout.wait_seconds("Bob", 105.0) == 0, "another name may still try"
    assert lockout.wait_seconds("Ann", 100.0 + stewards.WINDOW_SECONDS + 1) == 0


def test_wrong_passwords_under_many_names_lock_everyone():
    lockout = Lockout()
    for i in range(stewards.MAX_FAILURES_ALL):
        assert lockout.attempt(f"name {i}", 100.0 + i) == 0
    assert lockout.wait_seconds("a new name", 120.0) > 0
    assert lockout.wait_seconds("a new name", 100.0 + stewards.WINDOW_SECONDS + 1) == 0


def test_the_right_password_clears_the_names_count_but_not_the_installations():
    lockout = Lockout()
    for i in range(stewards.MAX_FAILURES - 1):
        lockout.attempt("Ann", 100.0 + i)
    lockout.attempt("Ann", 104.0)
    lockout.succeeded("Ann", 104.0)
    lockout.attempt("Ann", 110.0)
    assert lockout.wait_seconds("Ann", 111.0) == 0
    for i in range(stewards.MAX_FAILURES_ALL - stewards.MAX_FAILURES - 1):
        lockout.attempt(f"other {i}", 112.0)
    assert lockout.wait_seconds("Ann", 113.0) == 0, "the right password was not a guess"
    lockout.attempt("one more", 112.0)
    assert lockout.wait_seconds("Ann", 113.0) > 0, "every failure counted for the installation"


@pytest.mark.parametrize(
    "name, limit",
    [(lambda i: "Ann", stewards.MAX_FAILURES), (lambda i: f"Guess {i}", stewards.MAX_FAILURES_ALL)],
    ids=["one name", "a name each"],
)
def test_passwords_sent_at_once_are_compared_no_more_than_the_limit(name, limit):
    """Forty sign-ins at the same moment (forty tabs, or a script): the lockout lets through
    to the comparison of passwords no more than the limit, however they interleave. Each
    comparison waits until every try has been let through or turned away, the widest race
    there is: a lockout that checked first and counted after the comparison let all forty
    through."""
    lockout, tries, secrets = Lockout(), 40, {"CITYTOOLS_UPLOAD_PASSWORD": "the right one"}
    start, seen = threading.Barrier(tries), threading.Condition()
    decided, compared, turned_away = [0], [0], [0]

    def sign_in(i: int) -> None:
        start.wait()
        wait = lockout.attempt(name(i), 100.0)
        with seen:
            decided[0] += 1
            seen.notify_all()
            if wait:
                turned_away[0] += 1
                return
            assert seen.wait_for(lambda: decided[0] == tries, timeout=60)
            compared[0] += 1
        assert not stewards.password_matches(f"guess {i}", secrets)

    with ThreadPoolExecutor(tries) as pool:
        for done in [pool.submit(sign_in, i) for i in range(tries)]:
            done.result()
    assert compared[0] == limit and turned_away[0] == tries - limit
    assert lockout.wait_seconds(name(0), 100.0) > 0


def test_the_lockout_remembers_a_bounded_number_of_names(monkeypatch):
    monkeypatch.setattr(stewards, "MAX_NAMES_KEPT", 50)
    lockout = Lockout()
    for i in range(500):
        lockout.attempt(f"name {i}", float(i * 1000))  # far apart: never the installation's limit
    assert len(lockout._failures) <= 51


def test_who_typed_the_password_is_recorded_by_name():
    assert stewards.who_typed_the_password("  Ann   Smith ") == "Ann Smith (upload password)"
    assert stewards.who_typed_the_password("") == "someone with the upload password"


def test_upload_size_limit(monkeypatch):
    assert settings.upload_limit_bytes({}) == 25 * 1024 * 1024
    monkeypatch.setenv("CITYTOOLS_MAX_UPLOAD_MB", "2")
    limit = settings.upload_limit_bytes({})
    assert limit == 2 * 1024 * 1024
    assert stewards.too_big(limit, limit) is None
    assert "largest accepted is 2 MB" in stewards.too_big(limit + 1, limit)


def test_a_password_sign_in_ends_when_the_password_is_changed(monkeypatch):
    monkeypatch.setenv("CITYTOOLS_UPLOAD_PASSWORD", "old password")
    found = stewards.signed_in("Ann", "old password", now=100.0)
    assert found.who == "Ann (upload password)"
    assert "old password" not in repr(found)  # the session keeps no password
    assert stewards.sign_in_ended(found, {}, now=101.0) is None
    monkeypatch.setenv("CITYTOOLS_UPLOAD_PASSWORD", "new password")
    assert "changed since you signed in" in stewards.sign_in_ended(found, {}, now=101.0)
    monkeypatch.delenv("CITYTOOLS_UPLOAD_PASSWORD")
    assert "changed since you signed in" in stewards.sign_in_ended(found, {}, now=101.0)


def test_a_password_sign_in_ends_after_its_hours():
    secrets = {"CITYTOOLS_UPLOAD_PASSWORD": "pw"}
    found = stewards.signed_in("Ann", "pw", now=1000.0)
    hours = stewards.SIGN_IN_HOURS * 3600
    assert stewards.sign_in_ended(found, secrets, now=1000.0 + hours - 1) is None
    ended = stewards.sign_in_ended(found, secrets, now=1000.0 + hours)
    assert f"more than {stewards.SIGN_IN_HOURS} hours ago" in ended


def test_a_download_made_on_click_asks_again_whether_its_steward_still_is_one():
    """The Backup page's "Download a backup" (and a snapshot's file on History) is made when
    it is clicked, without a run of the page, and Streamlit answers a request for it from the
    session even after the page has gone: it was given to whoever the page was drawn for,
    taken off the list of stewards or not. It now asks again, from the settings then."""
    assert stewards.still_allowed(OIDC, ANN, None, now=100.0)
    taken_off = OIDC | {"CITYTOOLS_STEWARDS": ["bob@hackney.gov.uk"]}
    assert not stewards.still_allowed(taken_off, ANN, None, now=100.0)
    found = stewards.signed_in("Ann", "the password", now=100.0)
    same = {"CITYTOOLS_UPLOAD_PASSWORD": "the password"}
    assert stewards.still_allowed(same, {}, found, now=101.0)
    changed = {"CITYTOOLS_UPLOAD_PASSWORD": "a new password"}
    assert not stewards.still_allowed(changed, {}, found, now=101.0)
    too_late = 100.0 + stewards.SIGN_IN_HOURS * 3600
    assert not stewards.still_allowed(same, {}, found, now=too_late)
    assert not stewards.still_allowed(same, {}, None, now=101.0), "never signed in"
