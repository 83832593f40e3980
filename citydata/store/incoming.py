"""The records of a register being imported, inside the store: compared and stored in SQL.

A prepared register reaches the store as one Arrow table (`staged`): the typed records
`citydata.ingest` read with DuckDB (`Prepared.table`: text trimmed, NULL for empty), or, for a
file the Python reader read, the records as canonical text (`changes.canonical`), cast to their
column types in SQL. The table is registered on the transaction's own cursor, so comparing a
file of a million records with each borough's current records, and storing it, never makes a
Python object per record:

- `Comparison`: every record of both sides gets a fingerprint of its borough and compared
  fields, computed once by DuckDB (a 64-bit hash); each fingerprint is numbered once (pandas'
  factorize) and counted on both sides, which gives per borough how many records there are
  now, how many the file has and how many are exact twins, and the records that are not
  paired as twins (usually a handful): every identical record of one side pairs with an
  identical record of the other, first with first, exactly as `changes.diff` pairs twins;
  `Comparison.differences` reads only those records and `changes.diff_rest` pairs and compares
  them as it would have in the whole sets;
- `store`: INSERT ... SELECT into `contracts`, a slice of the records at a time.

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
    "release_date": "TIMESTAMP",  # (v12) when the notice's newest release was published
    "bought_with": "VARCHAR",  # (v18) a joint notice: the other councils that bought it
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
    """SQL: a 64-bit hash of a record's borough and compared fields as stored (typed; NULL for
    empty text).

    Equal records have equal fingerprints. Two different records would need equal 64-bit
    hashes to be taken for twins (odds near n / 2^64 for a changed record among n), and then
    only the counts would be off: every record that does differ is compared field by field
    (`Comparison.differences`)."""
    parts = [f"{alias}.borough_code"]
    for name in COMPARED:
        column, sql_type = f"{alias}.{name}", FIELD_TYPES[name]
        if cast:
            column = f"CAST({column} AS {sql_type})"
        parts.append(f"NULLIF({column}, '')" if sql_type == "VARCHAR" else column)
    return f"hash({', '.join(parts)})"


FIELD_TYPES = {f.name: f.sql_type for f in FIELDS}
_BASE = f"""SELECT c.rowid AS rid, c.snapshot_id AS sid, c.record_no,
    {_fingerprint("c", False)} AS h FROM contracts AS c WHERE c.snapshot_id = ANY($ids)"""
_FILE = f"SELECT s.seq, {_fingerprint('s', True)} AS h FROM {STAGED} AS s"
_ODD_BASE, _ODD_FILE = "odd_current", "odd_staged"
_SHOWN = ("borough_code", "borough", *COMPARED)
_LEFT = f"""
SELECT 0 AS side, o.pos, {_text("c", _SHOWN)}
FROM contracts AS c JOIN {_ODD_BASE} AS o ON c.rowid = o.rid WHERE c.snapshot_id = ANY($ids)
UNION ALL
SELECT 1 AS side, o.pos, {_text("s", _SHOWN)}
FROM {STAGED} AS s JOIN {_ODD_FILE} AS o USING (seq)"""


class Comparison:
    """The staged records against each borough's current records (`bases`: borough code of the
    file -> its current snapshot, None for none), by fingerprint, computed once for both sides.

    `counts`: per borough, (records now, records in the file, exact twins). The records left
    once twins are paired away (each identical record of one side with an identical record of
    the other, first with first, as `changes.diff` pairs twins) are kept by row id and position
    for `differences`; usually a handful.
    """

    def __init__(self, r: Reader, bases: dict[str, int | None], table: pa.Table) -> None:
        codes = sorted(bases)
        self.codes, self.ids = codes, [int(b) for b in bases.values() if b is not None]
        k = len(codes)
        base = r.df(_BASE, {"ids": self.ids})
        found = r.df(_FILE)
        n = table.num_rows
        h_file = np.empty(n, dtype=np.uint64)
        h_file[found["seq"].to_numpy()] = found["h"].to_numpy(dtype=np.uint64)
        del found
        b_file = _indices(table["borough_code"], codes)
        snapshot_at = {int(bases[c]): i for i, c in enumerate(codes) if bases[c] is not None}
        sid = base["sid"].to_numpy(dtype=np.int64)
        b_base = pd.Series(sid).map(snapshot_at).to_numpy(dtype=np.int64)
        h_base = base["h"].to_numpy(dtype=np.uint64)
        # Every fingerprint of both sides numbered once (a hash table, no sort), then counted
        # per side: the twins of a fingerprint are as many as its fewer side has.
        key, fingerprints = pd.factorize(np.concatenate([h_base, h_file]))
        size = len(fingerprints)
        key_b, key_f = key[: len(h_base)], key[len(h_base) :]
        del key, fingerprints
        n_b, n_f = np.bincount(key_b, minlength=size), np.bincount(key_f, minlength=size)
        pairs = np.minimum(n_b, n_f)
        borough_of = np.zeros(len(n_b), dtype=np.int64)
        borough_of[key_b] = b_base  # (a fingerprint holds its borough: one borough a key)
        twins = np.bincount(borough_of, weights=pairs, minlength=k)
        before = np.bincount(b_base, minlength=k)
        after = np.bincount(b_file, minlength=k)
        self.counts = {
            code: (int(before[i]), int(after[i]), int(twins[i])) for i, code in enumerate(codes)
        }
        # The records of a fingerprint whose count differs between the sides; of those, the
        # first ones (by their place in their borough) are twins and the rest is left.
        odd_b = np.flatnonzero(n_b[key_b] != n_f[key_b])
        odd_f = np.flatnonzero(n_f[key_f] != n_b[key_f])
        pos_b = _places(b_base, base["record_no"].to_numpy(), base["rid"].to_numpy(), odd_b)
        pos_f = table["pos"].to_numpy()[odd_f]
        keep_b = _left(key_b[odd_b], pos_b, pairs[key_b[odd_b]])
        keep_f = _left(key_f[odd_f], pos_f, pairs[key_f[odd_f]])
        rids = base["rid"].to_numpy(dtype=np.int64)[odd_b[keep_b]]
        self.left_base = pa.table({"rid": rids, "pos": pos_b[keep_b]})
        self.left_file = pa.table(
            {"seq": odd_f[keep_f].astype(np.int64), "pos": pos_f[keep_f].astype(np.int64)}
        )

    def differences(self, r: Reader, totals: dict[str, tuple[int, int]]) -> dict[str, Diff]:
        """`changes.diff` of each borough's current records and its staged ones (the staged
        table registered on `r`); `totals`: each borough's (records now, records in the file)."""
        r.register(_ODD_BASE, self.left_base)
        r.register(_ODD_FILE, self.left_file)
        try:
            rows = r.df(_LEFT, {"ids": self.ids})
        finally:
            r.unregister(_ODD_BASE)
            r.unregister(_ODD_FILE)
        rows = rows.sort_values(["side", "borough_code", "pos"], kind="stable")
        rest = rows.reset_index(drop=True)
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


