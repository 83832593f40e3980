"""Run the benchmarks and write benchmarks/RESULTS.md.

python -m benchmarks.run [--sizes 10k,100k,1M,10M] [--repeat N] [--only NAME]

For each size: make (or reuse) the data set, then run every step of every section in
benchmarks.sections.SECTIONS, each in its own worker process (its peak memory is measured by
the operating system when it ends), one after the other.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import datasets, report, targets
from benchmarks.section import Context, Section, StepResult, Verdict
from benchmarks.sections import SECTIONS
from citydata.core import dates

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SIZES = "10k,100k,1M"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    p.add_argument(
        "--sizes", default=DEFAULT_SIZES, help=f"comma-separated (default {DEFAULT_SIZES})"
    )
    p.add_argument("--repeat", type=int, default=5, help="timed runs per case and page (default 5)")
    p.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help="run only sections or steps whose name contains NAME (repeatable); the other "
        "steps keep today's earlier figures in RESULTS.md",
    )
    p.add_argument("--seed", type=int, default=2015, help="generator seed (default 2015)")
    p.add_argument(
        "--timeout", type=float, default=1800, help="seconds before a step is stopped (1800)"
    )
    p.add_argument(
        "--memory-cap",
        type=float,
        default=8,
        metavar="GIB",
        help="address-space limit of each worker, to protect a shared machine (default 8 GiB; "
        "0 for none): a step that needs more fails and is reported",
    )
    p.add_argument("--print", action="store_true", help="print the results; leave RESULTS.md")
    p.add_argument(
        "--render",
        action="store_true",
        help="measure nothing: write RESULTS.md again from today's raw results",
    )
    return p


def run_step(
    section: str, step: str, ctx: Context, timeout: float = 1800, memory_cap: float = 0
) -> StepResult:
    """Run one step in a worker process; its wall time, peak RSS and result (or error)."""
    with tempfile.TemporaryDirectory(prefix="citytools-bench-") as tmp:
        out, log = Path(tmp) / "result.json", Path(tmp) / "log.txt"
        cmd = [sys.executable, "-m", "benchmarks.worker", section, step]
        cmd += [json.dumps(ctx.to_json()), str(out)]
        start = time.perf_counter()
        with log.open("wb") as log_file:
            proc = subprocess.Popen(
                cmd,
                cwd=ROOT,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                preexec_fn=_limit_memory(memory_cap),
            )
        status, peak = _wait(proc, timeout)
        wall = time.perf_counter() - start
        result: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {}
        error = result.get("error")
        if status is None:
            error = f"stopped after {timeout:.0f} s"
        elif status < 0:
            error = f"killed by signal {-status}" + (" (out of memory?)" if status == -9 else "")
        elif status and not error:
            tail = log.read_text(errors="replace").strip().splitlines()[-3:]
            error = f"exit {status}: " + " / ".join(tail)
    return {
        "step": step,
        "ok": error is None,
        "error": error,
        "seconds": result.get("seconds", wall),
        "peak_rss": peak,
        "data": result.get("data"),
    }


def _limit_memory(gib: float) -> Callable[[], None] | None:
    """A preexec function capping the worker's address space at `gib` GiB (None: no cap)."""
    if not gib:
        return None
    limit = int(gib * 1024**3)

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


def _wait(proc: subprocess.Popen, timeout: float) -> tuple[int | None, int]:
    """Wait for the worker; (exit status or None on timeout, its peak RSS in bytes)."""
    deadline = time.monotonic() + timeout
    status: int | None = None
    while True:
        pid, raw, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            status = os.waitstatus_to_exitcode(raw)
            break
        if time.monotonic() > deadline:
            proc.kill()
            _, raw, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.05)
    proc.returncode = -1 if status is None else status  # reaped here, not by Popen
    return status, usage.ru_maxrss * 1024


def matches(only: list[str], section: Section, step: str) -> bool:
    if not only:
        return True
    names = (section.name.lower(), step.lower())
    return any(word.lower() in name for word in only for name in names)


