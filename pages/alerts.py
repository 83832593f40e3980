"""Alerts: a data steward subscribes people to a view's decisions, contract ends and changes."""

import streamlit as st

import ui
from citydata import lifecycle
from citydata.core import dates, settings
from citydata.output import alerts
from citydata.query import filters, links, pipeline, selection
from citydata.store import ledger, subscriptions
from citydata.store.db import FileBusy
from ui import steward

who = steward.require()
st.title("Alerts")
st.caption(
    "Tell people when a renewal decision falls due, when contracts end, or when a "
    f"{ui.noun()}'s records change, by e-mail or in a Microsoft Teams or Slack channel. Each "
    "alert watches a view: any link copied from this app, with its filters. Alerts go out when "
    "the alerts command runs (daily, from a scheduler: see the README); each "
    "contract is sent once per date, so nobody is told the same thing twice, and a contract "
    "that leaves the view (withdrawn, rolled back, not in a newer register) is named once as "
    "no longer listed."
)
secrets = steward.secrets()
lead, problem = pipeline.lead_times_or_default()
if problem:
    st.warning(ui.plain(problem))
public_url = settings.public_url(secrets)
if not public_url:
    st.info(
        "CITYTOOLS_PUBLIC_URL is not set: messages link to the view exactly as it was pasted, "
        "and calendar feed addresses are shown relative to this app.",
        icon=":material/link:",
    )


def write_feeds() -> None:
    folder = alerts.feeds_dir(secrets)
    if folder is not None:
        alerts.write_feeds(ui.database(), lead, folder)


# What a scheduled `alerts send` delivered while this app held the database waits in a ledger
# beside the file: fold it in now (skipped while a send is under way; then next time).
database_path = lifecycle.db_path()
ledger.fold(ui.database(), database_path)

st.header("New alert")
with st.form("new_alert", clear_on_submit=True):
    name = st.text_input(
        "Name", max_chars=subscriptions.MAX_NAME, help="Who or what it is for, e.g. Camden IT"
    )
    channel = st.radio(
        "Send by",
        list(subscriptions.CHANNELS),
        format_func=subscriptions.CHANNELS.get,
        horizontal=True,
    )
    target = st.text_input(
        "E-mail address, or the webhook address",
        max_chars=subscriptions.MAX_TARGET,
        help="For Teams or Slack, the https:// address of the channel's incoming webhook.",
    )
    view = st.text_input(
        "View (a link copied from this app)",
        value=ui.share_link(st.session_state.get("filters", filters.FilterState()), "pipeline"),
        max_chars=subscriptions.MAX_VIEW,
        help="Its filters choose the contracts. Starts with the filters chosen in the sidebar.",
    )
    # A grid, not three fixed columns: on a narrow window (a laptop zoomed in, with the menu
    # open) the third column was too narrow for "New or changed records".
    sends = st.grid(3, min_column_width=200)
    decisions = sends.number_input(
        "Decisions due within (months)", 0, subscriptions.MAX_MONTHS, 6, help="0: do not send"
    )
    ending = sends.number_input(
        "Contracts ending within (months)", 0, subscriptions.MAX_MONTHS, 0, help="0: do not send"
    )
    changes = sends.checkbox("New or changed records", help="After an upload or a fetch")
    if st.form_submit_button("Add alert", type="primary"):
        try:
            if why := ui.read(lambda r: alerts.link_refused(r, view, selection.options(r))):
                raise subscriptions.SubscriptionError(why)  # (said as the store's refusals)
            added = subscriptions.add(
                ui.database(),
                who.who or "data steward",
                name=name,
                channel=channel,
                target=target,
                view_url=view,
                decisions_months=int(decisions),
                ending_months=int(ending),
                changes=changes,
            )
        except subscriptions.SubscriptionError as exc:
            st.error(ui.plain(str(exc)))
        else:
            write_feeds()
            st.success(ui.plain(f"Added alert {added.id}, “{added.name}”."))
            # (an alert watches the link's filters only: its page's choices are named)
            if unused := links.unused_note(links.read(view), (), "an alert"):
                st.warning(ui.plain(unused))

st.header("Alerts")
subs = ui.read(subscriptions.all_)
if not subs:
    st.caption("No alerts yet.")
else:
    ui.table(ui.read(subscriptions.table), key="alert_table")
    base = public_url or ui.site_address()
    if alerts.feeds_dir(secrets) is not None:
        st.markdown(
            "**Calendar feeds.** Each alert's contracts as a calendar that updates itself: in "
            "Outlook, *Add calendar → Subscribe from web* and paste the address. Anyone with "
            "an address can read its calendar, so share it like the view itself."
        )
        for s in subs:
            st.text(f"{s.id} · {s.name}: {alerts.feed_url(s, base)}")
    names = {s.id: f"{s.id} · {s.name}" for s in subs}
    left, right = st.columns(2)
    picked = left.selectbox("Alert", list(names), format_func=names.get)
    if right.button("Remove this alert", key="remove_alert"):
        subscriptions.remove(ui.database(), int(picked))
        write_feeds()
        st.rerun()

    st.header("Due today")
    shown: list[alerts.Message] = []
    due = alerts.send_due(
        ui.database(),
        lead,
        dates.today(),
        dry_run=True,
        secrets=secrets,
        show=shown.append,
        ledger=ledger.peek(database_path),
    )
    for o in due:
        for remark in o.notes:  # (a vendor gone from the data: the alert still watches it)
            st.warning(ui.plain(f"{names[o.subscription.id]}: {remark} {alerts.STILL_WATCHED}"))
    if not shown:
        st.caption("Nothing is due: every alert has been sent what it watches.")
    for msg in shown:
        with st.expander(ui.plain(f"{names[msg.subscription.id]}: {msg.subject}")):
            st.text(msg.text())
    if shown and st.button("Send now", type="primary", key="send_alerts"):
        write_feeds()
        try:
            # one sender at a time: a scheduled run under way finishes first
            with ledger.held(database_path, wait=60) as book:
                book.fold_into(ui.database())
                sent = alerts.send_due(ui.database(), lead, dates.today(), secrets=secrets)
        except (settings.SettingError, FileBusy) as exc:
            st.error(ui.plain(str(exc)))
            sent = []
        for o in sent:
            detail = f" ({o.detail})" if o.detail else ""
            text = f"{names[o.subscription.id]}: {o.status}{detail}"
            (st.error if o.status == "failed" else st.success)(ui.plain(text))
