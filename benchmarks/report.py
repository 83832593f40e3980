"""RESULTS.md: formatting of figures, the machine, and merging a run into the dated sections.

The file keeps one `## <date>` section per day; inside it one `### <size> records` block per
data-set size. A run replaces the blocks of the sizes it measured (and the machine line) for
today's date, and leaves every other date and size as it was.
"""

from __future__ import annotations

import math
import os
import platform
import re
from collections.abc import Iterable, Sequence
from datetime import date
from importlib import metadata
from pathlib import Path

from benchmarks.section import Verdict

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
PACKAGES = ("duckdb", "streamlit", "pandas", "pyarrow")

_RUN = re.compile(r"^<!-- run (\S+) -->\n(.*?)^<!-- end run -->\n", re.M | re.S)
_SIZE = re.compile(r"^<!-- size (\S+) (\d+) -->\n(.*?)^<!-- end size -->\n", re.M | re.S)
# Written by people, kept by every run: what the missed targets mean and what would fix them.
_NOTES = re.compile(r"^<!-- notes -->\n.*?^<!-- end notes -->\n", re.M | re.S)

PREAMBLE = """# Benchmark results

Written by `python -m benchmarks.run` (see benchmarks/README.md). Each day has one section; a run
replaces the blocks of the sizes it measured. Times are wall-clock seconds on a shared machine:
compare ratios measured in the same run rather than absolute figures across days.

Targets (benchmarks/targets.py), marked met or missed in each size's "Targets" table: at 1M
records every page's warm script run p50 ≤ 300 ms and every query ≤ 1.5× raw DuckDB; at 10M
records every page answers in ≤ 2 s (warm and cold p50) and no step's peak memory reaches 3 GB;
for a 100k- and a 1M-row register the import at least half as fast as DuckDB's `read_csv`.
A step that fails (e.g. out of memory under `--memory-cap`) misses its targets.

"""


def seconds(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if value < 0.001:
        return f"{value * 1e6:.0f} µs"
    if value < 1:
        return f"{value * 1000:.1f} ms" if value < 0.1 else f"{value * 1000:.0f} ms"
    return f"{value:.2f} s"


def size_bytes(value: float | None) -> str:
    if value is None:
        return "–"
    if value >= 1024**3:
        return f"{value / 1024**3:.2f} GiB"
    if value >= 1024**2:
        return f"{value / 1024**2:.0f} MiB"
    return f"{value / 1024:.0f} KiB"


def ratio(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "–"
    return f"{value:.2f}×"


def verdict_mark(met: bool | None) -> str:
    return {True: "met", False: "**missed**", None: "not measured"}[met]


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    def cell(value: object) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines


def verdict_table(verdicts: Sequence[Verdict]) -> list[str]:
    if not verdicts:
        return []
    return table(
        ["Target", "Measured", "Figure", "Verdict"],
        ((v.target, v.subject, v.figure, verdict_mark(v.met)) for v in verdicts),
    )


def machine() -> dict[str, str]:
    """Where the figures were measured: cores, memory, CPU, OS, Python, library versions."""
    cpu = "unknown"
    memory = "unknown"
    try:
        info = Path("/proc/cpuinfo").read_text()
        if found := re.search(r"^model name\s*:\s*(.+)$", info, re.M):
            cpu = found.group(1).strip()
        mem = Path("/proc/meminfo").read_text()
        if found := re.search(r"^MemTotal:\s*(\d+) kB", mem, re.M):
            memory = size_bytes(int(found.group(1)) * 1024)
    except OSError:
        cpu = platform.processor() or cpu
    versions = ", ".join(f"{name} {_version(name)}" for name in PACKAGES)
    return {
        "cores": str(os.cpu_count()),
        "memory": memory,
        "cpu": cpu,
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": versions,
    }


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def run_header(info: dict[str, str], command: str, load: Sequence[float]) -> list[str]:
    return [
        f"**Machine:** {info['cores']} cores, {info['memory']} memory, {info['cpu']}; "
        f"{info['os']}; Python {info['python']}; {info['packages']}.",
        "",
        f"**Last run:** `{command}`; load average at its start {load[0]:.2f}, {load[1]:.2f}, "
        f"{load[2]:.2f} (1, 5, 15 min).",
        "",
    ]


def merge(existing: str, day: date, header: list[str], blocks: dict[int, list[str]]) -> str:
    """The file with today's header and the given size blocks (rows -> markdown) in place."""
    runs: dict[str, tuple[str, dict[int, str]]] = {}
    for match in _RUN.finditer(existing):
        body = match.group(2)
        sizes = {int(m.group(2)): m.group(0) for m in _SIZE.finditer(body)}
        runs[match.group(1)] = (body.split("<!-- size ", 1)[0], sizes)
    key = day.isoformat()
    _, sizes = runs.get(key, ("", {}))
    for rows, lines in blocks.items():
        sizes[rows] = f"<!-- size {key} {rows} -->\n" + "\n".join(lines).rstrip() + "\n\n"
        sizes[rows] += "<!-- end size -->\n"
    runs[key] = (f"## {key}\n\n" + "\n".join(header).rstrip() + "\n\n", sizes)
    notes = _NOTES.search(existing)
    out = [PREAMBLE, notes.group(0) + "\n" if notes else ""]
    for run_key in sorted(runs, reverse=True):
        head, run_sizes = runs[run_key]
        out.append(f"<!-- run {run_key} -->\n{head}")
        out += [run_sizes[n] for n in sorted(run_sizes)]
        out.append("<!-- end run -->\n\n")
    return "".join(out).rstrip() + "\n"


def write(day: date, header: list[str], blocks: dict[int, list[str]], path: Path = RESULTS) -> None:
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    path.write_text(merge(existing, day, header, blocks), encoding="utf-8")
