"""The free-text search: its words, and the records that hold each of them.

Each word of the search must appear somewhere in a record (`COLUMNS`); a register record
matched to a published notice is found by a word only its notice holds, too.
"""

from __future__ import annotations

import re
from typing import Any

from citydata.core import boroughs
from citydata.core.schema import HOSTING_VALUES, SERVICE_AREA_LABELS
from citydata.store import vendors

COLUMNS: tuple[str, ...] = (
    "borough",
    "service_area",
    "system",
    "vendor",
    "vendor_as_written",
    "manufacturer",
    "hosting",
    "source_ref",
)


# Columns that only ever hold a value of a fixed list (ingest normalises them): the search word
# is matched against the list here and the SQL tests membership, not text on every record.
def _listed() -> dict[str, tuple[str, ...]]:
    return {
        "borough": boroughs.NAMES,  # the current region's authorities
        "service_area": tuple(SERVICE_AREA_LABELS),
        "hosting": tuple(HOSTING_VALUES),
    }


# The canonical vendor is made by the view's alias join for every record; a record matches on it
# when its spelling is matched as written (vendor_as_written) or is an alias of a matching vendor.
def _aliased(name: str, written: str) -> str:
    return (
        f"{written} IN (SELECT w.vendor FROM (SELECT DISTINCT vendor FROM contracts) AS w "
        f"{vendors.canonical_sql('w.vendor', 'a')} WHERE a.vendor ILIKE ${name} ESCAPE '\\')"
    )


# A register record matched to a published notice is one contract with it (the notice is left
# out as its evidence, see selection.ONCE): the record is found by a word only its notice holds
# (the notice's title, its supplier as the notice spells it), else a search found the contract
# nowhere. `{partner}` tests the notice's own cells (`_search` on the stored record `n`), of a
# notice still current (as the view's own pairs: a rolled-back notice's words find nothing).
_MATCHED_NOTICE = (
    "(matched AND source_kind = 'register' AND (snapshot_id, record_no, vendor_as_written) IN ("
    "SELECT m.register_snapshot_id, m.register_record_no, m.register_vendor"
    " FROM notice_matches AS m"
    " JOIN snapshots AS ns ON ns.id = m.notice_snapshot_id AND ns.status = 'active'"
    " JOIN contracts AS n ON n.snapshot_id = m.notice_snapshot_id"
    " AND n.record_no = m.notice_record_no AND coalesce(n.source_ref, '') = m.notice_ref"
    " AND n.vendor IS NOT DISTINCT FROM m.notice_vendor"
    " WHERE {partner}))"
)


def _search(term: str, name: str, on: str = "") -> tuple[str, dict[str, Any]]:
    """Records holding `term` in any of COLUMNS: one ILIKE per text column (faster than
    one joined string per record; a search word holds no spaces), membership for the others.
    With `on` ("n."), the same tests of a stored record of `contracts` so named (whose vendor
    is as written)."""
    tests, params = [], {name: "%" + _LIKE_SPECIAL.sub(r"\\\g<0>", term) + "%"}
    for column in COLUMNS:
        listed = _listed()
        if column in listed:
            if found := [v for v in listed[column] if term in v.lower()]:
                tests.append(f"{on}{column} IN ${name}_{column}")
                params[f"{name}_{column}"] = found
        elif column == "vendor":
            written = f"{on}vendor" if on else "vendor_as_written"
            tests.append(_aliased(name, written))
        else:
            stored = f"{on}vendor" if on and column == "vendor_as_written" else f"{on}{column}"
            tests.append(f"{stored} ILIKE ${name} ESCAPE '\\'")
    return "(" + " OR ".join(tests) + ")", params


_LIKE_SPECIAL = re.compile(r"[\\%_]")  # matched literally in a search word


def clause(term: str, name: str) -> tuple[str, dict[str, Any]]:
    """The condition a record meets when it, or the published notice it is matched to, holds
    `term`, and its parameters (named from `name`)."""
    sql, params = _search(term, name)
    partner, _ = _search(term, name, on="n.")
    return f"({sql} OR {_MATCHED_NOTICE.format(partner=partner)})", params


def terms(q: str) -> list[str]:
    """Words of the free-text search, lower-cased; each must appear somewhere in a record."""
    return [t for t in re.split(r"\s+", q.strip().lower()) if t][:10]
