"""Notices whose newer release no longer names a council among their buyers.

A notice several councils bought together is a record of each of the region's councils it
names (citydata.ingest.joint), each record naming the others (`bought_with`). A newer release
of it may name other buyers: a council added gets the notice as a new record, and the records
of the others change (who else bought it, and the equal share of its annual value: compared as
citydata.store.changes.NOTICE_EXTRAS). A council the newer release no longer names does not
share the contract any more: as for a notice withdrawn for that council, its record leaves the
council's next snapshot of notices and stays in the history (`dropped`, weighed with the
withdrawals by citydata.store.withdrawals and kept with them as `DROPPED`), so an older release
naming it, fetched again, never brings it back, nor does a rollback.

The same holds for a notice one council bought whose newer release names another as its buyer
(the buyer corrected), and for a joint notice stored before its records named the others (schema
18): the council no longer named loses its record.

Who a release names: each of its records' council and the councils that record says it was
bought with (the region's by their canonical names). A council's record is taken out this way
only by a release of the same reference that is not older than it and is in the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from citydata.core import boroughs, buyers, dates
from citydata.store.db import Reader

# A notice's status kept in notice_withdrawals when a council is no longer among its buyers
DROPPED = "no longer a buyer"
REASON = "the notice's newer release no longer names this council among its buyers"


def named(records: pd.DataFrame) -> dict[str, tuple[set[str], Any]]:
    """Each notice of a file's records (its reference): the codes of the region's councils its
    newest release in the file names as buyers, and that release's date (None: undated).
    Worked out over whole columns: a year of notices is tens of thousands of references."""
    if records.empty or "bought_with" not in records.columns:
        return {}
    frame = pd.DataFrame(
        {
            "code": records["borough_code"].to_numpy(),
            "ref": records["source_ref"].map(lambda x: x.strip() if isinstance(x, str) else ""),
            "others": records["bought_with"].to_numpy(),
            "day": pd.to_datetime(records["release_date"]).to_numpy()
            if "release_date" in records.columns
            else pd.NaT,
        }
    )
    frame = frame[frame["ref"] != ""]
    newest = frame.groupby("ref", sort=False)["day"].max()
    latest = frame["ref"].map(newest)
    # that release's records (and an undated one, never older)
    frame = frame[latest.isna() | frame["day"].isna() | (frame["day"] == latest)]
    others = frame[frame["others"].map(lambda x: isinstance(x, str))]
    pairs = [*zip(frame["ref"], frame["code"], strict=True)]
    codes_of = {text: _codes(text) for text in set(others["others"])}  # (few distinct)
    pairs += [(ref, c) for ref, text in zip(others["ref"], others["others"], strict=True)
              for c in codes_of[text]]  # fmt: skip
    out: dict[str, set[str]] = {}
    for ref, code in pairs:
        out.setdefault(ref, set()).add(code)
    when = {ref: None if pd.isna(day) else day for ref, day in newest.items()}
    return {ref: (codes, when[ref]) for ref, codes in out.items()}


def _codes(others: Any) -> list[str]:
    if not isinstance(others, str):
        return []
    found = (boroughs.resolve(name) for name in others.split(buyers.SEPARATOR))
    return [a.code for a in found if a is not None]


def dropped(
    r: Reader, records: pd.DataFrame, current: Mapping[str, int]
) -> dict[str, dict[str, Any]]:
    """Per council (code): its notices held (`current`: each council's active published
    snapshot) that a release in `records`, not older than the one held, no longer names it a
    buyer of: reference -> that release's date. Writes nothing. (Only the file's records of
    references held by some council are weighed.)"""
    if records.empty or not current or "source_ref" not in records.columns:
        return {}
    held = r.rows(
        "SELECT s.borough_code, trim(c.source_ref), max(c.release_date) FROM contracts AS c"
        " JOIN snapshots AS s ON s.id = c.snapshot_id"
        " WHERE c.snapshot_id IN (SELECT unnest($ids))"
        " AND trim(coalesce(c.source_ref, '')) <> '' GROUP BY ALL ORDER BY ALL",
        {"ids": [int(i) for i in current.values()]},
    )
    if not held:
        return {}
    refs = records["source_ref"].map(lambda x: x.strip() if isinstance(x, str) else None)
    releases = named(records[refs.isin({ref for _, ref, _ in held}).to_numpy()])
    out: dict[str, dict[str, Any]] = {}
    for code, ref, then in held:
        if ref not in releases:
            continue
        codes, when = releases[ref]
        if code not in codes and dates.replaces(when, None if pd.isna(then) else then):
            out.setdefault(code, {})[ref] = when
    return out
