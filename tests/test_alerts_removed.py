"""Alerts tell what left the view: a record the subscribers were told about that is no longer
current at all (not in the borough's newer register, its notice withdrawn or cancelled, a
rollback took it away) is listed once under "No longer listed", with why.

Before, an alert only ever told what was new or changed: a council officer subscribed to
"Camden's contracts ending within 24 months" was told about a contract, and never heard that
it had gone. Real stores, the real SMTP server and webhook receiver of tests/test_alerts.py.
"""

from __future__ import annotations

import csv
import io
import json
from contextlib import redirect_stderr, redirect_stdout
from urllib.parse import urlencode

import duckdb
from icalendar import Calendar

from citydata import cli, lifecycle
from citydata.store import ledger
from tests import command
from tests.test_alerts import alerts, send, smtp, webhook  # noqa: F401 - fixtures
from tests.test_fetch import AWARD, RB_OCID
from tests.test_joint_buyers_change import RICH, buyers
from tests.test_joint_notices import AWARD as JOINT
from tests.test_joint_notices import OCID, page
from tests.test_lifecycle import held_by_another_process
from tests.test_withdrawn_notices import CANCELLED


def listed(text: str, heading: str) -> list[str]:
    """The lines of the message's section `heading` ("No longer listed")."""
    paragraphs = text.replace("\r\n", "\n").split("\n\n")
    for i, paragraph in enumerate(paragraphs):
        if paragraph.startswith(heading + " ("):
            return paragraphs[i + 1].splitlines()
    return []


def titles(feed) -> str:
    """The titles of a calendar file's events, one a line."""
    events = Calendar.from_ical(feed.read_bytes()).walk("VEVENT")
    return "\n".join(str(e["SUMMARY"]) for e in events)


def camden_register(db_path, tmp_path) -> list[dict[str, str]]:
    """Camden's register uploaded by its steward (its illustrative records exported, one value
    changed, so that the upload is stored): real records from now on."""
    path = tmp_path / "camden.csv"
    assert cli.main(["export", "--borough", "Camden", "-o", str(path), "--db", str(db_path)]) == 0
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    rows[-1]["annual_value"] = "12345"
    upload(db_path, tmp_path, rows)
    return rows


def upload(db_path, tmp_path, rows: list[dict[str, str]]) -> None:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / "camden.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
        code = cli.main(["import", str(path), "--borough", "Camden", "--db", str(db_path)])
    assert code == 0


def add(db_path, *args: str) -> None:
    done = alerts(db_path, "add", "--name", "Camden", "--url", "https://x/?borough=Camden", *args)
    assert done.returncode == 0, done.stderr


