"""The file's versions: its schema version, the steps that bring it there, its data version.

Layout (schema version 18):
- `contracts`: every record of every snapshot ever stored, never updated in place;
- `snapshots`: one row per snapshot of one borough, `status` 'active' or 'superseded';
- `raw_files`: every file a snapshot came from (since v9 its bytes are in `raw_file_chunks`,
  see citydata.store.rawfiles);
- `current_contracts`: the records of each borough's active snapshot (the public view);
  since v3 its `vendor` is the canonical vendor and `vendor_as_written` the spelling as written;
- `vendor_aliases`: folded vendor spelling -> canonical vendor (see citydata.store.vendors);
- `alert_subscriptions`, `alerts_sent` (v4): who is told what, and what was sent to each.
- since v5, `snapshots.kind` is 'register' (a steward's upload, the embedded data) or 'published'
  (notices from Contracts Finder, Find a Tender or another OCDS publisher): each borough has at
  most one active snapshot of each kind; `contracts` keeps `total_value` (the whole contract's
  value), `annual_value_derived` (true when the annual value was worked out from the total) and
  `notice_url`; the view shows `source_kind`, `total_value`, `annual_value_derived`, `notice_url`.
- since v6, `notice_matches` holds which published notice is the evidence of which register
  record (see citydata.store.matches); the view shows `record_no` and `matched` (true for a
  register record with a published notice found, and for that notice), so that with both sources
  a matched contract is counted once, as the register record.
- since v7, `feed_runs` records every fetch of a feed and every notices file imported from the
  app: when, by whom, status, pages, notices read, records kept, left out and why, message.
- since v8, `contracts` (and the view) keep `skill_level` (None, Basic, Intermediate, Expert) and
  `contact_role` (a role to ask, never a person): skills to share (citydata.core.skills).
- since v9, a file's bytes are kept in `raw_file_chunks` (pieces of a few MiB, compressed one by
  one) instead of one BLOB in `raw_files.content` (citydata.store.rawfiles).
- since v11, `notice_matches` names each side's record by its supplier as written too.
- since v12, `contracts.release_date` keeps, for a published notice, when the newest release it
  was read from was published (NULL when the file did not say, for registers, and for notices
  stored before v12): an older release of a notice held never replaces it.
- since v13, `snapshots.rows_left_out` counts, for published notices, the file's rows left out
  for what they are (not technology, another council's, an older release), apart from
  `rows_rejected` (refused for a fault); `feed_runs.older` counts the records a fetch or a
  notices file left out as older releases. NULL for registers and for what came before v13.
- since v14, a vendor spelling's key in `vendor_aliases` (and in the view's lookup) ignores
  accents and full-width letters too ("Cívica", "Ｃｉｖｉｃａ" and "Civica" share 'civica').
- since v15, `feed_runs.held` counts the records a fetch or a notices file left out as already
  held as they are, and `feed_runs.not_notices` the entries of a page's (or a file's) list of
  notices that are not a notice at all, so that what a run read is what it kept and what it
  left out. NULL for what came before v15.
- since v16, `notice_withdrawals` keeps each published notice a file or a fetch said was
  withdrawn, cancelled or unsuccessful (borough, reference, the date of the release that said so,
  status, the snapshot that stopped showing it, or NULL when it was not held), so that an older
  release of it never brings it back; `feed_runs.withdrawn` counts the notices held that a run
  stopped showing so, `feed_runs.withdrawn_not_held` those it was told of but did not hold.
- v17 changes no table: a file opened at v17 gets a new published snapshot for each borough
  whose current notices a rollback made before v17 held though withdrawn (they stay out).
- since v18, `contracts` (and the view, at its end) keep `bought_with`: for a published notice
  bought jointly by several councils, the other councils that bought it, each council's record
  naming the others ("Wandsworth"; several joined by "; "), the region's by their canonical
  names, others by their own (citydata.ingest.joint). NULL for a notice with one buyer, for
  registers, and for records stored before v18.

Each version's step is frozen SQL in citydata.store.schema_to_v8 (versions 1 to 8),
citydata.store.schema_since_v9 (9 to 17) and citydata.store.schema_since_v18 (18 on), where a
new version's step goes at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import duckdb

from citydata.store import schema_since_v9, schema_since_v18, schema_to_v8
from citydata.store.db import Database, FileUnusable, Reader

# The meta counter citydata.store.vendors raises on every alias change (part of data_version).
ALIAS_CHANGES_KEY = "alias_changes"
# When the data was last replaced by a backup's (citydata.output.backup), as an ISO time: the
# restored records keep their snapshots' older times, and a calendar's events must not seem
# older than those it gave before (citydata.query.pipeline.with_decide_by).
RESTORED_AT_KEY = "restored_at"

# Each version's step, frozen SQL as released (citydata.store.schema_to_v8, schema_since_v9,
# schema_since_v18).
MIGRATIONS: tuple[Callable[[Reader], None], ...] = (
    schema_to_v8.STEPS + schema_since_v9.STEPS + schema_since_v18.STEPS
)
SCHEMA_VERSION = len(MIGRATIONS)
# What a step did to the data, done again for a backup made before its version once its tables
# are restored as they were (citydata.output.backup): version -> the step's data part.
DATA_STEPS: dict[int, Callable[[Reader], None]] = dict(schema_since_v9.DATA_STEPS)


_RECORDED = "SELECT value FROM meta WHERE key = 'schema_version'"


def schema_version(r: Reader) -> int:
    """The file's schema version: 0 for an empty file, -1 for one that is not ours."""
    has_meta = r.scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
        " AND table_schema = 'main'"
    )
    if not has_meta:
        tables = r.scalar("SELECT count(*) FROM information_schema.tables")
        return 0 if tables == 0 else -1
    value = r.scalar(_RECORDED)
    return int(value) if value is not None else -1