def _indices(codes: pa.ChunkedArray, order: list[str]) -> np.ndarray:
    """Each borough code's place in `order`."""
    encoded = pc.dictionary_encode(codes).combine_chunks()
    at = {c: i for i, c in enumerate(order)}
    lookup = np.array([at[c] for c in encoded.dictionary.to_pylist()] or [0], dtype=np.int64)
    return lookup[encoded.indices.to_numpy(zero_copy_only=False)]


def _places(borough: np.ndarray, record_no: np.ndarray, rid: np.ndarray, wanted: np.ndarray):
    """The place of each current record at `wanted` among its borough's current records, in
    the order of the file's rows (row id: a stable order for equal row numbers)."""
    if len(wanted) == 0:
        return np.empty(0, dtype=np.int64)
    order = np.lexsort((rid, record_no, borough))
    ranked = borough[order]
    place = np.empty(len(order), dtype=np.int64)
    place[order] = np.arange(len(order)) - np.searchsorted(ranked, ranked)
    return place[wanted]


def _left(key: np.ndarray, pos: np.ndarray, twins: np.ndarray) -> np.ndarray:
    """Which of these records (their fingerprint's number `key`, their place) are left once
    the first `twins` of each fingerprint are paired away."""
    order = np.lexsort((pos, key))
    rank = pd.Series(key[order]).groupby(key[order]).cumcount().to_numpy()
    keep = np.empty(len(key), dtype=bool)
    keep[order] = rank >= twins[order]
    return keep


def store(w: Reader, ids: dict[str, int], source: str, table: pa.Table) -> None:
    """Insert the staged records (`table`, as `staged` made it) of the boroughs in `ids` (code
    -> their new snapshot), a slice of `_SLICE` records at a time: one INSERT of a million
    records held about 140 MiB more of DuckDB's memory until the commit than slices of them.

    Each record finds its snapshot by a join to `ids` as a table (a hash of one row per
    borough), which also leaves out the records of other boroughs: a CASE of one WHEN per
    borough compared every record's code with each borough's in turn (0.1-0.2 s of CPU at a
    million records and 33 boroughs)."""
    new = pa.table(
        {
            "code": pa.array(list(ids), pa.string()),
            "id": pa.array(map(int, ids.values()), pa.int64()),
        }
    )
    insert = (  # (`code` and `id` are no field's names)
        f"INSERT INTO contracts (snapshot_id, record_no, {', '.join(STORED)}, source)"
        f" SELECT n.id, s.record_no, {CAST}, $source"
        f" FROM {_SLICED} AS s JOIN {_NEW} AS n ON n.code = s.borough_code"
    )
    w.register(_NEW, new)
    try:
        for start in range(0, table.num_rows, _SLICE):
            w.register(_SLICED, table.slice(start, _SLICE))
            try:
                w.execute(insert, {"source": source})
            finally:
                w.unregister(_SLICED)
    finally:
        w.unregister(_NEW)


_NEW = "new_snapshots"
_SLICED = "staged_slice"
_SLICE = 2 * 122_880  # two of DuckDB's row groups
