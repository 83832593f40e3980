"""Calendar, Renewal pipeline and Collaboration pages under AppTest: many, one and no records,
and the figures they show equal SQL run on the same file."""

from __future__ import annotations

import pytest

from citydata.core import dates
from citydata.core.dates import add_months
from citydata.core.formatting import count
from citydata.query import collaboration, pipeline
from citydata.query.filters import FilterState
from tests.apptest import metric, run_app
from tests.calendar_data import one_record_reference

PAGES = ["pages/calendar.py", "pages/pipeline.py", "pages/collaborate.py"]
NOTHING = {"q": "no such system anywhere"}


def one_record_filter(db) -> dict[str, str]:
    """URL parameters that leave exactly one record: a search for one register reference."""
    return {"q": one_record_reference(db)}


def sql_counts(db, where: str = "TRUE", params: dict | None = None) -> dict[str, int]:
    today = dates.today()
    p = (params or {}) | {"today": today, "h12": add_months(today, 12)}
    with db.read() as r:
        row = r.rows(
            f"""SELECT count(contract_end), count(*) FILTER (WHERE contract_end IS NULL),
                count(*) FILTER (WHERE contract_end < $today),
                count(*) FILTER (WHERE contract_end >= $today AND contract_end < $h12)
            FROM current_contracts WHERE {where}""",
            p,
        )[0]
    return dict(zip(("with_end", "no_end", "ended", "ending_12"), row, strict=True))


@pytest.mark.parametrize("page", PAGES)
def test_each_page_runs_on_everything_on_one_record_and_on_nothing(db, page):
    for params in ({}, one_record_filter(db), NOTHING):
        at = run_app(params, page=page)
        assert not at.exception and not at.error, (page, params)
        if params is NOTHING:
            assert at.info and any("No " in i.value for i in at.info), page
            assert not at.get("download_button"), "nothing to download"


def test_calendar_figures_equal_sql(db):
    at = run_app(page="pages/calendar.py")
    expected = sql_counts(db)
    assert metric(at, "Contracts with an end date") == f"{expected['with_end']:,}"
    assert metric(at, "No end date") == f"{expected['no_end']:,}"
    assert metric(at, "Already ended") == f"{expected['ended']:,}"
    assert metric(at, "Ending in next 12 months") == f"{expected['ending_12']:,}"
    assert [b.label for b in at.get("download_button")] == ["Download calendar (.ics)"]
    assert any(f"{2 * expected['with_end']:,} all-day events" in c.value for c in at.caption)
    assert len(at.get("vega_lite_chart")) == 1, "the heatmap; the other tabs draw when opened"


def test_calendar_month_view_lists_that_months_contracts(db):
    at = run_app({"borough": "Camden", "calendar_view": "One month"}, page="pages/calendar.py")
    with db.read() as r:
        last = r.scalar("SELECT max(contract_end) FROM current_contracts WHERE borough = 'Camden'")
    default = at.selectbox(key="calendar_month").value
    assert default >= f"{dates.today():%Y-%m}", "opens on the next month with endings"
    for chosen in (default, f"{last:%Y-%m}"):
        at = at.selectbox(key="calendar_month").set_value(chosen).run()
        year, month = (int(p) for p in chosen.split("-"))
        with db.read() as r:
            n = r.scalar(
                "SELECT count(*) FROM current_contracts WHERE borough = 'Camden' "
                "AND year(contract_end) = $y AND month(contract_end) = $m",
                {"y": year, "m": month},
            )
        table = at.dataframe[0].value
        assert len(table) == n > 0
        assert set(table["borough"]) == {"Camden"}
        assert (table["contract_end"].dt.strftime("%Y-%m") == chosen).all()


PIPELINE = "pages/pipeline.py"


