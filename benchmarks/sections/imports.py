"""Import throughput: a register imported the way `python -m citydata import` does it, next to
DuckDB's own `read_csv` of the same file (the ceiling).

The file is the size's generated CSV (the app's own template layout, every row valid). Steps,
each in its own worker process so each has its own peak memory:
- `read_csv`: `CREATE TABLE ... AS SELECT * FROM read_csv(file)` into a new DuckDB file;
- `prepare`: `citydata.ingest.prepare` (read, recognise, normalise, check every value);
- `import`: prepare, `previews.preview` and `snapshots.commit` into a fresh copy of the
  size's database, so every borough's current snapshot is compared and replaced (a steward
  re-importing the whole register with one record of each borough edited: an unchanged file
  stores nothing). Each phase is timed; the peak memory is the whole import's.
Only sizes up to 1M rows. One file in the app holds at most 25 MB and 500,000 rows
(`citydata.ingest.read`); the steps lift those two limits, so a 1M-row register measures the
same code on twice the rows a steward could upload at once.
"""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import measure, report, targets
from benchmarks.section import Context, Section, StepResult, Verdict

MAX_ROWS = 1_000_000
PHASES = ("prepare", "preview", "commit")


def steps(ctx: Context) -> list[str]:
    return ["read_csv", "prepare", "import"] if ctx.rows <= MAX_ROWS else []


def run(ctx: Context, step: str) -> dict[str, Any]:
    from citydata.ingest import read

    size_mb = Path(ctx.csv).stat().st_size / 1024 / 1024 + 1
    os.environ["CITYTOOLS_MAX_UPLOAD_MB"] = str(max(25, size_mb))  # this worker only
    read.MAX_ROWS = max(read.MAX_ROWS, ctx.rows)
    return {"read_csv": _read_csv, "prepare": _prepare, "import": _import}[step](ctx)


def _read_csv(ctx: Context) -> dict[str, Any]:
    import duckdb

    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(ctx.repeat):
            con = duckdb.connect(str(Path(tmp) / f"read-{i}.duckdb"))
            start = time.perf_counter()
            con.execute("CREATE TABLE t AS SELECT * FROM read_csv($path)", {"path": ctx.csv})
            times.append(time.perf_counter() - start)
            rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
            con.close()
    return {"seconds": times, "rows": rows}


def _prepare(ctx: Context) -> dict[str, Any]:
    from citydata import ingest

    content = Path(ctx.csv).read_bytes()
    times = []
    for _ in range(ctx.repeat):
        seconds, prepared = measure.timed(lambda: ingest.prepare(content, Path(ctx.csv).name))
        _accepted(prepared, ctx)
        times.append(seconds)
    return {"seconds": times, "rows": prepared.rows_accepted}


def edited(source: Path, target: Path) -> None:
    """The register with one record of each borough changed (its system renamed), so that
    re-importing it replaces every borough's snapshot (an unchanged file stores nothing).

    Written row by row: the import's peak memory is the import's, not this edit's."""
    with (
        source.open(newline="", encoding="utf-8") as f,
        target.open("w", newline="", encoding="utf-8") as out,
    ):
        rows, writer = csv.reader(f), csv.writer(out, lineterminator="\n")
        header = next(rows)
        writer.writerow(header)
        code, system, seen = header.index("borough_code"), header.index("system"), set()
        for row in rows:
            if row and row[code] not in seen:
                seen.add(row[code])
                row[system] = f"{row[system]} (renewed)"
            writer.writerow(row)


def _import(ctx: Context) -> dict[str, Any]:
    from citydata import ingest, lifecycle
    from citydata.store import previews, snapshots

    phases: dict[str, list[float]] = {phase: [] for phase in PHASES}
    with tempfile.TemporaryDirectory() as tmp:
        edited(Path(ctx.csv), Path(tmp) / "edited.csv")
        content = (Path(tmp) / "edited.csv").read_bytes()
        for i in range(ctx.repeat):
            path = Path(tmp) / f"store-{i}.duckdb"
            shutil.copyfile(ctx.db, path)
            db = lifecycle.open_store(path)
            start = time.perf_counter()
            prepared = ingest.prepare(content, Path(ctx.csv).name)
            _accepted(prepared, ctx)
            phases["prepare"].append(time.perf_counter() - start)
            start = time.perf_counter()
            changes = previews.preview(db, prepared)
            phases["preview"].append(time.perf_counter() - start)
            start = time.perf_counter()
            expect = {c.borough_code: c.base_snapshot_id for c in changes}
            snapshots.commit(db, prepared, content, "benchmark", expect=expect)
            phases["commit"].append(time.perf_counter() - start)
            with db.read() as r:
                stored = r.scalar("SELECT count(*) FROM current_contracts")
            db.close()
            path.unlink()
            if stored != ctx.rows:
                raise RuntimeError(f"the import stored {stored:,} records of {ctx.rows:,}")
    totals = [sum(phases[p][i] for p in PHASES) for i in range(ctx.repeat)]
    return {"phases": phases, "seconds": totals, "rows": ctx.rows}


