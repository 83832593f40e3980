"""The servers the browser benchmark times: the app under `streamlit run` and Datasette, its
peer, over a SQLite copy of the same records (kept beside the cached data set)."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)  # polling while the server starts
    process.kill()
    raise RuntimeError(f"{url} did not answer: {log.read_text(errors='replace')[-2000:]}")


# The server process behind each URL `serve` gives (its CPU time is one of the phases).
SERVERS: dict[str, subprocess.Popen] = {}


@contextmanager
def serve(
    command: list[str], health: str, env: dict[str, str], log: Path, root: Path = ROOT
) -> Iterator[str]:
    port = _free_port()
    command = [c.replace("{port}", str(port)) for c in command]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=root, env=os.environ | env, stdout=out,
                                   stderr=subprocess.STDOUT)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    SERVERS[url] = process
    try:
        _wait_http(url + health, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def streamlit(db: Path, log: Path, root: Path = ROOT):
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
               "--server.port", "{port}", "--server.address", "127.0.0.1",
               "--server.fileWatcherType", "none",
               "--browser.gatherUsageStats", "false"]  # fmt: skip
    return serve(command, "/_stcore/health", {"CITYTOOLS_DB": str(db)}, log, root)


def datasette(sqlite: Path, log: Path):
    """Datasette over `sqlite`, served as database `contracts` (Datasette names a database
    after its file: a link named contracts.sqlite beside the log points at the kept copy)."""
    exe = Path(sys.executable).with_name("datasette")
    named = log.with_name("contracts.sqlite")
    named.unlink(missing_ok=True)
    named.symlink_to(sqlite.resolve())
    command = [str(exe), "serve", str(named), "--port", "{port}", "--host", "127.0.0.1",
               "--setting", "facet_time_limit_ms", "20000",
               "--setting", "sql_time_limit_ms", "20000"]  # fmt: skip
    return serve(command, "/-/versions.json", {}, log)


def to_sqlite(db: Path, out: Path) -> tuple[list[str], float]:
    """The database's current records as table `contracts` in SQLite, faceted columns indexed."""
    import duckdb

    start = time.perf_counter()
    out.unlink(missing_ok=True)
    con = duckdb.connect(str(db), read_only=True)
    result = con.execute("SELECT * FROM current_contracts")
    names = [d[0] for d in result.description]
    lite = sqlite3.connect(out)
    lite.execute(f"CREATE TABLE contracts ({', '.join(names)})")  # our own column names
    marks = ", ".join("?" * len(names))
    while batch := result.fetchmany(50_000):
        rows = [tuple(v if v is None or isinstance(v, int | float | str) else str(v) for v in r)
                for r in batch]  # fmt: skip
        lite.executemany(f"INSERT INTO contracts VALUES ({marks})", rows)  # noqa: S608
    for column in ("borough", "service_area", "vendor", "hosting"):
        lite.execute(f"CREATE INDEX contracts_{column} ON contracts ({column})")
    lite.commit()
    lite.close()
    con.close()
    return names, time.perf_counter() - start


def sqlite_copy(db: Path, csv: Path) -> tuple[Path, float]:
    """The SQLite copy for Datasette, kept beside the cached database (10M rows take a quarter
    of an hour to copy) and made again when the generated CSV it comes from is newer (a
    database rebuilt from the same CSV by newer store code holds the same records); returns
    it and what copying took."""
    lite, note = db.with_suffix(".sqlite"), db.with_suffix(".sqlite.json")
    if lite.exists() and note.exists() and lite.stat().st_mtime >= csv.stat().st_mtime:
        return lite, json.loads(note.read_text())["seconds"]
    _names, seconds = to_sqlite(db, lite)
    note.write_text(json.dumps({"seconds": seconds}))
    return lite, seconds
