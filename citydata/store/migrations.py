"""The schema of the DuckDB file and its migrations, one function per version.

Layout (schema version 17):
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
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import duckdb

from citydata.store.db import Database, FileUnusable, Reader

# Every migration is frozen: its SQL is written out as it was when that version was released,
# never built from live code (citydata.core.schema.FIELDS, citydata.store.vendors), so a file
# migrated step by step and a file built today are the same at the same version
# (tests/test_migrations.py checks; an import-linter contract keeps this module off live code).
# Data a new table starts with (the vendor aliases of v3) is loaded by citydata.lifecycle in the
# same transaction as the migration, from the live data files.


def _v1(r: Reader) -> None:
    r.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    r.execute("CREATE SEQUENCE snapshot_ids START 1")
    r.execute(
        """CREATE TABLE snapshots (
    id INTEGER NOT NULL,
    borough_code VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    file_name VARCHAR,
    file_hash VARCHAR,
    rows_imported INTEGER NOT NULL,
    rows_rejected INTEGER NOT NULL,
    status VARCHAR NOT NULL CHECK (status IN ('active', 'superseded')),
    source VARCHAR NOT NULL
)"""
    )
    r.execute(
        """CREATE TABLE contracts (
    snapshot_id INTEGER NOT NULL,
    record_no INTEGER NOT NULL,
    borough_code VARCHAR,
    borough VARCHAR,
    service_area VARCHAR,
    system VARCHAR,
    vendor VARCHAR,
    manufacturer VARCHAR,
    contract_start DATE,
    contract_end DATE,
    annual_value DECIMAL(18,2),
    hosting VARCHAR,
    satisfaction TINYINT,
    source_ref VARCHAR,
    source VARCHAR NOT NULL
)"""
    )
    r.execute(
        """CREATE VIEW current_contracts AS
SELECT c.borough_code, c.borough, c.service_area, c.system, c.vendor, c.manufacturer, \
c.contract_start, c.contract_end, c.annual_value, c.hosting, c.satisfaction, c.source_ref, \
c.snapshot_id, c.source
FROM contracts AS c JOIN snapshots AS s ON s.id = c.snapshot_id AND s.status = 'active'"""
    )


def _v2(r: Reader) -> None:
    """Keep what an upload needs: who, the mapping used, the raw bytes, rollbacks."""
    r.execute("ALTER TABLE snapshots ADD COLUMN created_by VARCHAR")
    r.execute("ALTER TABLE snapshots ADD COLUMN mapping VARCHAR")
    r.execute("ALTER TABLE snapshots ADD COLUMN note VARCHAR")
    r.execute("ALTER TABLE snapshots ADD COLUMN restored_from INTEGER")
    r.execute(
        """CREATE TABLE raw_files (
    file_hash VARCHAR PRIMARY KEY,
    file_name VARCHAR NOT NULL,
    size_bytes BIGINT NOT NULL,
    content BLOB NOT NULL,
    received_at TIMESTAMP NOT NULL
)"""
    )


def _v3(r: Reader) -> None:
    """Group vendor spellings: the alias table, and the view showing the canonical vendor.

    The alias is looked up once per distinct spelling, not once per record; the key is the
    spelling folded as the live fold (citydata.core.keys.fold_sql) did in this version.
    """
    r.execute(
        """CREATE TABLE vendor_aliases (
    alias VARCHAR PRIMARY KEY,
    vendor VARCHAR NOT NULL,
    added_by VARCHAR,
    added_at TIMESTAMP
)"""
    )
    r.execute(
        """CREATE OR REPLACE VIEW current_contracts AS
