"""Query cases: the app's data layer next to DuckDB running the same SQL directly.

For each case the query function first runs once through a recording reader, which keeps every
(sql, params) it sends. Then, `repeat` times and in alternating order so that noise from other
work on the machine falls on both alike:
- data layer: `with db.read() as r: fn(r, state, *args)` (a cursor, a transaction, DataFrames);
- raw: the recorded statements on a plain DuckDB cursor, fetched as Arrow tables (DataFrame
  statements) or with fetchall() (the rest).
The overhead is the median of the paired ratios data layer / raw.
"""

from __future__ import annotations

import math
from typing import Any

from benchmarks import cases, measure, report, targets
from benchmarks.section import Context, Section, StepResult, Verdict


def steps(ctx: Context) -> list[str]:
    return list(cases.by_name())


def run(ctx: Context, step: str) -> dict[str, Any]:
    import duckdb

    from citydata import lifecycle

    case = cases.by_name()[step]
    db = lifecycle.open_store(ctx.db)
    raw = duckdb.connect(ctx.db).cursor()  # the same database instance as `db`, in-process

    def data_layer() -> Any:
        with db.read() as r:
            return case.fn(r, case.state, *case.args)

    with db.read() as r:
        recorder = measure.RecordingReader(r)
        result = case.fn(recorder, case.state, *case.args)
    statements = recorder.statements
    replayable = not recorder.other
    rows = measure.result_rows(result)
    del result
    if replayable:
        measure.replay_raw(raw, statements)  # warm the raw path once, as the data layer was

    layer_s: list[float] = []
    raw_s: list[float] = []
    for i in range(ctx.repeat):
        order = ("layer", "raw") if i % 2 == 0 else ("raw", "layer")
        for which in order:
            if which == "layer":
                layer_s.append(measure.timed(data_layer)[0])
            elif replayable:
                raw_s.append(measure.timed(lambda: measure.replay_raw(raw, statements))[0])
    raw.close()
    db.close()
    ratios = [a / b for a, b in zip(layer_s, raw_s, strict=False) if b > 0]
    return {
        "page": case.page,
        "note": case.note,
        "rows": rows,
        "statements": [s.fetch for s in statements],
        "unreplayed": sorted(set(recorder.other)),
        "layer": layer_s,
        "raw": raw_s,
        "overhead": measure.quantile(ratios, 0.5),
    }


def render(ctx: Context, results: list[StepResult]) -> list[str]:
    body = []
    notes: list[str] = []
    for res in results:
        d = res.get("data") or {}
        if not res["ok"]:
            case = cases.by_name().get(res["step"])
            page = case.page if case else ""
            failed = f"failed: {res['error']} (peak RSS {report.size_bytes(res['peak_rss'])})"
            body.append([res["step"], page, "", failed, *[""] * 7])
            continue
        layer, raw = measure.summary(d["layer"]), measure.summary(d["raw"])
        body.append(
            [
                res["step"] + _mark(d.get("note", ""), notes),
                d["page"],
                len(d["layer"]),
                report.seconds(layer["p50"]),
                report.seconds(layer["p95"]),
                report.seconds(raw["p50"]),
                report.seconds(raw["p95"]),
                report.ratio(d["overhead"]) + _unreplayed(d),
                report.ratio(min(d["layer"]) / min(d["raw"]) if d["raw"] else None),
                "figures" if d["rows"] is None else f"{d['rows']:,}",
                report.size_bytes(res["peak_rss"]),
            ]
        )
    header = ["Case", "Page", "n", "Data layer p50", "p95", "Raw DuckDB p50", "p95"]
    header += ["Overhead (median paired ratio)", "Best / best", "Rows returned"]
    header += ["Peak RSS of the step"]
    return [
        "#### Queries: data layer vs raw DuckDB (n interleaved pairs per case)",
        "",
        *report.table(header, body),
        "",
        "Overhead: the median of the n ratios data layer / raw, each pair run back to back. "
        "Best / best: the fastest data-layer run over the fastest raw one. When the two "
        "disagree the machine was busy; a real overhead shows in both.",
        "",
        *["\\*" * (i + 1) + f" {note}  " for i, note in enumerate(notes)],
        "",
    ]


def _unreplayed(d: dict[str, Any]) -> str:
    """A warning when the raw replay missed calls it cannot repeat (e.g. Reader.register)."""
    if not d.get("unreplayed"):
        return ""
    return " (raw replay lacks Reader." + ", Reader.".join(d["unreplayed"]) + ")"


def _mark(note: str, notes: list[str]) -> str:
    """A footnote mark for `note` (numbered by stars), added to `notes` on first use."""
    if not note:
        return ""
    if note not in notes:
        notes.append(note)
    return " " + "\\*" * (notes.index(note) + 1)


def verdicts(ctx: Context, results: list[StepResult]) -> list[Verdict]:
    at, limit = targets.QUERY_OVERHEAD_RATIO
    if ctx.rows != at:
        return []
    out = []
    for res in results:
        overhead = (res.get("data") or {}).get("overhead") if res["ok"] else None
        figure = report.ratio(overhead) if res["ok"] else "failed (see below)"
        met = None if overhead is None or math.isnan(overhead) else overhead <= limit
        out.append(Verdict(f"query overhead ≤ {limit}× raw DuckDB", res["step"], figure, met))
    return out


SECTION = Section(
    name="queries",
    title="Query functions: data layer vs raw DuckDB",
    steps=steps,
    run=run,
    render=render,
    verdicts=verdicts,
)
