"""One system however its name is capitalised or spaced ("Mosaic", "MOSAIC", "mosaic "): every
count, grouping and match by system takes them as one, shown under the spelling most records
use; each record keeps the name as its register wrote it."""

from __future__ import annotations

from datetime import date

import duckdb
import pyarrow as pa
import pytest

from citydata import ingest
from citydata.core import keys
from citydata.query import (
    filters,
    mapdata,
    selection,
)
from citydata.query.filters import FilterState
from citydata.store import snapshots

TODAY = date(2026, 1, 1)
ALL = FilterState()
# The illustrative data writes "Mosaic" for 18 records of 14 boroughs, none of them Camden's or
# Islington's.
MOSAIC_BOROUGHS = 14
HEADER = b"Service area,System,Vendor,Contract end,Annual value\n"


def upload(db, borough: str, rows: bytes) -> int:
    """A register of `borough` (rows under HEADER) committed as a steward would; its id."""
    data = HEADER + rows
    prepared = ingest.prepare(data, f"{borough.lower()}.csv", borough=borough)
    return snapshots.commit(db, prepared, data, "ann@camden")[0]


@pytest.fixture
def spelt(db):
    """Camden writes "MOSAIC" (children's) and "Mosaic" (adults'); Islington "mosaic"."""
    upload(
        db,
        "Camden",
        b"Children's social care,MOSAIC,Servelec,2027-06-30,100000\n"
        b"Adults' social care,Mosaic,Servelec,2027-07-31,50000\n",
    )
    upload(db, "Islington", b"Children's social care,mosaic,Servelec,2027-05-31,90000\n")
    return db


def test_python_and_duckdb_fold_a_system_name_alike_on_every_character():
    """Case and every Unicode space (collapsed, trimmed), in Python and in DuckDB, for every
    character of Unicode's first three planes alone, doubled between letters, and at the ends."""
    chars = [chr(i) for i in range(1, 0x30000) if not 0xD800 <= i < 0xE000]
    texts = chars + [f"a{c}{c}b" for c in chars] + [f"{c}Mosaic{c}" for c in chars[::5]]
    con = duckdb.connect()
    try:
        con.register("t", pa.table({"text": texts}))
        folded = con.execute(f"SELECT {keys.fold_spacing_sql('text')} FROM t").fetchall()
    finally:
        con.close()
    differ = [(t, s) for t, (s,) in zip(texts, folded, strict=True) if s != keys.fold_spacing(t)]
    assert differ == []
    assert keys.fold_spacing("  MOSAIC \u00a0 Adults\t") == "mosaic adults"
    assert keys.fold_spacing("Mosaic 2") != keys.fold_spacing("Mosaic")  # (only case and spaces)


def test_records_keep_the_name_their_register_wrote(spelt):
    with spelt.read() as r:
        shown = selection.records(r, FilterState(borough=("Camden", "Islington")))
    assert sorted(shown["system"]) == ["MOSAIC", "Mosaic", "mosaic"]


def test_the_overview_counts_one_system_and_its_filter_finds_every_spelling(spelt):
    with spelt.read() as r:
        figures = selection.headline(r, FilterState(borough=("Camden",)), TODAY)
        offered = selection.options(r)["system"]
        chosen = selection.records(r, FilterState(system=("Mosaic",)))
    assert figures["systems"] == 1  # Camden's "MOSAIC" and "Mosaic"
    assert [s for s in offered if s.casefold() == "mosaic"] == ["Mosaic"]
    assert set(chosen["borough"]) >= {"Camden", "Islington"}
    assert {"MOSAIC", "mosaic", "Mosaic"} == set(chosen["system"])  # as written


def test_a_link_naming_a_system_in_other_capitals_reads_it_as_the_system_shown(spelt):
    with spelt.read() as r:
        options = selection.options(r)
    state, notes = filters.from_query_params({"system": ["MOSAIC "]}, options)
    assert state.system == ("Mosaic",) and notes == []


def test_the_map_counts_one_system_in_a_borough_writing_it_two_ways(spelt):
    with spelt.read() as r:
        values = mapdata.borough_values(r, ALL, "systems")
    camden = values.set_index("borough").loc["Camden"]
    assert (camden["value"], camden["records"]) == (1, 2)
