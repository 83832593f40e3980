"""Published notices: a steward fetches Contracts Finder or Find a Tender, or imports a notices
file, and sees what each fetch brought."""

from datetime import date, timedelta

import streamlit as st

import ui
from citydata.core import dates, stewards
from citydata.feeds import fetch, history, runs
from ui import fetching, steward, uploading

who = steward.require()
name = who.who or "data steward"
st.title("Published notices")
st.write(
    "Contracts the councils published on Contracts Finder and Find a Tender, kept beside their "
    "registers (never instead of them). Only the region's councils' technology contracts are "
    "kept; everything else is counted and left out. A fetch carries on from where the last one "
    "stopped, and a notice already held is updated, never doubled."
)

st.subheader("Fetch from a publisher")
feeds = {f.label: f.key for f in runs.FEEDS.values()}
left, right = st.columns(2)
label = left.selectbox("Publisher", list(feeds), key="notices_feed")
feed = feeds[label]
last = ui.read(lambda r: runs.last_run(r, feed))
default_since = dates.today() - timedelta(days=30)
if last is not None and last.since:
    default_since = date.fromisoformat(last.since)
since = right.date_input(
    "Notices published since",
    value=default_since,
    max_value=dates.today(),
    format="DD/MM/YYYY",
    key="notices_since",
)
jobs = fetching.jobs()


def progress() -> None:
    """The fetch's progress (redrawn every second while it runs, without rerunning the page),
    then its outcome."""
    job = jobs.get(feed)
    if job is None:
        return
    if not job.finished:
        st.progress(job.fraction, text=job.words())
        return
    run = job.progress
    seen = (feed, job.started_by, run.run_id if run else None, job.error)
    if st.session_state.get("_notices_seen") != seen:  # just finished: refresh the whole page
        st.session_state["_notices_seen"] = seen
        st.rerun(scope="app")
    if job.error:
        st.error(ui.plain(job.error), icon=":material/error:")
    elif run is not None and run.status == "done":
        st.success(ui.plain(run.summary()), icon=":material/check_circle:")
    elif run is not None:
        st.warning(ui.plain(run.summary()), icon=":material/warning:")


running = (job := jobs.get(feed)) is not None and not job.finished
clicked = st.button(
    f"Fetch from {label}", type="primary", disabled=running, icon=":material/cloud_download:"
)
if clicked:
    if jobs.start(ui.database(), feed, since, name, steward.still_steward()):
        st.rerun()  # drawn again with the button off while the fetch runs
    st.info(f"A fetch from {label} is already running.")
ui.fragment(progress, run_every=1.0 if running else None)()
st.caption(
    f"At most {fetching.PAGES_PER_RUN} pages of 100 notices per click; press again to carry on. "
    "The fetch runs on the server: you can leave this page, and others can use the app meanwhile."
)

st.subheader("Import a notices file")
st.caption(
    "A file downloaded from Contracts Finder (its CSV download or an API answer), Find a Tender "
    "or any OCDS publisher (JSON, or a flattened CSV or Excel file). A council's own register "
    "goes on the Upload page."
)
upload = st.file_uploader(
    "Notices file: CSV, Excel (.xlsx) or JSON",
    type=["csv", "xlsx", "json"],
    key=f"notices-file-{st.session_state.get('_notices_round', 0)}",
    max_upload_size=uploading.upload_limit_mb(),
)
if upload is not None and st.button("Import these notices", icon=":material/upload_file:"):
    content = upload.getvalue()
    if too_big := stewards.too_big(len(content), uploading.upload_limit()):
        st.error(too_big)
    else:
        with st.spinner("Reading the notices…"):
            run = fetch.import_file(ui.database(), content, upload.name, name)
        shown = ui.plain(run.summary())
        if run.status == "done":
            st.session_state["_notices_round"] = st.session_state.get("_notices_round", 0) + 1
            st.success(shown, icon=":material/check_circle:")
        else:
            st.error(shown, icon=":material/error:")

st.subheader("What each fetch brought")
for key, feed_info in runs.FEEDS.items():
    run = ui.read(lambda r, key=key: runs.last_run(r, key))
    if run is None:
        st.write(f"**{feed_info.label}**: never fetched.")
    else:
        when = history.moment(run.finished_at or run.started_at)
        st.write(f"**{feed_info.label}**, last run " + ui.plain(f"{when}: {run.summary()}"))
        if behind := ui.read(lambda r, key=key: history.standing(r, key)):
            st.warning(ui.plain(behind), icon=":material/schedule:")
past = ui.read(lambda r: history.recent(r, 50))
if past.empty:
    st.info("No fetch or notices import has run yet.")
else:
    ui.dataframe(
        past,
        hide_index=True,
        width="stretch",
        column_config={
            "started_at": st.column_config.DatetimeColumn("Started", format="DD/MM/YYYY HH:mm"),
            "finished_at": st.column_config.DatetimeColumn("Finished", format="DD/MM/YYYY HH:mm"),
            "feed": st.column_config.TextColumn("Source"),
            "since": st.column_config.DateColumn("Since", format="DD/MM/YYYY"),
            "file_name": st.column_config.TextColumn("File"),
            "started_by": st.column_config.TextColumn("By"),
            "status": st.column_config.TextColumn("Outcome"),
            "pages": st.column_config.NumberColumn("Pages"),
            "notices": st.column_config.NumberColumn(
                "Read", help="Records read: kept, and left out in the columns after Kept"
            ),
            "kept": st.column_config.NumberColumn("Kept"),
            "not_technology": st.column_config.NumberColumn("Not technology"),
            "other_councils": st.column_config.NumberColumn("Other councils"),
            "refused": st.column_config.NumberColumn("Refused"),
            "older": st.column_config.NumberColumn(
                "Older releases", help="Left out: a newer release is held or in the same file"
            ),
            "held": st.column_config.NumberColumn(
                "Already held", help="Left out: held already as they are, nothing new in them"
            ),
            "not_notices": st.column_config.NumberColumn(
                "Not notices", help="Left out: entries of the list of notices that are not one"
            ),
            "withdrawn": st.column_config.NumberColumn(
                "Withdrawn", help="Notices held that were withdrawn or cancelled: no longer shown"
            ),
            "withdrawn_not_held": st.column_config.NumberColumn(
                "Withdrawn, not held",
                help="Left out: notices withdrawn or cancelled that were not held",
            ),
            "message": st.column_config.TextColumn("Message"),
        },
    )
st.caption(
    "The same history from the command line: `python -m citydata fetch-history`. To fetch every "
    "night without opening the app, see the README (cron, or a scheduled workflow): a scheduled "
    "fetch that runs while the app is open hands its pages to the app, which imports them "
    "within a minute (By: command line (queued))."
)
