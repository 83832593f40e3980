"""The Alerts page: only for stewards; a steward adds an alert, sees what is due, sends it to a
real webhook receiver on this machine, and removes it."""

from __future__ import annotations

import pytest

from citydata import lifecycle
from citydata.store import subscriptions
from tests.apptest import new_visit, run_app, shown
from tests.test_alerts import webhook  # noqa: F401 - fixture
from tests.test_upload_app import password, sign_in  # noqa: F401 - fixtures and helpers


def test_the_alerts_page_is_only_for_stewards(db_path):
    at = run_app()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/alerts.py")


def test_a_steward_adds_previews_sends_and_removes_an_alert(db_path, password, webhook):  # noqa: F811
    at = sign_in(run_app({"borough": "Camden"}))
    at.switch_page("pages/alerts.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "No alerts yet." in [c.value for c in at.caption]
    # (what an alert tells, on the page a steward adds one from: also what left the view)
    assert any("is named once as no longer listed" in c.value for c in at.caption)

    inputs = {t.label: t for t in at.text_input}
    view = inputs["View (a link copied from this app)"]
    assert "borough=Camden" in view.value, "the view starts with the sidebar's filters"
    inputs["Name"].set_value("Camden IT")
    at.radio[0].set_value("slack")
    inputs["E-mail address, or the webhook address"].set_value(webhook.url)
    next(n for n in at.number_input if n.label.startswith("Contracts ending")).set_value(24)
    next(b for b in at.button if b.label == "Add alert").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Added alert 1" in s.value for s in at.success)

    table = at.dataframe[0].value
    assert list(table["Name"]) == ["Camden IT"] and list(table["To"]) == ["(webhook)"]
    assert any("/app/static/feeds/" in t.value for t in at.text)
    preview = next(e for e in at.expander if "Camden IT" in e.label)
    assert "Contracts ending within 24 months" in preview.text[0].value

    next(b for b in at.button if b.label == "Send now").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("sent" in s.value for s in at.success)
    assert len(webhook.bodies) == 1 and "- Camden" in webhook.bodies[0]["text"]

    next(b for b in at.button if b.label == "Remove this alert").click().run()
    db = lifecycle.open_store(db_path)
    try:
        assert subscriptions.all_(db) == []
    finally:
        db.close()


def test_a_bad_address_is_explained_and_nothing_is_stored(db_path, password):  # noqa: F811
    at = sign_in(new_visit())
    at.switch_page("pages/alerts.py").run()
    inputs = {t.label: t for t in at.text_input}
    inputs["Name"].set_value("Someone")
    inputs["E-mail address, or the webhook address"].set_value("nobody at all")
    next(b for b in at.button if b.label == "Add alert").click().run()
    assert any("nobody at all" in e.value and "mail address" in e.value for e in at.error)
    assert "No alerts yet." in [c.value for c in at.caption]


def test_a_link_naming_what_the_data_has_not_is_refused_and_a_stored_one_is_named(
    db_path,
    password,  # noqa: F811
):
    """A view pasted with a misspelt borough was stored, and the alert (its value dropped when
    sent, as the page drops it) watched every borough. It is refused; an alert stored before
    with a value the data does not have is named above what is due, as still watched."""
    at = sign_in(new_visit())
    at.switch_page("pages/alerts.py").run()
    inputs = {t.label: t for t in at.text_input}
    inputs["View (a link copied from this app)"].set_value("http://x/pipeline?borough=Camdem")
    inputs["Name"].set_value("Camden")
    inputs["E-mail address, or the webhook address"].set_value("lead@camden.example.gov.uk")
    next(n for n in at.number_input if n.label.startswith("Contracts ending")).set_value(24)
    next(b for b in at.button if b.label == "Add alert").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("No borough called “Camdem” in the data (did you mean Camden?)" in shown(e.value)
               for e in at.error), [e.value for e in at.error]  # fmt: skip
    assert "No alerts yet." in [c.value for c in at.caption]

    db = lifecycle.open_store(db_path)  # stored by an earlier version, which let it in
    try:
        subscriptions.add(
            db, "ann", name="Nonesuch", channel="email", target="a@example.org",
            view_url="http://x/?vendor=Nonesuch+Ltd", decisions_months=0, ending_months=24,
            changes=False,
        )  # fmt: skip
    finally:
        db.close()
    at.run()
    assert [shown(w.value) for w in at.warning] == [
        "1 · Nonesuch: No vendor called “Nonesuch Ltd” in the data. The alert still watches it, "
        "so nothing is sent about it until the data has it."
    ]
    assert "Nothing is due: every alert has been sent what it watches." in [
        c.value for c in at.caption
    ]


def test_a_view_that_is_no_link_is_refused_in_words_not_as_a_fault(db_path, password):  # noqa: F811
    """A view pasted as `http://[::1` (cut short) ended the page with a fault of the app."""
    at = sign_in(new_visit())
    at.switch_page("pages/alerts.py").run()
    inputs = {t.label: t for t in at.text_input}
    inputs["View (a link copied from this app)"].set_value("http://[::1")
    inputs["Name"].set_value("Camden")
    inputs["E-mail address, or the webhook address"].set_value("lead@camden.example.gov.uk")
    next(b for b in at.button if b.label == "Add alert").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [shown(e.value) for e in at.error] == [
        "“http://[::1” cannot be read as a link: copy it again from the app (Copy link, at the "
        "top of every page)."
    ]
    assert "No alerts yet." in [c.value for c in at.caption]


def test_a_link_s_page_choices_an_alert_cannot_watch_are_named_when_it_is_added(
    db_path,
    password,  # noqa: F811
):
    """A view pasted from the Pipeline page with its window of 3 months, and a mistyped
    borough, was stored with no word said: the alert watches every contract of the filters,
    whatever window its page showed. Named as `alerts add --url` names them."""
    at = sign_in(new_visit())
    at.switch_page("pages/alerts.py").run()
    inputs = {t.label: t for t in at.text_input}
    link = "http://x/pipeline?borough=Camden&pipeline_window=3+months&boroguh=*Hackney*"
    inputs["View (a link copied from this app)"].set_value(link)
    inputs["Name"].set_value("Camden")
    inputs["E-mail address, or the webhook address"].set_value("lead@camden.example.gov.uk")
    next(b for b in at.button if b.label == "Add alert").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Added alert 1" in s.value for s in at.success)
    assert [shown(w.value) for w in at.warning] == [
        "Not used from the link: its window “3 months” (a choice of its page that an alert "
        "does not have) and “boroguh=*Hackney*” (not a setting of this app; did you mean "
        "borough?), so the answer can differ from what its page showed."
    ]