WITH spelling AS (
    SELECT w.vendor AS written, coalesce(a.vendor, w.vendor) AS vendor
    FROM (SELECT DISTINCT vendor FROM contracts) AS w
    LEFT JOIN vendor_aliases AS a ON a.alias = \
trim(lower(regexp_replace(replace(w.vendor, '&', ' and '), '[^A-Za-z0-9]+', ' ', 'g')))
)
SELECT c.borough_code, c.borough, c.service_area, c.system, \
coalesce(sp.vendor, c.vendor) AS vendor, c.manufacturer, c.contract_start, c.contract_end, \
c.annual_value, c.hosting, c.satisfaction, c.source_ref, \
c.snapshot_id, c.source, c.vendor AS vendor_as_written
FROM contracts AS c JOIN snapshots AS s ON s.id = c.snapshot_id AND s.status = 'active'
LEFT JOIN spelling AS sp ON sp.written = c.vendor"""
    )


def _v4(r: Reader) -> None:
    """Alert subscriptions and what was sent to each (see citydata.store.subscriptions)."""
    r.execute(
        """CREATE TABLE alert_subscriptions (
    id INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL,
    channel VARCHAR NOT NULL CHECK (channel IN ('email', 'teams', 'slack')),
    target VARCHAR NOT NULL,
    view_url VARCHAR NOT NULL,
    decisions_months INTEGER,
    ending_months INTEGER,
    changes BOOLEAN NOT NULL,
    feed_token VARCHAR NOT NULL UNIQUE,
    since_snapshot INTEGER NOT NULL,
    created_by VARCHAR,
    created_at TIMESTAMP NOT NULL
)"""
    )
    r.execute(
        """CREATE TABLE alerts_sent (
    subscription_id INTEGER NOT NULL,
    kind VARCHAR NOT NULL,
    item VARCHAR NOT NULL,
    sent_at TIMESTAMP NOT NULL,
    PRIMARY KEY (subscription_id, kind, item)
)"""
    )


def _v5(r: Reader) -> None:
    """Published notices beside the registers: a snapshot's kind, a contract's total value.

    Frozen SQL: this step must create the same schema whatever the live code says later.
    """
    r.execute("ALTER TABLE snapshots ADD COLUMN kind VARCHAR DEFAULT 'register'")
    r.execute("UPDATE snapshots SET kind = 'register' WHERE kind IS NULL")
    r.execute("ALTER TABLE contracts ADD COLUMN total_value DECIMAL(18,2)")
    r.execute("ALTER TABLE contracts ADD COLUMN annual_value_derived BOOLEAN DEFAULT false")
    r.execute("ALTER TABLE contracts ADD COLUMN notice_url VARCHAR")
    r.execute(
        """CREATE OR REPLACE VIEW current_contracts AS
WITH spelling AS (
    SELECT w.vendor AS written, coalesce(a.vendor, w.vendor) AS vendor
    FROM (SELECT DISTINCT vendor FROM contracts) AS w
    LEFT JOIN vendor_aliases AS a ON a.alias =
        trim(lower(regexp_replace(replace(w.vendor, '&', ' and '), '[^A-Za-z0-9]+', ' ', 'g')))
)
SELECT c.borough_code, c.borough, c.service_area, c.system,
    coalesce(sp.vendor, c.vendor) AS vendor, c.manufacturer, c.contract_start, c.contract_end,
    c.annual_value, c.hosting, c.satisfaction, c.source_ref, c.snapshot_id, c.source,
    c.vendor AS vendor_as_written, s.kind AS source_kind, c.total_value,
    c.annual_value_derived, c.notice_url
