"""Snapshots of a borough's data: preview an upload, commit it, compare, roll back, history.

Every change to the data is a new snapshot; nothing is updated in place. A borough has two
streams of snapshots, told apart by `kind`:

- 'register': the borough's own register (a steward's upload, or the embedded data). Committing
  a register makes one new active register snapshot per borough in the file and supersedes (keeps)
  each borough's previous register, all in one transaction: readers see the old data or the new,
  never a mix.
- 'published': notices from Contracts Finder, Find a Tender or another OCDS publisher. A notice
  import never touches a register, and a register never removes notices. Each notice import makes
  a new active published snapshot holding the previous one's notices plus the new ones (a notice
  already held, by its reference, is replaced by the file's version): fetching only what is new
  never loses what came before. A file's version older than the one held (both with the date of
  the release they were read from, `release_date`) is left out: fetching days already fetched,
  or importing a file downloaded earlier, never brings back a notice's earlier values. Notices
  are compared on their total value and link too (`changes.NOTICE_EXTRAS`); a newer version
  that differs only in its release date makes no snapshot, and the notice held takes that date
  (the one value changed in place: see `citydata.store.releases`).

A rollback is itself a new snapshot, a copy of an earlier one's records, so the history only
ever grows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

import numpy as np
import pandas as pd

from citydata.core import boroughs
from citydata.core.schema import FIELD_NAMES
from citydata.store import changes, incoming, matches, migrations, rawfiles, releases
from citydata.store import history as _history
from citydata.store.changes import Diff
from citydata.store.db import Database, Reader
from citydata.store.history import (
    KINDS,
    PUBLISHED,
    REGISTER,
    active,
    records,
    snapshot,
)
from citydata.store.history import history as history  # (named here for other modules)
from citydata.store.history import name as _name
from citydata.store.incoming import STORED
from citydata.store.summary import changes_table as changes_table  # (for other modules)
from citydata.store.summary import left_out as left_out
from citydata.store.summary import problems_table as problems_table

EXTRA_NAMES, EXTRA_TYPES = incoming.EXTRA_NAMES, incoming.EXTRA_TYPES  # for other modules
_STORED_SQL = ", ".join(STORED)
_EXTRA_AS_TEXT = ", ".join(f"CAST({n} AS VARCHAR) AS {n}" for n in EXTRA_NAMES)
_FROM_TEXT = incoming.CAST
_STAGED = "staged_notices"


class CommitRefused(Exception):
    """An upload or rollback that cannot be done; nothing was written. The message says why."""


class NothingChanged(CommitRefused):
    """A file whose records are already each borough's current data: storing it would only add
    a duplicate snapshot, so no snapshot was made. `noted`: the notices held that took the
    release date of the file's newer (otherwise identical) release of them, the one thing
    written then (`releases.note_dates`); 0 means nothing at all was written."""

    def __init__(self, message: str, noted: int = 0) -> None:
        super().__init__(message)
        self.noted = noted


class PreparedFile(Protocol):
    """What `citydata.ingest.prepare` returns, as far as storing it is concerned."""

    file_name: str
    format: str
    mapping: dict[str, str | None]
    records: pd.DataFrame
    refused: str | None

    @property
    def rows_refused(self) -> int: ...


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


def _kept(before: pd.DataFrame, new_refs: set[str]) -> np.ndarray:
    """Positions of a published snapshot's notices that a new import does not replace."""
    refs = before["source_ref"].astype(str).str.strip()
    return np.flatnonzero(~(refs.isin(new_refs) & (refs != "")).to_numpy())


def _refs(df: pd.DataFrame) -> set[str]:
    return {str(v).strip() for v in df["source_ref"] if v is not None and str(v).strip()}