def measure_size(ctx: Context, args: argparse.Namespace) -> tuple[list[str], dict[str, Any]]:
    """Everything for one size: its markdown block and the raw results.

    Steps not run this time (because of --only) keep today's earlier result for this size,
    if there is one, so a partial run updates RESULTS.md rather than truncating it. The raw
    results are saved after every step: an interrupted run keeps what it measured.
    """

    def step_runner(section: str, step: str, c: Context) -> StepResult:
        _say(f"  {ctx.label}: {section} {step}")
        return run_step(section, step, c, args.timeout, args.memory_cap)

    dataset = datasets.prepare(ctx, step_runner)
    done: dict[str, dict[str, StepResult]] = {
        name: {r["step"]: r for r in results} for name, results in _earlier(ctx).items()
    }
    raw: dict[str, Any] = {"context": ctx.to_json(), "dataset": dataset, "sections": {}}
    for section in SECTIONS:
        for step in section.steps(ctx):
            if not matches(args.only, section, step):
                continue
            res = step_runner(section.name, step, ctx)
            if not res["ok"]:
                _say(f"    failed: {res['error']}")
            done.setdefault(section.name, {})[step] = res
            raw["sections"] = {name: list(steps.values()) for name, steps in done.items()}
            _raw_path(ctx).write_text(json.dumps(raw, indent=1, default=str))
    raw["sections"] = {name: list(steps.values()) for name, steps in done.items()}
    _raw_path(ctx).write_text(json.dumps(raw, indent=1, default=str))
    _say(f"  raw results: {_shown(_raw_path(ctx))}")
    verdicts: list[Verdict] = _dataset_verdicts(ctx, dataset)
    sections: list[str] = []
    for section in SECTIONS:
        known = done.get(section.name, {})
        results = [known[step] for step in section.steps(ctx) if step in known]
        if results:
            sections += section.render(ctx, results)
            verdicts += section.verdicts(ctx, results)
    block = [f"### {ctx.label} records", "", *_dataset_lines(ctx, dataset), ""]
    if verdicts:
        block += ["#### Targets", "", *report.verdict_table(verdicts), ""]
    return block + sections, raw


def _raw_path(ctx: Context) -> Path:
    return datasets.DATA / f"results-{dates.today().isoformat()}-{ctx.rows}-seed{ctx.seed}.json"


def _earlier(ctx: Context) -> dict[str, list[StepResult]]:
    """Today's earlier results for this size and seed, by section."""
    path = _raw_path(ctx)
    if not path.exists():
        return {}
    return json.loads(path.read_text()).get("sections", {})


def _dataset_lines(ctx: Context, dataset: dict[str, Any]) -> list[str]:
    gen, build = dataset["generate"], dataset["build"]

    def how(res: StepResult) -> str:
        cached = " (cached from an earlier run)" if res.get("cached") else ""
        if "data" not in res:  # made by hand or by another benchmark, without its timings
            return f"{report.size_bytes(res['bytes'])}{cached}"
        return (
            f"{report.size_bytes(res['data']['bytes'])}, made in {report.seconds(res['seconds'])}"
            f", peak RSS {report.size_bytes(res['peak_rss'])}{cached}"
        )

    return [
        f"Data set: {ctx.rows:,} records, seed {ctx.seed}. CSV (`citydata.core.demo.write_csv`): "
        f"{how(gen)}. Database (`citydata.lifecycle.build(path, csv=...)`): {how(build)}."
    ]


def _dataset_verdicts(ctx: Context, dataset: dict[str, Any]) -> list[Verdict]:
    at, limit = targets.PEAK_MEMORY_BYTES
    if ctx.rows != at:
        return []
    peak = dataset["build"]["peak_rss"]
    return [
        Verdict(
            f"peak memory < {report.size_bytes(limit)}",
            "lifecycle.build from the CSV",
            report.size_bytes(peak),
            peak < limit,
        )
    ]


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        sizes = datasets.parse_sizes(args.sizes)
    except ValueError as exc:
        parser().error(str(exc))
    if args.repeat < 1:
        parser().error("--repeat must be at least 1")
    if args.render:
        args.only = ["\0"]  # matches no step: every figure comes from today's raw results
    command = "python -m benchmarks.run " + shlex.join(argv if argv is not None else sys.argv[1:])
    load = os.getloadavg()
    blocks: dict[int, list[str]] = {}
    today = dates.today()
    for label, rows in sizes:
        ctx = datasets.context(label, rows, args.seed, args.repeat)
        _say(f"{label} records ({rows:,})")
        blocks[rows], _ = measure_size(ctx, args)
    header = report.run_header(report.machine(), command.strip(), load)
    if args.print:
        print("\n".join(header + [line for block in blocks.values() for line in block]))
    else:
        report.write(today, header, blocks)
        _say(f"Wrote {_shown(report.RESULTS)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
