"""Snapshots of a borough's data made: a file committed.

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
  are compared on their total value, link and the councils they were bought with too
  (`changes.NOTICE_EXTRAS`); a newer version that differs only in its release date makes no
  snapshot, and the notice held takes that date (the one value changed in place: see
  `citydata.store.releases`). A notice a newer release
  says was withdrawn, cancelled or unsuccessful is not in the new snapshot
  (`citydata.store.withdrawals`): it leaves the current data, and stays in the history.

What a commit would change is worked out first, writing nothing, in `citydata.store.previews`;
`citydata.store.rollbacks` makes an earlier snapshot current again; `citydata.store.history`
reads the snapshots.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import pandas as pd

from citydata.core import dates
from citydata.core.schema import FIELD_NAMES
from citydata.store import changes, incoming, matches, rawfiles, releases, withdrawals
from citydata.store import history as _history
from citydata.store.db import Database, Reader
from citydata.store.history import PUBLISHED, REGISTER, active
from citydata.store.history import history as history  # (named here for other modules)
from citydata.store.history import illustrative_again as illustrative_again
from citydata.store.history import name as _name
from citydata.store.history import snapshot as snapshot  # (named here for other modules)
from citydata.store.incoming import STORED
from citydata.store.previews import (
    CommitRefused,
    PreparedFile,
    borough_changes,
    check,
    compare_notices,
    comparison,
    kept_positions,
    kind_of,
    refs_of,
    unchanged_message,
)
from citydata.store.summary import changes_table as changes_table  # (for other modules)
from citydata.store.summary import left_out as left_out
from citydata.store.summary import left_out_table as left_out_table
from citydata.store.summary import problems_table as problems_table

EXTRA_NAMES, EXTRA_TYPES = incoming.EXTRA_NAMES, incoming.EXTRA_TYPES  # for other modules
STORED_SQL = ", ".join(STORED)
_EXTRA_AS_TEXT = ", ".join(f"CAST({n} AS VARCHAR) AS {n}" for n in EXTRA_NAMES)
_FROM_TEXT = incoming.CAST
_STAGED = "staged_notices"


class NothingChanged(CommitRefused):
    """A file whose records are already each borough's current data: storing it would only add
    a duplicate snapshot, so no snapshot was made. `noted`: the notices held that took the
    release date of the file's newer (otherwise identical) release of them, the one thing
    written then (`releases.note_dates`); 0 means nothing at all was written."""

    def __init__(self, message: str, noted: int = 0) -> None:
        super().__init__(message)
        self.noted = noted


def commit(
    db: Database,
    prepared: PreparedFile,
    content: bytes,
    user: str,
    *,
    expect: Mapping[str, int | None] | None = None,
    source: str = "upload",
    writing: Callable[[int], None] | None = None,
) -> list[int]:
    """Store the file's records as one new active snapshot per borough whose records change;
    return their ids, in the order of the boroughs' codes.

    A register supersedes each borough's register; published notices join each borough's
    published stream (see the module's note). All boroughs or none: one transaction. `expect`
    (borough code -> the active snapshot id of this kind the user previewed against) refuses
    the commit when someone else changed a borough meanwhile. A borough whose records would stay
    the same gets no new snapshot (it would be a duplicate); when that is every borough of the
    file, `NothingChanged` says so and nothing is written.

    `writing(n)` is called once every check has passed, as the `n` new snapshots start to be
    written: nothing refuses the commit after it but a failure of the database itself (a
    command says "Writing n snapshots…" then, not before a refusal).
    """
    staged = check(prepared)
    kind = kind_of(prepared)
    mapping = json.dumps(prepared.mapping)
    now = dates.now()
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
            stored = _commit_notices(w, prepared, packing, user, current, now, mapping, source,
                                     writing)  # fmt: skip
        else:
            stored = _commit_register(w, db, prepared, staged, packing, current, now, user,
                                      mapping, source, writing)  # fmt: skip
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
    writing: Callable[[int], None] | None = None,
) -> list[int]:
    """`commit` of a register: each borough's register superseded by the file's records."""
    kind = REGISTER
    w.register(incoming.STAGED, staged)
    bases = {code: current.get(code) for code in sorted(incoming.borough_codes(staged))}
    counts = comparison(w, db, prepared, bases, staged).counts
    same = [code for code, (nb, na, twins) in counts.items() if nb == na == twins]
    if len(same) == len(bases):
        totals = {code: counts[code][:2] for code in bases}
        diffs = {code: changes.unchanged(counts[code][2]) for code in bases}
        raise NothingChanged(unchanged_message(borough_changes(w, bases, totals, diffs, kind)))
    if writing is not None:
        writing(len(bases) - len(same))
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
        note=f"Recognised as {prepared.format_label}.",
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
    writing: Callable[[int], None] | None = None,
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
    ended = withdrawals.weigh(w, prepared, current)
    # The whole file's rows left out (not refused): those its reading left out, and those older
    # than the notices held (every record of such a row is: a row is one release).
    left_out = int(getattr(prepared, "rows_left_out", 0))
    left_out += int(pd.Series(incoming.row_numbers(prepared.records))[~fresh].nunique())
    compared = compare_notices(w, prepared, fresh, ended)
    same = {c.borough_code for c in compared if c.diff.is_empty}
    noted = releases.note_dates(w, prepared.records[fresh], current, same) if same else 0
    if len(same) == len(compared):
        withdrawals.record(w, prepared, ended, {}, now)  # (those not held: kept all the same)
        return NothingChanged(unchanged_message(compared, noted), noted)
    groups = [c.borough_code for c in compared if c.borough_code not in same]
    if writing is not None:
        writing(len(groups))
    file_hash = packing.save(w, prepared.file_name)
    staged = staged[fresh].reset_index(drop=True)  # (older releases of notices held: left out)
    if same:
        staged = staged[~staged["borough_code"].isin(same)].reset_index(drop=True)
    staged = _with_held_notices(w, staged, current, source, groups, ended.all_taken_out)
    counts = staged["borough_code"].value_counts()  # once, not a scan per borough
    for code in groups:
        rows = int(counts.get(code, 0))
        ids.append(
            new_snapshot(
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
                note=f"Recognised as {prepared.format_label}.",
                kind=kind,
            )
        )
    codes = groups
    withdrawals.record(w, prepared, ended, dict(zip(codes, ids, strict=True)), now)
    staged["snapshot_id"] = staged["borough_code"].map(dict(zip(codes, ids, strict=True)))
    staged["source"] = staged.pop("_source") if "_source" in staged else source
    w.register(_STAGED, staged)
    w.execute(
        f"INSERT INTO contracts (snapshot_id, record_no, {STORED_SQL}, source)"
        f" SELECT snapshot_id, record_no, {_FROM_TEXT}, source FROM {_STAGED}"
    )
    matches.refresh(w, codes)
    return ids


def _with_held_notices(
    w: Reader,
    staged: pd.DataFrame,
    current: dict[str, int],
    source: str,
    codes: list[str],
    gone: Mapping[str, Mapping[str, str]],
) -> pd.DataFrame:
    """The new notices of the boroughs `codes` plus each one's published notices they do not
    replace, and that are not withdrawn (`gone`: borough code -> references of notices held
    that the file says were withdrawn or cancelled).

    Each keeps its `record_no`: the row of the file it came from.
    """
    parts = []
    by_code = dict(iter(staged.groupby("borough_code", sort=True)))
    for code in sorted(codes):
        group = by_code.get(code)
        held = None
        if code in current:
            held = w.df(
                f"SELECT record_no, {_history.AS_TEXT}, {_EXTRA_AS_TEXT}, source AS _source"
                " FROM contracts WHERE snapshot_id = $id ORDER BY record_no",
                {"id": current[code]},
            )
            replaced = refs_of(group) if group is not None else set()
            held = held.iloc[kept_positions(held, replaced | set(gone.get(code, {})))]
            for name in FIELD_NAMES:
                held[name] = held[name].astype(object).where(held[name] != "", None)
        parts += [df for df in (held, group) if df is not None]
    if not parts:
        return staged.assign(_source=source)
    out = pd.concat(parts, ignore_index=True)
    held_source = out["_source"] if "_source" in out else pd.Series(None, index=out.index)
    out["_source"] = held_source.astype(object).where(held_source.notna(), source)
    return out


def new_snapshot(w: Reader, code: str, **v: Any) -> int:
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
    """`new_snapshot` for several boroughs at once (`rows`: code -> records imported), in
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
