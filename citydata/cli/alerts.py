"""python -m citydata alerts: add, list, remove and send alert subscriptions.

`alerts send` is for a scheduler (cron, or a scheduled CI workflow): it sends each subscription
what is due, records what went, and brings the calendar feeds up to date. Exit 1 when any alert
could not be delivered (it stays unsent and is tried again next run); `--dry-run` prints what
would be sent and changes nothing.

`alerts send` works while the app serves (and holds the database): it then reads a checked copy
of the database and records what it sent in the ledger beside the file (citydata.store.ledger),
which the app folds into the database. When nobody holds the file, it folds the ledger in
itself and records in the database. Either way it holds the ledger's lock from reading what was
sent to recording what it sent, so two runs at once never send an item twice.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from citydata import lifecycle, readcopy
from citydata.cli.common import (
    EXIT_OK,
    EXIT_REFUSED,
    Refused,
    UsageError,
    add_db_option,
    cli_user,
    command,
    iso_date,
    note,
    print_json,
    whole_number,
)
from citydata.core import dates, settings
from citydata.output import alerts
from citydata.query import corrections, links, opportunities, pipeline, selection
from citydata.store import ledger, subscriptions


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("alerts", help="alerts before decisions fall due and contracts end")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")

    a = actions.add_parser("add", help="subscribe someone to a view's alerts")
    add_db_option(a)
    a.add_argument("--name", required=True, help="who or what the alert is for")
    to = a.add_mutually_exclusive_group(required=True)
    to.add_argument("--email", help="send by e-mail to this address")
    to.add_argument("--teams", metavar="URL", help="post to this Teams incoming webhook")
    to.add_argument("--slack", metavar="URL", help="post to this Slack incoming webhook")
    a.add_argument("--url", default="", help="a shared link of the app: its view (filters)")
    a.add_argument(
        "--decisions",
        type=_months,
        metavar="MONTHS",
        help=f"decisions due within this many months (1 to {subscriptions.MAX_MONTHS}); leave "
        "it out to be told of none",
    )
    a.add_argument(
        "--ending",
        type=_months,
        metavar="MONTHS",
        help=f"contracts ending within this many months (1 to {subscriptions.MAX_MONTHS}); "
        "leave it out to be told of none",
    )
    a.add_argument("--changes", action="store_true", help="new or changed records")
    a.add_argument("--user", help="recorded as who added it (default: your login name)")
    a.add_argument("--json", action="store_true", help="print JSON")

    ls = actions.add_parser("list", help="list the subscriptions")
    add_db_option(ls)
    ls.add_argument("--json", action="store_true", help="print JSON")

    rm = actions.add_parser("remove", help="remove a subscription")
    add_db_option(rm)
    rm.add_argument("id", type=whole_number)

    s = actions.add_parser("send", help="send what is due (for a scheduler)")
    add_db_option(s)
    s.add_argument("--dry-run", action="store_true", help="print what would be sent; send nothing")
    s.add_argument("--id", type=whole_number, help="only this subscription")
    s.add_argument("--today", type=iso_date, help="the day to send for (default: today)")


def _months(text: str) -> int:
    """The months of --decisions or --ending: 1 to MAX_MONTHS. 0 is refused rather than stored
    as "not asked for" (the Alerts page's 0 means "do not send"): given on the command line,
    it was taken as asking for nothing of the kind, with no word said."""
    months = whole_number(text)
    if not 1 <= months <= subscriptions.MAX_MONTHS:
        raise argparse.ArgumentTypeError(
            f"“{text}” is not a number of months from 1 to {subscriptions.MAX_MONTHS}: give "
            "how many months ahead to tell about, or leave the option out not to be told about "
            "these at all"
        )
    return months


@command("alerts")
def cmd_alerts(args: argparse.Namespace) -> int:
    # the address messages and feeds link to: one that is not a web address refuses first,
    # before any alert is stored, removed, sent or recorded
    settings.public_url(settings.secrets_file())
    return {"add": _add, "list": _list, "remove": _remove, "send": _send}[args.action](args)


def _add(args: argparse.Namespace) -> int:
    channel, target = next(
        (c, getattr(args, c)) for c in ("email", "teams", "slack") if getattr(args, c)
    )
    _feeds_folder()  # a feed that cannot be written refuses before the alert is stored
    db = lifecycle.open_store(args.db)
    try:
        with db.read() as r:
            options = selection.options(r)
            if why := alerts.link_refused(r, args.url, options):
                raise UsageError(why)
            link = links.read(args.url)
            given, unread = links.from_query_params(link.params)
            given, notes = selection.regrouped(r, given)  # a vendor grouped since: said so
        notes += corrections.normalise(given, options)[1] + unread
        if unused := links.unused_note(link, (), "`alerts add`"):
            notes.append(unused)  # (the alert watches the link's filters only)
        try:
            sub = subscriptions.add(
                db,
                cli_user(args),
                name=args.name,
                channel=channel,
                target=target,
                view_url=args.url,
                decisions_months=args.decisions,
                ending_months=args.ending,
                changes=args.changes,
            )
        except subscriptions.SubscriptionError as exc:
            raise UsageError(str(exc)) from None
        _write_feeds(db)
    finally:
        db.close()
    for remark in notes:
        print(f"Note: {remark}", file=sys.stderr)  # as every command notes a filter dropped
    if args.json:
        print_json(_public(sub))
    else:
        print(f"Added alert {sub.id} “{sub.name}”: {'; '.join(sub.wants())}.")
    return EXIT_OK


def _list(args: argparse.Namespace) -> int:
    # a read: while the app serves, from a copy of the database made just now
    with readcopy.open_for_reading(args.db, on_copy=note) as db, db.read() as r:
        subs = subscriptions.all_(r)
        table = subscriptions.table(r)
        options = selection.options(r)
        remarks = [(s.id, n) for s in subs for n in alerts.view(r, s, options)[1]]
    if args.json:
        print_json([_public(s) for s in subs])
    elif table.empty:
        print("No alerts.")
    else:  # an alert not sent yet: "never", not Python's "None"
        print(table.astype(object).where(table.notna(), "never").to_string(index=False))
    for sub_id, remark in remarks:  # as `alerts send` and the Alerts page say it
        note(f"Note: alert {sub_id}: {remark} {alerts.STILL_WATCHED}")
    return EXIT_OK


def _remove(args: argparse.Namespace) -> int:
    _feeds_folder()  # as for `add`: refused before anything is removed
    db = lifecycle.open_store(args.db)
    try:
        if not subscriptions.remove(db, args.id):
            raise Refused(f"There is no alert {args.id}.")
        _write_feeds(db)
    finally:
        db.close()
    print(f"Removed alert {args.id}.")
    return EXIT_OK


def _send(args: argparse.Namespace) -> int:
    secrets = settings.secrets_file()
    try:
        lead = pipeline.load_lead_times()
    except pipeline.LeadTimeError as exc:
        raise Refused(str(exc)) from None
    today = args.today or dates.today()
    path = lifecycle.db_path(args.db)

    def show(msg: alerts.Message) -> None:
        if args.dry_run:
            print(f"--- would send to alert {msg.subscription.id}: {msg.subject}")
            print(msg.text())

    copied: list[str] = []

    def on_copy(sentence: str) -> None:
        copied.append(sentence)
        note(f"{sentence} What is sent is recorded in {ledger.path_for(path).name}.")

    with ledger.held(path) as book, readcopy.open_for_reading(path, on_copy=on_copy) as db:
        if args.id is not None and subscriptions.get(db, args.id) is None:
            raise Refused(f"There is no alert {args.id}.")  # before anything is written
        if not copied and not args.dry_run:  # nobody else holds the file: the table records
            book.fold_into(db)
        outcomes = alerts.send_due(
            db,
            lead,
            today,
            dry_run=args.dry_run,
            secrets=secrets,
            only=args.id,
            show=show,
            ledger=book if copied or args.dry_run else None,
        )
        if not args.dry_run:
            _write_feeds(db)
    failed = 0
    for o in outcomes:
        line = f"alert {o.subscription.id} “{o.subscription.name}”: {o.status}"
        if o.count:
            line += f" ({o.count} item{'s' if o.count != 1 else ''})"
        if o.detail:
            line += f": {o.detail}"
            failed += 1
        print(line, file=sys.stderr if o.status == "failed" else sys.stdout)
        for remark in o.notes:
            note(f"Note: alert {o.subscription.id}: {remark} {alerts.STILL_WATCHED}")
    if not outcomes:
        print("No alerts.")
    return EXIT_REFUSED if failed else EXIT_OK


def _feeds_folder() -> None:
    """Make sure the feeds can be written where the settings say (the folder made if need be),
    so that a command that changes the alerts refuses before it changes them, rather than
    changing them and then failing on the feed: SettingError or OSError, with the path."""
    folder = alerts.feeds_dir(settings.secrets_file())
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)


def _write_feeds(db: Any) -> None:
    """Write every alert's feed and the Coming to market feed where the settings (environment
    or the app's secrets file) say, with the market's values only if they are not hidden."""
    secrets = settings.secrets_file()
    folder = alerts.feeds_dir(secrets)
    if folder is None:
        return
    lead, _ = pipeline.lead_times_or_default()
    alerts.write_feeds(db, lead, folder)
    hide = opportunities.values_hidden(secrets)
    alerts.write_market_feed(db, lead, folder, dates.today(), hide_values=hide)


def _public(sub: subscriptions.Subscription) -> dict[str, Any]:
    """A subscription for printing: the webhook address is a secret, so it is left out. No
    feed address (null) where the installation publishes no feeds: it would lead nowhere."""
    secrets = settings.secrets_file()
    public_url = settings.public_url(secrets)
    published = alerts.feeds_dir(secrets) is not None
    return {
        "id": sub.id,
        "name": sub.name,
        "channel": sub.channel,
        "to": sub.target if sub.channel == "email" else None,
        "view_url": sub.view_url,
        "decisions_months": sub.decisions_months,
        "ending_months": sub.ending_months,
        "changes": sub.changes,
        "feed": alerts.feed_url(sub, public_url) if published else None,
        "created_by": sub.created_by,
        "created_at": sub.created_at,
    }
