"""Checking an uploaded file away from the server's other visitors.

`ingest.prepare` (read, recognise, normalise and check every row) is pure Python and pandas
work: seconds of CPU for a large register, holding Python's global lock most of that time. Run
in the steward's session thread, it slows every other visitor's page, because Streamlit runs
every session as a thread of one process (benchmarks/upload_latency.py measures it; see
benchmarks/RESULTS.md). So the app hands it to a small pool of worker processes:

- the session thread only waits (without the lock) for its one result, so a session has at most
  one preparation under way, and the page shows a spinner meanwhile;
- at most CITYTOOLS_UPLOAD_WORKERS files are checked at once on the server (1 by default; 0
  checks in the session thread as before); more uploads at once wait for their turn;
- each check is a fresh process (`python -m citydata.ingest.worker`, bytes in, a pickled
  `Prepared` out) that exits when done, so what a large file took goes back to the system.
  (Not multiprocessing: Streamlit replaces `__main__` with the app's script, which a spawned
  multiprocessing worker would run again.);
- the next check's process is started as soon as one check is done (a spare), so that its
  imports (pandas, DuckDB: about 0.7 s of CPU here) are over before the steward's next file or
  next choice of columns: a steward waits for the check, not for Python to start. A spare is
  used only if the server's environment is as it was when it started, and ends by itself
  after `IDLE_SECONDS` unused (or when the server goes), so a server nobody uploads to keeps
  no process;
- nothing Streamlit is touched outside the session thread: the worker gets bytes and returns
  plain data, which the session keeps as before (ui.uploading's memo).

The database is not opened by the workers (DuckDB allows one writing process): the preview,
which compares with the stored snapshots, stays in the session.
"""

from __future__ import annotations

import atexit
import logging
import os
import pickle
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from citydata import ingest
from citydata.core import settings

log = logging.getLogger(__name__)
MAX_WORKERS = settings.MAX_UPLOAD_WORKERS
IDLE_SECONDS = 600  # a spare worker nobody used in this time ends (see `_start_spare`)
ROOT = Path(__file__).resolve().parents[1]
_lock = threading.Lock()
_slots: dict[int, threading.BoundedSemaphore] = {}

BROKEN = (
    "This file could not be checked: the checker stopped before it finished (the file may be "
    "too big for this server's memory). Try again; if it happens again, split the file."
)


def workers(secrets: dict[str, Any] | None = None) -> int:
    """CITYTOOLS_UPLOAD_WORKERS as a number of processes, 0 to MAX_WORKERS (SettingError, naming
    it, for any other value: 99 was once taken as 4 without a word)."""
    return int(settings.number(settings.UPLOAD_WORKERS, secrets))


def _slot(size: int) -> threading.BoundedSemaphore:
    """The server's turns for `size` checks at once (one semaphore per setting value)."""
    with _lock:
        return _slots.setdefault(size, threading.BoundedSemaphore(size))


def prepare(content: bytes, name: str, size: int, **options: Any) -> ingest.Prepared:
    """`ingest.prepare(content, name, **options)` in a worker process (in this thread when
    `size` is 0). Never raises for a bad file; a worker that failed gives a refused result."""
    if size <= 0:
        return ingest.prepare(content, name, **options)
    request = pickle.dumps((bytes(content), name, options), protocol=pickle.HIGHEST_PROTOCOL)
    with _slot(size):
        worker = _worker()
        stdout, stderr = worker.communicate(request)
        if worker.returncode == 0 and not stdout:  # a spare that ended, unused, as it was taken
            worker = _start()
            stdout, stderr = worker.communicate(request)
        _start_spare()  # the next check's imports, while the steward reads this one
    if worker.returncode == 0:
        try:
            return pickle.loads(stdout)  # from the worker this module started
        except (pickle.UnpicklingError, EOFError, ValueError):
            pass
    log.error("an upload's worker failed (%s): %s", worker.returncode, stderr[-2000:])
    result = ingest.prepare(b"", name)  # an empty result of the right shape
    result.refused = BROKEN
    return result


class _Worker(subprocess.Popen):
    environment: dict[str, str]  # the server's environment when it started


_spare: _Worker | None = None


def _start() -> _Worker:
    environment = dict(os.environ)
    worker = _Worker(
        [sys.executable, "-m", "citydata.ingest.worker", str(IDLE_SECONDS)],
        cwd=ROOT,  # where citydata is, wherever the server was started from
        env=environment,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    worker.environment = environment
    return worker


def _worker() -> _Worker:
    """The spare, when it is still waiting and the environment is as it started in; else a
    new worker."""
    spare = _take_spare()
    if spare is not None:
        if spare.poll() is None and spare.environment == dict(os.environ):
            return spare
        _end(spare)
    return _start()


def _take_spare() -> _Worker | None:
    global _spare
    with _lock:
        spare, _spare = _spare, None
    return spare


def _start_spare() -> None:
    """Start the next check's worker, unless one is waiting. A failure to start it is only
    logged: the next check starts its own, as it would have anyway."""
    global _spare
    with _lock:
        if _spare is not None and _spare.poll() is None:
            return
        old = _spare
        try:
            _spare = _start()
        except OSError as exc:
            _spare = None
            log.warning("could not start the next upload check's worker: %s", exc)
    if old is not None:
        _end(old)


def _end(worker: _Worker) -> None:
    """Stop a worker that has no request (its end of the pipes closed: it exits at once)."""
    for pipe in (worker.stdin, worker.stdout, worker.stderr):
        if pipe is not None:
            pipe.close()
    try:
        worker.wait(timeout=10)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


@atexit.register
def _end_spare() -> None:
    spare = _take_spare()
    if spare is not None:
        _end(spare)
