"""Every setting: declared here (name, default, help) and read here, by `value()` and the
helpers below (a path, the upload limit), from the environment, then Streamlit secrets passed in
by the UI, then the default. The README documents each (a test checks). Streamlit also puts the
secrets' top-level values in the environment, so a setting in the secrets works everywhere.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from citydata.core import tomlfile

APP_ROOT = Path(__file__).resolve().parents[2]  # the app's folder: relative settings start here
DATA_DIR = APP_ROOT / "data"


@dataclass(frozen=True)
class Bounds:
    """The values a numeric setting may take: above 0 (from `least`, when given) up to `most`,
    whole numbers only when `whole`. Anything else is refused by `number`, naming the setting;
    the README's Settings table gives each setting's bounds as `said` words them (a test
    checks)."""

    unit: str  # "megabytes", "seconds"
    most: float
    least: float | None = None  # None: any number above 0
    whole: bool = False

    def said(self) -> str:
        """The values, in words: "a number of megabytes above 0, at most 1,024", "a whole
        number of worker processes from 0 to 4"."""
        kind = "a whole number" if self.whole else "a number"
        if self.unit:
            kind += f" of {self.unit}"
        if self.least is None:
            return f"{kind} above 0, at most {self.most:,g}"
        return f"{kind} from {self.least:,g} to {self.most:,g}"


@dataclass(frozen=True)
class Setting:
    name: str  # environment variable; the same key in .streamlit/secrets.toml
    default: str | None
    help: str
    bounds: Bounds | None = None  # for a number: the values it may take


