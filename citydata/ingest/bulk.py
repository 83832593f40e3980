"""A plain CSV register normalised and checked in SQL: the same records and problems, faster.

`citydata.ingest.plain` reads the file into DuckDB (every column text). SQL normalises it: text,
dates and amounts in the common spellings are read in SQL with the very patterns the Python
rules use (`citydata.ingest.spellings`); every other distinct value (and every borough, service
area, hosting and satisfaction value) is read once by the Python rule for its field and joined
back. The problem report is made by queries that select only the offending rows, and their
messages are written by the functions `validate` uses, in the same order, so a file gives the
same records and problems either way. A file with blank, total or repeated header rows, a packed
supplier column or published notices raises `NotPlain`, and the caller reads the file the Python
way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from citydata.core import boroughs
from citydata.core.schema import FIELD_NAMES
from citydata.ingest import councils, duplicates, normalise, spellings, validate, xlerrors
from citydata.ingest import records as records_mod
from citydata.ingest.plain import MIN_BYTES, Columnar, NotPlain, read
from citydata.ingest.report import PUBLISHED_FORMATS, Problem, refused, warning
from citydata.ingest.table import Table

__all__ = ["MIN_BYTES", "NotPlain", "build", "read"]  # (reading: citydata.ingest.plain)

# The result's batches: one of DuckDB's row groups each, so that the store inserts the records
# of a file with no refused rows as whole row groups with no copy into one piece (_aligned)
_BATCH = 122_880
_RUNS = 5_000  # runs of rows out of order beyond which they are sorted rather than sliced
_TEXT = spellings.TEXT
_BY_FIELD: dict[str, tuple[Callable[[Any], normalise.Result], str]] = {
    "service_area": (normalise.area_result, "VARCHAR"),
    "contract_start": (lambda v: validate.date_result(v, end=False), "DATE"),
    "contract_end": (lambda v: validate.date_result(v, end=True), "DATE"),
    "annual_value": (normalise.money_result, "DECIMAL(18,2)"),
    "hosting": (normalise.hosting_result, "VARCHAR"),
    "satisfaction": (normalise.satisfaction_result, "INTEGER"),
    "skill_level": (normalise.skill_result, "VARCHAR"),
    "contact_role": (normalise.role_result, "VARCHAR"),
}
_BOROUGH_CELLS = (("a", "borough_code"), ("b", "borough"))
# Fields whose values are nearly all different: checked row by row. The others repeat (a few
# hundred dates, systems or vendors in a million rows), so their patterns are matched once per
# distinct value, and their values reach each row by the join to their lookup.
_ROW_BY_ROW = frozenset({"annual_value", "source_ref"})
_CHECKED = tuple(_BY_FIELD)
# The fields whose cells a rule may refuse or change, in the order validate.build reports them
# (the free text ones only for an Excel error)
_REPORTED = tuple(f for f in FIELD_NAMES if f in _CHECKED or f in _TEXT)
_HANDLED = {"borough_code", "borough", *_TEXT, *_CHECKED}


def build(
    table: Table, fmt: str, mapping: dict[str, str | None], fixed: boroughs.Borough | None
) -> tuple[pa.Table, list[Problem]]:
    """validate.build for a table read by `read`: (the accepted records as typed values, see
    citydata.ingest.records; the problems)."""
    reader: Columnar = table.columnar
    try:
        return _Build(reader, fmt, mapping, fixed).run()
    finally:
        reader.close()
        # Arrow's allocator keeps what the steps above freed for later use (about 130 MiB at
        # a million rows); the records go on to the store with it given back.
        pa.default_memory_pool().release_unused()


# SQL: the cell `{c}` holds an Excel error (xlerrors.ERROR), spaces around it aside
_ERROR = (
    "coalesce(regexp_full_match(trim({c}), "
    + spellings.literal(xlerrors.ERROR.pattern)
    + ", 'i'), false)"
)


class _Build:
    """validate.build in SQL: one scan for the distinct values the Python rules must read, one
    query for every row's values and reasons; Python sees only the offending rows."""

    def __init__(
        self,
        reader: Columnar,
        fmt: str,
        mapping: dict[str, str | None],
        fixed: boroughs.Borough | None,
    ) -> None:
        if fmt in PUBLISHED_FORMATS:
            raise NotPlain("published notices")
        if set(FIELD_NAMES) != _HANDLED:  # a new field: the Python path reads it until this does
            raise NotPlain("a field this module does not read")
        vendor = mapping.get("vendor")
        if vendor is not None and "|" in vendor:
            raise NotPlain("a packed supplier column")
        self.r, self.con, self.fmt, self.fixed = reader, reader.con, fmt, fixed
        self.mapping = mapping
        self.src = {f: reader.column(mapping.get(f)) for f in FIELD_NAMES}
        self.problems: list[Problem] = []
        self.found: dict[str, pa.Table] = {}  # each lookup's rows, as `_lookup` made them
        self.mixed = False  # whether the noted rows are out of the file's order

    def run(self) -> tuple[pa.Table, list[Problem]]:
        odd = self._distinct()
        joins = [self._boroughs(odd.pop("borough"))]
        said = "tb.r1 IS NOT NULL OR tb.r2 IS NOT NULL OR tb.r3 IS NOT NULL"
        select = [
            "raw.rowid AS i",
            "tb.code AS borough_code",
            f"CASE WHEN {said} THEN tb.k END AS tb_k",
        ]
        refusals = [said]
        for field in _TEXT:
            column = self.src[field]
            if column is None:
                select += [f"NULL::VARCHAR AS {field}", f"NULL::VARCHAR AS fold_{field}"]
                select.append(f"NULL::INTEGER AS {field}_k")
                continue
            rule = normalise.TEXT_RULES[field]
            self._lookup(field, odd[field], rule, "VARCHAR", folds=True)
            joins.append(f"LEFT JOIN t_{field} ON t_{field}.src = raw.{column}")
            # (no match in the lookup: the text is kept as it is, see _distinct)
            t = f"t_{field}"
            select.append(f"CASE WHEN {t}.src IS NULL THEN {column} ELSE {t}.val END AS {field}")
            select.append(f"{t}.fold AS fold_{field}")
            # (an Excel error: its row in the lookup, where the reason is)
            select.append(f"CASE WHEN {t}.refusal IS NOT NULL THEN {t}.k END AS {field}_k")
            refusals.append(f"{t}.refusal IS NOT NULL")
        for field in _CHECKED:
            column = self.src[field]
            if column is None:
                sql_type = _BY_FIELD[field][1]
                value = "'Other'" if field == "service_area" else f"CAST(NULL AS {sql_type})"
                select += [f"{value} AS {field}", f"NULL::INTEGER AS {field}_k"]
                continue
            fn, sql_type = _BY_FIELD[field]
            fast = spellings.fast(field, column)
            self._lookup(field, odd[field], fn, sql_type, column=column)
            t = f"t_{field}"
            joins.append(f"LEFT JOIN {t} ON {t}.src = raw.{column}")
            # (a field checked by its distinct values has every value, read fast or not, in
            # its lookup: see _lookup)
            quick = fast is not None and field in _ROW_BY_ROW
            value = f"COALESCE({fast}, {t}.val)" if quick else f"{t}.val"
            select += [
                f"{value} AS {field}",
                # the value's row in its lookup, where it has a reason (NULL elsewhere)
                f"CASE WHEN {t}.refusal IS NOT NULL OR {t}.warn IS NOT NULL THEN {t}.k END"
                f" AS {field}_k",
            ]
            refusals.append(f"{t}.refusal IS NOT NULL")
        select.append(f"{_cell(self.src['contract_end'])} AS end_cell")
        select.append(f"({' OR '.join(refusals)}) AS refused")
        backwards = "coalesce(contract_end < contract_start, false)"
        missing = "(system IS NULL AND vendor IS NULL)"
        bad = f"refused OR {backwards} OR {missing}"
        noted = " OR ".join(
            [bad, "tb_k IS NOT NULL", "system IS NULL", "vendor IS NULL"]
            + [f"{f}_k IS NOT NULL" for f in _REPORTED]
        )
        # One pass: every row's values, whether it is refused (`bad`) and whether the report
        # has anything to say of it (`noted`); only the noted rows' details reach Python, and
        # the reasons themselves stay in the lookups (`_k`: a row of one).
        folds = [f"fold_{f}" for f in _TEXT]
        reader = self.con.sql(
            f"SELECT * EXCLUDE (end_cell, refused{''.join(', ' + f for f in folds)}),"
            f" CASE WHEN {backwards} THEN end_cell END AS contract_end_cell, {bad} AS bad,"
            f" {noted} AS noted, {spellings.repeat_key()} AS repeat_key FROM"
            f" (SELECT {', '.join(select)} FROM raw {' '.join(joins)})"
        ).to_arrow_reader(_BATCH)
        names = ["i", *(n for n in FIELD_NAMES if n != "borough"), "repeat_key"]
        kept, noted_rows = [], []
        for batch in _batches(reader):  # (neither DuckDB nor Python holds every column at once)
            if pc.any(batch["noted"]).as_py():
                noted_rows.append(batch.filter(batch["noted"]))
            good = batch.select(names)
            kept.append(
                good if not pc.any(batch["bad"]).as_py() else good.filter(pc.invert(batch["bad"]))
            )
        self.r.close()  # the rows as text and their memory, before the records are made
        self.rows = pa.Table.from_batches(noted_rows, schema=reader.schema)
        self.numbers = pc.add(self.rows["i"], self.r.first_line)
        self.mixed = not _rising(self.rows["i"])  # (DuckDB's parallel joins may mix the order)
        self._problems()
        del self.rows, noted_rows
        schema = pa.schema([reader.schema.field(n) for n in names])
        records = pa.Table.from_batches(kept, schema=schema)
        del kept
        if not _rising(records["i"]):
            records = _in_order(records)
        numbers = pc.add(records["i"], self.r.first_line).cast(pa.int64())
        keys = records["repeat_key"].to_numpy()
        records = records.drop_columns(["i", "repeat_key"])
        borough = records_mod.borough_names(records["borough_code"])
        table = records.add_column(FIELD_NAMES.index("borough"), "borough", borough)
        del records
        table = table.append_column("row", numbers)
        table = table if _aligned(table) else _one_piece(table)
        self._duplicates(table, keys)
        return table, self.problems

    def _distinct(self) -> dict[str, list]:
        """One query: the values each Python rule must read, and whether any row may be
        irregular (a blank, total or repeated header row: see _irregular)."""
        # (the file's own heading: a bound parameter, never SQL text)
        header = {"header": self.r.header[0].lower()}
        # Only a row whose first cell has no letter or digit, says 'total' or is the header's
        # may be irregular: the distinct first cells tell whether the file has any.
        suspect = (
            f"NOT regexp_matches(c0, '[A-Za-z0-9]') OR c0 ILIKE '%total%'"
            f" OR lower(trim(c0)) = $header OR {_ERROR.format(c='c0')}"
        )
        # (FILTER, not WHERE: DuckDB would push a WHERE below the DISTINCT and match the
        # patterns on every row, 0.2 s of CPU at a million rows, instead of on a few dozen)
        parts = {
            "suspect": f"(SELECT count(*) FILTER (WHERE {suspect})"
            " FROM (SELECT DISTINCT c0 FROM raw))"
        }
        a, b = self.src["borough_code"], self.src["borough"]
        parts["borough"] = (
            f"(SELECT list([a, b]) FROM (SELECT DISTINCT {a or 'NULL'} AS a, {b or 'NULL'} AS b"
            " FROM raw))"
        )
        for field in (*_TEXT, *_CHECKED):
            column = self.src[field]
            if column is None:
                continue
            if field in _ROW_BY_ROW:
                parts[field] = (  # (the rows filtered first: nearly every value is distinct)
                    f"(SELECT list(v) FROM (SELECT DISTINCT {column} AS v FROM raw"
                    f" WHERE {spellings.odd(field, column)}))"
                )
            else:
                parts[field] = (
                    f"(SELECT list(v) FILTER (WHERE {spellings.odd(field, 'v')})"
                    f" FROM (SELECT DISTINCT {column} AS v FROM raw))"
                )
        found = self.con.execute(
            "SELECT " + ", ".join(f"{sql} AS {name}" for name, sql in parts.items()), header
        ).fetchall()[0]
        out = dict(zip(parts, found, strict=True))
        if out.pop("suspect") and self._irregular(header):
            raise NotPlain("blank, total or repeated header rows")
        return {name: values or [] for name, values in out.items()}

    def _irregular(self, header: dict[str, str]) -> int:
        """How many rows are blank, total or repeated header rows (a scan of every row)."""
        names = [f"c{i}" for i in range(len(self.r.header))]
        first = "COALESCE(" + ", ".join(f"NULLIF({n}, '')" for n in names) + ", '')"
        others = " OR ".join(f"regexp_matches({n}, '[A-Za-z0-9]')" for n in names[1:]) or "false"
        # (CASE: the other cells are looked at only where the first has no letter or digit)
        blank = f"CASE WHEN regexp_matches(c0, '[A-Za-z0-9]') THEN false ELSE NOT ({others}) END"
        # nothing but Excel errors (layout.only_errors), where the first cell is one
        nothing = " AND ".join(
            f"(coalesce(NOT regexp_matches({n}, '[^\\s]'), true) OR {_ERROR.format(c=n)})"
            for n in names
        )
        errors = f"CASE WHEN {_ERROR.format(c='c0')} THEN {nothing} ELSE false END"
        irregular = f"{blank} OR {errors} OR {first} ILIKE '%total%' OR lower(trim(c0)) = $header"
        return self.con.execute(f"SELECT count(*) FROM raw WHERE {irregular}", header).fetchall()[
            0
        ][0]

    def _lookup(
        self,
        name: str,
        values: list,
        fn: Callable,
        sql_type: str,
        *,
        folds: bool = False,
        column: str | None = None,
    ) -> None:
        """A table of each value's (normalised value, refusal, warning) by the Python rule, and
        `k`, its row (the report reads the reasons of a row from `self.found[name]`); with
        `folds`, also `fold`: the normalised text casefolded (for the repeat key).

        A field read fast in SQL and checked by its distinct values (not _ROW_BY_ROW) has every
        distinct value of its `column` in the table: those read fast with their value only."""
        out: dict[str, list] = {"src": [], "val": [], "refusal": [], "warn": []}
        for v in values:
            value, refusal, warn = fn(v)
            out["src"].append(v)
            out["val"].append(None if value is None else _sql_text(value))
            out["refusal"].append(refusal)
            out["warn"].append(warn)
        val = f"CAST(lk.val AS {sql_type})"
        select = f"src, {val} AS val, refusal, warn, k"
        source = f"lk_{name} AS lk"
        quick = spellings.fast(name, "d.v") if column and name not in _ROW_BY_ROW else None
        if quick is not None:
            select = f"d.v AS src, COALESCE({quick}, {val}) AS val, refusal, warn, k"
            source = (
                f"(SELECT DISTINCT {column} AS v FROM raw) AS d LEFT JOIN {source} ON src = d.v"
            )
        if folds:
            out["fold"] = [None if v is None else v.casefold() for v in out["val"]]
            select += ", fold"
        self._register(name, out, select, source)

    def _register(self, name: str, out: dict[str, list], select: str, source: str) -> None:
        """`out` as the table lk_<name> (with `k`, each row's number), while t_<name> is made
        as SELECT `select` FROM `source`."""
        frame = pa.table({k: pa.array(v, type=pa.string()) for k, v in out.items()})
        self.found[name] = frame
        frame = frame.append_column("k", pa.array(np.arange(len(frame), dtype=np.int32)))
        self.con.register(f"lk_{name}", frame)
        self.con.execute(f"CREATE TABLE t_{name} AS SELECT {select} FROM {source}")
        self.con.unregister(f"lk_{name}")

    def _boroughs(self, pairs: list) -> str:
        """The join to each (borough code cell, borough cell) pair's outcome."""
        a, b = self.src["borough_code"], self.src["borough"]
        buyer = self.fmt in validate.BUYER_FORMATS
        out: dict[str, list] = {k: [] for k in ("a", "b", "code", "r1", "r2", "r3")}
        for code_cell, name_cell in pairs:
            code, r1, r2, r3 = councils.borough_outcome(code_cell, name_cell, self.fixed, buyer)
            for k, v in zip(out, (code_cell, name_cell, code, r1, r2, r3), strict=True):
                out[k].append(v)
        self._register("borough", out, "a, b, code, r1, r2, r3, k", "lk_borough")
        on = [f"tb.a = raw.{a}" if a else "tb.a IS NULL"]
        on.append(f"tb.b = raw.{b}" if b else "tb.b IS NULL")
        return "LEFT JOIN t_borough tb ON " + " AND ".join(on)

    # -- the problem report: only the noted rows reach Python ------------------------------

    def _looked(self, name: str, part: str) -> pa.ChunkedArray:
        """`part` of the lookup row of each noted row's value (NULL where it has no reason)."""
        column = "tb_k" if name == "borough" else f"{name}_k"
        return pc.take(self.found[name][part], self.rows[column])

    def _add(
        self,
        name: str | None,
        mask: pa.ChunkedArray,
        reason: Any,
        refuse: bool,
        cell: pa.ChunkedArray | None,
    ) -> None:
        """One problem per row where `mask` holds, in row order; `reason` a column or a text,
        `cell` the column holding the value as written (None: no value)."""
        if not pc.any(mask).as_py():
            return
        make = refused if refuse else warning
        numbers = pc.filter(self.numbers, mask).to_pylist()
        values = pc.filter(cell, mask).to_pylist() if cell is not None else None
        if isinstance(reason, str):
            reasons = [reason] * len(numbers)
        else:
            reasons = pc.filter(reason, mask).to_pylist()
        if values is None:
            values = [None] * len(numbers)
        found = zip(numbers, values, reasons, strict=True)
        for row, value, why in sorted(found) if self.mixed else found:
            self.problems.append(make(row, name, value, why))

    def _reasons(self, name: str | None, reasons: pa.ChunkedArray, refuse: bool, cell: Any) -> None:
        self._add(name, pc.is_valid(reasons), reasons, refuse, cell)

    def _problems(self) -> None:
        m, rows = self.mapping, self.rows
        if rows.num_rows == 0:
            return
        cells = {"borough_code": "a", "borough": "b"}
        for position, field in ((1, "borough_code"), (2, "borough")):
            if m.get(field):
                reasons = self._looked("borough", f"r{position}")
                self._reasons(m[field], reasons, True, self._looked("borough", cells[field]))
        final = "borough" if m.get("borough") else "borough_code"
        cell = self._looked("borough", cells[final]) if m.get(final) else None
        self._reasons(m.get(final), self._looked("borough", "r3"), True, cell)
        for field in _REPORTED:
            if self.src[field] is not None:
                cell = self._looked(field, "src")
                self._reasons(m[field], self._looked(field, "refusal"), True, cell)
                self._reasons(m[field], self._looked(field, "warn"), False, cell)
        backwards = pc.fill_null(pc.less(rows["contract_end"], rows["contract_start"]), False)
        if pc.any(backwards).as_py():
            starts = pc.filter(rows["contract_start"], backwards).to_pylist()
            ends = pc.filter(rows["contract_end"], backwards).to_pylist()
            reasons = [validate.backwards_reason(a, b) for a, b in zip(starts, ends, strict=True)]
            numbers = pc.filter(self.numbers, backwards).to_pylist()
            cells = pc.filter(rows["contract_end_cell"], backwards).to_pylist()
            end = m.get("contract_end")
            found = zip(numbers, cells, reasons, strict=True)
            for row, cell_value, reason in sorted(found) if self.mixed else found:
                self.problems.append(refused(row, end, cell_value, reason))
        no_system, no_vendor = pc.is_null(rows["system"]), pc.is_null(rows["vendor"])
        system, vendor = m.get("system"), m.get("vendor")
        has_system, has_vendor = pc.invert(no_system), pc.invert(no_vendor)
        # (a system or vendor cell refused, an Excel error, names one: as validate._row_rules)
        unnamed = pc.and_(pc.is_null(rows["system_k"]), pc.is_null(rows["vendor_k"]))
        neither = pc.and_(pc.and_(no_system, no_vendor), unnamed)
        self._add(system, neither, validate.NEITHER, True, None)
        no_vendor_reason = validate.no_vendor_reason(self.fmt)
        self._add(vendor, pc.and_(has_system, no_vendor), no_vendor_reason, False, None)
        self._add(system, pc.and_(no_system, has_vendor), validate.NO_SYSTEM, False, None)

    def _duplicates(self, table: pa.Table, keys: np.ndarray) -> None:
        """validate's repeat warnings.

        `keys`: each accepted row's repeat key (`_repeat_key`), equal for rows that repeat each
        other and, rarely, for others too (a hash); only the rows whose key is shared are
        compared by their casefolded values, as validate does."""
        if table.num_rows == 0:
            return
        shared = pd.Series(keys).duplicated(keep=False).to_numpy()
        if not shared.any():
            return
        rows = table.select([*duplicates.DUPLICATE_KEY, "row"]).filter(pa.array(shared))
        codes = {name: _folded(rows[name]) for name in duplicates.DUPLICATE_KEY}
        self.problems += duplicates.repeats(codes, rows["row"].to_numpy())


