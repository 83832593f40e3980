"""Alerts end to end: `python -m citydata alerts` against a real SMTP server (aiosmtpd) and a real
HTTP receiver on this machine, standing in for the council's mail server and a Teams or Slack
incoming webhook. What a steward would notice: the message arrives with the contracts, their
dates and a link back to the view; a second run sends nothing twice; a failing server leaves the
alert unsent and the next run delivers it."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import socket
import threading
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import date
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

import duckdb
import pandas as pd
import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar

from citydata import cli, lifecycle
from citydata.core import keys
from citydata.output import ics
from citydata.output.alerts import view_state
from citydata.query import alerts as due
from citydata.query import pipeline
from citydata.store import subscriptions
from tests import command

TODAY = "2026-12-01"
PUBLIC = "https://citytools.example.gov.uk"
VIEW = "https://someone.streamlit.app/pipeline?borough=Camden&hosting=Cloud+%28SaaS%29&hosting=On+premises"
QUERY = VIEW.split("?")[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """aiosmtpd handler: keeps every message the server accepts."""

    def __init__(self):
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.rcpt_tos, msg))
        return "250 OK"


@pytest.fixture
def smtp(monkeypatch):
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("CITYTOOLS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CITYTOOLS_SMTP_PORT", str(port))
    monkeypatch.setenv("CITYTOOLS_SMTP_TLS", "none")
    monkeypatch.setenv("CITYTOOLS_SMTP_SENDER", "citytools@example.gov.uk")
    monkeypatch.setenv("CITYTOOLS_PUBLIC_URL", PUBLIC)
    monkeypatch.setenv("CITYTOOLS_SEND_TIMEOUT", "5")
    yield inbox
    controller.stop()


class Receiver:
    """An incoming webhook: records each JSON body; answers `status`."""

    def __init__(self):
        self.bodies: list[dict] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                if receiver.status == 200:
                    receiver.bodies.append(body)
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b"1")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook(monkeypatch):
    monkeypatch.setenv("CITYTOOLS_PUBLIC_URL", PUBLIC)
    monkeypatch.setenv("CITYTOOLS_SEND_TIMEOUT", "5")
    receiver = Receiver()
    yield receiver
    receiver.close()


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


def alerts(db, *args: str) -> Done:
    """`python -m citydata alerts ARGS` in this process (the first test runs the real command)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(["alerts", *args, "--db", str(db)])
    return Done(code, out.getvalue(), err.getvalue())


def send(db, *args: str):
    return alerts(db, "send", "--today", TODAY, *args)


def add_email(db, *extra: str):
    done = alerts(
        db,
        "add",
        "--name",
        "Camden housing",
        "--email",
        "lead@camden.example.gov.uk",
        "--url",
        VIEW,
        "--decisions",
        "24",
        "--ending",
        "24",
        *extra,
    )
    assert done.returncode == 0, done.stderr
    return done


def test_email_alert_lists_contracts_with_dates_and_a_link_then_sends_nothing_twice(db_path, smtp):
    add_email(db_path)
    first = command.run("alerts", "send", "--today", TODAY, db=db_path, text=True)
    assert first.returncode == 0, first.stderr
    assert "sent" in first.stdout
    assert len(smtp.messages) == 1
    rcpt, msg = smtp.messages[0]
    assert rcpt == ["lead@camden.example.gov.uk"]
    assert msg["From"] == "citytools@example.gov.uk"
    assert msg["Subject"].startswith("City Tools Explorer: decisions due")
    body = msg.get_content()
    assert "Contracts where borough is Camden and hosting is Cloud (SaaS) or On premises" in body
    assert f"{PUBLIC}/pipeline?{QUERY}" in body
    lines = [line for line in body.splitlines() if line.startswith("- ")]
    assert lines and all(line.startswith("- Camden – ") for line in lines)
    assert any("decide by" in line and "ends" in line for line in lines)

    again = send(db_path)
    assert again.returncode == 0
    assert "nothing due" in again.stdout
    assert len(smtp.messages) == 1, "the second run the same day sent nothing"


