"""The accepted records of a file read by DuckDB: a table of typed values, and the same records
as Python values when something asks for them.

`citydata.ingest.bulk` gives the records as an Arrow table (`Prepared.table`): the schema's
fields with the types the store keeps (text trimmed and NULL when empty, DATE, DECIMAL(18,2),
INTEGER satisfaction) plus `row`, the file's row of each record. The store reads that table in
SQL as it is. `frame` makes the frame `validate.build` gives for a file read the Python way
(object columns of str, date, Decimal; satisfaction as Int64), each distinct value once; the
app asks for it only to show or test records, never to store them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from citydata.core import boroughs
from citydata.core.schema import FIELD_NAMES

_DIRECT = ("annual_value",)  # mostly distinct: made one by one, not through a dictionary


def objects(column: pa.ChunkedArray, convert: Callable[[Any], Any] | None = None) -> np.ndarray:
    """The column as an object array of Python values (None for null), each distinct one made
    once (and passed through `convert`)."""
    if len(column) == 0:
        return np.empty(0, dtype=object)
    encoded = pc.dictionary_encode(column).combine_chunks()
    dictionary = encoded.dictionary.to_pylist()
    if convert is not None:
        dictionary = [convert(v) for v in dictionary]
    values = np.empty(len(dictionary) + 1, dtype=object)
    values[: len(dictionary)] = dictionary
    values[len(dictionary)] = None
    codes = encoded.indices.fill_null(len(dictionary)).to_numpy(zero_copy_only=False)
    return values[codes]


def borough_names(codes: pa.ChunkedArray) -> pa.Array:
    """The canonical name of each borough code (of the region in use now: the app reads its
    region from its secrets after this module is imported)."""
    if len(codes) == 0:
        return pa.array([], pa.string())
    encoded = pc.dictionary_encode(codes).combine_chunks()
    known = boroughs.BY_CODE
    names = [known[c].name if c in known else None for c in encoded.dictionary.to_pylist()]
    names = pa.array(names, pa.string())
    return pc.take(names, encoded.indices)


def frame(table: pa.Table) -> pd.DataFrame:
    """The records as validate.build gives them: Python values in object columns, and `row`."""
    columns: dict[str, Any] = {}
    for name in FIELD_NAMES:
        if name == "satisfaction":
            values = table[name].to_pandas().to_numpy()
            columns[name] = pd.array(values, dtype="Int64")
        elif name in _DIRECT:
            values = np.empty(table.num_rows, dtype=object)
            values[:] = table[name].to_pylist()
            columns[name] = pd.Series(values, dtype=object)
        else:
            columns[name] = pd.Series(objects(table[name]), dtype=object)
    records = pd.DataFrame(columns)
    records["row"] = pd.Series(table["row"].to_numpy(), dtype="int64")
    return records