def test_a_record_not_in_the_newer_register_is_told_once_and_a_changed_one_is_changed(
    db_path,
    smtp,  # noqa: F811
    tmp_path,
):
    rows = camden_register(db_path, tmp_path)
    add(db_path, "--email", "all@camden.example.gov.uk", "--changes")
    add(db_path, "--email", "soon@camden.example.gov.uk", "--ending", "24")
    assert send(db_path).returncode == 0
    smtp.messages.clear()  # (the contracts ending: told before the register changed)
    # one contract ending within 24 months leaves the register; another's end date moves out
    # of the 24 months (changed, and out of the window: neither is a removal)
    soon = [r for r in rows if r["source_ref"] and "2027-01-01" <= r["contract_end"] < "2028-06-01"]
    gone, moved = soon[0], soon[1]
    kept = [r | {"contract_end": "2031-03-31"} if r is moved else r for r in rows if r is not gone]
    # an alert on another of Camden's vendors: the record gone was never in its view
    other = next(r["vendor"] for r in rows if r["vendor"] not in (gone["vendor"], moved["vendor"]))
    done = alerts(
        db_path, "add", "--name", "Other", "--email", "other@camden.example.gov.uk", "--url",
        "https://x/?" + urlencode({"borough": "Camden", "vendor": other}), "--changes",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    upload(db_path, tmp_path, kept)

    assert send(db_path).returncode == 0
    got = {rcpt[0]: msg for rcpt, msg in smtp.messages}
    assert set(got) == {"all@camden.example.gov.uk", "soon@camden.example.gov.uk"}
    for msg in got.values():
        assert "no longer listed (1)" in msg["Subject"]
        body = msg.get_content()
        (line,) = listed(body, "No longer listed")
        assert line.startswith(f"- Camden – {gone['system']}")
        assert "No longer listed (not in the borough's newer register)" in line
        assert f"ref. {gone['source_ref']}" in line
    changes = listed(got["all@camden.example.gov.uk"].get_content(), "New or changed records")
    (changed,) = changes
    assert "Changed" in changed and f"ref. {moved['source_ref']}" in changed
    assert "ends 31 Mar 2031" in changed
    # the alert watching only its 24 months hears of the contract gone, and of nothing else
    assert (
        got["soon@camden.example.gov.uk"]["Subject"] == "City Tools Explorer: no longer listed (1)"
    )

    again = send(db_path)
    assert again.stdout.count("nothing due") == 3, again.stdout
    assert len(smtp.messages) == 2, "the second run sent nothing"


def test_a_cancelled_notice_is_told_with_its_reason_and_leaves_the_feed(
    db_path,
    webhook,  # noqa: F811
    tmp_path,
    monkeypatch,
):
    feeds = tmp_path / "feeds"
    monkeypatch.setenv("CITYTOOLS_FEEDS_DIR", str(feeds))
    award, cancelled = tmp_path / "award.json", tmp_path / "cancelled.json"
    award.write_text(json.dumps({"version": "1.1", "releases": [AWARD]}), encoding="utf-8")
    cancelled.write_text(json.dumps({"version": "1.1", "releases": [CANCELLED]}), encoding="utf-8")
    add(db_path, "--slack", webhook.url, "--ending", "24")
    assert command.run("import", str(award), db=db_path).returncode == 0
    assert send(db_path).returncode == 0
    (told,) = webhook.bodies
    assert RB_OCID in told["text"]  # ending 31 Mar 2028: within the 24 months
    (feed,) = (f for f in feeds.glob("*.ics") if f.name != "coming-to-market.ics")
    assert "NEC Software Solutions" in titles(feed)

    assert command.run("import", str(cancelled), db=db_path).returncode == 0
    assert send(db_path).returncode == 0
    (_, gone) = webhook.bodies
    assert "no longer listed (1)" in gone["text"]
    (line,) = listed(gone["text"], "No longer listed")
    assert f"ref. {RB_OCID}" in line
    assert "No longer listed (the contract was cancelled)" in line
    # the subscribed calendar drops the contract's events, as calendar programs expect
    assert "NEC Software Solutions" not in titles(feed)

    assert "nothing due" in send(db_path).stdout
    assert len(webhook.bodies) == 2, "the second run sent nothing"


def test_a_record_a_rollback_took_away_is_told_once(
    db_path,
    webhook,  # noqa: F811
    tmp_path,
):
    rows = camden_register(db_path, tmp_path)
    before = _camden_register_snapshot(db_path)
    add(db_path, "--slack", webhook.url, "--changes")
    upload(db_path, tmp_path, [*rows, rows[1] | {"source_ref": "NEW-1", "system": "Brand New"}])
    assert send(db_path).returncode == 0
    (new,) = webhook.bodies
    assert "- Camden – Brand New" in new["text"] and "New" in new["text"]

    done = command.run("rollback", str(before), db=db_path, text=True)
    assert done.returncode == 0, done.stderr
    assert send(db_path).returncode == 0
    (_, gone) = webhook.bodies
    (line,) = listed(gone["text"], "No longer listed")
    assert line.startswith("- Camden – Brand New") and "ref. NEW-1" in line
    assert "the borough's data was rolled back to a snapshot without it" in line
    assert listed(gone["text"], "New or changed records") == []

    assert "nothing due" in send(db_path).stdout
    assert len(webhook.bodies) == 2, "the second run sent nothing"


def _camden_register_snapshot(db_path) -> int:
    with duckdb.connect(str(db_path), read_only=True) as con:
        (found,) = con.execute(
            "SELECT max(id) FROM snapshots WHERE borough_code = 'E09000007' AND kind = 'register'"
        ).fetchone()
    return int(found)


def test_a_joint_notice_that_no_longer_names_the_council_is_told_to_its_teams_channel(
    db_path,
    webhook,  # noqa: F811
    tmp_path,
):
    """Richmond and Wandsworth bought a system together; a newer release names Richmond alone.
    Wandsworth's channel hears that the contract is no longer listed, and why."""
    award, later = tmp_path / "award.json", tmp_path / "later.json"
    award.write_bytes(page(JOINT))
    later.write_bytes(page(buyers(JOINT, RICH)))
    done = alerts(
        db_path, "add", "--name", "Wandsworth", "--teams", webhook.url,
        "--url", "https://x/?borough=Wandsworth", "--changes",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert command.run("import", str(award), db=db_path).returncode == 0
    assert send(db_path).returncode == 0
    assert command.run("import", str(later), db=db_path).returncode == 0
    assert send(db_path).returncode == 0
    (_, card) = webhook.bodies
    blocks = [b["text"] for b in card["attachments"][0]["content"]["body"]]
    assert blocks[0] == "City Tools Explorer: no longer listed (1)"
    heading = blocks.index("No longer listed (1):")
    (line,) = blocks[heading + 1].splitlines()
    assert line.startswith("- Wandsworth – ") and f"ref. {OCID}" in line
    assert (
        "No longer listed (no longer bought by this council: the notice's newer release "
        "no longer names this council among its buyers)"
    ) in line

    assert "nothing due" in send(db_path).stdout
    assert len(webhook.bodies) == 2, "the second run sent nothing"


def test_a_record_gone_is_told_once_while_the_app_holds_the_database(
    db_path,
    smtp,  # noqa: F811
    tmp_path,
    monkeypatch,
):
    """The scheduled run reads a copy and keeps what it sent in the ledger beside the file: the
    record gone is told once, by that run, and neither the next run nor the one after the
    ledger is folded into the database tells it again."""
    monkeypatch.setattr(lifecycle, "BUSY_WAITS", (0.05,))  # (the waiting: test_lifecycle.py)
    rows = camden_register(db_path, tmp_path)
    add(db_path, "--email", "soon@camden.example.gov.uk", "--ending", "24")
    assert send(db_path).returncode == 0
    gone = next(r for r in rows if r["source_ref"] and "2027-01-01" <= r["contract_end"] < "2028")
    upload(db_path, tmp_path, [r for r in rows if r is not gone])
    with held_by_another_process(db_path):
        told = send(db_path)
        assert "reading a copy" in told.stderr and "sent" in told.stdout
        assert "nothing due" in send(db_path).stdout
    (_, (_, msg)) = smtp.messages
    assert msg["Subject"] == "City Tools Explorer: no longer listed (1)"
    (line,) = listed(msg.get_content(), "No longer listed")
    assert f"ref. {gone['source_ref']}" in line
    assert "nothing due" in send(db_path).stdout  # (the ledger folded into the database)
    assert ledger.path_for(db_path).read_text() == ""
    assert len(smtp.messages) == 2


def test_a_notice_gone_whose_contract_the_register_still_lists_is_not_told_as_gone(
    db_path,
    webhook,  # noqa: F811
    tmp_path,
):
    """Camden's register lists its revenues and benefits system, and the award notice of it is
    that record's evidence (one contract, counted once, as the register record). The notice
    cancelled, the alert said the contract was "no longer listed (the contract was cancelled)"
    while every page still listed it from the register: the notice was evidence, not the
    contract. Now a notice gone that pairs with a register record still current is not told."""
    rows = camden_register(db_path, tmp_path)
    system = "Revenues and Benefits"
    rb = rows[0] | {
        "system": system, "vendor": "NEC Software Solutions UK Ltd", "source_ref": "CAM-RB-1",
        "contract_start": "2025-04-01", "contract_end": "2028-03-31",
    }  # fmt: skip
    upload(db_path, tmp_path, [*rows, rb])
    award, cancelled = tmp_path / "award.json", tmp_path / "cancelled.json"
    award.write_text(json.dumps({"version": "1.1", "releases": [AWARD]}), encoding="utf-8")
    cancelled.write_text(json.dumps({"version": "1.1", "releases": [CANCELLED]}), encoding="utf-8")
    assert command.run("import", str(award), db=db_path).returncode == 0
    with duckdb.connect(str(db_path), read_only=True) as con:  # (the pair the pages count once)
        assert con.execute(
            "SELECT count(*) FROM notice_matches WHERE notice_ref = $ref", {"ref": RB_OCID}
        ).fetchone() == (1,)
    add(db_path, "--slack", webhook.url, "--ending", "24", "--changes")
    assert send(db_path).returncode == 0
    (told,) = webhook.bodies
    assert f"- Camden – {system}" in told["text"]

    assert command.run("import", str(cancelled), db=db_path).returncode == 0
    assert send(db_path).returncode == 0
    for body in webhook.bodies[1:]:
        assert listed(body["text"], "No longer listed") == [], body["text"]
    # the register's record is still in the view, and so in the alert's calendar
    with duckdb.connect(str(db_path), read_only=True) as con:
        assert con.execute(
            "SELECT count(*) FROM current_contracts WHERE source_ref = 'CAM-RB-1'"
        ).fetchone() == (1,)