def preview(db: Database, prepared: PreparedFile) -> list[BoroughChange]:
    """Per borough in the file: what would be added, removed and changed. Writes nothing."""
    staged = _check(prepared)
    with db.read() as r:
        if kind_of(prepared) == PUBLISHED:
            return _compare(r, prepared)
        r.register(incoming.STAGED, staged)
        current = active(r, REGISTER)
        bases = {code: current.get(code) for code in sorted(incoming.borough_codes(staged))}
        compared = _compared(r, db, prepared, bases, staged)
        totals = {code: compared.counts[code][:2] for code in bases}
        return _changes(r, bases, totals, compared.differences(r, totals), REGISTER)


def _changes(
    r: Reader,
    bases: dict[str, int | None],
    totals: dict[str, tuple[int, int]],
    diffs: dict[str, Diff],
    kind: str,
) -> list[BoroughChange]:
    sources = dict(r.rows("SELECT id, source FROM snapshots WHERE status = 'active'"))
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


def _compare(
    r: Reader, prepared: PreparedFile, fresh: np.ndarray | None = None
) -> list[BoroughChange]:
    """Each borough of a file of published notices against its active published snapshot, as
    `r` sees it (a register is compared in SQL: see `citydata.store.incoming`). `fresh`: which
    of the file's records may replace those held (`releases.fresh`; worked out here when not
    given)."""
    kind = kind_of(prepared)
    extras = changes.NOTICE_EXTRAS if kind == PUBLISHED else ()
    file_text = changes.comparable(prepared.records, extras)  # the file's canonical text, once
    out: list[BoroughChange] = []
    current = active(r, kind)
    if fresh is None:
        fresh = releases.fresh(r, prepared.records, current) if kind == PUBLISHED else None
    sources = dict(r.rows("SELECT id, source FROM snapshots WHERE status = 'active'"))
    groups = _borough_positions(prepared.records)
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
        if kind == PUBLISHED:  # notices accumulate: the new ones join those held
            old = changes.comparable(before, extras)
            kept = old.iloc[_kept(before, _refs(after))]
            after = pd.concat([kept, after], ignore_index=True)
        out.append(
            BoroughChange(
                borough_code=code,
                borough=_name(code),
                base_snapshot_id=base,
                base_source=sources.get(base),
                before=len(before),
                after=len(after),
                diff=changes.diff_comparable(changes.comparable(before, extras), after, extras),
                kind=kind,
                older=older,
                older_in_file=int(getattr(prepared, "older_releases", {}).get(code, 0)),
            )
        )
    same = {c.borough_code for c in out if c.diff.is_empty}
    if fresh is not None and same:  # their notices' newer release dates (releases.note_dates)
        dated = releases.newer_dates(r, prepared.records[fresh], current, same)
        out = [replace(c, dated=dated.get(c.borough_code, 0)) for c in out]
    return out


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


def commit(
    db: Database,
    prepared: PreparedFile,
    content: bytes,
    user: str,
    *,
    expect: Mapping[str, int | None] | None = None,
    source: str = "upload",
) -> list[int]:
    """Store the file's records as one new active snapshot per borough whose records change;
    return their ids, in the order of the boroughs' codes.

    A register supersedes each borough's register; published notices join each borough's
    published stream (see the module's note). All boroughs or none: one transaction. `expect`
    (borough code -> the active snapshot id of this kind the user previewed against) refuses
    the commit when someone else changed a borough meanwhile. A borough whose records would stay
    the same gets no new snapshot (it would be a duplicate); when that is every borough of the
    file, `NothingChanged` says so and nothing is written.
    """
    staged = _check(prepared)
    kind = kind_of(prepared)
    mapping = json.dumps(prepared.mapping)
    now = datetime.now().replace(microsecond=0)
    # The file's hash and compressed bytes are worked out in a thread meanwhile.
    with rawfiles.Packing(content) as packing, db.write() as w:
        current = active(w, kind)
        for code, seen in (expect or {}).items():
            if current.get(code) != seen:
                raise CommitRefused(
                    f"{_name(code)}'s data changed since this preview (someone else committed "
                    "or rolled back). Check the preview again before committing."
                )
        if kind == PUBLISHED:
            stored = _commit_notices(w, prepared, packing, user, current, now, mapping, source)
        else:
            stored = _commit_register(w, db, prepared, staged, packing, current, now, user,
                                      mapping, source)  # fmt: skip
    if isinstance(stored, NothingChanged):  # (raised once what it noted is written)
        raise stored
    return stored


