"""Every setting, declared once: name, default and help. The README documents each (a test
checks), and `value()` reads one from the environment, then Streamlit secrets passed in by the
UI, then the default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

APP_ROOT = Path(__file__).resolve().parents[2]  # the app's folder: relative settings start here
DATA_DIR = APP_ROOT / "data"


@dataclass(frozen=True)
class Setting:
    name: str  # environment variable; the same key in .streamlit/secrets.toml
    default: str | None
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "CITYTOOLS_REGION",
        "london",
        "The councils this app is for: london (the 33 London authorities), greater-manchester, "
        "west-midlands, liverpool-city-region, west-yorkshire, south-yorkshire, north-east, "
        "wales, scotland, united-kingdom (every council), or a list of GSS codes separated by "
        "commas. A database belongs to the region it was built for.",
    ),
    Setting(
        "CITYTOOLS_DB",
        "data/citytools.duckdb",
        "The database file. Built from the embedded default data when missing.",
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
        "The largest file accepted for upload, in megabytes (checked by the app as well as by "
        "Streamlit's server.maxUploadSize).",
    ),
    Setting(
        "CITYTOOLS_MEMORY_LIMIT",
        None,
        "The most memory the database may use for one app or command, e.g. 1GB or 1500MB; "
        "bigger sorts and joins then work through a temporary folder beside the database file "
        "(slower, not refused). Unset: DuckDB's own default, 80% of the machine's memory. On a "
        "small host such as Streamlit Community Cloud, about half its memory.",
    ),
)
BY_NAME = {s.name: s for s in SETTINGS}


class SettingError(ValueError):
    """A setting whose value cannot be used, with a message naming it."""


def value(name: str, secrets: Mapping[str, Any] | None = None) -> str | None:
    """The setting's value: environment first, then `secrets`, then its default."""
    setting = BY_NAME[name]
    if os.environ.get(name):
        return os.environ[name]
    if secrets is not None and secrets.get(name) not in (None, ""):
        return str(secrets[name])
    return setting.default
