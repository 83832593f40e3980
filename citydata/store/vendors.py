"""Vendor names that mean the same company, grouped under one canonical vendor.

Registers write one company many ways ("Capita Business Services Ltd", "CAPITA PLC", "Capita").
Records keep the spelling as written; the `vendor_aliases` table maps the *folded* spelling (see
`citydata.core.keys.fold`) to a canonical vendor, and the `current_contracts` view shows the
canonical name as `vendor` and the original as `vendor_as_written`. The table is seeded from
data/vendor_aliases.csv and grows when a data steward accepts a suggestion (`accept_alias`).

The table never chains: every `vendor` in it is a canonical name, never itself the folded key
of a row that points elsewhere. `accept_alias` keeps it that way.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from rapidfuzz import fuzz, process

from citydata.core import dates, settings
from citydata.core.keys import fold, fold_sql
from citydata.store.db import Database, Reader
from citydata.store.versions import ALIAS_CHANGES_KEY

ALIASES_CSV = settings.DATA_DIR / "vendor_aliases.csv"
SEEDED_BY = "data/vendor_aliases.csv"
CHANGES_KEY = ALIAS_CHANGES_KEY  # meta counter, part of store.versions.data_version
MAX_NAME = 200
DEFAULT_CUTOFF = 88
EXTENDED_SCORE = 90
# The columns of `aliases` and `suggest_aliases` as people read them (the Vendor names page and
# `python -m citydata aliases`), in the order shown.
ALIAS_LABELS = {
    "spelling": "Spelling",
    "vendor": "Counted under",
    "records": "Records with this spelling",
    "added_by": "Grouped by",
    "added_at": "Grouped on",
}
SUGGESTION_LABELS = {
    "alias": "Spelling",
    "records": "Its records",
    "vendor": "Group under",
    "vendor_records": "That vendor's records",
    "score": "Likeness (0-100)",
    "reason": "Why",
}

# Words that say what kind of company it is, not which: left out when comparing names.
COMPANY_WORDS = frozenset(
    {"ltd", "limited", "plc", "llp", "llc", "lp", "inc", "incorporated", "corp", "corporation"}
    | {"co", "company", "group", "holdings", "uk", "gb", "the", "se", "sa", "sarl", "gmbh"}
    | {"bv", "ag", "nv"}
)


class AliasError(ValueError):
    """An alias that cannot be stored, with a message a data steward can act on."""


def canonical_sql(expr: str, name: str) -> str:
    """A LEFT JOIN giving `<name>.vendor`, the canonical vendor of the spelling in `expr`."""
    return f"LEFT JOIN vendor_aliases AS {name} ON {name}.alias = {fold_sql(expr)}"


def core(name: str) -> str:
    """The folded name without company-form words: 'Oracle Corporation UK Ltd' -> 'oracle'."""
    words = fold(name).split()
    kept = [w for w in words if w not in COMPANY_WORDS]
    return " ".join(kept or words)


def similarity(a: str, b: str) -> int:
    """How alike two vendor names are, 0-100, ignoring case, punctuation and company form.

    rapidfuzz's token-sort ratio, raised to `EXTENDED_SCORE` when one name is the other plus
    words ("Capita Business Services" and "Capita"), starting with the same word.
    """
    return _similarity(core(a), core(b), fuzz.token_sort_ratio(core(a), core(b)))


def _similarity(a: str, b: str, score: float) -> int:
    if score < EXTENDED_SCORE and _extends(a, b):
        return EXTENDED_SCORE
    return int(score)


def _extends(a: str, b: str) -> bool:
    first_a, first_b = a.split()[:1], b.split()[:1]
    return bool(first_a) and first_a == first_b and fuzz.token_set_ratio(a, b) == 100


# ---- the maintained table ------------------------------------------------------------------


@dataclass(frozen=True)
class Alias:
    alias: str  # folded key
    vendor: str  # canonical name
    note: str = ""


def load_csv(path: Path = ALIASES_CSV) -> list[Alias]:
    """The committed alias table, checked, plus each canonical name's own folded spelling.

    Refuses (AliasError) a blank row, one spelling sent to two vendors, or a chain (a canonical
    name that is itself an alias of another vendor).
    """
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    found: dict[str, Alias] = {}
    for line, row in enumerate(rows, start=2):
        key, vendor = fold(row.get("alias")), (row.get("vendor") or "").strip()
        if not key or not vendor:
            raise AliasError(f"{path.name} line {line}: both alias and vendor are needed.")
        if key in found and found[key].vendor != vendor:
            raise AliasError(
                f"{path.name} line {line}: “{row['alias']}” is already grouped under "
                f"“{found[key].vendor}”."
            )
        found[key] = Alias(key, vendor, (row.get("note") or "").strip())
    for a in list(found.values()):
        own = fold(a.vendor)
        if own in found and found[own].vendor != a.vendor:
            raise AliasError(
                f"{path.name}: “{a.vendor}” is a canonical vendor and also an alias of "
                f"“{found[own].vendor}”; point every alias at the final name."
            )
        found.setdefault(own, Alias(own, a.vendor, "canonical name"))
    return sorted(found.values(), key=lambda a: a.alias)


def seed(w: Reader, path: Path = ALIASES_CSV) -> int:
    """Insert the committed aliases the database lacks (existing rows win). Returns how many."""
    before = w.scalar("SELECT count(*) FROM vendor_aliases")
    now = dates.now()
    found = load_csv(path)
    # (one statement for the whole table: a statement each cost a new database about 0.2 s)
    w.execute(
        "INSERT INTO vendor_aliases"
        " SELECT unnest($aliases), unnest($vendors), $who, $at ON CONFLICT DO NOTHING",
        {
            "aliases": [a.alias for a in found],
            "vendors": [a.vendor for a in found],
            "who": SEEDED_BY,
            "at": now,
        },
    )
    added = w.scalar("SELECT count(*) FROM vendor_aliases") - before
    if added:
        _count_change(w)
    return int(added)


def grouped_as(r: Reader, names: Iterable[str]) -> dict[str, str]:
    """Of `names`, those grouped under a vendor (an alias, by its folded spelling), each with
    the vendor: {"Civica UK Ltd": "Civica"}."""
    keys = {name: fold(name) for name in names}
    rows = r.rows(
        "SELECT alias, vendor FROM vendor_aliases WHERE list_contains($keys, alias)",
        {"keys": sorted(set(keys.values()))},
    )
    vendor_of = dict(rows)
    return {name: vendor_of[key] for name, key in keys.items() if key in vendor_of}


def aliases(r: Reader) -> pd.DataFrame:
    """The alias table with how many current records each spelling groups; `spelling` is the
    alias as the records write it most often (the stored alias is its folded key, "capita plc"),
    or the key when no current record uses it."""
    return r.df(
        f"""WITH w AS (
            SELECT vendor_as_written AS written, count(*) AS n FROM current_contracts GROUP BY 1),
        k AS (SELECT {fold_sql("written")} AS key, sum(n) AS n,
                     arg_max(written, n ORDER BY written DESC) AS written
              FROM w GROUP BY 1)
        SELECT a.alias, coalesce(k.written, a.alias) AS spelling, a.vendor, a.added_by,
               a.added_at, CAST(coalesce(k.n, 0) AS BIGINT) AS records
        FROM vendor_aliases AS a LEFT JOIN k ON k.key = a.alias
        ORDER BY a.vendor, a.alias"""
    )


def accept_alias(db: Database, alias: str, vendor: str, who: str) -> str:
    """Group the spelling `alias` under `vendor`, in one write transaction.

    `vendor` is resolved to its own canonical name first (no chains), and aliases that pointed
    at the spelling being grouped follow it. Returns the canonical vendor stored.
    """
    return accept_aliases(db, [(alias, vendor)], who)[0]


def accept_aliases(db: Database, pairs: list[tuple[str, str]], who: str) -> list[str]:
    """`accept_alias` for each (alias, vendor) of `pairs`, in order and all in one write
    transaction: every pair is checked first, so one that cannot be accepted (AliasError)
    leaves the table as it was. Returns the canonical vendor stored for each."""
    who = (who or "").strip()
    checked = [_checked(alias, vendor) for alias, vendor in pairs]
    if not who:
        raise AliasError("Say who is accepting the alias.")
    stored = []
    with db.write() as w:
        for key, vendor in checked:
            stored.append(_accept(w, key, vendor, who))
        _count_change(w)
    return stored


def _checked(alias: str, vendor: str) -> tuple[str, str]:
    """(the alias folded, the vendor as given), or AliasError saying what is wrong."""
    key, vendor = fold(alias), (vendor or "").strip()
    if not key:
        raise AliasError("The spelling to group has no letters or digits.")
    if not vendor or len(vendor) > MAX_NAME or len(alias) > MAX_NAME:
        raise AliasError(f"Give a vendor name of 1 to {MAX_NAME} characters.")
    return key, vendor


def _accept(w: Reader, key: str, vendor: str, who: str) -> str:
    own = fold(vendor)
    if own != key:
        found = w.scalar("SELECT vendor FROM vendor_aliases WHERE alias = $k", {"k": own})
        vendor = found or vendor
    now = dates.now()
    upsert = (
        "INSERT INTO vendor_aliases VALUES ($k, $v, $who, $at) ON CONFLICT (alias) DO UPDATE"
        " SET vendor = excluded.vendor, added_by = excluded.added_by,"
        " added_at = excluded.added_at"
    )
    w.execute(upsert, {"k": key, "v": vendor, "who": who[:MAX_NAME], "at": now})
    # The canonical name's own spelling groups too ("AGILISYS" with "Agilisys").
    w.execute(
        "INSERT INTO vendor_aliases VALUES ($k, $v, $who, $at) ON CONFLICT DO NOTHING",
        {"k": fold(vendor), "v": vendor, "who": who[:MAX_NAME], "at": now},
    )
    # Whatever was grouped under the spelling just grouped follows it: no chains.
    w.execute(
        f"UPDATE vendor_aliases SET vendor = $v WHERE {fold_sql('vendor')} = $k AND vendor <> $v",
        {"k": key, "v": vendor},
    )
    return vendor


def chain(r: Reader, path: Path) -> tuple[str, str, str] | None:
    """The first grouping of the alias table in the Parquet file at `path` (a backup's) that
    chains, as `accept_alias` never stores one: (a spelling's key, the vendor it is grouped
    under, the vendor that vendor's own spelling is grouped under), else None. A loop (two
    vendors grouped under each other) is a chain too."""
    found = r.rows(
        f"""WITH a AS (SELECT alias, vendor FROM read_parquet($p))
        SELECT a.alias, a.vendor, b.vendor FROM a JOIN a AS b ON b.alias = {fold_sql("a.vendor")}
        WHERE b.vendor <> a.vendor ORDER BY a.alias, b.vendor LIMIT 1""",
        {"p": str(path)},
    )
    return found[0] if found else None


def _count_change(w: Reader) -> None:
    w.execute(
        "INSERT INTO meta VALUES ($k, '1') ON CONFLICT (key) DO UPDATE"
        " SET value = CAST(CAST(meta.value AS BIGINT) + 1 AS VARCHAR)",
        {"k": CHANGES_KEY},
    )


# ---- suggestions -----------------------------------------------------------------------------


def suggest_aliases(r: Reader, cutoff: int = DEFAULT_CUTOFF) -> pd.DataFrame:
    """Near-duplicate vendor spellings in the current records that no alias groups yet.

    Each row proposes grouping `alias` (as written, with every spelling sharing its folded key
    in `spellings`) under `vendor`: a canonical name from the alias table or a more common
    spelling. `score` is 0-100 (rapidfuzz token-sort ratio of the names without company-form
    words); `reason` says why in words.
    """
    written = r.df(
        f"""WITH w AS (
            SELECT vendor_as_written AS written, count(*) AS records FROM current_contracts
            WHERE vendor_as_written IS NOT NULL GROUP BY 1)
        SELECT written, {fold_sql("written")} AS key, records FROM w
        WHERE {fold_sql("written")} NOT IN (SELECT alias FROM vendor_aliases)
        ORDER BY records DESC, written"""
    )
    columns = ["alias", "spellings", "records", "vendor", "vendor_records", "score", "reason"]
    if written.empty:
        return pd.DataFrame(columns=columns)
    groups = {
        key: (g["written"].iloc[0], list(g["written"]), int(g["records"].sum()))
        for key, g in written[written["key"] != ""].groupby("key", sort=False)
    }
    counts = dict(r.rows("SELECT vendor, count(*) FROM current_contracts GROUP BY vendor"))
    known = [v for (v,) in r.rows("SELECT DISTINCT vendor FROM vendor_aliases ORDER BY 1")]
    # Targets: canonical names first (they win ties), then each unmatched group's main spelling.
    targets = known + [g[0] for g in groups.values()]
    target_keys = [fold(t) for t in targets]
    keys = list(groups)
    query_cores = [core(groups[k][0]) for k in keys]
    target_cores = [core(t) for t in targets]
    scores = process.cdist(query_cores, target_cores, scorer=fuzz.token_sort_ratio)
    out = []
    for i, key in enumerate(keys):
        shown, spellings, records = groups[key]
        best: tuple[int, int, int] | None = None  # (score, records, -index) of the best target
        for j, target in enumerate(targets):
            if target_keys[j] == key:
                continue
            is_group = j >= len(known)
            if is_group and (groups[target_keys[j]][2], target) <= (records, shown):
                continue  # between two unmatched spellings, the rarer one is grouped
            score = _similarity(query_cores[i], target_cores[j], scores[i, j])
            if score >= cutoff and (best is None or (score, counts.get(target, 0), -j) > best):
                best = (score, counts.get(target, 0), -j)
        if best is not None:
            target = targets[-best[2]]
            out.append((shown, "; ".join(spellings), records, target, best[1], best[0]))
        elif len(spellings) > 1:
            out.append((shown, "; ".join(spellings), records, shown, records, 100))
    df = pd.DataFrame(out, columns=columns[:-1])
    df["reason"] = [
        _reason(a, v, s) for a, v, s in zip(df["alias"], df["vendor"], df["score"], strict=True)
    ]
    return df.sort_values(
        ["score", "records", "alias"], ascending=[False, False, True]
    ).reset_index(drop=True)[columns]


def _reason(alias: str, vendor: str, score: int) -> str:
    if alias == vendor:
        return "the same name written in different ways (capitals, spaces or punctuation)"
    if fold(alias) == fold(vendor):
        return "the same name apart from capitals, spaces or punctuation"
    if core(alias) == core(vendor):
        return "the same name apart from the company form (Ltd, plc, UK…)"
    if _extends(core(alias), core(vendor)):
        return "one name is the other with words added"
    return f"similar names ({score}% alike)"


def _makers() -> str:
    """Each manufacturer spelling with its canonical maker: a lookup, so it reads the spellings
    of every snapshot's records (those of snapshots not in use are never joined), which is one
    quick pass over one column rather than the `current_contracts` view."""
    return f"""SELECT w.written, coalesce(a.vendor, w.written) AS maker
        FROM (SELECT DISTINCT manufacturer AS written FROM contracts) AS w
        {canonical_sql("w.written", "a")}"""


def with_maker(sql: str) -> str:
    """Rows of the subquery `sql` plus `maker`: the canonical manufacturer, else the vendor.

    A record names a manufacturer only when someone else makes the product, so an empty
    manufacturer means the vendor makes it. Spellings are looked up once each, not per row.
    """
    return f"""SELECT b.*, coalesce(nullif(trim(mk.maker), ''), b.vendor) AS maker FROM ({sql}) AS b
    LEFT JOIN ({_makers()}) AS mk ON mk.written = b.manufacturer"""


def involving(sql: str, param: str) -> str:
    """Rows of the subquery `sql` whose vendor, or whose `maker`, is the parameter `$param`.

    The same rows as keeping `vendor = $param OR maker = $param` of `with_maker(sql)`, but the
    spellings of that maker are found first, so only the vendor's rows are joined to the makers
    rather than every row of `sql`.
    """
    return f"""SELECT * FROM ({sql}) AS v WHERE v.vendor = ${param} OR v.manufacturer IN (
        SELECT written FROM ({_makers()}) AS mk WHERE trim(mk.maker) = ${param})"""
