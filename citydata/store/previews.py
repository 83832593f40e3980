"""What storing a file would change, worked out before anything is written: the file checked
for storing, each borough's records compared with its current snapshot (`preview`, a
`BoroughChange` each), two snapshots of one borough compared (`compare`), and why a file that
changes nothing is not stored, in words.

Writes nothing; `citydata.store.snapshots` stores a file (and `citydata.store.rollbacks` rolls
back) from what is worked out here, and `citydata.store.summary` tables a preview for people.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np
import pandas as pd

from citydata.core import boroughs
from citydata.core.schema import FIELD_NAMES
from citydata.store import changes, incoming, releases, versions, withdrawals
from citydata.store import history as _history
from citydata.store.changes import Diff
from citydata.store.db import Database, Reader
from citydata.store.history import (
    ACTIVE_SOURCES,
    KINDS,
    PUBLISHED,
    REGISTER,
    active,
    records,
    snapshot,
)
from citydata.store.history import name as _name


class CommitRefused(Exception):
    """An upload or rollback that cannot be done; nothing was written. The message says why."""


class PreparedFile(Protocol):
    """What `citydata.ingest.prepare` returns, as far as storing it is concerned."""

    file_name: str
    format: str
    mapping: dict[str, str | None]
    records: pd.DataFrame
    refused: str | None

    @property
    def rows_refused(self) -> int: ...

    @property
    def format_label(self) -> str: ...


def kind_of(prepared: PreparedFile) -> str:
    """'published' for a file of published notices, else 'register'."""
    kind = getattr(prepared, "source_kind", REGISTER)
    return kind if kind in KINDS else REGISTER


@dataclass(frozen=True)
class BoroughChange:
    """What committing a file would do to one borough, compared with its current snapshot."""

    borough_code: str
    borough: str
    base_snapshot_id: int | None  # the active snapshot of this kind now (None: none yet)
    base_source: str | None  # 'demo' when the borough still shows the illustrative data
    before: int  # records now (of this kind)
    after: int  # records after the commit (of this kind)
    diff: Diff
    kind: str = REGISTER
    older: int = 0  # (published) the file's records left out: older releases of notices held
    # (published) the file's records left out as older releases of a notice it holds a newer
    # release of (citydata.ingest.published.newest_releases)
    older_in_file: int = 0
    # (published, a borough the file changes nothing a person sees of) its notices held that
    # committing gives the date of the file's newer release of them (no snapshot is made)
    dated: int = 0
    # (published) notices the file says were withdrawn, cancelled or unsuccessful: those held
    # that committing stops showing, those not held (left out), and those older than the
    # notice held (it was published again since: it stays)
    withdrawn: int = 0
    withdrawn_not_held: int = 0
    withdrawn_older: int = 0
    # (published) notices held whose newer release in the file no longer names this council
    # among its buyers: committing stops showing them (citydata.store.joint)
    dropped: int = 0


def compare(r: Reader, old_id: int, new_id: int) -> Diff:
    """What changed from snapshot `old_id` to snapshot `new_id` of the same borough."""
    old, new = snapshot(r, old_id), snapshot(r, new_id)
    if old is None or new is None:
        raise CommitRefused(f"There is no snapshot {old_id if old is None else new_id}.")
    if old["borough_code"] != new["borough_code"]:
        raise CommitRefused("Snapshots can only be compared within one borough.")
    if (old["kind"] or REGISTER) != (new["kind"] or REGISTER):
        raise CommitRefused(
            "Snapshots can only be compared within one kind: a register with a register, "
            "published notices with published notices."
        )
    extras = changes.NOTICE_EXTRAS if old["kind"] == PUBLISHED else ()
    return changes.diff(records(r, old_id, extras), records(r, new_id, extras), extras)


def kept_positions(before: pd.DataFrame, new_refs: set[str]) -> np.ndarray:
    """Positions of a published snapshot's notices that a new import does not replace."""
    refs = before["source_ref"].astype(str).str.strip()
    return np.flatnonzero(~(refs.isin(new_refs) & (refs != "")).to_numpy())


def refs_of(df: pd.DataFrame) -> set[str]:
    return {str(v).strip() for v in df["source_ref"] if v is not None and str(v).strip()}


def preview(db: Database, prepared: PreparedFile) -> list[BoroughChange]:
    """Per borough in the file: what would be added, removed and changed. Writes nothing."""
    staged = check(prepared)
    with db.read() as r:
        if kind_of(prepared) == PUBLISHED:
            return compare_notices(r, prepared)
        r.register(incoming.STAGED, staged)
        current = active(r, REGISTER)
        bases = {code: current.get(code) for code in sorted(incoming.borough_codes(staged))}
        compared = comparison(r, db, prepared, bases, staged)
        totals = {code: compared.counts[code][:2] for code in bases}
        return borough_changes(r, bases, totals, compared.differences(r, totals), REGISTER)