def _commit_register(
    w: Reader,
    db: Database,
    prepared: PreparedFile,
    staged: Any,
    packing: rawfiles.Packing,
    current: dict[str, int],
    now: datetime,
    user: str,
    mapping: str,
    source: str,
) -> list[int]:
    """`commit` of a register: each borough's register superseded by the file's records."""
    kind = REGISTER
    w.register(incoming.STAGED, staged)
    bases = {code: current.get(code) for code in sorted(incoming.borough_codes(staged))}
    counts = _compared(w, db, prepared, bases, staged).counts
    same = [code for code, (nb, na, twins) in counts.items() if nb == na == twins]
    if len(same) == len(bases):
        totals = {code: counts[code][:2] for code in bases}
        diffs = {code: changes.unchanged(counts[code][2]) for code in bases}
        raise NothingChanged(unchanged_message(_changes(w, bases, totals, diffs, kind)))
    file_hash = packing.file_hash
    ids = _new_snapshots(
        w,
        {code: counts[code][1] for code in bases if code not in same},
        now=now,
        file_name=prepared.file_name,
        file_hash=file_hash,
        rows_rejected=prepared.rows_refused,
        source=source,
        user=user,
        mapping=mapping,
        note=f"Recognised as a {prepared.format} file",
        kind=kind,
    )
    incoming.store(w, ids, source, staged)
    packing.save(w, prepared.file_name)  # (compressed while the records were stored)
    matches.refresh(w, list(ids))
    return list(ids.values())


def _commit_notices(
    w: Reader,
    prepared: PreparedFile,
    packing: rawfiles.Packing,
    user: str,
    current: dict[str, int],
    now: datetime,
    mapping: str,
    source: str,
) -> list[int] | NothingChanged:
    """`commit` of published notices: each borough's new notices join those it holds. A
    borough whose notices the file changes nothing a person sees of gets no snapshot; its
    notices take the release date of the file's newer releases of them (`releases.note_dates`).
    When that is every borough, the NothingChanged to raise once the dates are written."""
    kind = PUBLISHED
    staged = _staging_frame(prepared.records)
    rejected = prepared.rows_refused
    ids: list[int] = []
    fresh = releases.fresh(w, prepared.records, current)
    # The whole file's rows left out (not refused): those its reading left out, and those older
    # than the notices held (every record of such a row is: a row is one release).
    left_out = int(getattr(prepared, "rows_left_out", 0))
    left_out += int(pd.Series(incoming.row_numbers(prepared.records))[~fresh].nunique())
    compared = _compare(w, prepared, fresh)
    same = {c.borough_code for c in compared if c.diff.is_empty}
    noted = releases.note_dates(w, prepared.records[fresh], current, same) if same else 0
    if len(same) == len(compared):
        return NothingChanged(unchanged_message(compared, noted), noted)
    file_hash = packing.save(w, prepared.file_name)
    staged = staged[fresh].reset_index(drop=True)  # (older releases of notices held: left out)
    groups = [(code, rows) for code, rows in _by_borough(prepared.records) if code not in same]
    if same:
        staged = staged[~staged["borough_code"].isin(same)].reset_index(drop=True)
    staged = _with_held_notices(w, staged, current, source)
    counts = staged["borough_code"].value_counts()  # once, not a scan per borough
    for code, _rows in groups:
        rows = int(counts.get(code, 0))
        ids.append(
            _new_snapshot(
                w,
                code,
                now=now,
                file_name=prepared.file_name,
                file_hash=file_hash,
                rows_imported=rows,
                rows_rejected=rejected,
                rows_left_out=left_out,
                source=source,
                user=user,
                mapping=mapping,
                note=f"Recognised as a {prepared.format} file",
                kind=kind,
            )
        )
    codes = [code for code, _ in groups]
    staged["snapshot_id"] = staged["borough_code"].map(dict(zip(codes, ids, strict=True)))
    staged["source"] = staged.pop("_source") if "_source" in staged else source
    w.register(_STAGED, staged)
    w.execute(
        f"INSERT INTO contracts (snapshot_id, record_no, {_STORED_SQL}, source)"
        f" SELECT snapshot_id, record_no, {_FROM_TEXT}, source FROM {_STAGED}"
    )
    matches.refresh(w, codes)
    return ids


