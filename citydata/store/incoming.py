"""The records of a register being imported, inside the store: compared and stored in SQL.

A prepared register reaches the store as one Arrow table (`staged`): the typed records
`citydata.ingest` read with DuckDB (`Prepared.table`: text trimmed, NULL for empty), or, for a
file the Python reader read, the records as canonical text (`changes.canonical`), cast to their
column types in SQL. The table is registered on the transaction's own cursor, so comparing a
file of a million records with each borough's current records, and storing it, never makes a
Python object per record:

- `tally`: per borough, how many records there are now, how many the file has, and how many of
  them are exact twins (equal in every compared field, found by a fingerprint of the fields):
  GROUP BY on both sides and a join;
- `differences`: what `changes.diff` would say, from only the records that are not paired as
  twins (usually a handful): every identical record of one side pairs with an identical record of
  the other, first with first, exactly as `changes.diff` pairs twins, and `changes.diff_rest`
  pairs and compares what is left as it would have in the whole sets;
- `store`: one INSERT ... SELECT into `contracts`.

Published notices (accumulating, see `citydata.store.snapshots`) keep the Python comparison.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from citydata.core.schema import FIELD_NAMES, FIELDS
from citydata.store import changes
from citydata.store.changes import COMPARED, Diff
from citydata.store.db import Reader

STAGED = "staged_upload"
# Columns a record may carry besides the canonical fields (published notices fill them).
EXTRA_TYPES = {
    "total_value": "DECIMAL(18,2)",
    "annual_value_derived": "BOOLEAN",
    "notice_url": "VARCHAR",
}
EXTRA_NAMES = tuple(EXTRA_TYPES)
STORED = (*FIELD_NAMES, *EXTRA_NAMES)


def _text(alias: str, names: tuple[str, ...]) -> str:
    """SQL: the fields as canonical text ('' for empty), as `changes.canonical` writes them."""
    return ", ".join(f"coalesce(CAST({alias}.{n} AS VARCHAR), '') AS {n}" for n in names)


CAST = ", ".join(
    [f"CAST({f.name} AS {f.sql_type})" for f in FIELDS]
    + [f"CAST({n} AS {t})" for n, t in EXTRA_TYPES.items()]
)


def staged(prepared: Any) -> pa.Table:
    """The prepared records as the store reads them: `seq` (their order), `pos` (the order within
    their borough), `record_no` (the file's row), the schema's fields and the extra columns."""
    table = getattr(prepared, "table", None)
    if table is None:  # read the Python way: any field types, made canonical text here
        frame = prepared.records
        table, numbers = _from_frame(frame), pa.array(row_numbers(frame), type=pa.int64())
    elif "row" in table.column_names:  # typed by DuckDB in citydata.ingest
        numbers = table["row"].cast(pa.int64())
    else:
        numbers = pa.array(np.arange(1, table.num_rows + 1, dtype=np.int64))
    n = table.num_rows
    codes = pc.dictionary_encode(table["borough_code"]).combine_chunks().indices
    codes = codes.to_numpy(zero_copy_only=False)
    pos = pd.Series(codes).groupby(codes).cumcount().to_numpy(dtype=np.int64)
    columns: dict[str, Any] = {
        "seq": pa.array(np.arange(n, dtype=np.int64)),
        "pos": pa.array(pos),
        "record_no": numbers,
    }
    columns |= {name: table[name] for name in FIELD_NAMES}
    columns |= {
        name: table[name] if name in table.column_names else pa.nulls(n, pa.string())
        for name in EXTRA_NAMES
    }
    return pa.table(columns)


def _from_frame(df: pd.DataFrame) -> pa.Table:
    """Records of any field types as canonical text (None for empty), the extras as text."""
    text = changes.comparable(df)
    columns = {
        name: pa.array([v or None for v in text[name].tolist()], type=pa.string())
        for name in FIELD_NAMES
    }
    for name in EXTRA_NAMES:
        if name in df.columns:
            columns[name] = pa.array(extra_text(name, df[name]), type=pa.string())
    return pa.table(columns)


def row_numbers(df: pd.DataFrame) -> Any:
    """The file's row of each record (its position when the frame has no row numbers)."""
    if "row" not in df.columns:
        return np.arange(1, len(df) + 1, dtype=np.int64)
    if pd.api.types.is_integer_dtype(df["row"].dtype) and not df["row"].hasnans:
        return df["row"].to_numpy(dtype=np.int64)
    return [int(x) if pd.notna(x) else i for i, x in enumerate(df["row"], 1)]


def extra_text(name: str, values: pd.Series) -> list[str | None]:
    """An extra column as text for the staging table (cast to its type in SQL)."""
    out: list[str | None] = []
    for v in values:
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            out.append(None)
        elif name == "annual_value_derived":
            out.append("true" if bool(v) else "false")
        else:
            out.append(str(v).strip() or None)
    return out


def borough_codes(table: pa.Table) -> set[str]:
    """The borough codes of the staged records."""
    return {str(c) for c in pc.unique(table["borough_code"]).to_pylist() if c is not None}


def _fingerprint(alias: str, cast: bool) -> str:
    """SQL: a 64-bit hash of a record's compared fields as stored (typed; NULL for empty text).

    Equal records have equal fingerprints. Two different records of one borough would need
    equal 64-bit hashes to be taken for twins (odds near n / 2^64 for a changed record among
    n), and then only the counts would be off: every record that does differ is compared field
    by field (`differences`)."""
    parts = []
    for name in COMPARED:
        column, sql_type = f"{alias}.{name}", FIELD_TYPES[name]
        if cast:
            column = f"CAST({column} AS {sql_type})"
        parts.append(f"NULLIF({column}, '')" if sql_type == "VARCHAR" else column)
    return f"hash({', '.join(parts)})"


FIELD_TYPES = {f.name: f.sql_type for f in FIELDS}
_BASE = f"""SELECT c.rowid AS rid, c.borough_code, c.record_no, {_fingerprint("c", False)} AS h
    FROM contracts AS c WHERE c.snapshot_id = ANY($ids)"""
_FILE = f"SELECT s.seq, s.borough_code, s.pos, {_fingerprint('s', True)} AS h FROM {STAGED} AS s"
_COUNTS = """cb AS (SELECT borough_code, h, count(*) AS n FROM base GROUP BY ALL),
     ca AS (SELECT borough_code, h, count(*) AS n FROM file GROUP BY ALL)"""
_TALLY = f"""
WITH base AS ({_BASE}), file AS ({_FILE}), {_COUNTS}
SELECT borough_code, sum(coalesce(cb.n, 0)), sum(coalesce(ca.n, 0)),
       sum(least(coalesce(cb.n, 0), coalesce(ca.n, 0)))
FROM cb FULL JOIN ca USING (borough_code, h) GROUP BY borough_code"""


def tally(r: Reader, bases: list[int]) -> dict[str, tuple[int, int, int]]:
    """Per borough of the staged file: (records now, records in the file, exact twins), where
    `bases` are the current snapshots of the file's boroughs (the staged table registered)."""
    return {
        str(code): (int(nb), int(na), int(twins))
        for code, nb, na, twins in r.rows(_TALLY, {"ids": [int(i) for i in bases]})
    }


_SHOWN = ("borough_code", "borough", *COMPARED)
_ODD = f"""
WITH base AS MATERIALIZED ({_BASE}), file AS MATERIALIZED ({_FILE}), {_COUNTS},
odd AS (SELECT borough_code, h FROM cb FULL JOIN ca USING (borough_code, h)
        WHERE coalesce(cb.n, 0) <> coalesce(ca.n, 0)),
-- each record's position among its borough's current records, in the order of the file's rows
-- (rowid: a stable order for equal row numbers), worked out over the fingerprints only
placed AS (SELECT rid, borough_code, h,
           row_number() OVER (PARTITION BY borough_code ORDER BY record_no, rid) - 1 AS pos
           FROM base)
SELECT 0 AS side, b.h, b.pos, {_text("c", _SHOWN)}
FROM (SELECT * FROM placed SEMI JOIN odd USING (borough_code, h)) AS b
JOIN contracts AS c ON c.rowid = b.rid
UNION ALL
SELECT 1 AS side, f.h, f.pos, {_text("s", _SHOWN)}
FROM (SELECT * FROM file SEMI JOIN odd USING (borough_code, h)) AS f
JOIN {STAGED} AS s ON s.seq = f.seq"""


def differences(r: Reader, bases: list[int], totals: dict[str, tuple[int, int]]) -> dict[str, Diff]:
    """`changes.diff` of each borough's current records (`bases`: their snapshots) and its
    staged ones; `totals`: each borough's (records now, records in the file)."""
    rows = r.df(_ODD, {"ids": [int(i) for i in bases]})
    rows = rows.sort_values(["side", "borough_code", "pos"], kind="stable")
    key = [rows["borough_code"], rows["h"]]
    rank = rows.groupby(["side", "borough_code", "h"], sort=False).cumcount().to_numpy()
    before = rows["side"].eq(0)
    n_b = before.groupby(key).transform("sum").to_numpy()
    n_a = (~before).groupby(key).transform("sum").to_numpy()
    rest = rows[rank >= np.minimum(n_b, n_a)].reset_index(drop=True)  # twins: the first ones
    rest = pd.concat([rest[["side", "pos"]], changes.comparable(rest)], axis=1)
    groups = rest.groupby(["side", "borough_code"], sort=False).indices  # (in their order)
    values = {n: rest[n].to_numpy(dtype=object) for n in FIELD_NAMES}
    positions, none = rest["pos"].to_numpy(dtype=np.int64), np.empty(0, dtype=np.int64)
    out = {}
    for code, (nb, _na) in totals.items():
        sides = [groups.get((side, code), none) for side in (0, 1)]
        old, new = ({n: values[n][at] for n in FIELD_NAMES} for at in sides)
        at = positions[sides[0]]
        out[code] = changes.diff_rest(old, new, at, nb - len(at))
    return out


def store(w: Reader, ids: dict[str, int], source: str) -> None:
    """Insert the staged records of the boroughs in `ids` (code -> their new snapshot)."""
    params: dict[str, Any] = {"source": source, "codes": list(ids)}
    whens = []
    for k, (code, snapshot_id) in enumerate(ids.items()):
        whens.append(f"WHEN $c{k} THEN $i{k}")
        params |= {f"c{k}": code, f"i{k}": int(snapshot_id)}
    w.execute(
        f"INSERT INTO contracts (snapshot_id, record_no, {', '.join(STORED)}, source)"
        f" SELECT CASE borough_code {' '.join(whens)} END, record_no, {CAST}, $source"
        f" FROM {STAGED} WHERE borough_code = ANY($codes)",
        params,
    )
