"""A plain CSV register normalised and checked in SQL: the same records and problems, faster.

`citydata.ingest.plain` reads the file into DuckDB (every column text). SQL normalises it: text,
dates and amounts in the common spellings are read in SQL with the very patterns the Python
rules use (`normalise.CLEAN_TEXT`, `dates.STRICT_FORMATS`, `normalise.PLAIN_MONEY` and
`GROUPED_POUNDS`); every other distinct value (and every borough, service area, hosting and
satisfaction value) is read once by the Python rule for its field and joined back. The problem
report is made by queries that select only the offending rows, and their messages are written
by the functions `validate` uses, in the same order, so a file gives the same records and
problems either way. A file with blank, total or repeated header rows, a packed supplier column
or published notices raises `NotPlain`, and the caller reads the file the Python way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from citydata.core import boroughs
from citydata.core.schema import FIELD_NAMES
from citydata.ingest import dates, normalise, records, validate
from citydata.ingest.plain import MIN_BYTES, Columnar, NotPlain, read
from citydata.ingest.report import PUBLISHED_FORMATS, Problem, refused, warning
from citydata.ingest.table import Table

__all__ = ["MIN_BYTES", "NotPlain", "build", "read"]  # (reading: citydata.ingest.plain)

_BATCH = 100_000
_TEXT = ("system", "vendor", "manufacturer", "source_ref")
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
_CHECKED = tuple(_BY_FIELD)  # in the order validate.build reports them
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
        self.mixed = False  # whether the result's rows are out of the file's order

    def run(self) -> tuple[pa.Table, list[Problem]]:
        odd = self._distinct()
        joins = [self._boroughs(odd.pop("borough"))]
        select = ["raw.rowid AS i", "tb.code AS borough_code", "tb.r1", "tb.r2", "tb.r3"]
        said = "tb.r1 IS NOT NULL OR tb.r2 IS NOT NULL OR tb.r3 IS NOT NULL"
        select += [f"CASE WHEN {said} THEN tb.{k} END AS {n}_x" for k, n in _BOROUGH_CELLS]
        for field in _TEXT:
            column = self.src[field]
            if column is None:
                select.append(f"NULL::VARCHAR AS {field}")
                continue
            self._lookup(field, odd[field], normalise.text_result, "VARCHAR")
            joins.append(f"LEFT JOIN t_{field} ON t_{field}.src = raw.{column}")
            select.append(
                f"CASE WHEN {_clean(column)} THEN {column} ELSE t_{field}.val END AS {field}"
            )
        for field in _CHECKED:
            column = self.src[field]
            if column is None:
                sql_type = _BY_FIELD[field][1]
                value = "'Other'" if field == "service_area" else f"CAST(NULL AS {sql_type})"
                select += [f"{value} AS {field}", f"NULL AS {field}_r", f"NULL AS {field}_w"]
                select.append(f"NULL AS {field}_x")
                continue
            fn, sql_type = _BY_FIELD[field]
            fast = _fast(field, column)
            self._lookup(field, odd[field], fn, sql_type)
            joins.append(f"LEFT JOIN t_{field} ON t_{field}.src = raw.{column}")
            value = f"t_{field}.val" if fast is None else f"COALESCE({fast}, t_{field}.val)"
            select += [
                f"{value} AS {field}",
                f"t_{field}.refusal AS {field}_r",
                f"t_{field}.warn AS {field}_w",
                # the cell as written, where there is a reason (NULL elsewhere: less to move)
                f"CASE WHEN t_{field}.refusal IS NOT NULL OR t_{field}.warn IS NOT NULL"
                f" THEN t_{field}.src END AS {field}_x",
            ]
        select.append(f"{_cell(self.src['contract_end'])} AS contract_end_cell")
        refusals = " OR ".join(
            ["r1 IS NOT NULL", "r2 IS NOT NULL", "r3 IS NOT NULL"]
            + [f"{f}_r IS NOT NULL" for f in _CHECKED]
            + ["contract_end < contract_start", "(system IS NULL AND vendor IS NULL)"]
        )
        backwards = "contract_end < contract_start"
        rows = (
            self.con.sql(
                f"SELECT * REPLACE (CASE WHEN {backwards} THEN contract_end_cell END"
                f" AS contract_end_cell), COALESCE({refusals}, false) AS bad FROM"
                f" (SELECT {', '.join(select)} FROM raw {' '.join(joins)})"
            )
            .to_arrow_reader(_BATCH)
            .read_all()
        )  # (streamed: DuckDB never holds it all too)
        self.con.execute("DROP TABLE raw")  # its memory, before the records are made
        order = rows["i"].to_numpy()
        self.mixed = bool(len(order) > 1 and not (order[1:] > order[:-1]).all())
        # the file's order (DuckDB's parallel joins may mix it)
        positions = np.argsort(order, kind="stable") if self.mixed else np.arange(len(order))
        self.rows, self.numbers = rows, pc.add(rows["i"], self.r.first_line)
        self._problems()
        del self.rows
        bad = rows["bad"].to_numpy(zero_copy_only=False)
        accepted = positions[~bad[positions]]
        kept = rows.select([name for name in FIELD_NAMES if name != "borough"])
        if self.mixed or len(accepted) < len(order):
            kept = kept.take(accepted)
        del rows
        numbers = pa.array(order[accepted] + self.r.first_line, pa.int64())
        names = records.borough_names(kept["borough_code"])
        table = kept.add_column(FIELD_NAMES.index("borough"), "borough", names)
        table = table.append_column("row", numbers)
        self._duplicates(table)
        return table, self.problems

    def _distinct(self) -> dict[str, list]:
        """One scan: the values each Python rule must read, and whether any row is irregular."""
        names = [f"c{i}" for i in range(len(self.r.header))]
        first = "COALESCE(" + ", ".join(f"NULLIF({n}, '')" for n in names) + ", '')"
        others = " OR ".join(f"regexp_matches({n}, '[A-Za-z0-9]')" for n in names[1:]) or "false"
        # (CASE: the other cells are looked at only where the first has no letter or digit)
        blank = f"CASE WHEN regexp_matches(c0, '[A-Za-z0-9]') THEN false ELSE NOT ({others}) END"
        irregular = (
            f"{blank} OR {first} ILIKE '%total%'"
            f" OR lower(trim(c0)) = {_lit(self.r.header[0].lower())}"
        )
        parts = {"irregular": f"count(*) FILTER (WHERE {irregular})"}
        a, b = self.src["borough_code"], self.src["borough"]
        parts["borough"] = f"list(DISTINCT [{a or 'NULL'}, {b or 'NULL'}])"
        for field in (*_TEXT, *_CHECKED):
            column = self.src[field]
            if column is None:
                continue
            if field in _TEXT:
                where = f"NOT {_clean(column)}"
            else:
                fast = _fast(field, column)
                where = "true" if fast is None else f"({fast}) IS NULL"
            parts[field] = f"list(DISTINCT {column}) FILTER (WHERE {where})"
        found = self.con.sql(
            "SELECT " + ", ".join(f"{sql} AS {name}" for name, sql in parts.items()) + " FROM raw"
        ).fetchall()[0]
        out = dict(zip(parts, found, strict=True))
        if out.pop("irregular"):
            raise NotPlain("blank, total or repeated header rows")
        return {name: values or [] for name, values in out.items()}

    def _lookup(self, name: str, values: list, fn: Callable, sql_type: str) -> None:
        """A table of each value's (normalised value, refusal, warning) by the Python rule."""
        out: dict[str, list] = {"src": [], "val": [], "refusal": [], "warn": []}
        for v in values:
            value, refusal, warn = fn(v)
            out["src"].append(v)
            out["val"].append(None if value is None else _sql_text(value))
            out["refusal"].append(refusal)
            out["warn"].append(warn)
        frame = pa.table({k: pa.array(v, type=pa.string()) for k, v in out.items()})
        self.con.register(f"lk_{name}", frame)
        self.con.execute(
            f"CREATE TABLE t_{name} AS SELECT src, CAST(val AS {sql_type}) AS val, refusal, warn"
            f" FROM lk_{name}"
        )
        self.con.unregister(f"lk_{name}")

    def _boroughs(self, pairs: list) -> str:
        """The join to each (borough code cell, borough cell) pair's outcome."""
        a, b = self.src["borough_code"], self.src["borough"]
        buyer = self.fmt in validate.BUYER_FORMATS
        out: dict[str, list] = {k: [] for k in ("a", "b", "code", "r1", "r2", "r3")}
        for code_cell, name_cell in pairs:
            code, r1, r2, r3 = validate.borough_outcome(code_cell, name_cell, self.fixed, buyer)
            for k, v in zip(out, (code_cell, name_cell, code, r1, r2, r3), strict=True):
                out[k].append(v)
        frame = pa.table({k: pa.array(v, type=pa.string()) for k, v in out.items()})
        self.con.register("lk_borough", frame)
        self.con.execute("CREATE TABLE t_borough AS SELECT * FROM lk_borough")
        self.con.unregister("lk_borough")
        on = [f"tb.a = raw.{a}" if a else "tb.a IS NULL"]
        on.append(f"tb.b = raw.{b}" if b else "tb.b IS NULL")
        return "LEFT JOIN t_borough tb ON " + " AND ".join(on)

    # -- the problem report: only the offending rows reach Python --------------------------

    def _add(
        self, name: str | None, mask: pa.ChunkedArray, reason: Any, refuse: bool, cell: str | None
    ) -> None:
        """One problem per row where `mask` holds, in row order; `reason` a column or a text,
        `cell` the column of the result holding the value as written (None: no value)."""
        if not pc.any(mask).as_py():
            return
        make = refused if refuse else warning
        numbers = pc.filter(self.numbers, mask).to_pylist()
        values = pc.filter(self.rows[cell], mask).to_pylist() if cell else None
        if isinstance(reason, str):
            reasons = [reason] * len(numbers)
        else:
            reasons = pc.filter(reason, mask).to_pylist()
        if values is None:
            values = [None] * len(numbers)
        found = zip(numbers, values, reasons, strict=True)
        for row, value, why in sorted(found) if self.mixed else found:
            self.problems.append(make(row, name, value, why))

    def _reasons(self, name: str | None, column: str, refuse: bool, cell: str | None) -> None:
        reasons = self.rows[column]
        self._add(name, pc.is_valid(reasons), reasons, refuse, cell)

    def _problems(self) -> None:
        m, rows = self.mapping, self.rows
        for position, field in ((1, "borough_code"), (2, "borough")):
            if m.get(field):
                self._reasons(m[field], f"r{position}", True, f"{field}_x")
        final = "borough" if m.get("borough") else "borough_code"
        cell = f"{final}_x" if m.get(final) else None
        self._reasons(m.get(final), "r3", True, cell)
        for field in _CHECKED:
            if self.src[field] is not None:
                self._reasons(m[field], f"{field}_r", True, f"{field}_x")
                self._reasons(m[field], f"{field}_w", False, f"{field}_x")
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
        self._add(system, pc.and_(no_system, no_vendor), validate.NEITHER, True, None)
        no_vendor_reason = validate.no_vendor_reason(self.fmt)
        self._add(vendor, pc.and_(has_system, no_vendor), no_vendor_reason, False, None)
        self._add(system, pc.and_(no_system, has_vendor), validate.NO_SYSTEM, False, None)

    def _duplicates(self, table: pa.Table) -> None:
        """validate's repeat warnings, from the accepted rows' dictionary codes."""
        if table.num_rows == 0:
            return
        codes = {name: _folded(table[name]) for name in validate.DUPLICATE_KEY}
        self.problems += validate.repeats(codes, table["row"].to_numpy())


