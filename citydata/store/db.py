"""One thin facade over a DuckDB file: a cursor per call, one writer at a time.

DuckDB 2.0 refuses two threads on one connection, so every call takes its own cursor from the
process's single connection. Queries that must agree with each other run inside one `read()`, one
transaction. The panels of a page are not one transaction (each reads, and is cached, on its
own): they agree because every one of them checks the data version pinned at the start of the
page's run, and the page runs again when a commit has moved it (ui.query).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from citydata.core import settings

Params = Mapping[str, Any] | Sequence[Any] | None

log = logging.getLogger(__name__)


class StoreError(RuntimeError):
    """A database file that cannot be used, with a message a person can act on."""


class FileBusy(StoreError):
    """Another process holds the file (DuckDB lets one process write it, and then no other may
    even read it): it is fine, only busy. Wait and try again; never rebuild it."""


class FileUnusable(StoreError):
    """The file is not a City Tools database: not a DuckDB file, another program's, corrupt or
    unreadable, or written by a newer version."""


class Reader:
    """Queries on one cursor; inside `Database.read()` they all see the same snapshot."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection):
        self._cur = cursor

    def df(self, sql: str, params: Params = None) -> pd.DataFrame:
        return self._cur.execute(sql, params).df()

    def rows(self, sql: str, params: Params = None) -> list[tuple]:
        return self._cur.execute(sql, params).fetchall()

    def scalar(self, sql: str, params: Params = None) -> Any:
        row = self._cur.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def one(self, sql: str, params: Params = None) -> dict[str, Any] | None:
        """The first row as {column name: value}, or None when there is none."""
        result = self._cur.execute(sql, params)
        row = result.fetchone()
        if row is None:
            return None
        return dict(zip((d[0] for d in result.description), row, strict=True))

    def execute(self, sql: str, params: Params = None) -> None:
        self._cur.execute(sql, params)

    def stream(self, sql: str, params: Params = None, size: int = 10_000) -> Iterator[tuple]:
        """The rows of `sql` one by one, fetched `size` at a time: memory for `size` rows, not
        for all of them. Run nothing else on this reader until the rows are used up."""
        result = self._cur.execute(sql, params)
        while batch := result.fetchmany(size):
            yield from batch

    def register(self, name: str, df: pd.DataFrame) -> None:
        """Make `df` queryable as the table `name` on this cursor (for bulk inserts)."""
        self._cur.register(name, df)

    def unregister(self, name: str) -> None:
        self._cur.unregister(name)


@cache
def _scratch() -> duckdb.DuckDBPyConnection:
    # Opening a DuckDB takes 10-20 ms: more than a query over a few thousand rows. One thread
    # is enough for frames this small.
    return duckdb.connect(":memory:", config={"threads": 1})


@contextmanager
def over_frames(**frames: pd.DataFrame) -> Iterator[Reader]:
    """A Reader whose tables are `frames` (`name=frame`): small frames a page already holds,
    queried with SQL on a cursor of its own of the process's one in-memory DuckDB. Its names
    and temporary tables are the cursor's, gone when the block ends, so threads never meet."""
    with _scratch().cursor() as cur:
        for name, frame in frames.items():
            cur.register(name, frame)
        yield Reader(cur)


# A table to query: a small frame the page already holds, or (reader, its SQL, its parameters)
# for the same rows still in the database.
Table = pd.DataFrame | tuple["Reader", str, Mapping[str, Any]]


def over_table(
    name: str, table: Table, sql: str, params: Mapping[str, Any] | None = None, *, one: bool = False
) -> Any:
    """`sql` over the table `name`: on the frame (`over_frames`), or on the database with the
    table's SQL as the statement's first common table expression (one scan, only the answer
    fetched). The same SQL either way. A frame, or with `one` the first row as a dict."""
    params = params or {}
    if isinstance(table, pd.DataFrame):
        with over_frames(**{name: table}) as r:
            return r.one(sql, params) if one else r.df(sql, params)
    r, table_sql, table_params = table
    body = sql.strip()
    body = ", " + body.removeprefix("WITH ") if body.startswith("WITH ") else " " + body
    sql, params = f"WITH {name} AS ({table_sql}){body}", table_params | params
    return r.one(sql, params) if one else r.df(sql, params)


MEMORY_LIMIT = "CITYTOOLS_MEMORY_LIMIT"


# The least memory the app runs in: below it a page fails on its first query, or the database
# is taken for a damaged one (the embedded data needs about 64 MB; a mistyped "10MB" for 10GB).
MIN_MEMORY_MB = 128  # (as DuckDB counts a MB: a million bytes)
_BYTES = {"bytes": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "TiB": 1024**4}


