"""The benchmark harness keeps working as cases are added (no timings are asserted here)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from benchmarks import cases, datasets, measure, report, run
from benchmarks.section import Context
from benchmarks.sections import imports, pages
from citydata.core import demo


@pytest.mark.parametrize("case", cases.CASES, ids=lambda c: c.name)
def test_every_case_replays_raw_with_the_same_rows(db, case):
    with db.read() as r:
        recorder = measure.RecordingReader(r)
        result = case.fn(recorder, case.state, *case.args)
    assert recorder.statements, "the case ran no SQL through the reader"
    cur = db._con.cursor()
    rows = measure.replay_raw(cur, recorder.statements)
    if isinstance(result, pd.DataFrame):
        assert rows == len(result)


def test_case_names_are_unique():
    assert len(cases.by_name()) == len(cases.CASES)


def test_every_page_of_app_py_is_found():
    found = pages.app_pages()
    assert ("pages/overview.py", "Overview") in found
    assert len({path for path, _ in found}) == len(found)


def test_sizes_are_read_as_people_write_them():
    assert datasets.parse_sizes("10k, 100k,1M,2.5M,800") == [
        ("10k", 10_000),
        ("100k", 100_000),
        ("1M", 1_000_000),
        ("2.5M", 2_500_000),
        ("800", 800),
    ]
    with pytest.raises(ValueError, match="not a size"):
        datasets.parse_sizes("ten")


def test_quantiles_interpolate():
    assert measure.quantile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert measure.quantile([1.0, 2.0], 0.95) == pytest.approx(1.95)


def test_a_run_replaces_only_its_own_sizes_of_its_own_day():
    day1, day2 = date(2026, 1, 1), date(2026, 1, 2)
    text = report.merge("", day1, ["machine A"], {10_000: ["### 10k", "old 10k"]})
    text = report.merge(text, day1, ["machine A"], {1_000_000: ["### 1M", "old 1M"]})
    text = report.merge(text, day2, ["machine B"], {10_000: ["### 10k", "day2 10k"]})
    text = report.merge(text, day1, ["machine A2"], {10_000: ["### 10k", "new 10k"]})
    assert "old 10k" not in text
    assert {"new 10k", "old 1M", "day2 10k", "machine A2", "machine B"} <= set(text.split("\n"))
    assert text.index("## 2026-01-02") < text.index("## 2026-01-01")
    assert text.index("new 10k") < text.index("old 1M")
    assert report.merge(text, day1, ["machine A2"], {}) == text


@pytest.mark.slow
def test_the_runner_measures_a_tiny_data_set_end_to_end(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(datasets, "DATA", tmp_path)
    args = ["--sizes", "300", "--repeat", "1", "--only", "overview.headline [all]", "--print"]
    assert run.main(args) == 0
    out = capsys.readouterr().out
    assert "### 300 records" in out
    assert "| overview.headline [all] | Overview | 1 |" in out
    assert "failed" not in out


def test_the_import_section_imports_every_row_and_reports_its_speed(db_path):
    ctx = Context("800", 800, demo.DEFAULT_SEED, 1, str(db_path), str(demo.EMBEDDED_CSV))
    results = [
        {"step": step, "ok": True, "peak_rss": 0, "data": imports.run(ctx, step)}
        for step in imports.steps(ctx)
    ]
    by_step = {r["step"]: r["data"] for r in results}
    assert by_step["read_csv"]["rows"] == by_step["prepare"]["rows"] == 800
    assert set(by_step["import"]["phases"]) == {"prepare", "preview", "commit"}
    text = "\n".join(imports.render(ctx, results))
    assert "Import of a 800-row register" in text and "share of `read_csv`'s" in text
    assert imports.speed_ratio(results) > 0
    assert imports.steps(Context("10M", 10_000_000, 1, 1, "", "")) == []


def test_a_run_keeps_the_notes_people_wrote():
    notes = "<!-- notes -->\n## Missed targets\nWhy and what would fix it.\n<!-- end notes -->\n"
    text = report.merge(notes, date(2026, 1, 1), ["machine A"], {10_000: ["### 10k", "a"]})
    text = report.merge(text, date(2026, 1, 1), ["machine A"], {10_000: ["### 10k", "b"]})
    assert text.count("Why and what would fix it.") == 1 and "b" in text.split("\n")
    assert text.index("Missed targets") < text.index("### 10k")
