"""An import's phases, each with its own time and peak memory, this checkout against another.

    python -m benchmarks.import_phases --csv FILE --db FILE [--against CHECKOUT] [--pairs 2]

Each measurement is a fresh process: DuckDB's `read_csv` of the register into a new database
file (the ceiling), or one whole import of the register with one record of each borough
edited, as `benchmarks/sections/imports.py` does it (`prepare`, `previews.preview` and
`snapshots.commit` into a fresh copy of `--db`). Per phase: wall and CPU seconds (all the
process's threads) and the phase's own peak resident memory (the kernel's high-water mark is
reset before each phase, so a phase's peak includes what the earlier ones left held). With
`--against`, the other checkout's import runs in turn with this one's (A/B in one run: on a
shared machine only ratios inside one run mean anything). Prints one JSON line per process,
then the medians. Linux only (/proc/self/clear_refs).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PHASES = ("prepare", "preview", "commit")
ROOT = Path(__file__).resolve().parents[1]


def _status(field: str) -> int:
    with open("/proc/self/status") as f:
        return int(re.search(rf"{field}:\s+(\d+)", f.read()).group(1)) * 1024


def _phase(out: dict, name: str, fn):
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # the peak starts again from what is held now
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn()
    out[name] = {
        "wall": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
        "peak": _status("VmHWM"),
    }
    return value


def measure(mode: str, csv_path: Path, db_path: Path, edited: Path) -> dict:
    """One measurement in this process (`mode`: read_csv or import; `edited`: the register
    with one record of each borough edited)."""
    out: dict = {"mode": mode, "checkout": os.getcwd(), "load": os.getloadavg()[0]}
    if mode == "read_csv":
        import duckdb

        with tempfile.TemporaryDirectory() as tmp:
            con = duckdb.connect(str(Path(tmp) / "read.duckdb"))
            sql = "CREATE TABLE t AS SELECT * FROM read_csv($path)"
            _phase(out, "read_csv", lambda: con.execute(sql, {"path": str(csv_path)}))
            con.close()
        return out
    from citydata import ingest, lifecycle
    from citydata.ingest import read
    from citydata.store import previews, snapshots

    os.environ["CITYTOOLS_MAX_UPLOAD_MB"] = str(csv_path.stat().st_size // 2**20 + 26)
    with tempfile.TemporaryDirectory() as tmp:
        content = edited.read_bytes()
        shutil.copyfile(db_path, Path(tmp) / "store.duckdb")
        db = lifecycle.open_store(Path(tmp) / "store.duckdb")
        with db.read() as r:
            rows = r.scalar("SELECT count(*) FROM current_contracts")
        read.MAX_ROWS = max(read.MAX_ROWS, rows)
        prepared = _phase(out, "prepare", lambda: ingest.prepare(content, csv_path.name))
        if prepared.refused or prepared.rows_accepted != rows:
            raise SystemExit(f"not accepted whole: {prepared.refused or prepared.rows_accepted}")
        changes = _phase(out, "preview", lambda: previews.preview(db, prepared))
        expect = {c.borough_code: c.base_snapshot_id for c in changes}
        _phase(out, "commit", lambda: snapshots.commit(db, prepared, content, "b", expect=expect))
        db.close()
    out["import"] = {
        "wall": sum(out[p]["wall"] for p in PHASES),
        "cpu": sum(out[p]["cpu"] for p in PHASES),
        "peak": max(out[p]["peak"] for p in PHASES),
    }
    out["maxrss_of_process"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return out


def _run(checkout: Path, mode: str, args: argparse.Namespace, edited: Path) -> dict:
    command = [sys.executable, __file__, "--one", mode]  # run in `checkout`, with its code
    command += ["--csv", str(args.csv), "--db", str(args.db), "--edited", str(edited)]
    done = subprocess.run(command, cwd=checkout, capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(json.dumps(result), flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, required=True, help="the register (a benchmark CSV)")
    parser.add_argument("--db", type=Path, required=True, help="its database (copied per run)")
    parser.add_argument("--against", type=Path, help="another checkout, run in turn with this")
    parser.add_argument("--pairs", type=int, default=2)
    parser.add_argument("--one", choices=("read_csv", "import"), help=argparse.SUPPRESS)
    parser.add_argument("--edited", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.csv, args.db = args.csv.resolve(), args.db.resolve()
    if args.one:
        sys.path.insert(0, os.getcwd())  # the checkout measured
        print(json.dumps(measure(args.one, args.csv, args.db, args.edited)))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        from benchmarks.sections.imports import edited

        edited(args.csv, Path(tmp) / "edited.csv")  # once, outside the measured processes
        return _compare(args, Path(tmp) / "edited.csv")


def _compare(args: argparse.Namespace, edited: Path) -> int:
    checkouts = [ROOT] + ([args.against.resolve()] if args.against else [])
    results: dict[str, list[dict]] = {"read_csv": []} | {str(c): [] for c in checkouts}
    for _ in range(args.pairs):
        results["read_csv"].append(_run(ROOT, "read_csv", args, edited))
        for checkout in checkouts[::-1]:  # the other checkout first, then this one
            results[str(checkout)].append(_run(checkout, "import", args, edited))
    ceiling = {
        k: statistics.median(r["read_csv"][k] for r in results["read_csv"]) for k in ("wall", "cpu")
    }
    print(f"read_csv: {ceiling['wall']:.2f} s wall, {ceiling['cpu']:.2f} s CPU")
    for checkout in checkouts:
        runs = results[str(checkout)]
        cells = []
        for part in (*PHASES, "import"):
            wall, cpu = (statistics.median(r[part][k] for r in runs) for k in ("wall", "cpu"))
            peak = max(r[part]["peak"] for r in runs) / 2**20
            cells.append(f"{part} {wall:.2f}/{cpu:.2f} s, {peak:,.0f} MiB")
        wall, cpu = (statistics.median(r["import"][k] for r in runs) for k in ("wall", "cpu"))
        shares = f"{ceiling['wall'] / wall:.2f} (wall), {ceiling['cpu'] / cpu:.2f} (CPU)"
        print(f"{checkout}: " + "; ".join(cells) + f"; share of read_csv {shares}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
