"""Backups whose contents were changed after they were made: what a restore lets in must be
what the app's own pages could have stored, since it is used afterwards without more checks."""

from __future__ import annotations

import io
import re
import secrets

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from citydata.output import alerts, backup, restores
from citydata.output.backup import BackupError
from citydata.query.pipeline import LeadTimes
from citydata.store import snapshots, subscriptions
from tests.snapshot_helpers import borough_records, dump, prepared
from tests.test_backup import CAMDEN, rewrite


def _with_alert(db) -> bytes:
    subscriptions.add(
        db,
        "ann",
        name="Renewals team",
        channel="teams",
        target="https://example.webhook.office.com/hook",
        view_url="",
        decisions_months=6,
        ending_months=None,
        changes=False,
    )
    return backup.archive_bytes(db)


def _alert_edited(archive: bytes, **values) -> bytes:
    def change(name, data):
        if name != "tables/alert_subscriptions.parquet":
            return data
        table = pq.read_table(io.BytesIO(data))
        rows = [row | values for row in table.to_pylist()]
        out = io.BytesIO()
        pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), out)
        return out.getvalue()

    return rewrite(archive, change)


@pytest.mark.parametrize(
    "values, says",
    [
        (
            {"feed_token": "../../outside"},
            "its alert 1 ('Renewals team') cannot be used: its"
            " calendar feed's name is not one this app makes.",
        ),
        ({"feed_token": "/tmp/anywhere"}, "calendar feed's name is not one this app makes"),
        (
            {"target": "http://169.254.169.254/latest/meta-data"},
            "“http://169.254.169.254/latest/meta-data” is not a webhook address",
        ),
        ({"decisions_months": 9999}, "months for decisions must be between 0 and 60"),
        ({"name": "   "}, "give the subscription a name"),
    ],
)
def test_a_backup_with_an_alert_the_app_could_not_have_stored_is_refused(
    db, tmp_path, values, says
):
    archive = _alert_edited(_with_alert(db), **values)
    before = dump(db)
    with pytest.raises(BackupError) as refused:
        restores.restore(db, archive)
    assert says in str(refused.value)
    assert "Traceback" not in str(refused.value)
    assert dump(db) == before


def test_the_backup_as_it_was_made_restores_with_its_alert(db):
    archive = _with_alert(db)
    restores.restore(db, archive)
    [sub] = subscriptions.all_(db)
    assert (sub.name, sub.target) == ("Renewals team", "https://example.webhook.office.com/hook")


def test_an_alert_feed_named_outside_the_feeds_folder_writes_no_file_there(db, tmp_path):
    """An alert already held with such a name (restored before the check): no file is written
    outside the feeds' folder, and the other alerts' feeds are written as before."""
    _with_alert(db)
    folder = tmp_path / "static" / "feeds"
    folder.mkdir(parents=True)
    good = secrets.token_urlsafe(24)
    with db.write() as w:
        w.execute("UPDATE alert_subscriptions SET feed_token = $t", {"t": good})
        w.execute(
            "INSERT INTO alert_subscriptions SELECT 2, name, channel, target, view_url,"
            " decisions_months, ending_months, changes, '../../outside', since_snapshot,"
            " created_by, created_at FROM alert_subscriptions WHERE id = 1"
        )
    written = alerts.write_feeds(db, LeadTimes(), folder)
    assert [p.name for p in written] == [f"{good}.ics"]
    assert not (tmp_path / "outside.ics").exists()
    assert sorted(p.name for p in tmp_path.rglob("*.ics")) == [f"{good}.ics"]


def _table_edited(archive: bytes, table: str, edit) -> bytes:
    def change(name, data):
        if name != f"tables/{table}.parquet":
            return data
        found = pq.read_table(io.BytesIO(data))
        rows = found.to_pylist()
        edit(rows)
        out = io.BytesIO()
        pq.write_table(pa.Table.from_pylist(rows, schema=found.schema), out)
        return out.getvalue()

    return rewrite(archive, change)


