"""Where a borough's records came from: the snapshots its profile's records are drawn from, and
a sentence for each (who uploaded which file when, or the published notices held).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from citydata.core import boroughs
from citydata.core.formatting import count
from citydata.query import selection
from citydata.query.filters import FilterState
from citydata.store.db import Reader
from citydata.store.history import KINDS, PUBLISHED, REGISTER


def source(r: Reader, state: FilterState, borough: str) -> list[dict[str, Any]]:
    """The active snapshots the profile's records come from, the register's first, then the
    published notices': id, kind, when, file, who, counts, demo or not.

    Those the selection draws a record from: with only published notices chosen (the Source
    filter), the published notices' snapshot, not the register's. When the filters leave no
    record, every active snapshot of the kinds the Source filter allows. Empty when there is
    none.
    """
    b = boroughs.lookup(borough)
    sql, params = selection.base(state.for_borough(b.name))  # (the profile's filters)
    params.add(source_code=b.code, source_kinds=list(state.source_kind or KINDS))
    rows = r.df(
        f"""
        WITH shown AS (SELECT DISTINCT snapshot_id FROM ({sql}) AS b)
        SELECT id, kind, created_at, file_name, source, created_by, note, rows_imported,
               rows_rejected, restored_from
        FROM snapshots
        WHERE borough_code = $source_code AND status = 'active'
          AND list_contains($source_kinds, kind)
          AND (id IN (SELECT snapshot_id FROM shown) OR NOT EXISTS (SELECT 1 FROM shown))
        ORDER BY kind = 'published', created_at DESC, id DESC
        """,
        params,
    )
    out = []
    for row in rows.to_dict("records"):
        row["is_demo"] = row["source"] == "demo"
        if row["kind"] == PUBLISHED:
            row["notices"], row["rows_imported"] = notices_held(r, int(row["id"]))
        out.append({k: (None if _missing(v) else v) for k, v in row.items()})
    return out


def notices_held(r: Reader, snapshot_id: int) -> tuple[int, int]:
    """(notices, records) of a snapshot of published notices: a notice (its reference) gives
    a record for each supplier of each of its awards, so it is counted once by its reference
    (a record without one counts on its own)."""
    found = r.one(
        "SELECT count(DISTINCT source_ref) + count(*) FILTER (WHERE source_ref IS NULL)"
        " AS notices, count(*) AS records FROM contracts WHERE snapshot_id = $id",
        {"id": snapshot_id},
    )
    return int(found["notices"]), int(found["records"])


def source_sentence(sources: list[dict[str, Any]], kinds: tuple[str, ...] = ()) -> str:
    """Where the records came from (`source`), in a sentence for each snapshot. `kinds`: the
    Source filter's choice, for the sentence when there is no snapshot."""
    if not sources:
        held = {REGISTER: "register", PUBLISHED: "published notices"}
        what = " or ".join(held[k] for k in KINDS if k in (kinds or KINDS))
        return f"No snapshot of this {boroughs.noun()}'s {what} has been stored yet."
    return " ".join(_one_source(s) for s in sources)


def _one_source(src: dict[str, Any]) -> str:
    when = f"{src['created_at']:%d %b %Y at %H:%M}" if src.get("created_at") else "an unknown date"
    if src["is_demo"]:
        return (
            f"Illustrative default data (generated examples, not real contracts), loaded on "
            f"{when} as snapshot {src['id']}."
        )
    who = f" by {src['created_by']}" if src.get("created_by") else ""
    name = f" from the file “{src['file_name']}”" if src.get("file_name") else ""
    restored = (
        f" (restored from snapshot {src['restored_from']})" if src.get("restored_from") else ""
    )
    if src.get("kind") == PUBLISHED:  # the notices accumulate: the latest file and all held
        records = src["rows_imported"]
        held = count(src.get("notices", records), "notice")
        if src.get("notices", records) != records:  # (a record per supplier of each award)
            held += f" ({count(records, 'record')}: one for each supplier of each award)"
        return (
            f"Published notices: snapshot {src['id']}{restored}, "
            f"{held}, the latest added{name}{who} on {when}."
        )
    # (the rows refused are the whole file's: of a file of several boroughs, not all this one's)
    refused = src.get("rows_rejected")
    rejected = f"; {count(refused, 'row')} of the whole file refused" if refused else ""
    return (
        f"Snapshot {src['id']}{restored}, uploaded{name}{who} on {when}: "
        f"{count(src['rows_imported'], 'row')} imported{rejected}."
    )


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