def _accepted(prepared: Any, ctx: Context) -> None:
    """The register was accepted whole. (`rows_accepted`, as the app and `python -m citydata
    import` count them: `len(prepared.records)` would make the records a DataFrame of Python
    values, which neither does, and its 0.3 GiB at 1M rows would count in the import's peak.)"""
    if prepared.refused or prepared.rows_accepted != ctx.rows:
        raise RuntimeError(
            f"the register was not accepted whole: {prepared.refused or prepared.rows_accepted}"
        )


def _by_step(results: list[StepResult]) -> dict[str, StepResult]:
    return {res["step"]: res for res in results}


def _p50(res: StepResult | None, key: str = "seconds", phase: str | None = None) -> float | None:
    if not res or not res["ok"]:
        return None
    samples = res["data"]["phases"][phase] if phase else res["data"][key]
    return measure.quantile(samples, 0.5)


def speed_ratio(results: list[StepResult], step: str = "import") -> float | None:
    """A step's speed as a share of read_csv's: read_csv p50 / step p50 (1.0 = as fast)."""
    steps_ = _by_step(results)
    ceiling, total = _p50(steps_.get("read_csv")), _p50(steps_.get(step))
    return ceiling / total if ceiling and total else None


def render(ctx: Context, results: list[StepResult]) -> list[str]:
    steps_ = _by_step(results)
    rows: list[list[object]] = []

    def line(what: str, seconds: float | None, res: StepResult | None, peak: bool) -> None:
        if res is not None and not res["ok"]:
            failed = f"failed: {res['error']} (peak RSS {report.size_bytes(res['peak_rss'])})"
            rows.append([what, failed, "", ""])
            return
        speed = f"{ctx.rows / seconds:,.0f}" if seconds else ""
        memory = report.size_bytes(res["peak_rss"]) if res is not None and peak else ""
        rows.append([what, report.seconds(seconds), speed, memory])

    read, prep, imp = (steps_.get(name) for name in ("read_csv", "prepare", "import"))
    line("DuckDB `read_csv` into a table (the ceiling)", _p50(read), read, True)
    line("`ingest.prepare` alone (read, recognise, normalise, check)", _p50(prep), prep, True)
    for phase in PHASES:
        line(f"import: {phase}", _p50(imp, phase=phase), None, False)
    line("import total (prepare + preview + commit)", _p50(imp), imp, True)
    ratio, alone = speed_ratio(results), speed_ratio(results, "prepare")
    n = len(read["data"]["seconds"]) if read and read["ok"] else ctx.repeat
    return [
        f"#### Import of a {ctx.rows:,}-row register (p50 of {n})",
        "",
        *report.table(["Step", "Time", "Rows per second", "Peak RSS of the step"], rows),
        "",
        "Import speed as a share of `read_csv`'s: "
        + (f"**{ratio:.2f}** (1.00 = as fast)." if ratio else "not measured.")
        + (f" `ingest.prepare` alone: **{alone:.2f}**." if alone else ""),
        "The import's peak memory covers all three phases (one process).",
        "",
    ]


def verdicts(ctx: Context, results: list[StepResult]) -> list[Verdict]:
    sizes, limit = targets.IMPORT_SPEED_SHARE
    if ctx.rows not in sizes:
        return []
    out = []
    for step, what in (("import", "import"), ("prepare", "prepare (read, check, normalise)")):
        ratio = speed_ratio(results, step)
        figure = f"{ratio:.2f} of read_csv's speed" if ratio else "failed (see below)"
        met = None if ratio is None else ratio >= limit
        out.append(Verdict(f"{what} ≥ {limit} × read_csv's speed", "CSV register", figure, met))
    size, peak_limit = targets.IMPORT_PEAK_BYTES
    imp = _by_step(results).get("import")
    if ctx.rows == size and imp is not None:
        peak = imp["peak_rss"]
        met = imp["ok"] and peak < peak_limit
        limit_text = report.size_bytes(peak_limit)
        figure = report.size_bytes(peak) if imp["ok"] else "failed (see below)"
        out.append(Verdict(f"import peak memory < {limit_text}", "CSV register", figure, met))
    return out


SECTION = Section(
    name="import",
    title="Import throughput against read_csv",
    steps=steps,
    run=run,
    render=render,
    verdicts=verdicts,
)