def _folded(column: pa.ChunkedArray) -> np.ndarray:
    """validate.folded_codes of a column (codes equal where the text is equal casefolded)."""
    encoded = pc.dictionary_encode(column).combine_chunks()
    dictionary = encoded.dictionary
    codes = encoded.indices.fill_null(len(dictionary)).to_numpy(zero_copy_only=False)
    if len(dictionary) and pc.all(pc.string_is_ascii(dictionary)).as_py():
        # casefold is lower case for ASCII text: refold the distinct values in Arrow
        refold = pc.dictionary_encode(pc.ascii_lower(dictionary)).indices.to_numpy()
        return np.append(refold, -1)[codes]
    return validate.folded_codes(codes, dictionary.to_pylist())


def _cell(column: str | None) -> str:
    return f"raw.{column}" if column else "NULL"


def _clean(column: str) -> str:
    """SQL: the cell is text clean_text leaves as it is."""
    return f"regexp_full_match({column}, {_lit(normalise.CLEAN_TEXT)})"


def _fast(field: str, column: str) -> str | None:
    """SQL for a value read the common way, NULL when the Python rule must read it."""
    if field in ("contract_start", "contract_end"):
        low, high = dates.MIN_YEAR, dates.MAX_YEAR
        cases = " ".join(
            f"WHEN regexp_full_match({column}, {_lit(pattern)})"
            f" THEN try_strptime({column}, {_lit(fmt)})"
            for pattern, fmt in dates.STRICT_FORMATS
        )
        day = f"CAST(CASE {cases} END AS DATE)"
        return f"CASE WHEN year({day}) BETWEEN {low} AND {high} THEN {day} END"
    if field == "annual_value":
        return (
            f"CASE WHEN regexp_full_match({column}, {_lit(normalise.PLAIN_MONEY)})"
            f" THEN CAST({column} AS DECIMAL(18,2))"
            f" WHEN regexp_full_match({column}, {_lit(normalise.GROUPED_POUNDS)}) THEN"
            f" CAST(replace(replace({column}, '£', ''), ',', '') AS DECIMAL(18,2)) END"
        )
    return None


def _lit(text: str) -> str:
    """One of this module's own patterns as a SQL string literal (never a user's value)."""
    return "'" + text.replace("'", "''") + "'"


def _sql_text(value: Any) -> str:
    """A normalised value as text DuckDB casts back to its type."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
