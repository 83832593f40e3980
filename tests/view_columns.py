"""The `current_contracts` view's public columns as each schema version released them: a
version's columns never change once released, later versions only add (DESIGN.md). Written
out here, not read from live code, so that a change to the schema cannot move them."""

from __future__ import annotations

_V1 = [
    "borough_code",
    "borough",
    "service_area",
    "system",
    "vendor",
    "manufacturer",
    "contract_start",
    "contract_end",
    "annual_value",
    "hosting",
    "satisfaction",
    "source_ref",
    "snapshot_id",
    "source",
]
_V3 = [
    *_V1,
    "vendor_as_written",  # `vendor` is now the canonical vendor, this the spelling as written
]
_V5 = [
    *_V3,
    "source_kind",  # 'register' or 'published'
    "total_value",  # the whole contract's value when the source gives one
    "annual_value_derived",  # true when annual_value was worked out from total_value
    "notice_url",  # the published notice's page
]
_V6 = [
    *_V5,
    "record_no",  # the record's row in its snapshot
    "matched",  # a register record with its published notice found, and that notice
]
_V8 = [
    *_V6,
    "skill_level",  # in-house skill level with the system: None, Basic, Intermediate, Expert
    "contact_role",  # whom a peer should ask, as a role
]
_V18 = [
    *_V8,
    "bought_with",  # a jointly bought notice: the other councils that bought it
]
RELEASED = {
    1: _V1,
    2: _V1,
    3: _V3,
    4: _V3,
    5: _V5,
    6: _V6,
    7: _V6,
    8: _V8,
    9: _V8,
    10: _V8,
    11: _V8,
    12: _V8,  # (contracts.release_date is not in the view)
    13: _V8,  # (snapshots.rows_left_out, feed_runs.older: tables, not the view)
    14: _V8,  # (vendor spellings looked up by a key without accents or full-width letters)
    15: _V8,  # (feed_runs.not_notices and held: a table, not the view)
    16: _V8,  # (notice_withdrawals, feed_runs.withdrawn: tables, not the view)
    17: _V8,  # (no table changed: notices withdrawn that an older rollback brought back)
    18: _V18,
}