def test_dry_run_prints_the_message_and_sends_and_records_nothing(db_path, smtp):
    add_email(db_path)
    dry = send(db_path, "--dry-run")
    assert dry.returncode == 0
    assert "would send" in dry.stdout and "Open this view: " + PUBLIC in dry.stdout
    assert smtp.messages == []
    real = send(db_path)
    assert "sent" in real.stdout and len(smtp.messages) == 1


def test_a_window_of_one_month_is_one_month(db_path, smtp):
    added = alerts(
        db_path, "add", "--name", "Soon", "--email", "a@example.org", "--decisions", "1",
        "--ending", "1",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "decisions due within 1 month; contracts ending within 1 month." in added.stdout
    dry = send(db_path, "--dry-run").stdout
    assert "Decisions due within 1 month (" in dry and "Contracts ending within 1 month (" in dry
    assert "1 months" not in dry


def test_a_mail_server_that_is_down_leaves_the_alert_unsent_until_the_next_run(
    db_path, monkeypatch
):
    port = free_port()  # nothing listens here yet
    monkeypatch.setenv("CITYTOOLS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CITYTOOLS_SMTP_PORT", str(port))
    monkeypatch.setenv("CITYTOOLS_SMTP_TLS", "none")
    monkeypatch.setenv("CITYTOOLS_SMTP_SENDER", "citytools@example.gov.uk")
    monkeypatch.setenv("CITYTOOLS_SEND_TIMEOUT", "5")
    add_email(db_path)
    down = send(db_path)
    assert down.returncode == 1
    assert "failed" in down.stderr and "Nothing was sent: the mail server 127.0.0.1:" in down.stderr
    assert "refused the connection (nothing answers at that address and port" in down.stderr
    assert "tried again on the next run" in down.stderr
    assert "Traceback" not in down.stderr and "Errno" not in down.stderr

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        up = send(db_path)
    finally:
        controller.stop()
    assert up.returncode == 0, up.stderr
    assert len(inbox.messages) == 1, "the unsent alert went on the next run"


class Refusing(Inbox):
    """A mail server that takes the connection but refuses the message, as a council's may."""

    async def handle_DATA(self, server, session, envelope):
        return "554 5.7.1 Message rejected: \x1b[31mspam\x1b[0m suspected"


@pytest.mark.parametrize(
    ("tls", "user", "handler", "said"),
    [
        ("ssl", None, Inbox, "no secure connection could be made with the mail server 127.0.0.1:"),
        ("starttls", None, Inbox, "does not offer a secure connection by STARTTLS: set CITY"),
        ("none", "camden", Inbox, "does not offer signing in: leave CITYTOOLS_SMTP_USER unset"),
        (
            "none",
            None,
            Refusing,
            "refused the message with code 554 (it said: “5.7.1 Message rejected:",
        ),
    ],
    ids=["ssl to a plain server", "starttls not offered", "sign-in not offered", "refused"],
)
def test_a_mail_server_that_will_not_take_the_alert_is_said_in_words_not_pythons(
    db_path, monkeypatch, tls, user, handler, said
):
    """Said before as "refused the message: (554, b'5.7.1 ...')" or "[SSL: WRONG_VERSION_NUMBER]
    wrong version number (_ssl.c:1006)": Python's text, not what to check."""
    port = free_port()
    controller = Controller(handler(), hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("CITYTOOLS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CITYTOOLS_SMTP_PORT", str(port))
    monkeypatch.setenv("CITYTOOLS_SMTP_TLS", tls)
    monkeypatch.setenv("CITYTOOLS_SMTP_SENDER", "citytools@example.gov.uk")
    monkeypatch.setenv("CITYTOOLS_SEND_TIMEOUT", "5")
    if user:
        monkeypatch.setenv("CITYTOOLS_SMTP_USER", user)
        monkeypatch.setenv("CITYTOOLS_SMTP_PASSWORD", "secret")
    try:
        add_email(db_path)
        down = send(db_path)
    finally:
        controller.stop()
    assert down.returncode == 1 and "failed" in down.stderr
    assert said in down.stderr, down.stderr
    for python in ("b'", "Errno", "_ssl.c", "SSL:", "Error", "\x1b"):
        assert python not in down.stderr, down.stderr
    assert "Nothing was sent" in down.stderr
    if tls == "ssl":
        assert "check the address and port, and CITYTOOLS_SMTP_TLS)" in down.stderr


def test_no_mail_server_set_fails_the_email_alert_but_not_the_webhook(db_path, webhook):
    add_email(db_path)
    hook = alerts(
        db_path, "add", "--name", "Team", "--slack", webhook.url, "--url", VIEW, "--ending", "24"
    )
    assert hook.returncode == 0, hook.stderr
    run = send(db_path)
    assert run.returncode == 1
    assert "CITYTOOLS_SMTP_HOST" in run.stderr
    assert len(webhook.bodies) == 1, run.stdout + run.stderr


def test_slack_webhook_gets_the_contracts_and_a_500_leaves_it_unsent(db_path, webhook):
    hook = alerts(
        db_path, "add", "--name", "Team", "--slack", webhook.url, "--url", VIEW, "--ending", "24"
    )
    assert hook.returncode == 0, hook.stderr
    webhook.status = 500
    failed = send(db_path)
    assert failed.returncode == 1 and "answered 500" in failed.stderr
    assert webhook.bodies == []

    webhook.status = 200
    ok = send(db_path)
    assert ok.returncode == 0, ok.stderr
    assert len(webhook.bodies) == 1
    text = webhook.bodies[0]["text"]
    assert "Contracts ending within 24 months" in text and "- Camden" in text
    assert f"{PUBLIC}/pipeline?{QUERY}".replace("&", "&amp;") in text

    assert "nothing due" in send(db_path).stdout
    assert len(webhook.bodies) == 1


def test_teams_webhook_gets_an_adaptive_card(db_path, webhook):
    hook = alerts(
        db_path, "add", "--name", "Team", "--teams", webhook.url, "--url", VIEW, "--decisions", "24"
    )
    assert hook.returncode == 0, hook.stderr
    assert send(db_path).returncode == 0
    (body,) = webhook.bodies
    card = body["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    texts = " ".join(b["text"] for b in card["content"]["body"])
    assert "Decisions due within 24 months" in texts and "decide by" in texts


def test_a_markdown_link_in_the_data_is_no_link_in_a_teams_or_slack_message():
    """Teams' cards and Slack read Markdown: a vendor named "[Civica](https://elsewhere)" would
    show as "Civica", a link to somewhere else."""
    from citydata.output import delivery

    text = "- Camden – Mosaic ([Civica](https://elsewhere.example)): ends 31 Mar 2027"
    card = delivery.teams_payload("[Alert](https://elsewhere.example)", text)
    blocks = [b["text"] for b in card["attachments"][0]["content"]["body"]]
    assert not any("](" in b for b in blocks)
    assert [b.replace("\u2060", "") for b in blocks] == ["[Alert](https://elsewhere.example)", text]
    slack = delivery.slack_payload("Alert", "<https://elsewhere.example|Civica>")["text"]
    assert "<https" not in slack and "&lt;https://elsewhere.example|Civica&gt;" in slack


def test_a_webhook_that_cannot_be_reached_is_retried(db_path, monkeypatch):
    monkeypatch.setenv("CITYTOOLS_SEND_TIMEOUT", "5")
    url = f"http://127.0.0.1:{free_port()}/hook"
    hook = alerts(db_path, "add", "--name", "Team", "--slack", url, "--ending", "24")
    assert hook.returncode == 0, hook.stderr
    down = send(db_path)
    assert down.returncode == 1
    assert "Nothing was posted to the webhook: its server refused the connection" in down.stderr
    assert "Traceback" not in down.stderr and "ConnectError" not in down.stderr
    again = send(db_path, "--dry-run")
    assert "would send" in again.stdout, "still due: nothing was marked sent"


def test_new_and_changed_records_after_an_upload_are_sent_once(db_path, webhook, tmp_path):
    hook = alerts(
        db_path,
        "add",
        "--name",
        "Team",
        "--slack",
        webhook.url,
        "--url",
        "https://x/?borough=Camden",
        "--changes",
    )
    assert hook.returncode == 0, hook.stderr
    assert "nothing due" in send(db_path).stdout, "nothing changed since it was added"

    upload = tmp_path / "camden.csv"
    assert cli.main(["export", "--borough", "Camden", "-o", str(upload), "--db", str(db_path)]) == 0
    rows = list(csv.DictReader(io.StringIO(upload.read_text(encoding="utf-8"))))
    rows[0]["contract_end"] = "2031-03-31"
    rows.append(rows[1] | {"source_ref": "NEW-1", "system": "Brand New System"})
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    upload.write_text(out.getvalue(), encoding="utf-8")
    with redirect_stdout(io.StringIO()):
        code = cli.main(["import", str(upload), "--borough", "Camden", "--db", str(db_path)])
    assert code == 0

    assert send(db_path).returncode == 0
    (body,) = webhook.bodies
    lines = [line for line in body["text"].splitlines() if line.startswith("- ")]
    assert len(lines) == 2, lines
    assert any(line.startswith("- Camden – Brand New System") and "New" in line for line in lines)
    assert any("Changed" in line and "ends 31 Mar 2031" in line for line in lines)
    assert "nothing due" in send(db_path).stdout


def test_a_change_undone_by_the_next_upload_is_sent_too(db_path, webhook, tmp_path):
    """Camden's steward uploads a register with one end date mistyped (2031 for 2027): the
    alert says "Changed … ends 31 Mar 2031". The corrected register puts the record back as it
    was before, and the alert said nothing: the record matched one from an earlier snapshot, so
    it was not "changed", and its subscribers went on believing the contract ran to 2031. A
    record is new or changed against what the borough held when the alert last looked."""
    hook = alerts(
        db_path, "add", "--name", "Team", "--slack", webhook.url, "--url",
        "https://x/?borough=Camden", "--changes",
    )  # fmt: skip
    assert hook.returncode == 0, hook.stderr
    upload = tmp_path / "camden.csv"
    assert cli.main(["export", "--borough", "Camden", "-o", str(upload), "--db", str(db_path)]) == 0
    rows = list(csv.DictReader(io.StringIO(upload.read_text(encoding="utf-8"))))

    def register(end: str) -> None:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows([rows[0] | {"contract_end": end}, *rows[1:]])
        upload.write_text(out.getvalue(), encoding="utf-8")
        with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
            code = cli.main(["import", str(upload), "--borough", "Camden", "--db", str(db_path)])
        assert code == 0

    register("2031-03-31")  # the mistake
    assert send(db_path).returncode == 0
    register(rows[0]["contract_end"])  # corrected
    assert send(db_path).returncode == 0
    mistake, corrected = (
        [line for line in body["text"].splitlines() if line.startswith("- ")]
        for body in webhook.bodies
    )
    assert len(mistake) == 1 and "Changed" in mistake[0] and "ends 31 Mar 2031" in mistake[0]
    assert len(corrected) == 1 and "Changed" in corrected[0]
    assert "2031" not in corrected[0]
    assert "nothing due" in send(db_path).stdout


def test_a_system_renamed_is_not_sent_again_for_the_same_date(db_path, webhook, tmp_path):
    """Camden's contracts ending within a year are sent; the steward then uploads the register
    with the systems' names tidied ("Mosaic" as "Mosaic (case management)"), the references and
    dates as they were. Every contract was sent again, though the README promises you hear
    about a contract again only if its dates change."""
    hook = alerts(
        db_path, "add", "--name", "Team", "--slack", webhook.url, "--url",
        "https://x/?borough=Camden", "--ending", "12",
    )  # fmt: skip
    assert hook.returncode == 0, hook.stderr
    assert send(db_path).returncode == 0
    (first,) = webhook.bodies
    assert [line for line in first["text"].splitlines() if line.startswith("- ")]

    upload = tmp_path / "camden.csv"
    assert cli.main(["export", "--borough", "Camden", "-o", str(upload), "--db", str(db_path)]) == 0
    rows = list(csv.DictReader(io.StringIO(upload.read_text(encoding="utf-8"))))
    assert all(row["source_ref"] for row in rows)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows([row | {"system": f"{row['system']} (tidied)"} for row in rows])
    upload.write_text(out.getvalue(), encoding="utf-8")
    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
        code = cli.main(["import", str(upload), "--borough", "Camden", "--db", str(db_path)])
    assert code == 0

    assert "nothing due" in send(db_path).stdout
    assert len(webhook.bodies) == 1


def test_list_remove_and_bad_subscriptions(db_path):
    bad = alerts(db_path, "add", "--name", "X", "--email", "not-an-address", "--ending", "3")
    assert bad.returncode == 2 and "not an e-mail address" in bad.stderr
    plain_http = alerts(
        db_path, "add", "--name", "X", "--slack", "http://hooks.example.com/x", "--ending", "3"
    )
    assert plain_http.returncode == 2 and "not a webhook address" in plain_http.stderr
    nothing = alerts(db_path, "add", "--name", "X", "--email", "a@example.org")
    assert nothing.returncode == 2 and "Choose what to send" in nothing.stderr

    secret = "https://hooks.slack.com/services/T000/B000/SECRET"
    added = alerts(db_path, "add", "--name", "Team", "--slack", secret, "--ending", "6", "--json")
    assert added.returncode == 0, added.stderr
    listed = json.loads(alerts(db_path, "list", "--json").stdout)
    assert [s["name"] for s in listed] == ["Team"]
    assert "SECRET" not in alerts(db_path, "list").stdout, "webhook addresses are secrets"
    assert alerts(db_path, "remove", str(listed[0]["id"])).returncode == 0
    assert alerts(db_path, "list").stdout.strip() == "No alerts."
    assert alerts(db_path, "remove", "99").returncode == 1


def test_each_alert_has_its_own_calendar_feed_with_an_unguessable_name(db_path, tmp_path):
    feeds = tmp_path / "feeds"
    added = json.loads(
        alerts(
            db_path,
            "add",
            "--name",
            "Cal",
            "--email",
            "a@example.org",
            "--url",
            VIEW,
            "--ending",
            "6",
            "--json",
        ).stdout
    )
    token = added["feed"].rsplit("/", 1)[1].removesuffix(".ics")
    assert added["feed"].startswith("/app/static/feeds/") and len(token) >= 32
    cal = Calendar.from_ical((feeds / f"{token}.ics").read_bytes())
    events = [e for e in cal.walk("VEVENT")]
    assert events and all("Camden" in str(e["SUMMARY"]) for e in events)
    assert alerts(db_path, "remove", str(added["id"])).returncode == 0
    assert not (feeds / f"{token}.ics").exists(), "a removed alert's feed is deleted"


def test_store_refuses_bad_fields_without_writing(db):
    with pytest.raises(subscriptions.SubscriptionError, match="between 0 and 60"):
        subscriptions.add(
            db,
            "me",
            name="x",
            channel="email",
            target="a@example.org",
            view_url="",
            decisions_months=99,
            ending_months=None,
            changes=False,
        )
    assert subscriptions.all_(db) == []


def test_adding_and_removing_an_alert_write_the_feeds_where_the_secrets_say(
    db_path, tmp_path, monkeypatch
):
    """`alerts add` and `remove` once ignored the app's secrets file: with the feeds' folder
    and hidden market values set there, they wrote every feed into the public default folder,
    the Coming to market feed with contract values."""
    from citydata.core import settings

    root = tmp_path / "app"
    (root / ".streamlit").mkdir(parents=True)
    feeds = tmp_path / "private-feeds"
    (root / ".streamlit" / "secrets.toml").write_text(
        f'CITYTOOLS_HIDE_MARKET_VALUES = "true"\nCITYTOOLS_FEEDS_DIR = "{feeds}"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(settings, "APP_ROOT", root)
    monkeypatch.delenv("CITYTOOLS_FEEDS_DIR", raising=False)
    monkeypatch.delenv("CITYTOOLS_HIDE_MARKET_VALUES", raising=False)
    added = alerts(db_path, "add", "--name", "S", "--email", "s@example.org", "--url", VIEW,
                   "--ending", "24", "--json")  # fmt: skip
    assert added.returncode == 0, added.stderr
    token = json.loads(added.stdout)["feed"].rsplit("/", 1)[1]
    market = (feeds / "coming-to-market.ics").read_text(encoding="utf-8")
    assert (feeds / token).exists() and "SUMMARY" in market
    assert "Annual value" not in market, "values hidden, as the secrets say"
    assert not (root / "static" / "feeds").exists(), "nothing in the default folder"


def test_an_alert_reads_its_link_as_the_page_does(db_path, smtp):
    """A link with its end dates back to front is shown by the page with the dates swapped and
    a note; the alert once read it as it was, matched nothing and stayed silent."""
    view = "https://x.example/pipeline?end_from=2030-12-31&end_to=2026-01-01"
    added = alerts(db_path, "add", "--name", "Odd link", "--email", "a@example.org",
                   "--url", view, "--ending", "24")  # fmt: skip
    assert added.returncode == 0 and "swapped" in added.stderr, added.stderr
    dry = send(db_path, "--dry-run")
    assert dry.returncode == 0 and "would send" in dry.stdout, dry.stdout


def test_an_alert_from_a_link_naming_what_the_data_has_not_is_refused(db_path):
    """A misspelt borough in the link was dropped with a note, as the page drops it, and the
    alert was stored: "Camden housing" then told its subscribers about every borough."""
    view = "https://x.example/pipeline?borough=Camdem&end_from=2030-12-31&end_to=2026-01-01"
    added = alerts(db_path, "add", "--name", "Camden", "--email", "a@example.org",
                   "--url", view, "--ending", "24")  # fmt: skip
    assert added.returncode == 2
    assert added.stderr == (
        "error: The link names what the data does not have. No borough called “Camdem” in the "
        "data (did you mean Camden?). An alert made from it would watch more than the link "
        "shows: copy the link again from the app.\n"
    )
    assert alerts(db_path, "list").stdout == "No alerts.\n"


def test_an_alert_keeps_watching_its_vendor_when_the_name_is_grouped_or_leaves_the_data(
    db_path, smtp, tmp_path
):
    """The alert's link is read when it is sent. A vendor grouped under another name since, or
    no longer in the data, was dropped from the view: an alert about one vendor told its
    subscribers about every contract of every vendor."""
    with duckdb.connect(str(db_path), read_only=True) as con:  # a vendor of one borough
        vendor, borough = con.execute(
            "SELECT vendor, any_value(borough) FROM current_contracts GROUP BY vendor"
            " HAVING count(DISTINCT borough) = 1 ORDER BY vendor LIMIT 1"
        ).fetchone()
    view = f"https://x.example/pipeline?{urlencode({'vendor': vendor})}"
    added = alerts(db_path, "add", "--name", vendor, "--email", "a@example.org",
                   "--url", view, "--ending", "60")  # fmt: skip
    assert added.returncode == 0, added.stderr
    group(db_path, vendor, f"{vendor} Holdings")  # the name grouped: the same contracts
    dry = send(db_path, "--dry-run")
    assert vendors_shown(dry.stdout) == {f"{vendor} Holdings"}, dry.stdout
    assert dry.stderr == ""

    upload = tmp_path / "without.csv"  # the borough's next register has none of its contracts
    assert cli.main(["export", "--borough", borough, "-o", str(upload), "--db", str(db_path)]) == 0
    rows = list(csv.DictReader(io.StringIO(upload.read_text(encoding="utf-8"))))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(r for r in rows if r["vendor"] not in (vendor, f"{vendor} Holdings"))
    upload.write_text(out.getvalue(), encoding="utf-8")
    with redirect_stdout(io.StringIO()):
        assert cli.main(["import", str(upload), "--borough", borough, "--db", str(db_path)]) == 0
    dry = send(db_path, "--dry-run")
    assert dry.stdout.strip().endswith("nothing due"), dry.stdout
    assert alerts(db_path, "list").stderr == dry.stderr, "listing the alerts says it too"
    assert dry.stderr == (
        f"Note: alert 1: No vendor called “{vendor} Holdings” in the data. The alert still "
        "watches it, so nothing is sent about it until the data has it.\n"
    )


def test_contracts_ending_show_their_decide_by_date_and_an_unknown_alert_is_refused(db_path):
    """The README says each message lists decide-by and end dates; the "Contracts ending"
    lines gave the end alone. `alerts send --id 99` said there was no alert 99 and succeeded,
    where `alerts remove 99` is refused."""
    added = alerts(db_path, "add", "--name", "Ends", "--email", "a@example.org",
                   "--url", VIEW, "--ending", "24")  # fmt: skip
    assert added.returncode == 0, added.stderr
    dry = send(db_path, "--dry-run")
    lines = [line for line in dry.stdout.splitlines() if line.startswith("- ")]
    assert lines and all("decide by" in line and "ends" in line for line in lines), lines
    missing = send(db_path, "--id", "99")
    assert missing.returncode != 0 and "There is no alert 99" in missing.stderr
    assert alerts(db_path, "remove", "99").returncode == missing.returncode


# ---- vendor aliases do not make a contract new ---------------------------------------------
# VIEW holds three of Camden's contracts from Softcat, spelt as the canonical name; grouping
# that spelling under another name changes the vendor shown, not the contract.


def group(db_path, spelling: str, vendor: str) -> None:
    """A steward groups `spelling` under `vendor` (`aliases --accept`, as the Vendor names page)."""
    accept = ["aliases", "--accept", f"{spelling}={vendor}", "--user", "ann", "--db", str(db_path)]
    with redirect_stdout(io.StringIO()):
        assert cli.main(accept) == 0


def ungroup(db_path, spelling: str) -> None:
    """The alias of `spelling` taken out of the table (a restore of an older backup, or a
    steward's edit): its records show their name as written again."""
    db = lifecycle.open_store(db_path)
    try:
        with db.write() as w:
            w.execute("DELETE FROM vendor_aliases WHERE alias = $k", {"k": keys.fold(spelling)})
    finally:
        db.close()


def vendors_shown(body: str) -> set[str]:
    """The vendors a message names: '- Camden – Mosaic (Servelec): ...'."""
    lines = [line for line in body.splitlines() if line.startswith("- ")]
    return {line.split(" (", 1)[1].split(")", 1)[0] for line in lines}


def test_grouping_a_vendor_name_sends_nothing_again(db_path, smtp):
    """Adding an alias changed the vendor each contract's key was made of: every contract of
    the grouped vendor was sent again as if new, and again when the alias was changed."""
    add_email(db_path)
    assert "sent" in send(db_path).stdout and len(smtp.messages) == 1
    assert "Softcat" in vendors_shown(smtp.messages[0][1].get_content())
    group(db_path, "Softcat", "Softcat Holdings")
    assert "nothing due" in send(db_path).stdout
    group(db_path, "Softcat", "Softcat Group")  # the alias changed
    assert "nothing due" in send(db_path).stdout
    assert len(smtp.messages) == 1, "nothing sent again"


def test_removing_an_alias_sends_nothing_again(db_path, smtp):
    add_email(db_path)
    group(db_path, "Softcat", "Softcat Holdings")
    assert "sent" in send(db_path).stdout and len(smtp.messages) == 1
    assert "Softcat Holdings" in vendors_shown(smtp.messages[0][1].get_content()), "shown canonical"
    ungroup(db_path, "Softcat")
    assert "nothing due" in send(db_path).stdout
    assert len(smtp.messages) == 1, "nothing sent again"


def old_style_key(row: dict, kind: str, day: str) -> str:
    """A key as `alerts send` recorded it until 6 Dec 2026: the UID made of the canonical
    vendor. Written out here, not taken from the code: databases hold these keys as they are."""
    fields = ("borough_code", "source_ref", "service_area", "system", "vendor")
    parts = [kind, *(" ".join(str(row[c]).split()) if pd.notna(row[c]) else "" for c in fields)]
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]
    return f"{kind}-{digest}@{ics.UID_DOMAIN}|{pd.Timestamp(row[day]).date().isoformat()}"


def test_keys_recorded_before_the_upgrade_still_count_as_sent(db_path, smtp):
    """A database from before the upgrade holds keys made of the canonical vendor. With an alias
    in force (Softcat grouped as "Softcat Holdings") those differ from the keys now made of the
    name as written: the upgrade must not send them again, nor must a later change of the alias
    (so the new keys are recorded, without moving the alert's "Last sent")."""
    add_email(db_path)
    group(db_path, "Softcat", "Softcat Holdings")
    db = lifecycle.open_store(db_path)
    try:
        with db.read() as r:
            (sub,) = subscriptions.all_(r)
            state, lead = view_state(r, sub), pipeline.load_lead_times()
            today = date.fromisoformat(TODAY)
            decisions = due.decisions_due(r, state, lead, 24, today).to_dict("records")
            ending = due.ending(r, state, lead, 24, today).to_dict("records")
        assert any(row["vendor"] == "Softcat Holdings" for row in decisions + ending)
        old = {
            "decision": [old_style_key(row, "decide", "decide_by") for row in decisions],
            "ending": [old_style_key(row, "end", "contract_end") for row in ending],
        }
        subscriptions.mark_sent(db, sub.id, old)
        last = subscriptions.last_sent(db, sub.id)
    finally:
        db.close()

    assert "nothing due" in send(db_path).stdout
    db = lifecycle.open_store(db_path)
    try:
        recorded = db.scalar("SELECT count(*) FROM alerts_sent")
        assert subscriptions.last_sent(db, sub.id) == last, "nothing was sent: Last sent stays"
    finally:
        db.close()
    assert recorded == sum(map(len, old.values())) + 2 * 3, "Softcat's 3 contracts' new keys"
    ungroup(db_path, "Softcat")  # the old keys no longer match: the new ones were recorded
    assert "nothing due" in send(db_path).stdout
    assert smtp.messages == [], "nothing sent again"


def test_a_feed_folder_that_cannot_be_made_refuses_before_an_alert_changes(
    db_path, tmp_path, monkeypatch
):
    """`alerts add` stored the alert, then failed to write its calendar feed and said
    "refused: Not a directory": a refusal that had changed what is stored. It now refuses
    before the alert is stored (and `remove` before it is removed)."""
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    add_email(db_path)  # alert 1, while the folder can be written
    monkeypatch.setenv("CITYTOOLS_FEEDS_DIR", str(blocker / "feeds"))
    added = alerts(db_path, "add", "--name", "Team", "--slack", "https://hooks.slack.com/x",
                   "--ending", "24")  # fmt: skip
    assert added.returncode == 1
    assert added.stderr == f"refused: Not a directory: {blocker / 'feeds'}. Nothing was written.\n"
    removed = alerts(db_path, "remove", "1")
    assert removed.returncode == 1 and "Nothing was written." in removed.stderr
    listed = json.loads(alerts(db_path, "list", "--json").stdout)
    assert [a["name"] for a in listed] == ["Camden housing"], "nothing added, nothing removed"


def test_a_public_address_without_https_is_named_and_nothing_is_sent(db_path, smtp, monkeypatch):
    """'citytools.example.org' (no https://) was put in every message and calendar feed address
    as it was: links that lead nowhere, with no word said. It is now refused, naming it."""
    add_email(db_path)
    monkeypatch.setenv("CITYTOOLS_PUBLIC_URL", "citytools.example.org")
    done = command.run("alerts", "send", "--today", TODAY, db=db_path, text=True)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith(
        "refused: CITYTOOLS_PUBLIC_URL is “citytools.example.org”, which is not a web address "
        "(https://...)."
    )
    assert smtp.messages == []
    monkeypatch.setenv("CITYTOOLS_PUBLIC_URL", "https://citytools.example.org")
    assert send(db_path).returncode == 0 and len(smtp.messages) == 1
    assert "https://citytools.example.org/pipeline?" in smtp.messages[0][1].get_content()


@pytest.mark.parametrize("option", ["--ending", "--decisions"])
@pytest.mark.parametrize("months", ["0", "61"])
def test_months_of_none_or_too_many_are_refused_with_the_range_not_dropped(db_path, option, months):
    """`--ending 0 --changes` was stored as an alert of changes only, with no word said: the
    contracts ending the person asked about were never sent."""
    done = alerts(db_path, "add", "--name", "X", "--email", "a@example.org", option, months,
                  "--changes")  # fmt: skip
    assert done.returncode == 2
    assert f"argument {option}: “{months}” is not a number of months from 1 to 60" in done.stderr
    assert "leave the option out" in done.stderr and "Traceback" not in done.stderr
    assert alerts(db_path, "list").stdout.strip() == "No alerts."
