"""One system however its name is written: "Mosaic", "MOSAIC" and "Mosaic  " are one system.

Records keep the name as the council wrote it (the Overview's records, downloads, snapshots).
Every count, grouping and match by system reads it by its key, `citydata.core.keys.fold_spacing`
(case and spacing ignored, nothing else), and shows a group under the spelling most current
records use, the first alphabetically on a tie: the same name on every page and under every
filter, never a lower-cased one.

Like a vendor's canonical name (`citydata.store.vendors.canonical_sql`), the name reaches a query
as a LEFT JOIN on the spelling as written (`named_sql`), from a table of the distinct spellings
(`NAMES`), so the fold runs over a few thousand spellings rather than over every record. A
query that counts records joins it after grouping by the name as written where it can (a few
thousand rows, not millions).
"""

from __future__ import annotations

from citydata.core.keys import fold_spacing_sql

# Each spelling (`written`) and the name of its system (`shown`): the spelling most records of
# the active snapshots use, the first alphabetically on a tie. Only the spellings of a system
# written more than one way are counted (most are written one way: no count at all), and
# MATERIALIZED tells the planner these are a few thousand rows (it otherwise built its hash
# table from the millions of records they are joined to: ten times as slow).
NAMES = f"""WITH system_keys AS MATERIALIZED (
        SELECT written, {fold_spacing_sql("written")} AS k,
            count(*) OVER (PARTITION BY {fold_spacing_sql("written")}) AS spellings
        FROM (SELECT DISTINCT system AS written FROM contracts WHERE system IS NOT NULL)),
    system_counts AS MATERIALIZED (
        SELECT c.system AS written, count(*) AS n
        FROM contracts AS c JOIN snapshots AS s ON s.id = c.snapshot_id AND s.status = 'active'
        WHERE c.system IN (SELECT written FROM system_keys WHERE spellings > 1)
        GROUP BY c.system)
    SELECT k.written, CASE WHEN k.spellings = 1 THEN k.written
            ELSE first(k.written ORDER BY n.n DESC NULLS LAST, k.written)
                OVER (PARTITION BY k.k) END AS shown
    FROM system_keys AS k LEFT JOIN system_counts AS n USING (written)"""

# The name of every system the current records (those of the active snapshots) write, once,
# alphabetically, as a list: what the System filter offers. NAMES holds the spellings of older
# snapshots too (a system a replaced register named), which no current record has.
CURRENT_NAMES = f"""(SELECT list(DISTINCT shown ORDER BY shown) FROM ({NAMES})
    WHERE written IN (SELECT c.system FROM contracts AS c
        JOIN snapshots AS s ON s.id = c.snapshot_id AND s.status = 'active'))"""


def key(expr: str) -> str:
    """The system's key (`fold_spacing`) of `expr`: for rows already grouped by the name as
    written (a regular expression for each of ten million records takes seconds)."""
    return fold_spacing_sql(expr)


def named_sql(expr: str, name: str) -> str:
    """A LEFT JOIN giving `<name>.shown`, the name of the system spelled as `expr` (use
    `shown(expr, name)`: a spelling of no current record keeps its own)."""
    return f"LEFT JOIN ({NAMES}) AS {name} ON {name}.written = {expr}"


def shown(expr: str, name: str) -> str:
    """The system's name after `named_sql(expr, name)`; NULL for a record naming none."""
    return f"coalesce({name}.shown, {expr})"


def with_names(sql: str) -> str:
    """The rows of `sql` (the base query) with `system_name` beside `system`: the name of its
    system, for a query that keys each record by its system (a join per record: a query that
    counts should group first and use `named_sql`)."""
    return f"SELECT b.*, {shown('b.system', 'nm')} AS system_name FROM ({sql}) AS b " + named_sql(
        "b.system", "nm"
    )


def matching(expr: str, param: str) -> str:
    """True for a record whose system (`expr`) is, however written, one of the systems named in
    the bound list `$param` (each in any spelling). The stored spellings are folded, once each,
    so the records are tested by plain membership (of a few spellings the planner knows to be
    few: MATERIALIZED, see NAMES)."""
    return (
        f"{expr} IN (WITH system_matches AS MATERIALIZED ("
        f"SELECT w FROM (SELECT DISTINCT system AS w FROM contracts)"
        f" WHERE {key('w')} IN (SELECT {key('v')} FROM unnest(${param}::VARCHAR[]) AS t(v)))"
        " SELECT w FROM system_matches)"
    )
