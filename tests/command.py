"""`python -m citydata` run as a user runs it: a real process in the project's folder."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT


def run(
    *args: str, db=None, text: bool = False, timeout: float = 300
) -> subprocess.CompletedProcess:
    """The command with `args`; `db`, when given, is the database as $CITYTOOLS_DB."""
    env = None if db is None else os.environ | {"CITYTOOLS_DB": str(db)}
    return subprocess.run(
        [sys.executable, "-m", "citydata", *args],
        cwd=ROOT,
        capture_output=True,
        text=text,
        env=env,
        timeout=timeout,
    )
