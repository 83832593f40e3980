"""A database rolled back before rollbacks left withdrawn notices out (schema 16 and before):
opened now, the notice withdrawn that its rollback brought back leaves the current data.

The old state is built as the old rollback left it: a rollback made now, then the withdrawn
notice's record of the snapshot it went back to copied into it, as the rollback copied every
record then, and the file's schema put back to 16."""

from __future__ import annotations

import pytest

from citydata import lifecycle
from citydata.feeds import fetch
from citydata.output import backup, restores
from citydata.store import rollbacks, snapshots
from tests.test_backup import V18_CONTRACTS, as_version, rewrite
from tests.test_fetch import AMENDED, AWARD, RB_OCID, camden_rb, release_page
from tests.test_withdrawn_notices import (  # noqa: F401 - `server` is a fixture
    AMENDMENT,
    CANCELLED,
    OTHER,
    OTHER_OCID,
    _published_id,
    server,
)


def _rolled_back_the_old_way(db, replay, back_to: int) -> int:
    """Roll Camden's notices back to `back_to` as the code before schema 17 did: every record
    of that snapshot copied, the notice withdrawn since too."""
    another = OTHER | {"ocid": RB_OCID[:-1] + "5", "date": "2025-06-20T09:00:00Z"}
    fetch.import_file(db, release_page(replay, another), "another.json", "Ann")
    rolled = rollbacks.rollback(db, back_to, "Ann")
    with db.write() as w:
        w.execute(
            f"INSERT INTO contracts (snapshot_id, record_no, {snapshots.STORED_SQL}, source)"
            f" SELECT $new, record_no, {snapshots.STORED_SQL}, source FROM contracts"
            " WHERE snapshot_id = $old AND source_ref = $ref",
            {"new": rolled, "old": back_to, "ref": RB_OCID},
        )
        w.execute(
            "UPDATE snapshots SET rows_imported = rows_imported + 1,"
            " note = regexp_replace(note, ';.*', '') WHERE id = $id",
            {"id": rolled},
        )
    return rolled


def _as_schema_16(db) -> None:
    """The file as schema 16 left it: without what schema 18 added (who else bought a joint
    notice: a column, and the view showing it), its version put back."""
    with db.write() as w:
        w.execute("DROP VIEW current_contracts")
        w.execute("ALTER TABLE contracts DROP COLUMN bought_with")
        w.execute("UPDATE meta SET value = '16' WHERE key = 'schema_version'")


def _camden_notices(db) -> list[tuple]:
    return db.rows(
        "SELECT source_ref FROM current_contracts WHERE borough_code = 'E09000007'"
        " AND source_kind = 'published' ORDER BY ALL"
    )


@pytest.mark.parametrize("then", ["nothing", "a new notice fetched"])
def test_a_notice_an_old_rollback_brought_back_though_cancelled_leaves_on_opening(
    db_path,
    server,  # noqa: F811
    then,
):
    db = lifecycle.open_store(db_path)
    try:
        fetch.import_file(db, release_page(server, AWARD, OTHER), "notices.json", "Ann")
        before = _published_id(db)
        fetch.import_file(db, release_page(server, CANCELLED), "cancelled.json", "Ann")
        rolled = _rolled_back_the_old_way(db, server, before)
        if then == "a new notice fetched":  # the notice brought back is carried on
            newer = OTHER | {"ocid": RB_OCID[:-1] + "3", "date": "2025-07-01T09:00:00Z"}
            fetch.import_file(db, release_page(server, newer), "later.json", "Ann")
        shown = _published_id(db)
        assert camden_rb(db) != []  # the cancelled contract, live on every page
        _as_schema_16(db)
    finally:
        db.close()

    db = lifecycle.open_store(db_path)
    try:
        assert camden_rb(db) == []
        assert (OTHER_OCID,) in _camden_notices(db)
        current = snapshots.snapshot(db, _published_id(db))
        assert current["source"] == "correction" and current["restored_from"] == shown
        assert current["note"] == (
            f"Snapshot {shown} without the notices an earlier rollback brought back though "
            f"withdrawn: 1 notice withdrawn or cancelled later stays out ({RB_OCID}: the "
            "contract was cancelled)"
        )
        assert current["rows_imported"] == len(_camden_notices(db))
        # the snapshot that showed it is kept as it was, in the history
        assert snapshots.snapshot(db, rolled)["status"] == "superseded"
        assert db.scalar(
            "SELECT count(*) FROM contracts WHERE snapshot_id = $id AND source_ref = $ref",
            {"id": rolled, "ref": RB_OCID},
        )
    finally:
        db.close()


def test_a_notice_awarded_again_after_an_old_rollback_stays(
    db_path,
    server,  # noqa: F811
):
    """The notice published again (a newer award) after the rollback: it is in force."""
    db = lifecycle.open_store(db_path)
    try:
        fetch.import_file(db, release_page(server, AWARD, OTHER), "notices.json", "Ann")
        before = _published_id(db)
        fetch.import_file(db, release_page(server, CANCELLED), "cancelled.json", "Ann")
        _rolled_back_the_old_way(db, server, before)
        revived = CANCELLED | {"id": "again", "date": "2025-08-01T09:00:00Z",
                               "awards": [AMENDMENT["awards"][0]]}  # fmt: skip
        fetch.import_file(db, release_page(server, revived), "revived.json", "Ann")
        shown = _published_id(db)
        _as_schema_16(db)
    finally:
        db.close()

    db = lifecycle.open_store(db_path)
    try:
        assert camden_rb(db) == AMENDED
        assert _published_id(db) == shown  # no snapshot made
    finally:
        db.close()


def test_a_backup_made_after_an_old_rollback_restores_without_the_cancelled_notice(
    db,
    server,  # noqa: F811
):
    """A backup of schema 16 restored holds the state its rollback left: it is put right as
    opening such a file is."""
    fetch.import_file(db, release_page(server, AWARD, OTHER), "notices.json", "Ann")
    before = _published_id(db)
    fetch.import_file(db, release_page(server, CANCELLED), "cancelled.json", "Ann")
    _rolled_back_the_old_way(db, server, before)
    archive = rewrite(backup.archive_bytes(db), as_version(16, {"contracts": V18_CONTRACTS}))
    restores.restore(db, archive)
    assert camden_rb(db) == []
    assert snapshots.snapshot(db, _published_id(db))["source"] == "correction"