FROM contracts AS c JOIN snapshots AS s ON s.id = c.snapshot_id AND s.status = 'active'
LEFT JOIN spelling AS sp ON sp.written = c.vendor"""
    )


def _v6(r: Reader) -> None:
    """Published notices matched to register records, so a contract is counted once.

    Frozen SQL. A notice is keyed by its snapshot, row and reference (a published snapshot keeps
    earlier files' notices with their own row numbers), a register record by snapshot and row.
    """
    r.execute(
        """CREATE TABLE notice_matches (
    borough_code VARCHAR NOT NULL,
    notice_snapshot_id INTEGER NOT NULL,
    notice_record_no INTEGER NOT NULL,
    notice_ref VARCHAR NOT NULL,
    register_snapshot_id INTEGER NOT NULL,
    register_record_no INTEGER NOT NULL,
    vendor_score SMALLINT NOT NULL,
    title_score SMALLINT NOT NULL,
    dates_overlap BOOLEAN NOT NULL,
    PRIMARY KEY (notice_snapshot_id, notice_record_no, notice_ref)
)"""
    )
    r.execute(
        """CREATE OR REPLACE VIEW current_contracts AS
WITH spelling AS (
    SELECT w.vendor AS written, coalesce(a.vendor, w.vendor) AS vendor
    FROM (SELECT DISTINCT vendor FROM contracts) AS w
    LEFT JOIN vendor_aliases AS a ON a.alias =
        trim(lower(regexp_replace(replace(w.vendor, '&', ' and '), '[^A-Za-z0-9]+', ' ', 'g')))
),
live AS (
    SELECT m.* FROM notice_matches AS m
    JOIN snapshots AS ns ON ns.id = m.notice_snapshot_id AND ns.status = 'active'
    JOIN snapshots AS rs ON rs.id = m.register_snapshot_id AND rs.status = 'active'
)
SELECT c.borough_code, c.borough, c.service_area, c.system,
    coalesce(sp.vendor, c.vendor) AS vendor, c.manufacturer, c.contract_start, c.contract_end,
    c.annual_value, c.hosting, c.satisfaction, c.source_ref, c.snapshot_id, c.source,
    c.vendor AS vendor_as_written, s.kind AS source_kind, c.total_value,
    c.annual_value_derived, c.notice_url, c.record_no,
    (mn.notice_snapshot_id IS NOT NULL OR mr.register_snapshot_id IS NOT NULL) AS matched
FROM contracts AS c JOIN snapshots AS s ON s.id = c.snapshot_id AND s.status = 'active'
LEFT JOIN spelling AS sp ON sp.written = c.vendor
LEFT JOIN live AS mn ON s.kind = 'published' AND mn.notice_snapshot_id = c.snapshot_id
    AND mn.notice_record_no = c.record_no AND mn.notice_ref = coalesce(c.source_ref, '')
LEFT JOIN live AS mr ON s.kind = 'register' AND mr.register_snapshot_id = c.snapshot_id
    AND mr.register_record_no = c.record_no"""
    )


def _v7(r: Reader) -> None:
    """The history of published-notice fetches and imports (see citydata.feeds.fetch)."""
    r.execute(
        """CREATE TABLE feed_runs (
    id INTEGER PRIMARY KEY,
    feed VARCHAR NOT NULL,
    since DATE,
    file_name VARCHAR,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    started_by VARCHAR,
    status VARCHAR NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    pages INTEGER NOT NULL,
    notices INTEGER NOT NULL,
    kept INTEGER NOT NULL,
    not_technology INTEGER NOT NULL,
    other_councils INTEGER NOT NULL,
    refused INTEGER NOT NULL,
    message VARCHAR
)"""
    )


def _v8(r: Reader) -> None:
    """Skills to share: a record's in-house skill level with its system and a contact role.

    Frozen SQL. Both optional; the view gains them as its last columns.
    """
    r.execute("ALTER TABLE contracts ADD COLUMN skill_level VARCHAR")
    r.execute("ALTER TABLE contracts ADD COLUMN contact_role VARCHAR")
    r.execute(
        """CREATE OR REPLACE VIEW current_contracts AS
WITH spelling AS (
    SELECT w.vendor AS written, coalesce(a.vendor, w.vendor) AS vendor
    FROM (SELECT DISTINCT vendor FROM contracts) AS w
    LEFT JOIN vendor_aliases AS a ON a.alias =
        trim(lower(regexp_replace(replace(w.vendor, '&', ' and '), '[^A-Za-z0-9]+', ' ', 'g')))
),
live AS (
    SELECT m.* FROM notice_matches AS m
    JOIN snapshots AS ns ON ns.id = m.notice_snapshot_id AND ns.status = 'active'
    JOIN snapshots AS rs ON rs.id = m.register_snapshot_id AND rs.status = 'active'
)
SELECT c.borough_code, c.borough, c.service_area, c.system,
    coalesce(sp.vendor, c.vendor) AS vendor, c.manufacturer, c.contract_start, c.contract_end,
    c.annual_value, c.hosting, c.satisfaction, c.source_ref, c.snapshot_id, c.source,
    c.vendor AS vendor_as_written, s.kind AS source_kind, c.total_value,
    c.annual_value_derived, c.notice_url, c.record_no,
    (mn.notice_snapshot_id IS NOT NULL OR mr.register_snapshot_id IS NOT NULL) AS matched,
    c.skill_level, c.contact_role
FROM contracts AS c JOIN snapshots AS s ON s.id = c.snapshot_id AND s.status = 'active'
LEFT JOIN spelling AS sp ON sp.written = c.vendor
LEFT JOIN live AS mn ON s.kind = 'published' AND mn.notice_snapshot_id = c.snapshot_id
    AND mn.notice_record_no = c.record_no AND mn.notice_ref = coalesce(c.source_ref, '')
LEFT JOIN live AS mr ON s.kind = 'register' AND mr.register_snapshot_id = c.snapshot_id
    AND mr.register_record_no = c.record_no"""
    )


def _v9(r: Reader) -> None:
    """A file's bytes in compressed pieces instead of one BLOB (see citydata.store.rawfiles).

    Frozen SQL. The files already held are carried over as they are: each one piece, 'none'.
    """
    r.execute(
        """CREATE TABLE raw_file_chunks (
    file_hash VARCHAR NOT NULL,
    chunk_no INTEGER NOT NULL,
    compression VARCHAR NOT NULL CHECK (compression IN ('none', 'zstd')),
    content BLOB NOT NULL,
    PRIMARY KEY (file_hash, chunk_no)
)"""
    )
    r.execute(
        "INSERT INTO raw_file_chunks SELECT file_hash, 0, 'none', content FROM raw_files"
        " ORDER BY file_hash"
    )
    r.execute("ALTER TABLE raw_files DROP COLUMN content")


def _v10(r: Reader) -> None:
    """The same view, its joins in an order that stays quick as the records grow.

    Frozen SQL. The same columns and rows as v8's view. There the records were joined to the
    notice matches before the vendor spellings, and DuckDB, taking the matches (usually none)
    to leave about one row, built its hash table of the spellings' join from every record:
    counting the records in use took 1.0 s at 10 million records and grouping them 3.2 s. Now
    the records in use get their canonical vendor first (`active`) and then meet the matches:
    0.12 s and 1.4 s.
    """
    r.execute(
        """CREATE OR REPLACE VIEW current_contracts AS
WITH spelling AS (
    SELECT w.vendor AS written, coalesce(a.vendor, w.vendor) AS vendor
    FROM (SELECT DISTINCT vendor FROM contracts) AS w
    LEFT JOIN vendor_aliases AS a ON a.alias =
        trim(lower(regexp_replace(replace(w.vendor, '&', ' and '), '[^A-Za-z0-9]+', ' ', 'g')))
),
live AS (
    SELECT m.* FROM notice_matches AS m
    JOIN snapshots AS ns ON ns.id = m.notice_snapshot_id AND ns.status = 'active'
    JOIN snapshots AS rs ON rs.id = m.register_snapshot_id AND rs.status = 'active'
),
active AS (
    SELECT c.*, s.kind AS source_kind, coalesce(sp.vendor, c.vendor) AS canonical_vendor
    FROM contracts AS c JOIN snapshots AS s ON s.id = c.snapshot_id AND s.status = 'active'
    LEFT JOIN spelling AS sp ON sp.written = c.vendor
)
SELECT c.borough_code, c.borough, c.service_area, c.system,
    c.canonical_vendor AS vendor, c.manufacturer, c.contract_start, c.contract_end,
    c.annual_value, c.hosting, c.satisfaction, c.source_ref, c.snapshot_id, c.source,
    c.vendor AS vendor_as_written, c.source_kind, c.total_value,
    c.annual_value_derived, c.notice_url, c.record_no,
    (mn.notice_snapshot_id IS NOT NULL OR mr.register_snapshot_id IS NOT NULL) AS matched,
    c.skill_level, c.contact_role
FROM active AS c
LEFT JOIN live AS mn ON c.source_kind = 'published' AND mn.notice_snapshot_id = c.snapshot_id
    AND mn.notice_record_no = c.record_no AND mn.notice_ref = coalesce(c.source_ref, '')
LEFT JOIN live AS mr ON c.source_kind = 'register' AND mr.register_snapshot_id = c.snapshot_id
    AND mr.register_record_no = c.record_no"""
    )


def _v11(r: Reader) -> None:
    """A notice match names each side's record by its supplier as written too.

    Frozen SQL. One row of a file can give several records: an award to two suppliers in a
    flattened notice file, a register row naming two suppliers. Keyed by snapshot, row (and
    reference) alone, such records shared one key: a match of one was shown for both, and a
    second pair on the same key was never stored. The pairs are worked out again after this
    step (`citydata.lifecycle.DATA_LOADS`), so the table starts empty.
    """
    r.execute("DROP VIEW current_contracts")
    r.execute("DROP TABLE notice_matches")
    r.execute(
        """CREATE TABLE notice_matches (
    borough_code VARCHAR NOT NULL,
    notice_snapshot_id INTEGER NOT NULL,
    notice_record_no INTEGER NOT NULL,
    notice_ref VARCHAR NOT NULL,
    notice_vendor VARCHAR NOT NULL,
    register_snapshot_id INTEGER NOT NULL,
    register_record_no INTEGER NOT NULL,
    register_vendor VARCHAR NOT NULL,
    vendor_score SMALLINT NOT NULL,
    title_score SMALLINT NOT NULL,
    dates_overlap BOOLEAN NOT NULL,
    PRIMARY KEY (notice_snapshot_id, notice_record_no, notice_ref, notice_vendor)
)"""
    )
    r.execute(
        """CREATE OR REPLACE VIEW current_contracts AS
WITH spelling AS (
    SELECT w.vendor AS written, coalesce(a.vendor, w.vendor) AS vendor
    FROM (SELECT DISTINCT vendor FROM contracts) AS w
    LEFT JOIN vendor_aliases AS a ON a.alias =
        trim(lower(regexp_replace(replace(w.vendor, '&', ' and '), '[^A-Za-z0-9]+', ' ', 'g')))
),
live AS (
    SELECT m.* FROM notice_matches AS m
    JOIN snapshots AS ns ON ns.id = m.notice_snapshot_id AND ns.status = 'active'
    JOIN snapshots AS rs ON rs.id = m.register_snapshot_id AND rs.status = 'active'
),
active AS (
    SELECT c.*, s.kind AS source_kind, coalesce(sp.vendor, c.vendor) AS canonical_vendor
    FROM contracts AS c JOIN snapshots AS s ON s.id = c.snapshot_id AND s.status = 'active'
    LEFT JOIN spelling AS sp ON sp.written = c.vendor
)
SELECT c.borough_code, c.borough, c.service_area, c.system,
    c.canonical_vendor AS vendor, c.manufacturer, c.contract_start, c.contract_end,
    c.annual_value, c.hosting, c.satisfaction, c.source_ref, c.snapshot_id, c.source,
    c.vendor AS vendor_as_written, c.source_kind, c.total_value,
    c.annual_value_derived, c.notice_url, c.record_no,
    (mn.notice_snapshot_id IS NOT NULL OR mr.register_snapshot_id IS NOT NULL) AS matched,
    c.skill_level, c.contact_role
FROM active AS c
LEFT JOIN live AS mn ON c.source_kind = 'published' AND mn.notice_snapshot_id = c.snapshot_id
    AND mn.notice_record_no = c.record_no AND mn.notice_ref = coalesce(c.source_ref, '')
    AND mn.notice_vendor = c.vendor
LEFT JOIN live AS mr ON c.source_kind = 'register' AND mr.register_snapshot_id = c.snapshot_id
    AND mr.register_record_no = c.record_no AND mr.register_vendor = c.vendor"""
    )


def _v12(r: Reader) -> None:
    """When the release a published notice was read from was published: the newest of the
    notice's releases in the file (OCDS `date`, Contracts Finder's published date).

    Frozen SQL. Nullable, not in the view: the records held get NULL (not known), which
    compares as before (a later file's version of the notice replaces them).
    """
    r.execute("ALTER TABLE contracts ADD COLUMN release_date TIMESTAMP")


def _v13(r: Reader) -> None:
    """Published notices' rows left out (not technology, another council's, an older release)
    counted apart from the rows refused, in a snapshot and in a fetch's history line.

    Frozen SQL. Nullable: snapshots and fetches before v13, and registers, have NULL.
    """
    r.execute("ALTER TABLE snapshots ADD COLUMN rows_left_out INTEGER")
    r.execute("ALTER TABLE feed_runs ADD COLUMN older INTEGER")


def _v14(r: Reader) -> None:
    """Vendor spellings that differ only in accents or full-width letters share a key ("Cívica",
    "Ｃｉｖｉｃａ" and "Civica": 'civica'), as citydata.core.keys.fold reads them from this version.

    Frozen SQL. The view looks spellings up by the new key. Keys stored before are the old key
    of some spelling; each spelling held (in the records or as a canonical name) whose new key
    differs from an old key in the table gets its new key too, pointing where the old one did
    (a new key already in the table keeps its vendor). The old keys stay: they match nothing
    that the new ones do not.
    """
    _v14_keys(r)
    new = _FOLD_V14.format(x="w.vendor")
    r.execute(
        f"""CREATE OR REPLACE VIEW current_contracts AS