def _another_kind(rows):
    """Camden's illustrative snapshot, superseded by an upload, made current again as a
    snapshot of neither kind: beside Camden's register, its records would count twice."""
    old = next(r for r in rows if r["borough_code"] == CAMDEN and r["status"] == "superseded")
    old["status"], old["kind"] = "active", "other"


def _filed_elsewhere(rows):
    """One of Camden's records filed under Islington's snapshot: no upload of Camden's (nor
    Islington's) register would ever remove it."""
    rows[0]["borough_code"], rows[0]["borough"] = "E09000019", "Islington"


@pytest.mark.parametrize(
    "table, edit, says",
    [
        ("snapshots", _another_kind, "1 of its snapshots is neither a register nor published"),
        ("contracts", _filed_elsewhere, "1 of its records is filed under another borough's"),
    ],
)
def test_a_backup_whose_snapshots_and_records_do_not_hold_together_is_refused(
    db, table, edit, says
):
    camden = borough_records(db, CAMDEN)
    camden.loc[0, "annual_value"] = "123456.78"
    snapshots.commit(db, prepared(camden), b"camden", "ann")
    archive = _table_edited(backup.archive_bytes(db), table, edit)
    before = dump(db)
    with pytest.raises(BackupError, match=says):
        restores.restore(db, archive)
    assert dump(db) == before


def _alias_edited(**values):
    def edit(rows):
        capita = next(r for r in rows if r["alias"] == "capita plc")
        capita.update(values)

    return edit


@pytest.mark.parametrize(
    "values, says",
    [
        ({"vendor": "  "}, "its vendor aliases group spellings under '  '"),
        ({"vendor": "Capita\x1b[2J"}, "its vendor aliases group spellings under"),
        ({"vendor": "C" * 201}, "its vendor aliases group spellings under"),
        ({"alias": "Capita PLC."}, "its vendor aliases hold the key 'Capita PLC.', which no name"),
    ],
)
def test_a_backup_with_a_vendor_grouping_the_app_could_not_have_stored_is_refused(db, values, says):
    """A grouping under a blank name would gather every spelling of Capita under a vendor
    with no name in every breakdown; a key no spelling folds to groups nothing."""
    archive = _table_edited(backup.archive_bytes(db), "vendor_aliases", _alias_edited(**values))
    before = dump(db)
    with pytest.raises(BackupError, match=re.escape(says)):
        restores.restore(db, archive)
    assert dump(db) == before


def _chained(rows):
    """Capita's own spelling grouped under another vendor: "Capita Business Services Limited"
    -> Capita -> Capita Group, which the Vendor names page would have stored as one step."""
    next(r for r in rows if r["alias"] == "capita")["vendor"] = "Capita Group"


def _looped(rows):
    """Two vendors grouped under each other: "Capita plc" -> Capita -> Capita plc."""
    next(r for r in rows if r["alias"] == "capita")["vendor"] = "Capita plc"


@pytest.mark.parametrize(
    "edit, says",
    [
        (
            _chained,
            "its vendor aliases group 'capita business services limited' under 'Capita',"
            " itself grouped under 'Capita Group': a chain or loop of groupings the Vendor"
            " names page never stores.",
        ),
        (
            _looped,
            "its vendor aliases group 'capita' under 'Capita plc', itself grouped under 'Capita'",
        ),
    ],
    ids=["chain", "loop"],
)
def test_a_backup_whose_vendor_groupings_chain_or_loop_is_refused(db, edit, says):
    """A chain or a loop of groupings is what the Vendor names page never stores (it groups a
    spelling under the final vendor): restored, a record would show under a vendor that is
    itself grouped elsewhere, or a loop's vendors under each other by turns."""
    archive = _table_edited(backup.archive_bytes(db), "vendor_aliases", edit)
    before = dump(db)
    with pytest.raises(BackupError, match=re.escape(says)):
        restores.restore(db, archive)
    assert dump(db) == before