def borough_changes(
    r: Reader,
    bases: dict[str, int | None],
    totals: dict[str, tuple[int, int]],
    diffs: dict[str, Diff],
    kind: str,
) -> list[BoroughChange]:
    sources = dict(r.rows(f"SELECT id, source FROM ({ACTIVE_SOURCES})"))
    return [
        BoroughChange(
            borough_code=code,
            borough=_name(code),
            base_snapshot_id=base,
            base_source=sources.get(base),
            before=totals[code][0],
            after=totals[code][1],
            diff=diffs[code],
            kind=kind,
        )
        for code, base in bases.items()
    ]


def compare_notices(
    r: Reader,
    prepared: PreparedFile,
    fresh: np.ndarray | None = None,
    ended: withdrawals.Outcome | None = None,
) -> list[BoroughChange]:
    """Each borough of a file of published notices against its active published snapshot, as
    `r` sees it (a register is compared in SQL: see `citydata.store.incoming`). `fresh`: which
    of the file's records may replace those held (`releases.fresh`), `ended`: what its notices
    withdrawn or cancelled do (`withdrawals.weigh`); each worked out here when not given. A
    notice held that the file withdraws, or whose newer release no longer names the council
    among its buyers, is a record removed, the reason beside it."""
    kind = kind_of(prepared)
    extras = changes.NOTICE_EXTRAS if kind == PUBLISHED else ()
    file_text = changes.comparable(prepared.records, extras)  # the file's canonical text, once
    out: list[BoroughChange] = []
    current = active(r, kind)
    if fresh is None:
        fresh = releases.fresh(r, prepared.records, current) if kind == PUBLISHED else None
    if ended is None:
        ended = withdrawals.weigh(r, prepared, current)
    sources = dict(r.rows(f"SELECT id, source FROM ({ACTIVE_SOURCES})"))
    groups = _borough_positions(prepared.records)
    only_withdrawn = ended.boroughs - {code for code, _ in groups}
    groups = sorted(
        [*groups, *((code, np.array([], dtype=np.int64)) for code in only_withdrawn)],
        key=lambda g: g[0],
    )
    held = [current[code] for code, _ in groups if code in current]
    bases = _history.records_of(r, held, extras)
    for code, positions in groups:
        base = current.get(code)
        before = bases[base] if base is not None else pd.DataFrame(columns=[*FIELD_NAMES, *extras])
        older = 0
        if fresh is not None:  # an older release of a notice held stays out
            older = int((~fresh[positions]).sum())
            positions = positions[fresh[positions]]
        after = file_text.iloc[positions]
        gone = ended.taken_out(code)
        if kind == PUBLISHED:  # notices accumulate: the new ones join those held
            old = changes.comparable(before, extras)
            kept = old.iloc[kept_positions(before, refs_of(after) | set(gone))]
            after = pd.concat([kept, after], ignore_index=True)
        diff = changes.diff_comparable(changes.comparable(before, extras), after, extras)
        out.append(
            BoroughChange(
                borough_code=code,
                borough=_name(code),
                base_snapshot_id=base,
                base_source=sources.get(base),
                before=len(before),
                after=len(after),
                diff=_why_removed(diff, gone) if gone else diff,
                kind=kind,
                older=older,
                older_in_file=int(getattr(prepared, "older_releases", {}).get(code, 0)),
                withdrawn=len(ended.gone.get(code, {})),
                dropped=len(ended.dropped.get(code, {})),
                withdrawn_not_held=len(ended.not_held.get(code, [])),
                withdrawn_older=ended.older.get(code, 0),
            )
        )
    same = {c.borough_code for c in out if c.diff.is_empty}
    if fresh is not None and same:  # their notices' newer release dates (releases.note_dates)
        dated = releases.newer_dates(r, prepared.records[fresh], current, same)
        out = [replace(c, dated=dated.get(c.borough_code, 0)) for c in out]
    return out


WHY_REMOVED = "Why removed"


def _why_removed(diff: Diff, gone: dict[str, str]) -> Diff:
    """`diff` with a reason beside each record removed because its notice was withdrawn."""
    removed = diff.removed.copy()
    refs = removed["source_ref"].astype(str).str.strip()
    removed[WHY_REMOVED] = [
        withdrawals.reason(gone[ref]) if ref in gone else "" for ref in refs.tolist()
    ]
    return replace(diff, removed=removed)