def _folded(column: pa.ChunkedArray) -> np.ndarray:
    """duplicates.folded_codes of a column (codes equal where the text is equal casefolded)."""
    encoded = pc.dictionary_encode(column).combine_chunks()
    dictionary = encoded.dictionary
    codes = encoded.indices.fill_null(len(dictionary)).to_numpy(zero_copy_only=False)
    if len(dictionary) and pc.all(pc.string_is_ascii(dictionary)).as_py():
        # casefold is lower case for ASCII text: refold the distinct values in Arrow
        refold = pc.dictionary_encode(pc.ascii_lower(dictionary)).indices.to_numpy()
        return np.append(refold, -1)[codes]
    return duplicates.folded_codes(codes, dictionary.to_pylist())


def _batches(reader: pa.RecordBatchReader) -> Iterator[pa.RecordBatch]:
    """The result's batches as DuckDB hands them over: each in the file's order, but a batch
    may hold rows from before the previous one's (parallel scans)."""
    return iter(reader)


def _in_order(records: pa.Table) -> pa.Table:
    """The records in the file's order (of `i`).

    DuckDB hands over runs of consecutive rows, from its threads in turn; the runs are put
    in order as slices of the batches as they are (no copy), or, when there are too many
    runs for that, every column is put in order a column at a time."""
    i = records["i"].to_numpy()
    starts = np.flatnonzero(np.diff(i) != 1) + 1  # each run: consecutive row ids
    if len(starts) < _RUNS:
        bounds = np.concatenate(([0], starts, [len(i)])).tolist()
        runs = sorted(zip(i[bounds[:-1]].tolist(), bounds[:-1], bounds[1:], strict=True))
        return pa.concat_tables(records.slice(a, b - a) for _, a, b in runs)
    order = np.argsort(i, kind="stable")
    columns = dict(zip(records.column_names, records.columns, strict=True))
    del records
    for name in list(columns):
        columns[name] = columns[name].take(order)  # (the old column goes)
    return pa.table(columns)