MAX_UPLOAD_WORKERS = 4  # (each about 135 MiB while it waits; more than two cores' worth)

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "CITYTOOLS_CONTRACTS_FINDER_URL",
        "https://www.contractsfinder.service.gov.uk/Published/Notices/OCDS/Search",
        "Where `fetch contracts-finder` asks for notices: Contracts Finder's OCDS search.",
    ),
    Setting(
        "CITYTOOLS_FIND_A_TENDER_URL",
        "https://www.find-tender.service.gov.uk/api/1.0/ocdsReleasePackages",
        "Where `fetch find-a-tender` asks for notices: Find a Tender's OCDS release packages.",
    ),
    Setting(
        "CITYTOOLS_REGION",
        "london",
        "The councils this app is for: london (the 33 London authorities), greater-manchester, "
        "west-midlands, liverpool-city-region, west-yorkshire, south-yorkshire, north-east, "
        "tees-valley, west-of-england, cambridgeshire-and-peterborough, "
        "york-and-north-yorkshire, east-midlands, greater-lincolnshire, hull-and-east-yorkshire, "
        "lancashire, devon-and-torbay, wales, scotland, united-kingdom (every "
        "council), or a list of GSS codes separated by commas. A database belongs to the region "
        "it was built for.",
    ),
    Setting(
        "CITYTOOLS_DB",
        "data/citytools.duckdb",
        "The database file. Built from the embedded default data when missing. A relative path "
        "is taken from the app's folder.",
    ),
    Setting(
        "CITYTOOLS_LEAD_TIMES",
        "data/lead_times.toml",
        "Months before a contract ends by which to decide on its renewal, per service area "
        "(the renewal pipeline's 'decide by' dates). A relative path is taken from the app's "
        "folder.",
    ),
    Setting(
        "CITYTOOLS_RESTORE_FROM",
        None,
        "A backup archive (.zip from Backup and restore) to load whenever the database has to "
        "be built anew, for hosts whose disk is rebuilt on restart. A relative path is taken "
        "from the app's folder.",
    ),
    Setting(
        "CITYTOOLS_UPLOAD_PASSWORD",
        None,
        "The password data stewards type to upload, roll back and restore (when sign-in with "
        "an organisation account is not set up). Unset: uploads are switched off.",
    ),
    Setting(
        "CITYTOOLS_STEWARDS",
        None,
        "Email addresses of the data stewards, used with sign-in by organisation account (an "
        "[auth] section in .streamlit/secrets.toml): a list, or text separated by commas.",
    ),
    Setting(
        "CITYTOOLS_MAX_UPLOAD_MB",
        "25",
        "The largest file accepted for upload, in megabytes, by the app and by the command "
        "line's import. The app's server has its own cap, server.maxUploadSize in "
        ".streamlit/config.toml (25): raise both to accept bigger files.",
        # (a register's 500,000 rows fit in far less; above it, no limit at all in effect)
        Bounds("megabytes", 1024),
    ),
    Setting(
        "CITYTOOLS_UPLOAD_WORKERS",
        "1",
        "How many uploaded files the app checks at once, each in a worker process of its own "
        "(0 to 4), so that checking a large file does not slow other visitors' pages; more "
        "uploads at once wait their turn. 0: check in the steward's own session, as before.",
        Bounds("worker processes", MAX_UPLOAD_WORKERS, least=0, whole=True),
    ),
    Setting(
        "CITYTOOLS_MEMORY_LIMIT",
        None,
        "The most memory the database may use for one app or command, e.g. 1GB or 1500MB; "
        "bigger sorts and joins then work through a temporary folder beside the database file "
        "(slower, not refused). Unset: DuckDB's own default, 80% of the machine's memory. On a "
        "small host such as Streamlit Community Cloud, about half its memory.",
    ),
    Setting(
        "CITYTOOLS_PUBLIC_URL",
        None,
        "The app's public address, e.g. https://citytools.example.gov.uk: alerts link back to "
        "their view there, and calendar feed addresses start with it.",
    ),
    Setting(
        "CITYTOOLS_SMTP_HOST",
        None,
        "The mail server alerts are sent through (e.g. smtp.office365.com). Unset: e-mail "
        "alerts stay unsent (webhook alerts still go).",
    ),
    Setting(
        "CITYTOOLS_SMTP_PORT",
        "587",
        "The mail server's port.",
        Bounds("", 65535, least=1, whole=True),
    ),
    Setting(
        "CITYTOOLS_SMTP_TLS",
        "starttls",
        "How the connection to the mail server is encrypted: starttls (port 587), ssl "
        "(port 465) or none (only for a relay on the same machine or network).",
    ),
    Setting("CITYTOOLS_SMTP_USER", None, "The mail server's user name, when it needs one."),
    Setting("CITYTOOLS_SMTP_PASSWORD", None, "The mail server's password, when it needs one."),
    Setting(
        "CITYTOOLS_SMTP_SENDER",
        None,
        "The address alerts come from, e.g. citytools@example.gov.uk. Needed for e-mail alerts.",
    ),
    Setting(
        "CITYTOOLS_SEND_TIMEOUT",
        "30",
        "Seconds to wait for the mail server or a webhook before giving up (the alert is then "
        "tried again on the next run).",
        Bounds("seconds", 600),  # (ten minutes: a scheduled run must end)
    ),
    Setting(
        "CITYTOOLS_FEEDS_DIR",
        "static/feeds",
        "Where each alert's calendar feed is written (`alerts send` and the Alerts page "
        "rewrite them). Streamlit serves static/ at /app/static/ when "
        "server.enableStaticServing is on. off: no feeds.",
    ),
    Setting(
        "CITYTOOLS_INBOX_SECONDS",
        "30",
        "How often (seconds) the running app imports the fetches `python -m citydata fetch` "
        "queued for it while it held the database.",
        # (half a second: more often is work for nothing; an hour: a fetch must not wait days)
        Bounds("seconds", 3600, least=0.5),
    ),
    Setting(
        "CITYTOOLS_HIDE_MARKET_VALUES",
        "false",
        "true: the Coming to market page, its download and its feed show no contract values "
        "(for installations that publish that page openly).",
    ),
    Setting(
        "CITYTOOLS_DEBUG",
        None,
        "Set (to anything): a fault in the app's own code shows Python's traceback, in a page "
        "and on the command line, instead of a message in words (for reporting a bug).",
    ),
)
BY_NAME = {s.name: s for s in SETTINGS}
DB = "CITYTOOLS_DB"
RESTORE_FROM = "CITYTOOLS_RESTORE_FROM"
MAX_UPLOAD_MB = "CITYTOOLS_MAX_UPLOAD_MB"
PUBLIC_URL = "CITYTOOLS_PUBLIC_URL"
INBOX_SECONDS = "CITYTOOLS_INBOX_SECONDS"
UPLOAD_WORKERS = "CITYTOOLS_UPLOAD_WORKERS"
SMTP_PORT = "CITYTOOLS_SMTP_PORT"
SEND_TIMEOUT = "CITYTOOLS_SEND_TIMEOUT"
DEBUG = "CITYTOOLS_DEBUG"


