"""The file's schema steps since version 18, one function per version, as each was released:
who else bought a jointly bought notice.

The schema as it is now, and what each version added: citydata.store.versions.
"""

from __future__ import annotations

from collections.abc import Callable

from citydata.store.db import Reader
from citydata.store.schema_since_v9 import FOLD_V14

# Every step is frozen, as in citydata.store.schema_since_v9 (its notes hold here too): its SQL
# is written out as released, never built from live code; v14's fold is that module's frozen copy.


def _v18(r: Reader) -> None:
    """A published notice bought jointly by several councils: each council's record names the
    other councils that bought it (citydata.ingest.joint), "Wandsworth" for Richmond's record
    of a notice of "Richmond and Wandsworth Councils", several joined by "; ".

    Frozen SQL. Nullable: records held before v18, a notice with one buyer, and registers, have
    NULL (not known to be joint). The view shows it at its end; every other column as v14's.
    """
    r.execute("ALTER TABLE contracts ADD COLUMN bought_with VARCHAR")
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
    c.skill_level, c.contact_role, c.bought_with
FROM active AS c
LEFT JOIN live AS mn ON c.source_kind = 'published' AND mn.notice_snapshot_id = c.snapshot_id
    AND mn.notice_record_no = c.record_no AND mn.notice_ref = coalesce(c.source_ref, '')
    AND mn.notice_vendor = c.vendor
LEFT JOIN live AS mr ON c.source_kind = 'register' AND mr.register_snapshot_id = c.snapshot_id
    AND mr.register_record_no = c.record_no AND mr.register_vendor = c.vendor"""
    )


# The steps to versions 18 and on, in order (citydata.store.versions.MIGRATIONS ends with them).
STEPS: tuple[Callable[[Reader], None], ...] = (_v18,)