def test_pipeline_figures_equal_sql_for_each_window(db):
    """The default view answers "what must we decide in the next N months": the window is on
    the decide-by date, and decisions already overdue are listed apart (once every contract in
    the default view was "Overdue: decide now", because the window selected by end date)."""
    view = {"service_area": "Housing"}
    at = run_app(view, page=PIPELINE)
    where, params = "service_area = $a", {"a": "Housing"}
    expected = sql_counts(db, where, params)
    assert metric(at, "Already ended") == f"{expected['ended']:,}"
    assert metric(at, "No end date") == f"{expected['no_end']:,}"
    today = dates.today()
    lead, _ = pipeline.lead_times_or_default()
    with db.read() as r:
        dated = pipeline.with_decide_by(r, FilterState(service_area=("Housing",)), lead)
    running = dated[dated.contract_end.dt.date >= today]
    decide = running.decide_by.dt.date
    overdue = int((decide < today).sum())
    assert overdue > 0
    assert metric(at, "Decision overdue") == f"{overdue:,}"
    for months in (12, 3, 24):
        if months != 12:
            at.button_group(key="pipeline_window").set_value(months).run()
        due = running[(decide >= today) & (decide < add_months(today, months))]
        assert metric(at, f"Decide in next {months} months") == f"{len(due):,}"
        shown = at.dataframe[0].value  # the list on screen; the others wait for their tab
        assert len(shown) == len(due)
        assert "Overdue: decide now" not in set(shown["decision"])
        assert (shown["decide_by"].dt.date >= today).all()
        window = {"pipeline_window": f"{months} months"}
        listed = run_app(view | window | {"pipeline_list": "Decision overdue"}, PIPELINE)
        assert len(listed.dataframe[0].value) == overdue
        assert (listed.dataframe[0].value["decide_by"].dt.date < today).all()
        with db.read() as r:
            n = r.scalar(
                f"SELECT count(*) FROM current_contracts WHERE {where} "
                "AND contract_end >= $t AND contract_end < $h",
                params | {"t": today, "h": add_months(today, months)},
            )
        listed = run_app(view | window | {"pipeline_list": "Ending soon"}, PIPELINE)
        assert len(listed.dataframe[0].value) == n
    # The tabs' labels stay the same (they are the link's `pipeline_list`); each list's count
    # heads it.
    tabs = [t.label for t in at.tabs]
    assert tabs == [
        "Decisions due",
        "Decision overdue",
        "Ending soon",
        "Already ended",
        "No end date",
    ]
    heads = [m.value for m in at.markdown]
    assert f"**Decision overdue: {count(overdue, 'contract')}**" in heads
    assert f"**Already ended: {count(expected['ended'], 'contract')}**" in heads
    assert f"**No end date: {count(expected['no_end'], 'contract')}**" in heads


def test_pipeline_lists_count_one_contract_in_the_singular(db):
    borough = db.scalar(
        "SELECT borough FROM current_contracts WHERE contract_end IS NULL GROUP BY borough "
        "HAVING count(*) = 1 ORDER BY borough LIMIT 1"
    )
    at = run_app({"borough": borough}, PIPELINE)
    heads = [m.value for m in at.markdown if m.value.startswith("**") and "contract" in m.value]
    assert "**No end date: 1 contract**" in heads
    assert len(heads) == 5 and not any(h.endswith(": 1 contracts**") for h in heads), heads


def test_collaboration_figures_equal_the_query_and_follow_the_controls(db):
    at = run_app(page="pages/collaborate.py")
    today = dates.today()
    with db.read() as r:
        groups = collaboration.groups(r, FilterState(), collaboration.Query(), today)
        by_vendor = collaboration.groups(r, FilterState(), collaboration.Query("vendor", 12), today)
    assert metric(at, "Groups found") == f"{len(groups):,}"
    assert metric(at, "Largest group") == f"{groups['boroughs'].max()} boroughs"
    assert metric(at, "Contracts in groups") == f"{groups['contracts'].sum():,}"
    labels = [b.label for b in at.get("download_button")]
    assert labels == [
        "Download all groups (CSV)",
        "Download briefing (CSV)",
        "Download briefing (Markdown)",
        "Download briefing (Word)",
    ]
    at.button_group(key="group_by").set_value("vendor").run()
    at.slider(key="window").set_value(12).run()
    assert metric(at, "Groups found") == f"{len(by_vendor):,}"
    first = at.selectbox(key="collab_group")
    assert first.value.startswith(f"1. {by_vendor.iloc[0]['key']}: "), "back to the first group"
    assert at.dataframe[1].value["vendor"].eq(by_vendor.iloc[0]["key"]).all()