def recorded_version(db: Database) -> int:
    """`schema_version`, without asking the catalogue when the file has a `meta` table.

    On a file DuckDB has just opened, the catalogue's question (information_schema) costs
    10-20 ms, more than the rest of opening's checks together, and every start of the app,
    every command and every copy read for a command opens one. So `meta` is read straight
    away, on a cursor of its own (a failed statement spoils the transaction it is in), and
    only a file without one (empty, or another program's) is asked about in the catalogue.
    The same query as `schema_version`'s, resolved the same way (tests/test_store.py)."""
    try:
        value = db.scalar(_RECORDED)
    except duckdb.CatalogException:  # no table `meta`
        with db.read() as r:
            return schema_version(r)
    return int(value) if value is not None else -1


def migrate(
    db: Database,
    target: int = SCHEMA_VERSION,
    data: Mapping[int, Callable[[Reader], object]] | None = None,
) -> int:
    """Bring the file up to `target`, each step in its own transaction. Returns the version.

    `data` maps a version to a load of data that version needs (the data its new tables start
    with; what an older file's records need put right): live code, so it is given by the
    caller, never part of the frozen step. Live code is written for the schema as it is now, not
    as it was at its version (a load of v17's copied records with v18's column, and failed on
    a file of v16), so when the steps pass a version with a load, they all run in one
    transaction, and then the loads: a file is never left at a version whose data was not
    loaded, nor a load run on tables it was not written for.
    """
    version = recorded_version(db)
    if version < 0:
        raise FileUnusable(f"{db.path} is a DuckDB file, but not a City Tools Explorer database.")
    if version > SCHEMA_VERSION:
        raise FileUnusable(
            f"{db.path} was written by a newer version of City Tools Explorer "
            f"(schema {version}; this one knows up to {SCHEMA_VERSION})."
        )
    loads = [load for v, load in sorted((data or {}).items()) if version < v <= target]
    if not loads:
        for step in range(version, target):
            with db.write() as w:
                MIGRATIONS[step](w)
                _record(w, step + 1)
        return max(version, target)
    with db.write() as w:
        for step in range(version, target):
            MIGRATIONS[step](w)
        for load in loads:
            load(w)
        _record(w, target)
    return target


def _record(w: Reader, version: int) -> None:
    w.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(version)])


def data_version(db: Database | Reader) -> int:
    """A number that changes whenever any snapshot or vendor alias is added: a cache key.

    Both parts only grow, so their sum never returns to an earlier value; a restore from a
    backup (which can lower both) sets meta 'version_offset' so that it still moves forward.
    """
    return int(
        db.scalar(
            "SELECT coalesce((SELECT max(id) FROM snapshots), 0)"
            " + coalesce((SELECT sum(CAST(value AS BIGINT)) FROM meta"
            " WHERE key IN ($k, 'version_offset')), 0)",
            {"k": ALIAS_CHANGES_KEY},
        )
    )
