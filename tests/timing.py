"""Where the suite's time goes: `python -m pytest -p tests.timing ...` (tests/README.md).

For each test, its wall-clock seconds and the CPU seconds of the test's process and of every
process it started (the `streamlit run` servers, Chromium, `python -m citydata`), read from
/proc, with the load average; one JSON line per test in test-artifacts/timing.jsonl (appended
to, so several runs add up; delete it to start again), and per-file totals at the end.

On a shared machine wall-clock seconds follow the load; CPU seconds much less, so they are what
compares between runs. Per test, a process that ended between two readings counts once its
parent has collected it (Python's `subprocess` does); one orphaned before being read is missed,
and a session's server and Chromium stopping at the end can make its last test's figure small
or negative. The exact figure is the process's own at its end (a "session" line: the process
and every process it and they collected, from getrusage).
"""

from __future__ import annotations

import json
import os
import resource
import time
from collections import defaultdict
from pathlib import Path

import pytest

OUT = Path(__file__).resolve().parent.parent / "test-artifacts" / "timing.jsonl"
TICK = os.sysconf("SC_CLK_TCK")
_seen: dict[tuple[int, int], tuple[tuple[int, int], int]] = {}  # (pid, start) -> parent, ticks


def _stat(pid: int) -> tuple[int, int, int]:
    """Parent pid, CPU ticks (own and collected children's), start time of a process."""
    with open(f"/proc/{pid}/stat") as f:
        text = f.read()
    fields = text[text.rfind(")") + 2 :].split()
    return int(fields[1]), sum(int(x) for x in fields[11:15]), int(fields[19])


def cpu_seconds() -> float:
    """This process and its descendants; a descendant seen earlier whose parent has gone too
    (so nobody here collected it) counts as last seen."""
    procs = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                procs[int(name)] = _stat(int(name))
            except OSError:
                continue
    children = defaultdict(list)
    for pid, (ppid, _, _) in procs.items():
        children[ppid].append(pid)
    me = os.getpid()
    alive = {(pid, start) for pid, (_, _, start) in procs.items()}
    total = procs[me][1]
    stack = [(me, procs[me][2])]
    while stack:
        parent = stack.pop()
        for pid in children[parent[0]]:
            _, ticks, start = procs[pid]
            _seen[(pid, start)] = (parent, ticks)
            total += ticks
            stack.append((pid, start))
    gone = [t for key, (parent, t) in _seen.items() if key not in alive and parent not in alive]
    total += sum(gone)
    return total / TICK


def _load() -> float:
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    cpu, wall, load = cpu_seconds(), time.monotonic(), _load()
    yield
    line = {
        "test": item.nodeid,
        "wall": round(time.monotonic() - wall, 2),
        "cpu": round(cpu_seconds() - cpu, 2),
        "load": round((load + _load()) / 2, 2),
        "process": os.environ.get("PYTEST_XDIST_WORKER", "main"),
    }
    OUT.parent.mkdir(exist_ok=True)
    with OUT.open("a") as f:
        f.write(json.dumps(line) + "\n")


_started = time.monotonic()


def pytest_unconfigure(config):
    """The whole process: wall seconds and CPU seconds, its own and its collected children's."""
    if not OUT.parent.exists():
        return
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
    line = {
        "session": os.environ.get("PYTEST_XDIST_WORKER", "main"),
        "wall": round(time.monotonic() - _started, 2),
        "cpu": round(cpu, 2),
        "load": _load(),
    }
    with OUT.open("a") as f:
        f.write(json.dumps(line) + "\n")


def pytest_terminal_summary(terminalreporter):
    if os.environ.get("PYTEST_XDIST_WORKER") or not OUT.exists():
        return
    files: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    for line in OUT.read_text().splitlines():
        done = json.loads(line)
        if "test" not in done:
            continue
        totals = files[done["test"].split("::", 1)[0]]
        totals[0] += done["wall"]
        totals[1] += done["cpu"]
        totals[2] += 1
    write = terminalreporter.write_line
    write(f"Seconds per file (wall, CPU, tests), from {OUT}:")
    for name, (wall, cpu, tests) in sorted(files.items(), key=lambda kv: -kv[1][0]):
        write(f"{wall:8.1f} {cpu:8.1f} {tests:5d}  {name}")
    for part, test in (("browser", True), ("other", False)):
        chosen = [v for k, v in files.items() if k.startswith("tests/browser/") == test]
        wall, cpu = sum(v[0] for v in chosen), sum(v[1] for v in chosen)
        write(f"{wall:8.1f} {cpu:8.1f} {sum(v[2] for v in chosen):5d}  all {part} tests")