def _config() -> dict[str, str]:
    """DuckDB's settings from ours; SettingError for a value DuckDB would not take, a negative
    one (DuckDB would take its default instead) or one too small for the app."""
    limit = settings.value(MEMORY_LIMIT)
    if not limit:
        return {}
    config = {"memory_limit": limit.strip()}
    advice = "Use a number and a unit, for example 1GB or 1500MB, or leave it unset."
    try:
        con = duckdb.connect(":memory:", config=config)
    except duckdb.Error:
        raise settings.SettingError(
            f"{MEMORY_LIMIT} is “{limit[:40]}”, which is not an amount of memory. {advice}"
        ) from None
    try:  # DuckDB's own reading of it: '9.5 MiB'
        number, unit = (
            con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0].split()
        )
    finally:
        con.close()
    # (a negative amount: DuckDB would take its default, most of the computer's memory)
    # (DuckDB's reading keeps one decimal of its unit: 128MB is '122.0 MiB', not 122.07)
    least = MIN_MEMORY_MB * 1e6 - 0.1 * _BYTES.get(unit, 1)
    amount = float(number) * _BYTES.get(unit, 1)
    if limit.strip().startswith("-") or amount < least:
        raise settings.SettingError(
            f"{MEMORY_LIMIT} is “{limit[:40]}”, less than the app needs to run: "
            f"{MIN_MEMORY_MB}MB at the least. {advice}"
        )
    # (more than there is: a big query is killed by the system, app and all, where under a limit
    # the computer can keep DuckDB works through a temporary folder instead)
    if (most := machine_memory()) is not None and amount > most:
        raise settings.SettingError(
            f"{MEMORY_LIMIT} is “{limit[:40]}”, more than this computer's memory "
            f"({most / 1e9:,.1f} GB). {advice}"
        )
    return config


def machine_memory() -> int | None:
    """The bytes of memory this process may use: the computer's, or its container's limit when
    lower (cgroup v2 `memory.max`, as on hosted services); None when neither can be read."""
    try:
        found = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        found = None
    try:
        capped = Path("/sys/fs/cgroup/memory.max").read_text().strip()
    except OSError:
        capped = "max"
    if capped.isdigit():
        found = min(int(capped), found or int(capped))
    return found


class Database:
    """A DuckDB file opened once per process, safe to share between threads."""

    def __init__(self, path: str | Path, *, read_only: bool = False):
        self.path = Path(path)
        config = _config()
        try:
            self._con = duckdb.connect(str(self.path), read_only=read_only, config=config)
        except duckdb.IOException as exc:
            raise _open_error(self.path, exc) from exc
        except duckdb.Error as exc:
            raise _open_error(self.path, exc) from exc
        self._write_lock = threading.Lock()

    # Single statements, each on a fresh cursor.
    def df(self, sql: str, params: Params = None) -> pd.DataFrame:
        with self._cursor() as cur:
            return Reader(cur).df(sql, params)

    def rows(self, sql: str, params: Params = None) -> list[tuple]:
        with self._cursor() as cur:
            return Reader(cur).rows(sql, params)

    def scalar(self, sql: str, params: Params = None) -> Any:
        with self._cursor() as cur:
            return Reader(cur).scalar(sql, params)

    def one(self, sql: str, params: Params = None) -> dict[str, Any] | None:
        with self._cursor() as cur:
            return Reader(cur).one(sql, params)

    @contextmanager
    def read(self) -> Iterator[Reader]:
        """Several queries that see one consistent state of the database."""
        with self._cursor() as cur:
            cur.execute("BEGIN TRANSACTION")
            try:
                yield Reader(cur)
            finally:
                cur.execute("ROLLBACK")

    @contextmanager
    def write(self) -> Iterator[Reader]:
        """One transaction, one writer at a time in this process: all of it commits or none."""
        with self._write_lock, self._cursor() as cur:
            cur.execute("BEGIN TRANSACTION")
            try:
                yield Reader(cur)
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")

    def close(self) -> None:
        self._con.close()

    @contextmanager
    def _cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cur = self._con.cursor()
        try:
            yield cur
        finally:
            cur.close()


# DuckDB's words when another process holds the file's lock (read-write or read-only alike).
_LOCK_HELD = ("could not set lock on file", "conflicting lock is held")


def _open_error(path: Path, exc: Exception) -> StoreError:
    text = str(exc)
    if any(words in text.lower() for words in _LOCK_HELD):
        return FileBusy(
            f"{path} is in use by another program (usually the running app, or a command "
            "importing a file). Upload through the app, or wait a moment and try again."
        )
    return FileUnusable(f"{path} could not be opened as a City Tools database: {unusable(exc)}")


_DAMAGED = "it is damaged: part of it cannot be read."
# What DuckDB's own message says (it has no codes), and the same in words, most specific first.
_UNUSABLE = (
    (
        "not a valid duckdb database",
        "it is not a database file (another kind of file saved under its name, or a file "
        "damaged from its start).",
    ),
    ("is a directory", "it is a folder, not a file."),
    ("no such file", "the folder it should be in does not exist. Check the path."),
    (
        "permission denied",
        "the app may not read or write it on this computer. Check the file's permissions.",
    ),
    ("read-only file system", "it is on a disk that cannot be written to."),
    (
        "version number",
        "it was written by a newer version of the app's database engine (DuckDB). Update the "
        "app to the version that wrote it.",
    ),
    ("corrupt", _DAMAGED),
    ("checksum", _DAMAGED),
    ("serializ", _DAMAGED),
)


def unusable(exc: Exception) -> str:
    """Why DuckDB could not use a database file, in words a person can act on (never DuckDB's
    own text, such as 'IO Error: The file ... exists, but it is not a valid DuckDB database
    file!'); that goes to the log for whoever maintains the app."""
    log.warning("a database file could not be used: %s", exc)
    text = str(exc).lower()
    for found, words in _UNUSABLE:
        if found in text:
            return words
    return "its contents cannot be read (it may be damaged, or not a City Tools database)."
