"""`python -m citydata` in a test: in this process (`run`), or as a real process (`process`).

Starting a process costs 1-3 s on a 2-core machine (imports), and the suite runs the command
a few hundred times; so `run` calls the command's `main` here, with what a process would get:
its own stdout and stderr (bytes, or text with `text=True`), $CITYTOOLS_DB set to `db`, the
project's folder as the working directory, and an escaping exception written to stderr as a
traceback with exit code 1, as Python itself would. `process` is the real thing, for what only a
process shows: a second program holding the database file, a kill part-way, `python -m` itself
(tests/test_cli.py keeps a few of those).

`run` must not be used while this process holds the same database file open: DuckDB shares one
open file within a process, where another process would be refused.
"""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import traceback
from contextlib import redirect_stderr, redirect_stdout

from tests.conftest import ROOT


def process(
    *args: str, db=None, text: bool = False, timeout: float = 300, env: dict | None = None
) -> subprocess.CompletedProcess:
    """The command with `args` as a real process; `db`, when given, is the database as
    $CITYTOOLS_DB; `env`, more variables of its environment (TZ...)."""
    extra = (env or {}) | ({} if db is None else {"CITYTOOLS_DB": str(db)})
    return subprocess.run(
        [sys.executable, "-m", "citydata", *args],
        cwd=ROOT,
        capture_output=True,
        text=text,
        env=os.environ | extra if extra else None,
        timeout=timeout,
    )


class _Stream(io.TextIOWrapper):
    """A process's stdout/stderr: text over bytes (`.buffer`), UTF-8 as Python's own."""

    def __init__(self) -> None:
        super().__init__(io.BytesIO(), encoding="utf-8", errors="backslashreplace", newline="\n")

    def value(self) -> bytes:
        self.flush()
        return self.buffer.getvalue()


def run(
    *args: str, db=None, text: bool = False, timeout: float = 300
) -> subprocess.CompletedProcess:
    """The command with `args`, run in this process as `python -m citydata` would run it.

    `timeout` is accepted for the same calls as `process`; nothing here can be killed.
    """
    from citydata import cli

    out, err = _Stream(), _Stream()
    saved_env = os.environ.get("CITYTOOLS_DB")
    logger = logging.getLogger("citydata")
    saved_logger = (list(logger.handlers), logger.propagate)
    cwd = os.getcwd()
    try:
        if db is not None:
            os.environ["CITYTOOLS_DB"] = str(db)
        os.chdir(ROOT)
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = cli.main(list(args))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            except Exception:  # what `python -m` prints for an exception nobody caught
                traceback.print_exc()
                code = 1
    finally:
        os.chdir(cwd)
        if db is not None:
            if saved_env is None:
                os.environ.pop("CITYTOOLS_DB", None)
            else:
                os.environ["CITYTOOLS_DB"] = saved_env
        logger.handlers[:], logger.propagate = saved_logger
    stdout, stderr = out.value(), err.value()
    if text:  # as subprocess.run(text=True): decoded, with universal newlines
        stdout, stderr = (
            b.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n") for b in (stdout, stderr)
        )
    return subprocess.CompletedProcess(["python", "-m", "citydata", *args], code, stdout, stderr)