def test_collaboration_controls_come_from_a_shared_link(db):
    """The URL holds what the user sees: the label of the choice, the number of months."""
    at = run_app({"group_by": "System", "window": "3"}, page="pages/collaborate.py")
    assert at.button_group(key="group_by").value == "system"
    assert at.slider(key="window").value == 3
    with db.read() as r:
        groups = collaboration.groups(
            r, FilterState(), collaboration.Query("system", 3), dates.today()
        )
    assert metric(at, "Groups found") == f"{len(groups):,}"


def test_a_one_month_window_is_one_month_in_the_grouping_rule(db_path):
    at = run_app({"window": "1"}, page="pages/collaborate.py")
    said = [c.value for c in at.caption] + [i.value for i in at.info]
    assert any("ending within 1 month of" in s for s in said), said  # the rule, or no groups
    assert not any("1 months" in s for s in said), said


def test_long_lists_show_their_first_rows_and_say_how_many_more(db, monkeypatch):
    """A person reads the first rows of a long list; the caption says how to see the rest."""
    import ui

    monkeypatch.setattr(ui.tables, "TABLE_ROWS", 5)
    expected = sql_counts(db)
    assert expected["ending_12"] > 5 and expected["ended"] > 5
    captions = []
    for shown in ("Decisions due", "Ending soon", "Already ended"):
        at = run_app({"pipeline_list": shown}, page=PIPELINE)
        assert len(at.dataframe[0].value) <= 5, shown  # the list on screen
        captions += [c.value for c in at.caption]
    assert any(
        c.startswith(f"Showing the first 5 of {expected['ending_12']:,} records, soonest")
        for c in captions
    ), captions
    assert any(f"of {expected['ended']:,} records, most recently ended" in c for c in captions)

    at = run_app(page="pages/collaborate.py")
    with db.read() as r:
        groups = collaboration.groups(r, FilterState(), collaboration.Query(), dates.today())
    assert metric(at, "Groups found") == f"{len(groups):,}", "all groups, not those shown"
    assert len(at.dataframe[0].value) == min(5, len(groups))
    assert len(at.dataframe[1].value) == min(5, int(groups.iloc[0]["contracts"]))
    captions = [c.value for c in at.caption]
    if len(groups) > 5:
        assert any(c.startswith(f"Showing the first 5 of {len(groups):,} groups") for c in captions)

    at = run_app({"calendar_view": "One month"}, page="pages/calendar.py")
    year, month = (int(p) for p in at.selectbox(key="calendar_month").value.split("-"))
    with db.read() as r:
        n = r.scalar(
            "SELECT count(*) FROM current_contracts "
            "WHERE year(contract_end) = $y AND month(contract_end) = $m",
            {"y": year, "m": month},
        )
    assert n > 5 and len(at.dataframe[0].value) == 5
    assert any(
        c.value.startswith(f"Showing the first 5 of the {n:,} records ending this month")
        for c in at.caption
    )


def test_lists_too_long_to_download_from_the_app_say_so_instead(db, monkeypatch):
    from citydata.output import exports

    monkeypatch.setattr(exports, "APP_CSV_MAX_ROWS", 5)
    expected = sql_counts(db)
    at = run_app({"pipeline_list": "Ending soon"}, page=PIPELINE)
    buttons = {b.key: b.proto for b in at.get("download_button")}
    assert buttons["renewal-pipeline-csv"].disabled and buttons["renewal-pipeline-xlsx"].disabled
    assert any(
        f"These {expected['ending_12']:,} records are too many to download" in c.value
        for c in at.caption
    )

    at = run_app(page="pages/collaborate.py")
    everyone = next(b.proto for b in at.get("download_button") if b.key == "collab-all-csv")
    assert everyone.disabled and "too many to download from the app" in everyone.help
    one_group = next(b.proto for b in at.get("download_button") if b.key == "collab-group-csv")
    assert not one_group.disabled