WITH spelling AS (
    SELECT w.vendor AS written, coalesce(a.vendor, w.vendor) AS vendor
    FROM (SELECT DISTINCT vendor FROM contracts) AS w
    LEFT JOIN vendor_aliases AS a ON a.alias =
        {new}
),
live AS (
    SELECT m.* FROM notice_matches AS m
    JOIN snapshots AS ns ON ns.id = m.notice_snapshot_id AND ns.status = 'active'
    JOIN snapshots AS rs ON rs.id = m.register_snapshot_id AND rs.status = 'active'
),
active AS (
    SELECT c.*, s.kind AS source_kind, coalesce(sp.vendor, c.vendor) AS canonical_vendor
    FROM contracts AS c JOIN snapshots AS s ON s.id = c.snapshot_id AND s.status = 'active'
    LEFT JOIN spelling AS sp ON sp.written = c.vendor
)
SELECT c.borough_code, c.borough, c.service_area, c.system,
    c.canonical_vendor AS vendor, c.manufacturer, c.contract_start, c.contract_end,
    c.annual_value, c.hosting, c.satisfaction, c.source_ref, c.snapshot_id, c.source,
    c.vendor AS vendor_as_written, c.source_kind, c.total_value,
    c.annual_value_derived, c.notice_url, c.record_no,
    (mn.notice_snapshot_id IS NOT NULL OR mr.register_snapshot_id IS NOT NULL) AS matched,
    c.skill_level, c.contact_role
