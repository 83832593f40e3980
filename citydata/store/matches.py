"""Which published notice is the evidence of which register record, kept beside the records.

A published notice matches a register record of the same borough when they name the same
supplier (the canonical vendor, compared with `citydata.store.vendors.similarity`: at least
VENDOR_SCORE) and either their titles are alike (the system's name against the notice's title,
rapidfuzz's token-set ratio of their words other than GENERIC_WORDS and the supplier's name: at
least TITLE_SCORE) or their contract dates overlap (both starts
known) in the same service area: a supplier with several of a borough's contracts (Civica's
parking system and its committee system) is not evidence of each from its dates alone. Each
record is matched at most once, best pair first.

The pairs are worked out whenever a borough's active records change (an import of either kind,
a rollback, a new vendor alias, a restore) inside the same transaction, and kept in the
`notice_matches` table. The `current_contracts` view shows `matched`, so with both sources a
matched contract is counted once, as the register record (`citydata.query.filters`), and the
Reconciliation page lists the same pairs the counts use.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from rapidfuzz import fuzz

from citydata.store import vendors
from citydata.store.db import Database, Reader
from citydata.store.versions import ALIAS_CHANGES_KEY

VENDOR_SCORE = 85
TITLE_SCORE = 70
# Words that say nothing about which contract a title is: "Housing management system" and
# "Parking management system" share only these, and are two contracts. Titles are compared
# without them, and without the words of the supplier's name ("Civica Spydus", "Civica Paris").
# fmt: off
GENERIC_WORDS = frozenset((
    "a", "an", "and", "the", "of", "for", "to", "in", "on", "with", "by", "at", "as", "new",
    "system", "systems", "management", "software", "solution", "solutions", "service",
    "services", "contract", "contracts", "licence", "licences", "license", "licenses",
    "support", "maintenance", "provision", "supply", "platform", "application", "applications",
    "lot", "renewal",
))
# fmt: on

# The illustrative data's register records are generated examples, not a register: a real
# notice is never their evidence (it would be left out with both sources, and an example shown
# in its place), so they are not matched.
_ROWS = """SELECT borough_code, snapshot_id, record_no, coalesce(source_ref, '') AS ref,
    source_kind, service_area, system, vendor, vendor_as_written, contract_start, contract_end
FROM current_contracts
WHERE borough_code = ANY($codes) AND NOT (source_kind = 'register' AND source = 'demo')
ORDER BY borough_code, source_kind, snapshot_id, record_no"""

# Pairs kept, by a version before this rule, with an illustrative record (`forget_illustrative`):
# a join from the few pairs, so opening a file of millions of records reads few of them.
_WITH_EXAMPLE = """(register_snapshot_id, register_record_no) IN (
    SELECT (c.snapshot_id, c.record_no) FROM notice_matches AS m JOIN contracts AS c
      ON c.snapshot_id = m.register_snapshot_id AND c.record_no = m.register_record_no
    WHERE c.source = 'demo')"""
ILLUSTRATIVE_PAIRS = f"""SELECT CASE WHEN EXISTS (SELECT 1 FROM notice_matches)
    THEN (SELECT count(*) FROM notice_matches WHERE {_WITH_EXAMPLE}) ELSE 0 END"""

_HAS_BOTH = """SELECT borough_code FROM snapshots WHERE status = 'active'
GROUP BY borough_code HAVING count(DISTINCT kind) = 2 ORDER BY borough_code"""


@dataclass(frozen=True)
class Pair:
    register: int  # position in the register rows
    notice: int  # position in the notice rows
    vendor_score: int
    title_score: int
    dates_overlap: bool


def _day(v: Any) -> date | None:
    if v is None or v is pd.NaT or (isinstance(v, float) and pd.isna(v)):
        return None
    return pd.Timestamp(v).date()


def overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two records' contract periods overlap (both starts must be known)."""
    a0, b0 = _day(a["contract_start"]), _day(b["contract_start"])
    if a0 is None or b0 is None:
        return False
    a1, b1 = _day(a["contract_end"]) or date.max, _day(b["contract_end"]) or date.max
    return a0 <= b1 and b0 <= a1


