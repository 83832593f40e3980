"""Who may change the data: data stewards. The decision, apart from the user interface.

Three ways the app can be set up, checked in this order:
1. sign-in with an organisation account (OpenID Connect: an `[auth]` section in Streamlit's
   secrets) together with a list of stewards' email addresses (CITYTOOLS_STEWARDS): a signed-in
   person whose verified address is on the list is a steward;
2. a shared upload password (CITYTOOLS_UPLOAD_PASSWORD, in the environment or the secrets): whoever
   types it is a steward for the rest of their browser session;
3. neither: nobody can upload, and the sign-in page says how to enable uploads.

Signing in with an account says who someone is, not what they may do, so an `[auth]` section
without a list of stewards admits nobody through that route.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets as _random
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from citydata.core import boroughs, settings

ACCOUNT, PASSWORD, NONE = "account", "password", "none"
MAX_FAILURES = 5  # wrong passwords allowed for one name within WINDOW_SECONDS
MAX_FAILURES_ALL = 20  # wrong passwords allowed for all names together within WINDOW_SECONDS
WINDOW_SECONDS = 300.0
MAX_NAMES_KEPT = 10_000  # names whose wrong passwords are remembered
INSTALLATION = "installation"
SIGN_IN_HOURS = 12  # how long a password sign-in lasts, at most
_SIGN_IN_KEY = _random.token_bytes(32)  # (a session keeps a digest of the password, keyed)
_EMAIL = re.compile(r"[^\s,;'\"\[\]<>]+@[^\s,;'\"\[\]<>]+")
_OIDC_KEYS = ("client_id", "client_secret", "server_metadata_url")


@dataclass(frozen=True)
class Access:
    """The decision for one person: may they change the data, as whom, and why (not)."""

    allowed: bool
    mode: str  # ACCOUNT | PASSWORD | NONE: how stewards sign in on this installation
    who: str | None  # recorded as the snapshot's created_by
    reason: str  # plain English, shown on the sign-in page


def steward_emails(raw: Any) -> frozenset[str]:
    """The addresses in a setting: a list, or text separated by commas, semicolons or spaces."""
    if raw is None:
        return frozenset()
    text = " ".join(map(str, raw)) if isinstance(raw, list | tuple | set) else str(raw)
    return frozenset(m.lower().strip(".") for m in _EMAIL.findall(text))


def account_sign_in_configured(secrets: Mapping[str, Any]) -> bool:
    """True when the secrets hold a usable `[auth]` section (default or named provider)."""
    auth = secrets.get("auth")
    if not isinstance(auth, Mapping) or not auth.get("redirect_uri"):
        return False
    if not auth.get("cookie_secret"):
        return False
    providers = [auth, *(v for v in auth.values() if isinstance(v, Mapping))]
    return any(all(p.get(k) for k in _OIDC_KEYS) for p in providers)


def mode(secrets: Mapping[str, Any]) -> str:
    """How stewards sign in here: ACCOUNT, PASSWORD or NONE."""
    if account_sign_in_configured(secrets) and steward_emails(
        _setting("CITYTOOLS_STEWARDS", secrets)
    ):
        return ACCOUNT
    if _setting("CITYTOOLS_UPLOAD_PASSWORD", secrets):
        return PASSWORD
    return NONE


def decide(
    secrets: Mapping[str, Any],
    user: Mapping[str, Any],
    password_user: str | None = None,
) -> Access:
    """May this person upload, roll back and restore?

    `user` is what the identity provider said (st.user); `password_user` is the name given when
    the right password was typed in this session (None when it was not).
    """
    how = mode(secrets)
    if how == ACCOUNT:
        email = str(user.get("email") or "").strip().lower()
        if user.get("is_logged_in") is not True or not email:
            return Access(False, how, None, "Sign in with your organisation account.")
        if user.get("email_verified") is False:
            return Access(False, how, None, f"The address {email} has not been verified.")
        if email not in steward_emails(_setting("CITYTOOLS_STEWARDS", secrets)):
            return Access(
                False, how, None, f"{email} is not on the list of data stewards for this app."
            )
        return Access(True, how, email, f"Signed in as {email}.")
    if how == PASSWORD:
        if password_user:
            return Access(True, how, password_user, f"Signed in as {password_user}.")
        return Access(False, how, None, "Enter the upload password to upload data.")
    return Access(False, how, None, _HOW_TO_ENABLE)


_HOW_TO_ENABLE = (
    "Uploading is switched off on this installation. To switch it on, whoever runs the app "
    "sets an upload password (CITYTOOLS_UPLOAD_PASSWORD, in the environment or in "
    ".streamlit/secrets.toml), or configures sign-in with an organisation account (an [auth] "
    "section in .streamlit/secrets.toml) and lists the data stewards' email addresses in "
    "CITYTOOLS_STEWARDS."
)


def password_matches(given: str, secrets: Mapping[str, Any]) -> bool:
    """Compare `given` with the configured password in constant time."""
    expected = _setting("CITYTOOLS_UPLOAD_PASSWORD", secrets)
    if not expected or not given:
        return False
    a = hashlib.sha256(given.encode("utf-8")).digest()
    b = hashlib.sha256(str(expected).encode("utf-8")).digest()
    return hmac.compare_digest(a, b)


@dataclass(frozen=True)
class PasswordSignIn:
    """A sign-in with the upload password, as a browser session keeps it: who, a keyed digest
    of the password typed (never the password), and when (time.monotonic())."""

    who: str
    password: bytes
    at: float


def signed_in(name: str, password: str, now: float) -> PasswordSignIn:
    """The sign-in of `name` who typed the right `password` at `now`."""
    return PasswordSignIn(who_typed_the_password(name), _keyed(password), now)


def sign_in_ended(found: PasswordSignIn, secrets: Mapping[str, Any], now: float) -> str | None:
    """Why a password sign-in no longer counts, in words, or None while it does.

    It ends when the upload password is changed (or removed): changing it is how whoever runs
    the app takes the right to change data from those who knew the old one, signed in or not.
    It ends SIGN_IN_HOURS after it was made, however long the browser stays open.
    """
    expected = _setting("CITYTOOLS_UPLOAD_PASSWORD", secrets)
    if not expected or not hmac.compare_digest(found.password, _keyed(str(expected))):
        return "The upload password has been changed since you signed in. Sign in again."
    if not 0 <= now - found.at < SIGN_IN_HOURS * 3600:
        return (
            f"You signed in more than {SIGN_IN_HOURS} hours ago, so your sign-in has ended. "
            "Sign in again."
        )
    return None


def still_allowed(
    secrets: Mapping[str, Any],
    user: Mapping[str, Any],
    found: PasswordSignIn | None,
    now: float,
) -> bool:
    """May the person a page was drawn for (`user` as the identity provider said then, `found`
    their password sign-in) still change or take the data, decided again at `now` from the
    settings as they are then: for what a click does without a run of the page (a download
    made on click), which `decide` at the top of the page never sees. Taken off the list of
    stewards, or the upload password changed, or the sign-in too old: no longer."""
    if found is not None and sign_in_ended(found, secrets, now):
        return False
    return decide(secrets, user, found.who if found else None).allowed


def _keyed(password: str) -> bytes:
    return hmac.new(_SIGN_IN_KEY, password.encode("utf-8"), hashlib.sha256).digest()


def who_typed_the_password(name: str) -> str:
    """How a password sign-in is recorded in the history: the name given, marked as such."""
    cleaned = " ".join(name.split())[:100]
    return f"{cleaned} (upload password)" if cleaned else "someone with the upload password"


class Lockout:
    """Wrong upload passwords, counted for the whole server process, not per browser session.

    A reload, a new tab or another browser starts a new session but meets the same counts:
    after MAX_FAILURES wrong passwords for one name within WINDOW_SECONDS, that name waits; after
    MAX_FAILURES_ALL for any names together, everyone waits, so changing the name typed does not
    buy more guesses. The counts live in the server's memory, guarded by a lock (Streamlit runs
    each session in a thread of one process): restarting the app clears them.

    A try is checked and counted in one step (`attempt`), before its password is compared:
    checked first and counted after the comparison, forty sessions sending a password at the
    same moment could all pass the check before any was counted, and all forty be compared.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[str, deque[float]] = {}

    @staticmethod
    def _keys(name: str) -> tuple[str, str]:
        return (INSTALLATION, "name:" + " ".join(name.casefold().split()))

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and now - times[0] >= WINDOW_SECONDS:
            times.popleft()
        return times

    def _wait(self, name: str, now: float) -> float:
        wait = 0.0
        for key, limit in zip(self._keys(name), (MAX_FAILURES_ALL, MAX_FAILURES), strict=True):
            times = self._recent(key, now)
            if len(times) >= limit:
                wait = max(wait, WINDOW_SECONDS - (now - times[-limit]))
        return wait

    def wait_seconds(self, name: str, now: float) -> float:
        """0 when a password for `name` may be tried now, else how long until it may (to say
        so before the form is filled in; a try itself goes through `attempt`)."""
        with self._lock:
            return self._wait(name, now)

    def attempt(self, name: str, now: float) -> float:
        """A password typed for `name` at `now`, before it is compared: how long to wait (it
        is not to be compared, and nothing is counted), or 0 when it may be compared, and then
        it is already counted as a wrong one, in the same step, until `succeeded` says it was
        right. So however many sessions try at once, no more than the limits are compared."""
        with self._lock:
            wait = self._wait(name, now)
            if not wait:
                self._count(name, now)
            return wait

    def _count(self, name: str, now: float) -> None:
        for key in self._keys(name):
            times = self._recent(key, now)
            times.append(now)
            while len(times) > MAX_FAILURES_ALL:  # bounded memory, whatever is sent
                times.popleft()
            self._failures[key] = self._failures.pop(key)  # the newest last
        while len(self._failures) > MAX_NAMES_KEPT + 1:  # forget the longest-quiet name
            oldest = next(k for k in self._failures if k != INSTALLATION)
            del self._failures[oldest]

    def succeeded(self, name: str, at: float | None = None) -> None:
        """The right password for `name`: its own count starts again (not the installation's,
        which only forgets the try `attempt` counted at `at`: a right password is no guess)."""
        with self._lock:
            self._failures.pop(self._keys(name)[1], None)
            times = self._failures.get(INSTALLATION)
            if at is not None and times and at in times:
                times.remove(at)


def too_big(size: int, limit: int) -> str | None:
    """A message when a file of `size` bytes is over `limit`, else None."""
    if size <= limit:
        return None
    return (
        f"This file is {size / 1024 / 1024:.1f} MB; the largest accepted is "
        f"{limit / 1024 / 1024:.0f} MB. Split it by {boroughs.noun()}, or remove columns that "
        "are not needed, and upload again."
    )


def _setting(name: str, secrets: Mapping[str, Any]) -> Any:
    """A setting, keeping a list from the secrets a list (settings.value makes text)."""
    raw = secrets.get(name)
    if isinstance(raw, list | tuple) and not settings.value(name, {}):
        return list(raw)
    return settings.value(name, secrets)
