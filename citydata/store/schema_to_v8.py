"""The file's schema steps of versions 1 to 8, one function per version, as each was released:
the first tables and view, uploads' raw files, vendor aliases, alert subscriptions, published
notices beside the registers, notice matches, the history of fetches, skills to share.

The schema as it is now, and what each version added: citydata.store.versions.
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


# The steps to versions 1 to 8, in order (citydata.store.versions.MIGRATIONS starts with them).
STEPS: tuple[Callable[[Reader], None], ...] = (_v1, _v2, _v3, _v4, _v5, _v6, _v7, _v8)