FROM active AS c
LEFT JOIN live AS mn ON c.source_kind = 'published' AND mn.notice_snapshot_id = c.snapshot_id
    AND mn.notice_record_no = c.record_no AND mn.notice_ref = coalesce(c.source_ref, '')
    AND mn.notice_vendor = c.vendor
LEFT JOIN live AS mr ON c.source_kind = 'register' AND mr.register_snapshot_id = c.snapshot_id
    AND mr.register_record_no = c.record_no AND mr.register_vendor = c.vendor"""
    )


# How vendor spellings were folded into keys in SQL: from version 3, and from version 14 (accents
# off, full-width and a few Latin letters read as plain letters). Frozen copies, never the live
# citydata.core.keys.fold_sql; `{x}` is the spelling's column.
_FOLD_V3 = "trim(lower(regexp_replace(replace({x}, '&', ' and '), '[^A-Za-z0-9]+', ' ', 'g')))"
_FOLD_V14 = (
    "trim(lower(regexp_replace(replace(strip_accents(translate("
    + "replace(" * 12
    + "{x}, chr(0), ' '), 'ß', 'ss'), 'ẞ', 'SS'), 'æ', 'ae'), 'Æ', 'AE'), 'œ', 'oe'),"
    " 'Œ', 'OE'), 'þ', 'th'), 'Þ', 'TH'), 'ﬀ', 'ff'), 'ﬁ', 'fi'), 'ﬂ', 'fl'), "
    "'！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯ"
    "ＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～"
    "øØłŁđĐðÐı\u3000', "
    "'!\"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz"
    "{{|}}~oOlLdDdDi ')), '&', ' and '), '[^A-Za-z0-9]+', ' ', 'g')))"
)


def _v14_keys(r: Reader) -> None:
    """v14's step of the data: each spelling held gets its key of v14's fold, pointing where
    its key of the fold before did (see `_v14`). Frozen SQL."""
    old, new = (fold.format(x="w.vendor") for fold in (_FOLD_V3, _FOLD_V14))
    r.execute(
        f"""INSERT INTO vendor_aliases (alias, vendor, added_by, added_at)