def pairs(register: list[dict[str, Any]], notices: list[dict[str, Any]]) -> list[Pair]:
    """The best one-to-one pairs of register records and notices (see the module's note).

    Vendor names are compared once per distinct pair of names, so a large register with a few
    notices stays quick.
    """
    # (a name as grouped, and as written: a register's "Northgate" is the notice's "Northgate
    # Public Services (UK) Ltd", though an alias groups only the second under NEC)
    by_vendor: dict[tuple[str, str], list[int]] = {}
    for j, n in enumerate(notices):
        by_vendor.setdefault(_names(n), []).append(j)
    scores: dict[tuple[tuple[str, str], tuple[str, str]], int] = {}
    candidates = []
    for i, a in enumerate(register):
        written = _names(a)
        for name, js in by_vendor.items():
            key = (written, name)
            if key not in scores:
                scores[key] = max(
                    vendors.similarity(x, y) if x and y else 0
                    for x, y in zip(written, name, strict=True)
                )
            if scores[key] < VENDOR_SCORE:
                continue
            for j in js:
                b = notices[j]
                title = title_score(a, b)
                dates = overlap(a, b)
                if title >= TITLE_SCORE or (dates and a["service_area"] == b["service_area"]):
                    rank = -(scores[key] + title / 100)
                    candidates.append((rank, i, j, scores[key], title, dates))
    used_r: set[int] = set()
    used_n: set[int] = set()
    out = []
    for _, i, j, vendor_score, title, dates in sorted(candidates):
        if i in used_r or j in used_n:
            continue
        used_r.add(i)
        used_n.add(j)
        out.append(Pair(i, j, vendor_score, title, dates))
    return out


def _names(record: dict[str, Any]) -> tuple[str, str]:
    """A record's supplier as grouped and as written."""
    return str(record.get("vendor") or ""), str(record.get("vendor_as_written") or "")


def _words(text: Any) -> list[str]:
    return re.findall(r"[^\W_]+", str(text or "").casefold())


def title_score(a: dict[str, Any], b: dict[str, Any]) -> int:
    """How alike two records' titles are, 0-100, by the words that tell a contract apart: not
    `GENERIC_WORDS`, nor the words of either supplier's name. A title with no such word (the
    system named only by its supplier) is no evidence: 0."""
    supplier = {w for r in (a, b) for w in _words(r["vendor"])}  # (as grouped: "Civica")
    left, right = (
        [w for w in _words(r["system"]) if w not in GENERIC_WORDS and w not in supplier]
        for r in (a, b)
    )
    if not left or not right:
        return 0
    return int(fuzz.token_set_ratio(" ".join(left), " ".join(right)))


def refresh(w: Reader, codes: Iterable[str] | None = None) -> int:
    """Work the pairs out again for these boroughs (all when None); return how many pairs.

    Call inside the write transaction that changed the boroughs' records. One read for all the
    boroughs that hold both a register and notices; the others are not read at all.
    """
    if codes is None:
        w.execute("DELETE FROM notice_matches")
    else:
        codes = sorted(set(codes))
        w.execute("DELETE FROM notice_matches WHERE borough_code = ANY($codes)", {"codes": codes})
    both = [c for (c,) in w.rows(_HAS_BOTH) if codes is None or c in codes]
    if not both:
        return 0
    rows = w.df(_ROWS, {"codes": both})
    found: list[dict[str, Any]] = []
    for code, group in rows.groupby("borough_code", sort=True):
        register = group[group["source_kind"] == "register"].to_dict("records")
        notices = group[group["source_kind"] == "published"].to_dict("records")
        for p in pairs(register, notices):
            notice, record = notices[p.notice], register[p.register]
            found.append(
                {
                    "borough_code": str(code),
                    "notice_snapshot_id": int(notice["snapshot_id"]),
                    "notice_record_no": int(notice["record_no"]),
                    "notice_ref": str(notice["ref"]),
                    "notice_vendor": str(notice["vendor_as_written"]),
                    "register_snapshot_id": int(record["snapshot_id"]),
                    "register_record_no": int(record["record_no"]),
                    "register_vendor": str(record["vendor_as_written"]),
                    "vendor_score": p.vendor_score,
                    "title_score": p.title_score,
                    "dates_overlap": p.dates_overlap,
                }
            )
    if found:
        w.register("new_notice_matches", pd.DataFrame(found))
        w.execute("INSERT OR IGNORE INTO notice_matches BY NAME SELECT * FROM new_notice_matches")
    return len(found)


def forget_illustrative(db: Database) -> int:
    """Drop the pairs an earlier version kept between a published notice and an illustrative
    register record (see `_ROWS`), so the notice counts as itself; how many were dropped. Nothing
    is written when there are none (the usual case)."""
    if not db.scalar(ILLUSTRATIVE_PAIRS):
        return 0
    with db.write() as w:
        found = int(w.scalar(ILLUSTRATIVE_PAIRS))
        w.execute(f"DELETE FROM notice_matches WHERE {_WITH_EXAMPLE}")
    return found


def refresh_all(db: Database) -> int:
    """Work every borough's pairs out again (after a vendor alias changed names).

    Moves the data version on (`versions.data_version`), so no page keeps a result cached
    between the alias's commit and this one.
    """
    with db.write() as w:
        found = refresh(w)
        w.execute(
            "INSERT INTO meta VALUES ($k, '1') ON CONFLICT (key) DO UPDATE"
            " SET value = CAST(CAST(meta.value AS BIGINT) + 1 AS VARCHAR)",
            {"k": ALIAS_CHANGES_KEY},
        )
    return found