def _with_held_notices(
    w: Reader, staged: pd.DataFrame, current: dict[str, int], source: str
) -> pd.DataFrame:
    """The new notices plus each borough's published notices they do not replace.

    Each keeps its `record_no`: the row of the file it came from.
    """
    parts = []
    for code, group in staged.groupby("borough_code", sort=True):
        held = None
        if code in current:
            held = w.df(
                f"SELECT record_no, {_history.AS_TEXT}, {_EXTRA_AS_TEXT}, source AS _source"
                " FROM contracts WHERE snapshot_id = $id ORDER BY record_no",
                {"id": current[code]},
            )
            held = held.iloc[_kept(held, _refs(group))]
            for name in FIELD_NAMES:
                held[name] = held[name].astype(object).where(held[name] != "", None)
        parts += [df for df in (held, group) if df is not None]
    out = pd.concat(parts, ignore_index=True)
    held_source = out["_source"] if "_source" in out else pd.Series(None, index=out.index)
    out["_source"] = held_source.astype(object).where(held_source.notna(), source)
    return out


def rollback(db: Database, snapshot_id: int, user: str) -> int:
    """Make an earlier snapshot's records current again, as a new snapshot; return its id."""
    now = datetime.now().replace(microsecond=0)
    with db.write() as w:
        target = snapshot(w, snapshot_id)
        if target is None:
            raise CommitRefused(f"There is no snapshot {snapshot_id}.")
        code = target["borough_code"]
        if target["status"] == "active":
            raise CommitRefused(
                f"Snapshot {snapshot_id} is already {_name(code)}'s current data; "
                "choose an earlier one."
            )
        current = active(w, target["kind"] or REGISTER).get(code)
        if current is not None and compare(w, current, snapshot_id).is_empty:
            raise CommitRefused(
                f"Nothing would change: {_name(code)}'s current data (snapshot {current}) "
                f"already holds the records of snapshot {snapshot_id}."
            )
        made = pd.Timestamp(target["created_at"]).strftime("%d/%m/%Y %H:%M")
        new_id = _new_snapshot(
            w,
            code,
            now=now,
            file_name=target["file_name"],
            file_hash=target["file_hash"],
            rows_imported=int(target["rows_imported"]),
            rows_rejected=int(target["rows_rejected"]),
            rows_left_out=target["rows_left_out"],
            source="rollback",
            user=user,
            mapping=target["mapping"],
            note=f"Rolled back to snapshot {snapshot_id} of {made}",
            restored_from=int(snapshot_id),
            kind=target["kind"] or REGISTER,
        )
        w.execute(
            f"INSERT INTO contracts (snapshot_id, record_no, {_STORED_SQL}, source)"
            f" SELECT $new, record_no, {_STORED_SQL}, source"
            " FROM contracts WHERE snapshot_id = $old",
            {"new": new_id, "old": int(snapshot_id)},
        )
        matches.refresh(w, [code])
    return new_id


