"""Whole pages: app.py's script run by Streamlit's AppTest, warm and cold.

Every page registered in app.py's PAGES (read from the file) is opened once per view of
`cases.PAGE_VIEWS`, with $CITYTOOLS_DB pointing at the size's database. Each repeat is a cold
run (st.cache_data and st.cache_resource cleared first: the database reopened and every query
run again, as after a restart or for a selection nobody has made yet) followed by a warm run
(the same selection again: cached results, as on any rerun).

AppTest always sends st.dataframe's rows eagerly; a real server sends DataFrames of more than
150,000 rows lazily (in chunks, as the user scrolls), so for those the AppTest figure includes a
full Arrow serialisation the browser would not wait for.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path
from typing import Any

from benchmarks import cases, measure, report, targets
from benchmarks.section import Context, Section, StepResult, Verdict

APP = Path(__file__).resolve().parents[2] / "app.py"
RUN_TIMEOUT_SECONDS = 1800.0


def _first_text(node: ast.expr) -> str:
    """A title written as text, or the first choice of `"A" if ... else "B"` (the London one)."""
    while isinstance(node, ast.IfExp):
        node = node.body
    return str(node.value) if isinstance(node, ast.Constant) else ""


def app_pages(app: Path = APP) -> list[tuple[str, str]]:
    """(path, title) of every `st.Page("pages/...", title=...)` in app.py, in order."""
    out = []
    for node in ast.walk(ast.parse(app.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "Page"):
            continue
        if not node.args or not isinstance(node.args[0], ast.Constant):
            continue
        path = str(node.args[0].value)
        title = next(
            (_first_text(k.value) for k in node.keywords if k.arg == "title"),
            Path(path).stem.replace("_", " ").capitalize(),
        )
        out.append((path, title))
    return out


def _step_name(title: str, view: str) -> str:
    return f"{title} [{view}]"


def steps(ctx: Context) -> list[str]:
    return [_step_name(t, v) for _, t in app_pages() for v in cases.PAGE_VIEWS]


def run(ctx: Context, step: str) -> dict[str, Any]:
    from citydata import lifecycle

    os.environ[lifecycle.ENV_VAR] = ctx.db
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    path, view = next(
        (p, v) for p, t in app_pages() for v in cases.PAGE_VIEWS if _step_name(t, v) == step
    )
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT_SECONDS)
    for key, value in cases.PAGE_VIEWS[view].items():
        at.query_params[key] = value
    start_s, _ = measure.timed(lambda: _run(at))
    at.switch_page(path)
    first_s, _ = measure.timed(lambda: _run(at))
    cold: list[float] = []
    warm: list[float] = []
    for _ in range(ctx.repeat):
        st.cache_data.clear()
        st.cache_resource.clear()
        cold.append(measure.timed(lambda: _run(at))[0])
        warm.append(measure.timed(lambda: _run(at))[0])
    tables = [el.proto for el in at.dataframe]
    return {
        "path": path,
        "view": view,
        "app_start": start_s,
        "first": first_s,
        "cold": cold,
        "warm": warm,
        "dataframes": len(tables),
        "dataframe_bytes": sum(len(t.arrow_data.data) for t in tables),
    }


def _run(at: Any) -> None:
    at.run()
    if at.exception:
        raise RuntimeError("; ".join(f"{e.proto.type}: {e.value}" for e in at.exception)[:500])


def render(ctx: Context, results: list[StepResult]) -> list[str]:
    body = []
    for res in results:
        d = res.get("data") or {}
        if not res["ok"]:
            body.append([res["step"], "failed: " + res["error"], *[""] * 6])
            continue
        warm, cold = measure.summary(d["warm"]), measure.summary(d["cold"])
        body.append(
            [
                res["step"],
                len(d["warm"]),
                report.seconds(warm["p50"]),
                report.seconds(warm["p95"]),
                report.seconds(cold["p50"]),
                report.seconds(cold["p95"]),
                f"{d['dataframes']} ({report.size_bytes(d['dataframe_bytes'])})",
                report.size_bytes(res["peak_rss"]),
            ]
        )
    header = ["Page [view]", "n", "Warm p50", "Warm p95", "Cold p50", "Cold p95"]
    header += ["Tables sent (Arrow bytes)", "Peak RSS of the step"]
    return [
        "#### Pages: AppTest script runs (n cold + n warm, interleaved)",
        "",
        *report.table(header, body),
        "",
    ]


def verdicts(ctx: Context, results: list[StepResult]) -> list[Verdict]:
    out: list[Verdict] = []
    for res in results:
        d = (res.get("data") or {}) if res["ok"] else {}
        warm = measure.quantile(d["warm"], 0.5) if d else None
        cold = measure.quantile(d["cold"], 0.5) if d else None
        at, limit = targets.PAGE_WARM_P50_SECONDS
        if ctx.rows == at:
            out.append(_verdict(f"warm page run p50 ≤ {report.seconds(limit)}", res, warm, limit))
        at, limit = targets.PAGE_ANSWER_SECONDS
        if ctx.rows == at:
            text = f"page answers ≤ {report.seconds(limit)}"
            out.append(_verdict(text + " (warm p50)", res, warm, limit))
            out.append(_verdict(text + " (cold p50)", res, cold, limit))
        at, limit = targets.PEAK_MEMORY_BYTES
        if ctx.rows == at:
            peak = res.get("peak_rss")
            out.append(
                Verdict(
                    f"peak memory < {report.size_bytes(limit)}",
                    res["step"],
                    report.size_bytes(peak) + ("" if res["ok"] else ", then failed"),
                    None if peak is None else peak < limit and res["ok"],
                )
            )
    return out


def _verdict(target: str, res: StepResult, value: float | None, limit: float) -> Verdict:
    if not res["ok"]:  # the page did not answer at all
        return Verdict(target, res["step"], "failed (see below)", False)
    return Verdict(target, res["step"], report.seconds(value), value <= limit)


SECTION = Section(
    name="pages",
    title="Pages: whole script runs under AppTest",
    steps=steps,
    run=run,
    render=render,
    verdicts=verdicts,
)
