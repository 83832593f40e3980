"""What a benchmark section is: steps run per data-set size, each in its own worker process.

A section is a `Section`: its `steps(ctx)` are names (cases, pages...); `run(ctx, step)` runs
one step inside a fresh worker process (so its peak memory is its own) and returns a
JSON-able dict; `render(ctx, results)` turns the size's results into markdown lines for
RESULTS.md; `verdicts(ctx, results)` judges them against the targets. The sections themselves
are listed in `benchmarks.sections.SECTIONS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Context:
    """One data-set size, as every step of every section sees it."""

    label: str  # "1M"
    rows: int
    seed: int
    repeat: int
    db: str  # the DuckDB file built from `csv`; open it read-only in spirit, never write it
    csv: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Verdict:
    target: str  # "warm page run p50 <= 300 ms at 1M records"
    subject: str  # what was measured: a page, a case
    figure: str  # the measured value, formatted
    met: bool | None  # None: not measured (failed step)


# A step's outcome as the runner records it: {"step", "ok", "error", "seconds", "peak_rss",
# "data": whatever `run` returned}.
StepResult = dict[str, Any]


@dataclass(frozen=True)
class Section:
    name: str  # `--only` matches it; also names the worker's section argument
    title: str
    steps: Callable[[Context], list[str]]
    run: Callable[[Context, str], dict[str, Any]]
    render: Callable[[Context, list[StepResult]], list[str]]
    verdicts: Callable[[Context, list[StepResult]], list[Verdict]]
