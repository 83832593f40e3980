"""The demo data generator: deterministic bytes, valid values, realistic shape, streaming."""

from __future__ import annotations

import csv
import statistics
import tracemalloc
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from citydata.core import demo
from citydata.core.boroughs import BOROUGHS, BY_CODE
from citydata.core.catalogue import AREAS
from citydata.core.schema import FIELD_NAMES, HOSTING_VALUES, SERVICE_AREA_LABELS

HEADER = [*FIELD_NAMES, "source"]


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return list(demo.iter_records())


@pytest.fixture(scope="module")
def csv_rows() -> list[dict[str, str]]:
    with demo.EMBEDDED_CSV.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_same_seed_same_bytes(tmp_path: Path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    assert demo.write_csv(first, rows=500, seed=7) == 500
    assert demo.write_csv(second, rows=500, seed=7) == 500
    assert first.read_bytes() == second.read_bytes()


def test_different_seed_different_bytes(tmp_path: Path):
    demo.write_csv(tmp_path / "a.csv", rows=500, seed=7)
    demo.write_csv(tmp_path / "b.csv", rows=500, seed=8)
    assert (tmp_path / "a.csv").read_bytes() != (tmp_path / "b.csv").read_bytes()


def test_embedded_csv_is_the_generator_output(tmp_path: Path):
    """Nobody edits data/demo_contracts.csv by hand: regenerate it with write_csv."""
    fresh = tmp_path / "fresh.csv"
    assert demo.write_csv(fresh) == demo.DEFAULT_ROWS
    assert demo.EMBEDDED_CSV.read_bytes() == fresh.read_bytes(), (
        "data/demo_contracts.csv is stale: python -m citydata demo -o data/demo_contracts.csv"
    )


def test_csv_format(csv_rows: list[dict[str, str]]):
    raw = demo.EMBEDDED_CSV.read_bytes()
    assert b"\r" not in raw and raw.endswith(b"\n")
    assert raw.decode("utf-8").splitlines()[0].split(",") == HEADER
    assert len(csv_rows) == demo.DEFAULT_ROWS
    for row in csv_rows:
        for name in ("contract_start", "contract_end"):
            if row[name]:
                date.fromisoformat(row[name])
        if row["annual_value"]:
            assert Decimal(row["annual_value"]).as_tuple().exponent == -2


def test_records_have_exactly_the_schema_keys_and_types(records: list[dict]):
    assert len(records) == demo.DEFAULT_ROWS
    for r in records:
        assert list(r) == HEADER
        assert r["source"] == "demo"
        assert r["contract_start"] is None or isinstance(r["contract_start"], date)
        assert r["contract_end"] is None or isinstance(r["contract_end"], date)
        assert r["annual_value"] is None or isinstance(r["annual_value"], Decimal)
        assert r["satisfaction"] is None or isinstance(r["satisfaction"], int)
        for name in ("borough_code", "borough", "service_area", "system", "vendor"):
            assert r[name], name


def test_every_borough_with_its_canonical_name(records: list[dict]):
    assert {r["borough_code"] for r in records} == {b.code for b in BOROUGHS}
    for r in records:
        assert r["borough"] == BY_CODE[r["borough_code"]].name


def test_values_are_valid(records: list[dict]):
    for r in records:
        assert r["service_area"] in SERVICE_AREA_LABELS
        assert r["hosting"] is None or r["hosting"] in HOSTING_VALUES
        assert r["satisfaction"] is None or 1 <= r["satisfaction"] <= 5
        assert r["annual_value"] is None or r["annual_value"] > 0
        start, end = r["contract_start"], r["contract_end"]
        if start and end:
            assert end >= start
        assert start is None or start <= demo.ANCHOR
    assert all(r["source_ref"] for r in records)


def test_catalogue_uses_schema_labels():
    assert [a.label for a in AREAS] == list(SERVICE_AREA_LABELS)


def test_contract_ends_spread_around_the_anchor(records: list[dict]):
    n = len(records)
    soon = date(demo.ANCHOR.year + 3, demo.ANCHOR.month, demo.ANCHOR.day)
    ends = [r["contract_end"] for r in records]
    rolling = sum(e is None for e in ends) / n
    expired = sum(e is not None and e < demo.ANCHOR for e in ends) / n
    within_3y = sum(e is not None and demo.ANCHOR <= e < soon for e in ends) / n
    assert 0.03 <= rolling <= 0.10
    assert 0.08 <= expired <= 0.18
    assert 0.40 <= within_3y <= 0.60


def test_market_shape(records: list[dict]):
    n = len(records)
    assert sum(r["manufacturer"] != r["vendor"] for r in records) > n // 20
    assert 0.25 <= sum(r["satisfaction"] is not None for r in records) / n <= 0.45
    assert len({r["hosting"] for r in records}) == len(HOSTING_VALUES) + 1  # and some blank
    cells = {(r["borough_code"], r["service_area"]) for r in records}
    assert 0.8 * 33 * len(SERVICE_AREA_LABELS) < len(cells) < 33 * len(SERVICE_AREA_LABELS)
    per_borough = defaultdict(int)
    for r in records:
        per_borough[r["borough_code"]] += 1
    assert per_borough["E09000001"] == min(per_borough.values())  # the City is smallest


def test_more_suppliers_somewhat_less_satisfied(records: list[dict]):
    vendors, scores = defaultdict(set), defaultdict(list)
    for r in records:
        vendors[r["borough_code"]].add(r["vendor"])
        if r["satisfaction"] is not None:
            scores[r["borough_code"]].append(r["satisfaction"])
    codes = sorted(vendors)
    counts = [len(vendors[c]) for c in codes]
    means = [statistics.mean(scores[c]) for c in codes]
    assert statistics.correlation(counts, means) < -0.1


@pytest.mark.parametrize("rows", [0, 1, 50, 600, 1000])
def test_row_count_is_exact(rows: int):
    assert sum(1 for _ in demo.iter_records(rows=rows)) == rows


def test_small_sets_are_a_sample_of_the_default_mains():
    small = list(demo.iter_records(rows=100))
    assert len({r["borough_code"] for r in small}) > 25


def test_negative_rows_refused():
    with pytest.raises(ValueError):
        list(demo.iter_records(rows=-1))


def test_ref_prefix():
    assert demo.ref_prefix(BY_CODE["E09000007"]) == "LBC"
    assert demo.ref_prefix(BY_CODE["E09000020"]) == "RBKC"
    assert demo.ref_prefix(BY_CODE["E09000002"]) == "LBBD"
    assert demo.ref_prefix(BY_CODE["E09000033"]) == "WCC"
    assert demo.ref_prefix(BY_CODE["E09000001"]) == "COL"


@pytest.mark.slow
def test_iter_records_streams():
    """50,000 records pass through in bounded memory: nothing keeps all rows.

    Streamed, the peak is about 2 MB; kept in a list, the same records take about 37 MB, so
    the 10 MB bound tells the two apart (tracemalloc slows Python several-fold: more rows
    would prove nothing more)."""
    tracemalloc.start()
    try:
        count = sum(1 for _ in demo.iter_records(rows=50_000))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 50_000
    assert peak < 10 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