class SettingError(ValueError):
    """A setting whose value cannot be used, with a message naming it."""


def value(name: str, secrets: Mapping[str, Any] | None = None) -> str | None:
    """The setting's value: environment first, then `secrets`, then its default. A value of
    nothing but spaces is no value, as an empty one is (`CITYTOOLS_DB= ` made a database file
    called " " in the app's folder)."""
    setting = BY_NAME[name]
    if os.environ.get(name, "").strip():
        return os.environ[name]
    given = None if secrets is None else secrets.get(name)  # (TOML: 0 and false are values)
    if given is not None and str(given).strip():
        return str(given)
    return setting.default


def path(name: str, secrets: Mapping[str, Any] | None = None) -> Path | None:
    """A setting naming a file: an absolute path as given, a relative one from the app's folder."""
    text = value(name, secrets)
    if not text:
        return None
    try:
        given = expand(text.strip())  # (" data/x.duckdb": no file name starts with a space)
    except ValueError as exc:
        raise SettingError(f"{name} is “{text.strip()[:200]}”, but {exc}") from None
    return given if given.is_absolute() else APP_ROOT / given


def expand(text: str) -> Path:
    """`text` as a path, with `~` (or `~user`) read as the home folder it names. ValueError,
    saying why in words, when it names none (no such user): Python's own is a RuntimeError."""
    try:
        return Path(text).expanduser()
    except RuntimeError:
        head = text.split("/", 1)[0]
        who = (
            f"there is no user “{head[1:][:60]}” on this computer"
            if head[1:]
            else ("this user has no home folder")
        )
        raise ValueError(
            f"{who}, so “{head[:60]}” is no folder: write out the home folder's path instead."
        ) from None


def number(name: str, secrets: Mapping[str, Any] | None = None) -> float:
    """The numeric setting `name` (its default when unset) within its declared bounds;
    anything else raises SettingError naming it and its value, rather than a default taken in
    its place, or a zero, negative or absurd amount acted on (an upload limit of 1e300 MB is no
    limit; an inbox period of 1e300 seconds never comes)."""
    setting = BY_NAME[name]
    bounds = setting.bounds
    assert bounds is not None and setting.default is not None  # (declared so)
    raw = (value(name, secrets) or setting.default).strip()
    try:
        found = float(raw)
    except ValueError:
        found = math.nan
    low = found > 0 if bounds.least is None else found >= bounds.least
    whole = math.isfinite(found) and (not bounds.whole or found == int(found))
    if low and whole and found <= bounds.most:
        return found
    raise SettingError(
        f"{name} is “{raw[:20]}”, but it must be {bounds.said()} (for example {setting.default})."
    )


def upload_limit_bytes(secrets: Mapping[str, Any] | None = None) -> int:
    """The largest file accepted for upload (CITYTOOLS_MAX_UPLOAD_MB), in bytes (never every
    file refused as "larger than 0 MB", nor the default taken for a value mistyped)."""
    return max(int(number(MAX_UPLOAD_MB, secrets) * 1024 * 1024), 1)


def inbox_seconds(secrets: Mapping[str, Any] | None = None) -> float:
    """How often the running app imports queued fetches (CITYTOOLS_INBOX_SECONDS), in seconds
    (never half a second for "0" or "-5", nor the default for "abc")."""
    return number(INBOX_SECONDS, secrets)


def public_url(secrets: Mapping[str, Any] | None = None) -> str | None:
    """The app's public address (CITYTOOLS_PUBLIC_URL), or None when unset.

    A value that is not a web address ("citytools.example.org", without https://) raises
    SettingError naming it: taken as it was, every alert and calendar feed carried it as a link
    that leads nowhere.
    """
    text = (value(PUBLIC_URL, secrets) or "").strip()
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingError(
            f"{PUBLIC_URL} is “{text[:80]}”, which is not a web address (https://...)."
        )
    return text


def secrets_file(path: Path | None = None) -> dict[str, Any]:
    """.streamlit/secrets.toml as a dict ({} when there is none): the secrets the app sees, for
    the command line (which has no Streamlit)."""
    path = path or APP_ROOT / ".streamlit" / "secrets.toml"
    try:
        return tomlfile.load(path)
    except FileNotFoundError:
        return {}
    except tomlfile.Unreadable as exc:
        raise SettingError(f"{path} cannot be read: {exc}") from None
