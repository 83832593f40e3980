"""Hostile text reaching Markdown: a link's values, a steward's name, an uploaded file's name
and vendor spellings are shown as written, never as a link, an image, a heading or colour.

Streamlit renders st.markdown, st.caption, st.warning, st.info, st.error, st.success and button,
tab and expander labels as Markdown. Every such element of the page is checked with
tests.apptest.inert; tests/browser/test_hostile_links_browser.py checks the same in a browser.
"""

from __future__ import annotations

import pytest

from citydata import lifecycle
from citydata.core.text import markdown_literal, shorten
from citydata.query import corrections
from citydata.store import snapshots, vendors
from citydata.store.db import Database
from tests.apptest import inert, new_visit, run_app, shown
from tests.snapshot_helpers import borough_records, edited_records, prepared
from tests.test_security import open_page
from tests.test_upload_app import password, sign_in  # noqa: F401 - fixtures and helpers

PHISH = "[Your session expired - sign in again](https://example.org/phish)"
HOSTILE_VALUES = {
    "link": PHISH,
    "image": "![x](http://127.0.0.1:9/track.png)",
    "heading": "Capita\n# You have been signed out",
    "colour": ":red[ACCOUNT LOCKED] call 0800 000 000",
    "bare-url": "see https://example.org/phish or www.example.org or help@example.org",
    "icon": ":material/lock: :warning:",
    "html-and-code": "<b>bold</b> `code` **strong** $x^2$ | a | b |",
}


def markdown_sources(at) -> list[str]:
    """The Markdown source of every element that Streamlit renders as Markdown."""
    sources = []
    for kind in ("markdown", "caption", "warning", "info", "error", "success", "title",
                 "header", "subheader"):  # fmt: skip
        sources += [e.value for e in getattr(at, kind)]
    sources += [b.label for b in at.button]
    sources += [t.label for t in at.tabs] + [e.label for e in at.expander]
    sources += [m.label for m in at.metric]
    return sources


def assert_all_inert(at, marker: str) -> list[str]:
    """Every Markdown element holding `marker` shows as plain text; returns those sources."""
    holding = [s for s in markdown_sources(at) if marker in shown(s)]
    for source in holding:  # the app's own bold around a value is fine: the value's is not
        active = [f for f in inert(source) if f not in ("<strong", "<em")]
        assert not active, (source, active)
    return holding


# ---- the escaping itself ------------------------------------------------------------------------


@pytest.mark.parametrize("value", list(HOSTILE_VALUES.values()), ids=list(HOSTILE_VALUES))
def test_markdown_literal_shows_hostile_text_exactly_and_as_text_only(value):
    assert inert(value), "the raw value would render as something other than text"
    safe = markdown_literal(value)
    assert not inert(safe), inert(safe)
    assert shown(safe) == " ".join(value.split()), "the reader sees what was written, on one line"


def test_markdown_literal_caps_the_length():
    safe = markdown_literal("A" * 50_000, limit=300)
    assert shown(safe) == "A" * 299 + "…"


# ---- item 1: Markdown from the address bar ---------------------------------------------------


@pytest.mark.parametrize("kind", list(HOSTILE_VALUES))
def test_a_hostile_link_value_is_named_in_the_sidebar_as_plain_text(db_path, kind):
    value = HOSTILE_VALUES[kind]
    at = run_app({"vendor": value})
    notes = [w.value for w in at.sidebar.warning]
    assert len(notes) == 1
    assert not inert(notes[0]), inert(notes[0])
    named = shorten(" ".join(value.split()), corrections.NOTE_VALUE_CHARS)
    assert shown(notes[0]).startswith(f"No vendor called “{named}” in the data")


def test_a_long_link_value_gives_a_short_note(db_path):
    values = ["A" * 5_000, *(f"Vendor {i}" for i in range(200))]
    at = run_app({"vendor": values})
    (note,) = [shown(w.value) for w in at.sidebar.warning]
    assert len(note) < 500, len(note)
    assert note.startswith("No vendor called “AAAA") and "…”" in note
    assert note.endswith("196 more in the data."), note


@pytest.mark.parametrize("page", ["pages/vendor.py", "pages/overview.py", "pages/market.py"])
def test_hostile_link_values_on_a_page_render_as_text_everywhere(db_path, page):
    at = open_page(page, {"vendor": PHISH, "q": PHISH, "vendor_profile": PHISH})
    assert not at.exception
    holding = assert_all_inert(at, "example.org/")
    assert any(source in [w.value for w in at.sidebar.warning] for source in holding)
    assert len(holding) >= 2, "the search is named in the page's summary too"


def test_the_leading_vendors_name_shows_as_text_in_the_markets_headline(db_path):
    """Ranked by boroughs served, the Market's headline names the leading vendor ("Civica
    leads by authorities served: ..."): a vendor spelled as a link, an image and colour in a
    register (or a published notice) was rendered as them in that heading."""
    db = Database(db_path)
    records = borough_records(db, "E09000007")
    records["vendor"] = PHISH + " ![x](http://127.0.0.1:9/track.png) :red[LOCKED]"
    snapshots.commit(db, prepared(records), b"camden register", user="Ann Steward")
    db.close()
    at = run_app({"borough": "Camden", "market_by": "Boroughs served"}, page="pages/market.py")
    holding = assert_all_inert(at, "Your session expired")
    assert any(shown(s).endswith("leads by authorities served: 1 of 33 (3.0%)") for s in holding)