SELECT key, vendor, added_by, added_at FROM (
    SELECT {new} AS key, a.vendor, a.added_by, a.added_at
    FROM (SELECT vendor FROM contracts UNION SELECT vendor FROM vendor_aliases) AS w
    JOIN vendor_aliases AS a ON a.alias = {old}
)
WHERE key <> '' AND key NOT IN (SELECT alias FROM vendor_aliases)
QUALIFY row_number() OVER (PARTITION BY key ORDER BY vendor, added_at) = 1"""
    )


def _v15(r: Reader) -> None:
    """A fetch's records left out as already held as they are, and its entries that are not a
    notice, counted in its history line (what was read then adds up).

    Frozen SQL. Nullable: fetches before v15 have NULL.
    """
    r.execute("ALTER TABLE feed_runs ADD COLUMN not_notices INTEGER")
    r.execute("ALTER TABLE feed_runs ADD COLUMN held INTEGER")


def _v16(r: Reader) -> None:
    """Published notices withdrawn, cancelled or unsuccessful: each kept with the date of the
    release that said so (an older release of it, arriving later, never brings it back), and
    counted in a fetch's history line: those held and no longer shown, those not held.

    Frozen SQL. Nullable: fetches before v16 have NULL.
    """
    r.execute(
        """CREATE TABLE notice_withdrawals (
            borough_code VARCHAR NOT NULL,
            source_ref VARCHAR NOT NULL,
            release_date TIMESTAMP,
            status VARCHAR NOT NULL,
            snapshot_id BIGINT,
            recorded_at TIMESTAMP NOT NULL
        )"""
    )
    r.execute("ALTER TABLE feed_runs ADD COLUMN withdrawn INTEGER")
    r.execute("ALTER TABLE feed_runs ADD COLUMN withdrawn_not_held INTEGER")


def _v17(r: Reader) -> None:
    """No change of schema: the step whose data part (citydata.lifecycle.DATA_LOADS) takes out
    of current data, as a new snapshot, the notices withdrawn or cancelled that a rollback made
    before this version brought back (rollbacks since leave them out)."""


# The meta counter citydata.store.vendors raises on every alias change (part of data_version).
ALIAS_CHANGES_KEY = "alias_changes"
# When the data was last replaced by a backup's (citydata.output.backup), as an ISO time: the
# restored records keep their snapshots' older times, and a calendar's events must not seem
# older than those it gave before (citydata.query.pipeline.with_decide_by).
RESTORED_AT_KEY = "restored_at"

MIGRATIONS: tuple[Callable[[Reader], None], ...] = (
    _v1,
    _v2,
    _v3,
    _v4,
    _v5,
    _v6,
    _v7,
    _v8,
    _v9,
    _v10,
    _v11,
    _v12,
    _v13,
    _v14,
    _v15,
    _v16,
    _v17,
)
SCHEMA_VERSION = len(MIGRATIONS)
# What a step did to the data, done again for a backup made before its version once its tables
# are restored as they were (citydata.output.backup): version -> the step's data part.
DATA_STEPS: dict[int, Callable[[Reader], None]] = {14: _v14_keys}


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

    `data` maps a version to the load of the data its new tables start with (live code, so it
    is given by the caller, never part of the frozen step); it runs in that step's transaction.
    """
    version = recorded_version(db)
    if version < 0:
        raise FileUnusable(f"{db.path} is a DuckDB file, but not a City Tools Explorer database.")
    if version > SCHEMA_VERSION:
        raise FileUnusable(
            f"{db.path} was written by a newer version of City Tools Explorer "
            f"(schema {version}; this one knows up to {SCHEMA_VERSION})."
        )
    for step in range(version, target):
        with db.write() as w:
            MIGRATIONS[step](w)
            if data and step + 1 in data:
                data[step + 1](w)
            w.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(step + 1)])
    return max(version, target)


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
