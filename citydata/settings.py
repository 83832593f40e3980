"""Every setting, declared once: name, default and help. The README documents each (a test
checks), and `value()` reads one from the environment, then Streamlit secrets passed in by the
UI, then the default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str  # environment variable; the same key in .streamlit/secrets.toml
    default: str | None
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "CITYTOOLS_DB",
        "data/citytools.duckdb",
        "The database file. Built from the embedded default data when missing.",
    ),
)
BY_NAME = {s.name: s for s in SETTINGS}


def value(name: str, secrets: Mapping[str, Any] | None = None) -> str | None:
    """The setting's value: environment first, then `secrets`, then its default."""
    setting = BY_NAME[name]
    if os.environ.get(name):
        return os.environ[name]
    if secrets is not None and secrets.get(name) not in (None, ""):
        return str(secrets[name])
    return setting.default