def _aligned(table: pa.Table) -> bool:
    """Whether every piece of the records but the last is one whole row group of DuckDB's (the
    query's batches as they came, no row refused: those the store inserts as whole row groups
    as it does one piece)."""
    sizes = [len(b) for b in table.to_batches()]
    return all(n == _BATCH for n in sizes[:-1])


def _one_piece(table: pa.Table) -> pa.Table:
    """The table with each column in one piece of memory, made a column at a time (the old
    pieces of a column go as its new one is made).

    The store inserts the records a slice of DuckDB's row groups at a time: slices of one
    piece are written as whole row groups, while slices of pieces of other sizes (the query's
    batches once rows were refused from them) have their pieces merged first, which took DuckDB
    twice as long (a million records in batches of 100,000: 1.1-1.2 s against 0.6-0.7 s)."""
    names, columns = table.column_names, []
    for _ in names:
        columns.append(table.column(0).combine_chunks())
        table = table.remove_column(0)
    return pa.table(dict(zip(names, columns, strict=True)))


def _rising(column: pa.ChunkedArray) -> bool:
    """Whether the numbers rise from first to last."""
    values = column.to_numpy()
    return bool(len(values) < 2 or (values[1:] > values[:-1]).all())


def _cell(column: str | None) -> str:
    return f"raw.{column}" if column else "NULL"


def _sql_text(value: Any) -> str:
    """A normalised value as text DuckDB casts back to its type."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