def unchanged_message(items: list[BoroughChange], noted: int = 0) -> str:
    """Why a file whose every borough is unchanged is not stored, in words. `noted`: the
    notices held that took the date of this file's newer release of them (nothing else of
    them changed)."""
    named = ", ".join(
        f"{c.borough} (snapshot {c.base_snapshot_id})" if c.base_snapshot_id else c.borough
        for c in items
    )
    if items and items[0].kind == PUBLISHED:
        newer = any(c.older or c.older_in_file for c in items)
        how = "as it is or as a newer release" if newer else "as it is"
        same = f"every notice in this file is already held, {how}, for {named}"
        ended = sum(c.withdrawn_not_held + c.withdrawn_older for c in items)
        if ended:  # (the file may hold no other notice: "any other", not "every other")
            which = "notice" if ended == 1 else "notices"
            same = (
                f"the {ended:,} withdrawn or cancelled {which} in this file "
                f"{'is' if ended == 1 else 'are'} not held (or held from a newer release), and "
                f"any other notice in it is already held, {how}, for {named}"
            )
    else:
        same = f"this file's records are the same as the current data of {named}"
    said = f"Nothing would change: {same}, so no new snapshot was made."
    dated = sum(c.dated for c in items)
    if noted == 1:
        said += " The notice held was given the date of its newer release in this file."
    elif noted:
        said += (
            f" The {noted:,} notices held were given the dates of their newer releases in "
            "this file."
        )
    elif dated:  # (a preview: what importing it would still write)
        which = "the notice held" if dated == 1 else f"the {dated:,} notices held"
        said += (
            f" Importing it gives {which} the date of the newer release in this file, so that "
            "an older release fetched later is known to be older."
        )
    return said


def _memo(prepared: PreparedFile) -> dict[str, Any]:
    """What the store worked out for a prepared file read by DuckDB, kept with it so that the
    commit after a preview does not work it out again: its staged records and its tally. Kept
    only for a typed table (`Prepared.table`, immutable), and dropped when the table is
    replaced; empty (nothing kept) for records in a DataFrame, which can change in place."""
    table = getattr(prepared, "table", None)
    if table is None:
        return {}
    memo = getattr(prepared, "_store_memo", None)
    if memo is None or memo.get("table") is not table:
        memo = {"table": table}
        try:
            prepared._store_memo = memo  # type: ignore[attr-defined]
        except AttributeError:  # an object that keeps no attributes of ours: no memo
            return {}
    return memo


def comparison(
    r: Reader,
    db: Database,
    prepared: PreparedFile,
    bases: dict[str, int | None],
    staged: Any,
) -> incoming.Comparison:
    """`incoming.Comparison` of the staged records with `bases`, once per file and state of
    the data: a snapshot's records never change, and `data_version` moves on with every
    snapshot added or restored, so the same key means the same answer (a commit after its
    preview)."""
    memo = _memo(prepared)
    key = (str(db.path), versions.data_version(r), tuple(sorted(bases.items())))
    if memo.get("compared", (None, None))[0] == key:
        return memo["compared"][1]
    compared = incoming.Comparison(r, bases, staged)
    if memo:
        memo["compared"] = (key, compared)
    return compared


def check(prepared: PreparedFile) -> Any:
    """CommitRefused unless the prepared file can be stored; a register's records staged for
    the store (`incoming.staged`), None for published notices."""
    if prepared.refused:
        raise CommitRefused(prepared.refused)
    table = getattr(prepared, "table", None)
    if table is None and prepared.records is None:
        raise CommitRefused("No row of this file can be imported, so nothing was stored.")
    columns = table.column_names if table is not None else prepared.records.columns
    empty = (table.num_rows if table is not None else len(prepared.records)) == 0
    if empty and kind_of(prepared) == PUBLISHED and getattr(prepared, "withdrawn", None):
        return None  # (only notices withdrawn or cancelled: those held are taken out)
    if empty:
        raise CommitRefused("No row of this file can be imported, so nothing was stored.")
    missing = [n for n in FIELD_NAMES if n not in columns]
    if missing:
        raise CommitRefused(f"The prepared records lack the fields {', '.join(missing)}.")
    if kind_of(prepared) == PUBLISHED:
        staged, codes = None, set(prepared.records["borough_code"])
    else:
        memo = _memo(prepared)
        staged = memo.get("staged")
        if staged is None:
            staged = incoming.staged(prepared)
            if memo:
                memo["staged"] = staged
        codes = incoming.borough_codes(staged) | (
            {None} if staged["borough_code"].null_count else set()
        )
    unknown = codes - set(boroughs.BY_CODE)
    if unknown:
        raise CommitRefused(f"Unknown borough codes: {', '.join(sorted(map(str, unknown)))}.")
    return staged


def _borough_positions(df: pd.DataFrame) -> list[tuple[str, np.ndarray]]:
    """Each borough's code and its records' positions in `df`, in the order of their codes."""
    groups = df.groupby("borough_code", sort=True).indices
    return [(str(code), groups[code]) for code in sorted(groups)]