def _new_snapshot(w: Reader, code: str, **v: Any) -> int:
    """Supersede the borough's active snapshot of this kind and add a new active one."""
    snapshot_id = int(w.scalar("SELECT nextval('snapshot_ids')"))
    v = {"restored_from": None, "kind": REGISTER, "rows_left_out": None} | v
    w.execute(
        "UPDATE snapshots SET status = 'superseded' WHERE borough_code = $code"
        " AND status = 'active' AND kind = $kind",
        {"code": code, "kind": v["kind"]},
    )
    w.execute(
        "INSERT INTO snapshots (id, borough_code, created_at, file_name, file_hash,"
        " rows_imported, rows_rejected, status, source, created_by, mapping, note, restored_from,"
        " kind, rows_left_out)"
        " VALUES ($id, $code, $now, $file_name, $file_hash, $rows_imported, $rows_rejected,"
        " 'active', $source, $user, $mapping, $note, $restored_from, $kind, $rows_left_out)",
        v | {"id": snapshot_id, "code": code},
    )
    return snapshot_id


def _new_snapshots(w: Reader, rows: dict[str, int], **v: Any) -> dict[str, int]:
    """`_new_snapshot` for several boroughs at once (`rows`: code -> records imported), in
    three statements; their ids rise in the order of `rows`."""
    codes = list(rows)
    found = w.rows("SELECT nextval('snapshot_ids') FROM range($n)", {"n": len(codes)})
    ids = sorted(int(i) for (i,) in found)
    v = {"restored_from": None} | v
    w.execute(
        "UPDATE snapshots SET status = 'superseded' WHERE borough_code = ANY($codes)"
        " AND status = 'active' AND kind = $kind",
        {"codes": codes, "kind": v["kind"]},
    )
    w.execute(
        "INSERT INTO snapshots (id, borough_code, created_at, file_name, file_hash,"
        " rows_imported, rows_rejected, status, source, created_by, mapping, note, restored_from,"
        " kind)"
        " SELECT unnest($ids), unnest($codes), $now, $file_name, $file_hash, unnest($rows),"
        " $rows_rejected, 'active', $source, $user, $mapping, $note, $restored_from, $kind",
        v | {"ids": ids, "codes": codes, "rows": [int(rows[c]) for c in codes]},
    )
    return dict(zip(codes, ids, strict=True))


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


def _compared(
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
    key = (str(db.path), migrations.data_version(r), tuple(sorted(bases.items())))
    if memo.get("compared", (None, None))[0] == key:
        return memo["compared"][1]
    compared = incoming.Comparison(r, bases, staged)
    if memo:
        memo["compared"] = (key, compared)
    return compared


def _check(prepared: PreparedFile) -> Any:
    """CommitRefused unless the prepared file can be stored; a register's records staged for
    the store (`incoming.staged`), None for published notices."""
    if prepared.refused:
        raise CommitRefused(prepared.refused)
    table = getattr(prepared, "table", None)
    if table is None and prepared.records is None:
        raise CommitRefused("No row of this file can be imported, so nothing was stored.")
    columns = table.column_names if table is not None else prepared.records.columns
    if (table.num_rows if table is not None else len(prepared.records)) == 0:
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


def _by_borough(df: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    return [(str(code), rows) for code, rows in df.groupby("borough_code", sort=True)]


def _borough_positions(df: pd.DataFrame) -> list[tuple[str, np.ndarray]]:
    """Each borough's code and its records' positions in `df`, as `_by_borough` orders them."""
    groups = df.groupby("borough_code", sort=True).indices
    return [(str(code), groups[code]) for code in sorted(groups)]


def _staging_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The records as canonical text (cast to column types in SQL) plus their file row number."""
    out = changes.comparable(df)
    for name in FIELD_NAMES:
        out[name] = out[name].astype(object).where(out[name] != "", None)
    out.insert(0, "record_no", incoming.row_numbers(df))
    for name in EXTRA_NAMES:
        out[name] = incoming.extra_text(name, df[name]) if name in df.columns else None
    return out


def save_raw_file(w: Reader, file_name: str, content: bytes) -> str:
    """Keep the bytes of a file once, keyed by their SHA-256; returns the hash."""
    return rawfiles.save(w, file_name, content)
