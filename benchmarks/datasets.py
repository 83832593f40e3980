"""The data sets: seeded demo records of each size, as a CSV and as a database built from it.

Both are cached under benchmarks/data/ (git-ignored) with a JSON note of how they were made
and what that cost. They are made again when the generator's code (for the CSV) or the
store's code (for the database) has changed since.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.section import Context, StepResult

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
STEPS = ("generate", "build")
# What each step's output depends on: a change to any of these files makes it again.
SOURCES = {
    "generate": (
        "citydata/core/demo.py",
        "citydata/core/catalogue.py",
        "citydata/core/boroughs.py",
    ),
    "build": (
        "citydata/lifecycle.py",
        "citydata/store/versions.py",
        "citydata/store/schema_to_v8.py",
        "citydata/store/schema_since_v9.py",
        "citydata/store/vendors.py",
        "data/vendor_aliases.csv",
        "citydata/core/schema.py",
        "citydata/store/db.py",
    ),
}
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)([kKmM]?)$")


def parse_sizes(text: str) -> list[tuple[str, int]]:
    """'10k,100k,1M' -> [('10k', 10000), ('100k', 100000), ('1M', 1000000)]."""
    out = []
    for part in (p.strip() for p in text.split(",")):
        found = _SIZE.match(part)
        if not found:
            raise ValueError(f"{part!r} is not a size (use e.g. 10k, 100k, 1M, 10M or 2500)")
        scale = {"": 1, "k": 1_000, "m": 1_000_000}[found.group(2).lower()]
        rows = round(float(found.group(1)) * scale)
        if rows < 1:
            raise ValueError(f"{part!r}: a data set needs at least one record")
        out.append((part, rows))
    return out


def context(label: str, rows: int, seed: int, repeat: int) -> Context:
    DATA.mkdir(parents=True, exist_ok=True)
    stem = DATA / f"contracts-{rows}-seed{seed}"
    return Context(label, rows, seed, repeat, str(stem) + ".duckdb", str(stem) + ".csv")


def _meta_path(ctx: Context) -> Path:
    return Path(ctx.db).with_suffix(".json")


def fingerprint(step: str) -> str:
    digest = hashlib.sha256()
    for name in SOURCES[step]:
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()[:16]


def prepare(ctx: Context, run_step: Callable[[str, str, Context], StepResult]) -> dict[str, Any]:
    """Make (or reuse) the size's CSV and database; returns each step's result, as recorded."""
    meta_path = _meta_path(ctx)
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    remade = False
    for step in STEPS:
        output = Path(ctx.csv if step == "generate" else ctx.db)
        known = meta.get(step, {})
        fresh = known.get("fingerprint") == fingerprint(step) and known.get("result", {}).get("ok")
        if fresh and output.exists() and not remade:
            known["result"]["cached"] = True
            continue
        result = run_step("dataset", step, ctx)
        if not result["ok"]:
            raise RuntimeError(f"{step} of the {ctx.label} data set failed: {result['error']}")
        meta[step] = {"fingerprint": fingerprint(step), "result": result}
        meta_path.write_text(json.dumps(meta, indent=1))
        remade = True
    return {step: meta[step]["result"] for step in STEPS}


def run(ctx: Context, step: str) -> dict[str, Any]:
    """One step, inside a worker process."""
    if step == "generate":
        from citydata.core import demo

        written = demo.write_csv(ctx.csv, rows=ctx.rows, seed=ctx.seed)
        return {"records": written, "bytes": Path(ctx.csv).stat().st_size}
    if step == "build":
        from citydata import lifecycle

        Path(ctx.db).unlink(missing_ok=True)
        lifecycle.build(ctx.db, csv=Path(ctx.csv))
        db = lifecycle.open_store(ctx.db)
        records = db.scalar("SELECT count(*) FROM current_contracts")
        db.close()
        if records != ctx.rows:
            raise RuntimeError(f"the database holds {records} records, not {ctx.rows}")
        return {"records": records, "bytes": Path(ctx.db).stat().st_size}
    raise KeyError(f"No data-set step called {step!r}")
