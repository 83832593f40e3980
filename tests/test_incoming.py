"""A register's preview and commit in SQL (citydata.store.incoming) say what `changes.diff`
says of the whole sets of records: the same added, removed and changed records, with the same
record numbers, twins and repeated references paired the same way."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pytest

from citydata.core import boroughs
from citydata.core.schema import FIELD_NAMES
from citydata.store import changes, history, incoming, previews, rollbacks, snapshots
from tests.snapshot_helpers import prepared

_AREAS = ("Revenues and Benefits", "Housing", "Waste")
_SYSTEMS = ("Civica OpenRevenues", "civica  openrevenues", "NEC Housing", "Bartec")
_VENDORS = ("Civica", "CIVICA", "NEC", "Bartec Auto ID")
_REFS = ("", "", "R-1", "r-1", "R-2", " R-3", "R-4")


def _record(rng: random.Random, code: str) -> dict:
    return {
        "borough_code": code,
        "borough": boroughs.BY_CODE[code].name,
        "service_area": rng.choice(_AREAS),
        "system": rng.choice(_SYSTEMS),
        "vendor": rng.choice(_VENDORS),
        "manufacturer": rng.choice((None, "Civica")),
        "contract_start": rng.choice((None, date(2020, 4, 1), date(2021, 1, 1))),
        "contract_end": rng.choice((None, date(2027, 3, 31))),
        "annual_value": rng.choice((None, "1000.00", "1000", "25000.5")),
        "hosting": rng.choice((None, "Cloud")),
        "satisfaction": rng.choice((None, 3, 4)),
        "source_ref": rng.choice(_REFS),
        "skill_level": None,
        "contact_role": None,
    }


def _frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(FIELD_NAMES)).astype(object)
    df["row"] = range(2, len(df) + 2)
    return df


def _same(got: changes.Diff, want: changes.Diff) -> None:
    for name in ("added", "removed", "changed"):
        a = getattr(got, name).reset_index(drop=True).astype(object)
        b = getattr(want, name).reset_index(drop=True).astype(object)
        pd.testing.assert_frame_equal(a, b, check_dtype=False, check_index_type=False)
    assert got.unchanged == want.unchanged


@pytest.mark.parametrize("seed", range(6))
def test_the_preview_in_sql_says_what_the_whole_diff_says(db, seed):
    rng = random.Random(seed)
    code = "E09000007"
    before = [_record(rng, code) for _ in range(rng.randint(5, 40))]
    after = [dict(r) for r in before if rng.random() < 0.8]
    for r in after:
        if rng.random() < 0.2:
            r.update({k: v for k, v in _record(rng, code).items() if rng.random() < 0.3})
    after += [_record(rng, code) for _ in range(rng.randint(0, 8))]
    after += [dict(r) for r in rng.sample(after, min(3, len(after)))]  # repeated records
    rng.shuffle(after)
    snapshots.commit(db, prepared(_frame(before)), b"before", "test")
    with db.read() as r:
        base = snapshots.active(r)[code]
        want = changes.diff(history.records(r, base), _frame(after))
    [got] = previews.preview(db, prepared(_frame(after)))
    assert (got.before, got.after, got.base_snapshot_id) == (len(before), len(after), base)
    _same(got.diff, want)


def test_a_file_with_every_record_as_it_is_is_refused_whatever_its_order(db):
    code = "E09000007"
    rows = [_record(random.Random(i), code) for i in range(12)]
    snapshots.commit(db, prepared(_frame(rows)), b"first", "test")
    with pytest.raises(snapshots.NothingChanged):
        snapshots.commit(db, prepared(_frame(rows[::-1])), b"again", "test")
    twice = rows + rows[:1]
    [change] = previews.preview(db, prepared(_frame(twice)))
    assert (len(change.diff.added), change.diff.unchanged) == (1, 12)


def test_typed_records_from_an_arrow_table_are_stored_as_their_values(db):
    """The DuckDB reader hands the store an Arrow table of typed values; they are stored as the
    same values given as Python objects would be."""
    code = "E09000012"
    frame = _frame([_record(random.Random(i), code) for i in range(20)])
    frame["source_ref"] = frame["source_ref"].str.strip()  # the reader's text is trimmed
    types = {
        "contract_start": pa.date32(),
        "contract_end": pa.date32(),
        "annual_value": pa.decimal128(18, 2),
        "satisfaction": pa.int32(),
    }
    values = {n: [None if pd.isna(v) else v for v in frame[n]] for n in FIELD_NAMES}
    values["annual_value"] = [None if v is None else Decimal(v) for v in values["annual_value"]]
    table = pa.table(
        {n: pa.array(values[n], types.get(n, pa.string())) for n in FIELD_NAMES}
        | {"row": pa.array(frame["row"], pa.int64())}
    )
    typed = prepared(frame)
    typed.table = table
    [snapshot_id] = snapshots.commit(db, typed, b"typed", "test")
    with db.read() as r:
        stored = history.records(r, snapshot_id)
        numbers = r.rows(
            "SELECT record_no FROM contracts WHERE snapshot_id = ? ORDER BY record_no",
            [snapshot_id],
        )
    pd.testing.assert_frame_equal(stored, changes.comparable(frame), check_dtype=False)
    assert [n for (n,) in numbers] == list(frame["row"])


def test_records_stored_a_slice_at_a_time_are_every_record_of_the_file(db, monkeypatch):
    """The store inserts a large file's records in slices; all of them are stored, each with
    its row and values, and only those of the boroughs whose records change."""
    monkeypatch.setattr(incoming, "_SLICE", 4)
    rows = [_record(random.Random(i), c) for i in range(9) for c in ("E09000007", "E09000012")]
    snapshots.commit(db, prepared(_frame(rows[:6])), b"first", "test")
    frame = _frame(rows)
    ids = snapshots.commit(db, prepared(frame), b"second", "test")
    assert len(ids) == 2
    with db.read() as r:
        stored = pd.concat([history.records(r, i) for i in sorted(ids)], ignore_index=True)
        numbers = r.rows(
            "SELECT record_no FROM contracts WHERE snapshot_id = ANY(?) ORDER BY record_no",
            [list(ids)],
        )
    want = changes.comparable(frame).sort_values(["borough_code"], kind="stable")
    pd.testing.assert_frame_equal(
        stored.sort_values(["borough_code"], kind="stable").reset_index(drop=True),
        want.reset_index(drop=True),
        check_dtype=False,
    )
    assert [n for (n,) in numbers] == list(frame["row"])


def _typed(frame: pd.DataFrame):
    """A prepared file whose records are a typed Arrow table, as the DuckDB reader makes them."""
    values = {
        n: [None if pd.isna(v) else str(v).strip() or None for v in frame[n]] for n in FIELD_NAMES
    }
    table = pa.table(
        {n: pa.array(values[n], pa.string()) for n in FIELD_NAMES}
        | {"row": pa.array(frame["row"], pa.int64())}
    )
    typed = prepared(frame)
    typed.table = table
    return typed


def test_a_commit_after_its_preview_counts_against_the_data_as_it_is_then(db):
    """The commit reuses its preview's tally only while the data is as previewed: a file
    committed in between (same borough) is what the commit compares with."""
    code = "E09000012"
    first = _frame([_record(random.Random(i), code) for i in range(15)])
    second = _frame([_record(random.Random(100 + i), code) for i in range(9)])
    snapshots.commit(db, prepared(first), b"first", "test")
    typed = _typed(second)
    [change] = previews.preview(db, typed)
    assert (change.before, change.after) == (15, 9)
    [new_id] = snapshots.commit(
        db, typed, b"second", "test", expect={code: change.base_snapshot_id}
    )
    with db.read() as r:
        assert r.scalar("SELECT rows_imported FROM snapshots WHERE id = ?", [new_id]) == 9
    # previewed again against the first file's data, then that data came back meanwhile
    again = _typed(second)
    rollbacks.rollback(db, change.base_snapshot_id, "test")
    [back] = previews.preview(db, again)
    snapshots.commit(db, prepared(second), b"second again", "test")  # someone else, meanwhile
    assert back.before == 15
    with pytest.raises(snapshots.NothingChanged):  # its records are now the current data
        snapshots.commit(db, again, b"second", "test")


@pytest.mark.parametrize("seed", range(4))
def test_a_file_of_several_boroughs_is_compared_with_each_boroughs_own_records(db, seed):
    """Records are paired within their borough only: the same record in two boroughs is two
    records, a borough the file leaves out is not compared, and a borough new to the data has
    every record added."""
    rng = random.Random(seed)
    codes = ["E09000007", "E09000012", "E09000019"]  # Camden, Hackney, Islington
    before = [_record(rng, rng.choice(codes[:2])) for _ in range(rng.randint(10, 40))]
    before += [dict(r, borough_code=codes[1], borough="Hackney") for r in before[:5]]
    kept = [_record(rng, "E09000022") for _ in range(4)]  # Lambeth: not in the file
    snapshots.commit(db, prepared(_frame(before + kept)), b"before", "test")
    after = [dict(r) for r in before if rng.random() < 0.85]
    for r in after:
        if rng.random() < 0.2:
            r.update({k: v for k, v in _record(rng, r["borough_code"]).items() if k != "borough"})
    after += [_record(rng, rng.choice(codes)) for _ in range(rng.randint(1, 8))]
    after += [dict(r) for r in rng.sample(after, 3)]  # repeated records
    rng.shuffle(after)
    file = _frame(after)
    got = {c.borough_code: c for c in previews.preview(db, prepared(file))}
    assert sorted(got) == sorted(set(file["borough_code"]))
    with db.read() as r:
        current = snapshots.active(r)
        for code, change in got.items():
            base = current.get(code)
            old = history.records(r, base) if base else pd.DataFrame(columns=FIELD_NAMES)
            new = file[file["borough_code"] == code]
            assert (change.before, change.after) == (len(old), len(new))
            _same(change.diff, changes.diff(old, new))
