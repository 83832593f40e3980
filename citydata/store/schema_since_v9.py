"""The file's schema steps since version 9, one function per version, as each was released:
files' bytes in compressed pieces, the view's quicker joins, notice matches by supplier,
release dates, rows left out, accent-blind vendor keys, fetches' counts, withdrawn notices.

The schema as it is now, and what each version added: citydata.store.versions; the steps
after version 17: citydata.store.schema_since_v18.
"""

from __future__ import annotations

from collections.abc import Callable

from citydata.store.db import Reader

# Every step is frozen: its SQL is written out as it was when that version was released, never
# built from live code (citydata.core.schema.FIELDS, citydata.store.vendors), so a file migrated
# step by step and a file built today are the same at the same version (tests/test_migrations.py
# checks; an import-linter contract keeps this module off live code). Data a new table starts
# with (the vendor aliases of v3) is loaded by citydata.lifecycle in the same transaction as the
# step, from the live data files; citydata.store.versions runs the steps in order.


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
    step (`citydata.store.upgrades.DATA_LOADS`), so the table starts empty.
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
    new = FOLD_V14.format(x="w.vendor")
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
FOLD_V14 = (
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
    old, new = (fold.format(x="w.vendor") for fold in (_FOLD_V3, FOLD_V14))
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
    """No change of schema: the step whose data part (citydata.store.upgrades.DATA_LOADS) takes
    out of current data, as a new snapshot, the notices withdrawn or cancelled that a rollback
    made before this version brought back (rollbacks since leave them out)."""


# The steps to versions 9 and on, in order (citydata.store.versions.MIGRATIONS ends with them).
STEPS: tuple[Callable[[Reader], None], ...] = (
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
# What a step did to the data, done again for a backup made before its version once its tables
# are restored as they were (citydata.output.backup): version -> the step's data part.
DATA_STEPS: dict[int, Callable[[Reader], None]] = {14: _v14_keys}