# ---- item 6: bare addresses in a steward's name and a file's name ------------------------------


def test_a_stewards_name_with_addresses_shows_as_text_on_the_sign_in_page(db_path, password):  # noqa: F811
    name = "https://example.org/phish www.example.org help@example.org :red[x]"
    at = sign_in(new_visit(), name=name)
    assert not at.exception
    (success,) = [s.value for s in at.success]
    assert not inert(success), inert(success)
    assert shown(success) == f"Signed in as {name} (upload password)."


def test_an_uploaded_file_name_with_an_address_shows_as_text_in_the_borough_profile(db_path):
    db = lifecycle.open_store(db_path)
    records = edited_records(db, "E09000007")
    name = "https://example.org/phish [x](https://example.org) help@example.org.csv"
    snapshots.commit(db, prepared(records, file_name=name), b"register", user="www.example.org")
    db.close()
    at = run_app({"profile": "Camden"}, page="pages/borough.py")
    holding = assert_all_inert(at, "example.org")
    assert any("Where the data came from" in shown(s) and name in shown(s) for s in holding)


# ---- item 5: the vendor names page ---------------------------------------------------------------

HOSTILE_SPELLING = "**Idox** Ltd ![](/)"  # close enough to Idox to be suggested


@pytest.fixture
def hostile_spellings(db_path):
    db = Database(db_path)
    records = borough_records(db, "E09000007")
    records.loc[records.index[:2], "vendor"] = HOSTILE_SPELLING
    records.loc[records.index[2:4], "vendor"] = "Capita Busines Services"
    snapshots.commit(db, prepared(records), b"camden register", user="Ann Steward")
    db.close()
    return db_path


def open_aliases(password) -> object:  # noqa: F811
    at = sign_in(new_visit())
    at.switch_page("pages/aliases.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_hostile_spelling_shows_as_text_in_the_button_and_the_message(
    hostile_spellings,
    password,  # noqa: F811
):
    at = open_aliases(password)
    at.selectbox(key="alias_pick").set_value(HOSTILE_SPELLING).run()
    (button,) = [b for b in at.button if b.key == "accept_suggestion"]
    assert not inert(button.label), inert(button.label)
    assert HOSTILE_SPELLING in shown(button.label)
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    (success,) = [s.value for s in at.success]
    assert not inert(success), inert(success)
    assert shown(success).startswith(f"“{HOSTILE_SPELLING}” is now counted under")


def test_accepting_suggestions_one_after_another_never_points_at_another_row(
    hostile_spellings,
    password,  # noqa: F811
):
    at = open_aliases(password)
    picker = at.selectbox(key="alias_pick")
    order = [label.split(" → ")[0] for label in picker.options]  # the spellings, as listed
    assert len(order) >= 2
    last = order[-1]
    picker.set_value(last).run()
    next(b for b in at.button if b.key == "accept_suggestion").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="alias_pick").value is None, "nothing is chosen after accepting"
    assert not [b for b in at.button if b.key == "accept_suggestion"], "no button is active"
    at.run()  # a rerun (any click) after accepting the last suggestion
    assert not at.exception, [e.value for e in at.exception]
    left = [label.split(" → ")[0] for label in at.selectbox(key="alias_pick").options]
    assert left == order[:-1]
    at.selectbox(key="alias_pick").set_value(left[0]).run()
    (button,) = [b for b in at.button if b.key == "accept_suggestion"]
    assert shown(button.label).startswith(f"Count “{left[0]}”")
    with Database(hostile_spellings).read() as r:
        assert vendors.fold(last) in {a for (a,) in r.rows("SELECT alias FROM vendor_aliases")}


def test_a_backups_date_with_markup_shows_as_text_when_it_is_restored(db_path, password):  # noqa: F811
    """A backup's manifest says when it was made, and the Backup page's message after a
    restore repeats it ("Restored the backup of …"): a date holding a link, an image and
    colour was rendered, so a crafted backup could put a link or an outside image in front of
    the steward who restored it."""
    import io
    import json
    import zipfile

    from citydata.output import backup

    db = lifecycle.open_store(db_path)
    try:
        made = backup.archive_bytes(db)
    finally:
        db.close()
    hostile = (
        "2026-12-01 [the real backup](https://evil.example/x) ![](https://evil.example/p.png)"
        " :red[now]"
    )
    crafted = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(made)) as src, zipfile.ZipFile(crafted, "w") as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "manifest.json":
                data = json.dumps(json.loads(data) | {"created_at": hostile}).encode()
            out.writestr(item, data)
    at = sign_in(new_visit())
    at.switch_page("pages/backup.py").run()
    at.get("file_uploader")[0].set_value(("b.zip", crafted.getvalue(), "application/zip")).run()
    next(b for b in at.button if b.label == "Restore this backup").click().run()
    assert not at.exception, [e.value for e in at.exception]
    (success,) = [s.value for s in at.success]
    assert not inert(success), inert(success)
    assert shown(success).startswith(f"Restored the backup of {hostile}:")
