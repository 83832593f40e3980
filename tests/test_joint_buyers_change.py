"""A later release of a jointly bought notice that changes who bought it.

Richmond and Wandsworth bought a revenues and benefits system together (tests/test_joint_notices
.py's AWARD); a later release of the same notice names Camden too, or names Richmond alone.
Before, a release changing only its buyers changed nothing held: Richmond's record still said
"Bought jointly with: Wandsworth", the preview and the alert said nothing, and a council no
longer among the buyers kept a current record of a contract it no longer shares. Every database
here is a real DuckDB file; the releases are OCDS 1.1 as Contracts Finder publishes them.

The same for a notice whose newer release names another council as its only buyer (the buyer
corrected), and within one file holding several releases of a notice (the real Contracts Finder
export's Kingston notice, as a joint release and a newer single one).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal

import pandas as pd
import pytest

from citydata import ingest
from citydata.feeds import fetch
from citydata.output import alerts
from citydata.query import pipeline
from citydata.store import previews, rollbacks, snapshots, subscriptions
from tests import command
from tests.test_joint_notices import AWARD, OCID, RICHMOND, WANDSWORTH, page
from tests.test_withdrawn_notices import _planx, adds_up

# The notice without a contract period: no annual value to share, so only who bought it differs
UNDATED = copy.deepcopy(AWARD)
del UNDATED["awards"][0]["contractPeriod"]


def buyers(release: dict, *names: str, when: str = "2025-03-01T09:00:00Z") -> dict:
    """A later release of `release` naming `names` as its buyers (OCDS parties)."""
    return release | {
        "id": f"amendment-{when}",
        "date": when,
        "tag": ["awardUpdate"],
        "buyer": {"name": names[0]},
        "parties": [{"name": n, "roles": ["buyer"]} for n in names],
    }


RICH, WAND, CAM = (
    "London Borough of Richmond upon Thames",
    "Wandsworth Borough Council",
    "London Borough of Camden",
)


def held(db) -> list[tuple]:
    return db.rows(
        "SELECT borough, bought_with, annual_value FROM current_contracts"
        " WHERE source_ref = $ref ORDER BY ALL",
        {"ref": OCID},
    )


def _alert(db, borough: str):
    return subscriptions.add(
        db, "test", name=borough, channel="slack", target="https://hooks.example.com/x",
        view_url=f"https://x/?borough={borough}&source_kind=published", decisions_months=None,
        ending_months=None, changes=True,
    )  # fmt: skip


def _says(db, sub) -> str:
    with db.read() as r:
        return alerts.message(r, sub, pipeline.LeadTimes(), dt.date(2026, 12, 1), None).text()


def test_a_release_adding_a_buyer_updates_who_else_bought_it_and_says_so(db):
    run = fetch.import_file(db, page(UNDATED), "award.json", "Ann")
    assert run.status == "done", run.message
    sub = _alert(db, "Richmond upon Thames")
    later = ingest.prepare(page(buyers(UNDATED, RICH, WAND, CAM)), "later.json")
    changes = {c.borough: c for c in previews.preview(db, later)}
    # the preview says what changes on Richmond's record (it said nothing: "no changes")
    assert [
        (f["field"], f["before"], f["after"])
        for f in changes["Richmond upon Thames"].diff.changed.to_dict("records")
    ] == [("Bought jointly with", "Wandsworth", "Wandsworth; Camden")]
    assert len(changes["Camden"].diff.added) == 1
    run = fetch.import_file(db, page(buyers(UNDATED, RICH, WAND, CAM)), "later.json", "Ann")
    assert run.status == "done", run.message
    assert adds_up(run)
    # was ("Richmond upon Thames", "Wandsworth", None), ("Wandsworth", "Richmond upon Thames")
    assert held(db) == [
        ("Camden", "Richmond upon Thames; Wandsworth", None),
        ("Richmond upon Thames", "Wandsworth; Camden", None),
        ("Wandsworth", "Richmond upon Thames; Camden", None),
    ]
    with db.read() as r:  # the History page's comparison of Richmond's two snapshots says it
        first, second = (
            i
            for (i,) in r.rows(
                "SELECT id FROM snapshots WHERE borough_code = $code AND kind = 'published'"
                " ORDER BY id",
                {"code": RICHMOND},
            )
        )
        assert previews.compare(r, first, second).changed["field"].tolist() == [
            "Bought jointly with"
        ]
    said = _says(db, sub)
    assert "New or changed records (1):" in said
    assert "- Richmond upon Thames – Revenues and benefits system" in said
    assert ": Changed, no end date; " in said


def test_a_release_adding_a_buyer_shares_the_annual_value_among_three(db):
    fetch.import_file(db, page(AWARD), "award.json", "Ann")
    later = ingest.prepare(page(buyers(AWARD, RICH, WAND, CAM)), "later.json")
    changes = {c.borough: c for c in previews.preview(db, later)}
    assert [
        (f["field"], f["before"], f["after"])
        for f in changes["Wandsworth"].diff.changed.to_dict("records")
    ] == [
        ("Annual value (£)", "£150,000.00", "£100,000.00"),
        ("Bought jointly with", "Richmond upon Thames", "Richmond upon Thames; Camden"),
    ]
    fetch.import_file(db, page(buyers(AWARD, RICH, WAND, CAM)), "later.json", "Ann")
    assert [(b, v) for b, _, v in held(db)] == [
        (borough, Decimal("100000.00"))
        for borough in ("Camden", "Richmond upon Thames", "Wandsworth")
    ]
    assert db.scalar(
        "SELECT sum(annual_value) FROM current_contracts WHERE source_ref = $ref", {"ref": OCID}
    ) == Decimal("300000.00")  # the contract's £300,000 a year, counted once


def test_a_council_no_longer_among_the_buyers_no_longer_holds_the_notice(db):
    """Wandsworth kept a current record of a contract a newer release said Richmond alone
    bought: it was on Wandsworth's pages, counted in its totals, and half the yearly figure
    went missing from Richmond's. As for a notice withdrawn for it, Wandsworth's next snapshot
    of notices leaves it out, the history keeps it, and an older release never brings it back."""
    fetch.import_file(db, page(AWARD), "award.json", "Ann")
    alone = buyers(AWARD, RICH)
    later = ingest.prepare(page(alone), "later.json")
    changes = {c.borough: c for c in previews.preview(db, later)}
    assert set(changes) == {"Richmond upon Thames", "Wandsworth"}  # was Richmond's only
    [removed] = changes["Wandsworth"].diff.removed.to_dict("records")
    assert removed["source_ref"] == OCID
    assert removed[previews.WHY_REMOVED] == (
        "No longer a buyer: the notice's newer release no longer names this council "
        "among its buyers; no longer shown"
    )
    assert snapshots.left_out(changes["Wandsworth"]) == [
        "1 notice no longer naming it a buyer: no longer shown"
    ]
    run = fetch.import_file(db, page(alone), "later.json", "Ann")
    assert run.status == "done", run.message
    assert adds_up(run)
    # was [("Richmond upon Thames", None, 300000), ("Wandsworth", "Richmond upon Thames", 150000)]
    assert held(db) == [("Richmond upon Thames", None, Decimal("300000.00"))]
    assert (
        db.scalar(
            "SELECT count(*) FROM contracts AS c JOIN snapshots AS s ON s.id = c.snapshot_id"
            " WHERE s.borough_code = $w AND s.status = 'superseded' AND c.source_ref = $ref",
            {"w": WANDSWORTH, "ref": OCID},
        )
        == 1
    )  # the history keeps it
    # the award again, older than the release that named Richmond alone: Wandsworth stays out
    again = fetch.import_file(db, page(AWARD), "award-again.json", "Ann")
    assert again.imported == 0
    assert held(db) == [("Richmond upon Thames", None, Decimal("300000.00"))]
    # a rollback of Wandsworth's notices to before does not bring it back either
    with db.read() as r:
        before = r.scalar(
            "SELECT min(id) FROM snapshots WHERE borough_code = $w AND kind = 'published'",
            {"w": WANDSWORTH},
        )
    with pytest.raises(snapshots.CommitRefused) as refused:
        rollbacks.rollback(db, before, "Ann")
    assert str(refused.value).endswith(
        "that can be current: 1 notice no longer bought by this council later stays out "
        f"({OCID}: the notice's newer release no longer names this council among its buyers)."
    )
    # a release naming Wandsworth again, newer still: it is Wandsworth's again
    both = buyers(AWARD, RICH, WAND, when="2025-09-01T09:00:00Z")
    fetch.import_file(db, page(both), "both.json", "Ann")
    assert [b for b, _, _ in held(db)] == ["Richmond upon Thames", "Wandsworth"]


def test_a_file_for_one_council_does_not_take_the_notice_from_the_others(db):
    """A notices file imported for Wandsworth alone gives Wandsworth's record only: Richmond,
    still named among the buyers, keeps its own."""
    fetch.import_file(db, page(AWARD), "award.json", "Ann")
    later = AWARD | {"id": "amended", "date": "2025-03-01T09:00:00Z"}
    p = ingest.prepare(page(later), "wandsworth.json", borough="Wandsworth")
    assert [c.borough for c in previews.preview(db, p)] == ["Wandsworth"]
    assert [b for b, _, _ in held(db)] == ["Richmond upon Thames", "Wandsworth"]


def test_the_import_command_says_the_council_no_longer_among_the_buyers(db_path, tmp_path):
    award, later = tmp_path / "award.json", tmp_path / "later.json"
    award.write_bytes(page(AWARD))
    later.write_bytes(page(buyers(AWARD, RICH)))
    assert command.run("import", str(award), db=db_path).returncode == 0
    dry = command.run("import", str(later), "--dry-run", "--json", db=db_path, text=True)
    assert dry.returncode == 0, dry.stderr
    said = {c["borough"]: c for c in json.loads(dry.stdout)["changes"]}
    wandsworth = said["Wandsworth"]
    assert (wandsworth["removed"], wandsworth["no_longer_a_buyer"], wandsworth["withdrawn"]) == (
        1,
        1,
        0,
    )
    assert said["Richmond upon Thames"]["changed"] == 1  # its whole yearly figure, bought alone
    done = command.run("import", str(later), db=db_path, text=True)
    assert done.returncode == 0, done.stderr
    assert "1 notice no longer naming it a buyer: no longer shown" in done.stdout


def test_a_notice_whose_buyer_is_corrected_leaves_the_council_first_named(db):
    """A notice published as Wandsworth's and corrected by a newer release to Richmond's: before,
    Wandsworth kept a current record of a contract it never bought (on its pages, in its totals
    and in the region's twice) beside Richmond's. Now Wandsworth's record leaves as a joint
    notice's council no longer named does; an older release never brings it back."""
    first = buyers(AWARD, WAND, when="2025-02-01T09:00:00Z")
    fetch.import_file(db, page(first), "first.json", "Ann")
    assert held(db) == [("Wandsworth", None, Decimal("300000.00"))]
    corrected = buyers(AWARD, RICH, when="2025-03-01T09:00:00Z")
    changes = {c.borough: c for c in previews.preview(db, ingest.prepare(page(corrected), "c"))}
    assert set(changes) == {"Richmond upon Thames", "Wandsworth"}
    [removed] = changes["Wandsworth"].diff.removed.to_dict("records")
    assert removed[previews.WHY_REMOVED] == (
        "No longer a buyer: the notice's newer release no longer names this council among its "
        "buyers; no longer shown"
    )
    run = fetch.import_file(db, page(corrected), "corrected.json", "Ann")
    assert run.status == "done", run.message
    assert held(db) == [("Richmond upon Thames", None, Decimal("300000.00"))]
    assert db.rows(
        "SELECT borough_code, status FROM notice_withdrawals WHERE source_ref = $ref",
        {"ref": OCID},
    ) == [(WANDSWORTH, "no longer a buyer")]
    fetch.import_file(db, page(first), "first-again.json", "Ann")  # older: changes nothing
    assert held(db) == [("Richmond upon Thames", None, Decimal("300000.00"))]


def test_an_older_release_naming_another_buyer_takes_nothing_away(db):
    """An older release naming another council gives that council nothing new to drop: the
    council named by the newest release keeps its record."""
    fetch.import_file(db, page(buyers(AWARD, WAND, when="2025-03-01T09:00:00Z")), "new", "Ann")
    older = buyers(AWARD, RICH, when="2025-02-01T09:00:00Z")
    changes = {c.borough: c for c in previews.preview(db, ingest.prepare(page(older), "o"))}
    assert "Wandsworth" not in changes or changes["Wandsworth"].diff.removed.empty
    fetch.import_file(db, page(older), "older.json", "Ann")
    assert ("Wandsworth", None, Decimal("300000.00")) in held(db)


def test_a_joint_notice_stored_before_its_records_named_the_others_leaves_too(db):
    """A joint notice stored before schema 18 holds no `bought_with`: a newer release naming
    Richmond alone now takes Wandsworth's record away too (it used to stay, counting the
    contract one and a half times)."""
    fetch.import_file(db, page(AWARD), "award.json", "Ann")
    with db.write() as w:
        w.execute("UPDATE contracts SET bought_with = NULL WHERE source_ref = $ref", {"ref": OCID})
    fetch.import_file(db, page(buyers(AWARD, RICH)), "later.json", "Ann")
    assert held(db) == [("Richmond upon Thames", None, Decimal("300000.00"))]


def _planx_releases(*releases: tuple[str, str]) -> bytes:
    """Kingston's PlanX notice of the real Contracts Finder export of November 2025, once per
    (buyer, published date): a file holding several releases of it."""
    notice = _planx()
    rows = [notice.assign(**{"Organisation Name": b, "Published Date": d}) for b, d in releases]
    return pd.concat(rows).to_csv(index=False).encode()


KINGSTON_ALONE = "The Royal Borough of Kingston upon Thames"


@pytest.mark.parametrize("newer_first", [False, True], ids=["in-order", "newer-first"])
def test_a_file_holding_an_older_joint_release_and_a_newer_one_gives_only_the_newer_buyers(
    db, newer_first
):
    """One Contracts Finder export holds a release bought by Kingston and Sutton and a newer
    one naming Kingston alone. Before, Sutton's record of the older release was imported, as
    Sutton's newest: a contract Sutton no longer shares, current for it, and counted with
    Kingston's. Now the file gives what importing its releases one by one would: Kingston's
    record alone."""
    releases = [("Kingston and Sutton Councils", "2024-12-12T13:04:44Z"),
                (KINGSTON_ALONE, "2025-01-10T09:00:00Z")]  # fmt: skip
    content = _planx_releases(*(releases[::-1] if newer_first else releases))
    p = ingest.prepare(content, "notices.csv")
    assert p.records["borough"].tolist() == ["Kingston upon Thames"]
    assert [c.borough for c in previews.preview(db, p)] == ["Kingston upon Thames"]


def test_a_file_whose_newer_release_corrects_the_buyer_says_why_the_first_is_left_out(db):
    content = _planx_releases(("London Borough of Sutton", "2024-12-12T13:04:44Z"),
                              (KINGSTON_ALONE, "2025-01-10T09:00:00Z"))  # fmt: skip
    p = ingest.prepare(content, "notices.csv")
    assert p.records["borough"].tolist() == ["Kingston upon Thames"]
    [older] = [x for x in p.problems if x.row == 2]
    assert older.reason == (
        "An older release of notice LBKING001-DN751807-92295848: its newer release, in row 3 of "
        "this file, no longer names this council among its buyers."
    )
