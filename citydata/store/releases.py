"""Which release of a published notice is the newest: a file's against the notices held.

A notice is known by its borough and its reference (`source_ref`, the OCID or Contracts
Finder's notice identifier); each of its records keeps when the release it was read from was
published (`release_date`). A file's record older than the notice held is left out (`fresh`).
A file's newer release that changes nothing a person sees (only its release date) makes no
snapshot, but the notice held takes its date (`note_dates`): else a release published between
the two, arriving later, would be taken for newer than the one held and bring back older values.
(Several releases of one notice in one file: the newest is chosen when the file is read, see
`citydata.ingest.published.newest_releases`.)
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np
import pandas as pd

from citydata.core import dates
from citydata.store import withdrawals
from citydata.store.db import Reader

_NOTED = "noted_release_dates"


def _held(r: Reader, ids: list[int]) -> dict[tuple[str, str], pd.Timestamp]:
    """(borough code, reference) -> the release date of each dated notice of snapshots `ids`."""
    return {key: when for key, when in withdrawals.held(r, ids).items() if _dated(when)}


def _dated(when: object) -> bool:
    return when is not None and not pd.isna(when)


def fresh(r: Reader, records: pd.DataFrame, current: Mapping[str, int]) -> np.ndarray:
    """For each of a notices file's records, whether it may replace what its borough holds:
    False when it was read from a release older than the one the borough's notice of the same
    reference was read from. A record or a notice held without a release date, or without a
    reference, is never older (it replaces, as it always did). A notice withdrawn or cancelled
    (citydata.store.withdrawals) counts as held with the date of the release that said so."""
    out = np.ones(len(records), dtype=bool)
    if "release_date" not in records.columns or records.empty:
        return out
    codes = set(records["borough_code"])
    held = _held(r, [current[c] for c in codes if c in current])
    # a notice withdrawn: a release older than the one that said so never brings it back
    for key, when in withdrawals.dates_of(r, sorted(c for c in codes if c)).items():
        if key not in held or not dates.replaces(held[key], when):
            held[key] = when
    if not held:
        return out
    columns = (records["borough_code"], records["source_ref"], records["release_date"])
    for i, (code, ref, when) in enumerate(zip(*columns, strict=True)):
        then = held.get((code, ref.strip())) if isinstance(ref, str) else None
        if then is not None:
            out[i] = dates.replaces(when, then)
    return out


def _newest(
    records: pd.DataFrame, current: Mapping[str, int], boroughs: Collection[str]
) -> pd.DataFrame | None:
    """Each dated notice of `boroughs` in `records`: its borough's snapshot, its reference and
    its newest release date (None when there is none)."""
    if "release_date" not in records.columns or records.empty:
        return None
    rows = [
        (code, ref.strip(), pd.Timestamp(when).to_pydatetime())
        for code, ref, when in zip(
            records["borough_code"], records["source_ref"], records["release_date"], strict=True
        )
        if code in boroughs and code in current and isinstance(ref, str) and ref.strip()
        if _dated(when)
    ]
    if not rows:
        return None
    newest = pd.DataFrame(rows, columns=["borough_code", "ref", "release_date"])
    newest = newest.groupby(["borough_code", "ref"], as_index=False)["release_date"].max()
    newest["snapshot_id"] = newest["borough_code"].map(current).astype("int64")
    return newest


_LATER = (
    f" JOIN {_NOTED} AS n ON c.snapshot_id = n.snapshot_id AND trim(c.source_ref) = n.ref"
    " WHERE c.release_date IS NULL OR c.release_date < n.release_date"
)


def newer_dates(
    r: Reader, records: pd.DataFrame, current: Mapping[str, int], boroughs: Collection[str]
) -> dict[str, int]:
    """Per borough of `boroughs`, how many of its notices held `note_dates` would date anew.
    Writes nothing."""
    newest = _newest(records, current, boroughs)
    if newest is None:
        return {}
    r.register(_NOTED, newest)
    try:
        return dict(
            r.rows(
                "SELECT n.borough_code, count(DISTINCT n.ref) FROM contracts AS c"
                f"{_LATER} GROUP BY n.borough_code"
            )
        )
    finally:
        r.unregister(_NOTED)


def note_dates(
    w: Reader, records: pd.DataFrame, current: Mapping[str, int], boroughs: Collection[str]
) -> int:
    """Give the notices held by `boroughs` (those a file changes nothing a person sees of) the
    release date of the file's newer release of them; the number of notices so dated. Only a
    later date is taken (or a first one, for a notice held without): `records` are the file's
    records not older than those held (`fresh`)."""
    found = sum(newer_dates(w, records, current, boroughs).values())
    newest = _newest(records, current, boroughs)
    if not found or newest is None:
        return 0
    w.register(_NOTED, newest)
    try:
        w.rows(  # (its answer, the rows updated, read to finish the statement)
            f"UPDATE contracts SET release_date = n.release_date FROM {_NOTED} AS n"
            " WHERE contracts.snapshot_id = n.snapshot_id"
            " AND trim(contracts.source_ref) = n.ref"
            " AND (contracts.release_date IS NULL OR contracts.release_date < n.release_date)"
        )
    finally:
        w.unregister(_NOTED)
    return found
