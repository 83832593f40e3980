"""Frontline and corporate service areas: the editable file, the sidebar filter (URL, SQL,
summary, command line) and the split on the Overview and the Market."""

from __future__ import annotations

import pytest

from citydata.core import service_types
from citydata.core.schema import SERVICE_AREA_LABELS
from citydata.query import filters, links, selection
from citydata.query.filters import FilterState
from tests import command
from tests.apptest import metric, run_app


def test_the_committed_file_classifies_every_service_area_once():
    mapping = service_types.load()
    assert set(mapping) == set(SERVICE_AREA_LABELS)
    assert mapping["Housing"] == "Frontline" and mapping["HR and payroll"] == "Corporate"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('frontline = ["Housing", "Housing"]\ncorporate = ["Nonsense"]', "“Nonsense” is not"),
        ('frontline = ["Housing"]\ncorporate = ["Housing"]', "“Housing” is in both lists"),
        ('frontline = ["Housing"]\ncorporate = []', "is in neither list"),
        ('frontline = "Housing"', "must be a list"),
        ('backoffice = ["Housing"]', "unknown list 'backoffice'"),
        ("frontline = [", "cannot be read"),
    ],
)
def test_a_bad_file_is_refused_with_what_to_fix(tmp_path, text, message):
    path = tmp_path / "service_area_types.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(service_types.ServiceTypeError, match=message):
        service_types.load(path)


def test_an_unreadable_file_says_where_not_pythons_words(tmp_path):
    path = tmp_path / "service_area_types.toml"
    path.write_text('frontline = ["Housing"\ncorporate = []\n', encoding="utf-8")
    with pytest.raises(service_types.ServiceTypeError) as refused:
        service_types.load(path)
    assert str(refused.value).startswith(
        "service_area_types.toml cannot be read: it is not written as the app expects at line 2"
    )
    assert "Unclosed" not in str(refused.value) and "'" not in str(refused.value)


def test_the_filter_selects_the_areas_of_the_chosen_type(db):
    corporate = [a for a, t in service_types.load().items() if t == "Corporate"]
    with db.read() as r:
        got = selection.records(r, FilterState(service_type=("Corporate",)))
        want = r.scalar(
            "SELECT count(*) FROM current_contracts WHERE service_area IN $a", {"a": corporate}
        )
        both = selection.records(r, FilterState(service_type=("Corporate", "Frontline")))
        total = r.scalar("SELECT count(*) FROM current_contracts")
    assert len(got) == want > 0 and set(got["service_area"]) <= set(corporate)
    assert len(both) == total
    assert filters.summary(FilterState(service_type=("Frontline",))).startswith(
        "Contracts where service type is Frontline"
    )


def test_the_link_keeps_a_service_type_and_drops_an_unknown_one(db):
    with db.read() as r:
        options = selection.options(r)
    assert options["service_type"] == ["Frontline", "Corporate"]
    state, notes = links.from_query_params({"service_type": ["Corporate", "Bogus"]}, options)
    assert state.service_type == ("Corporate",) and "Bogus" in notes[0]
    assert links.to_query_params(state) == {"service_type": ["Corporate"]}


def test_the_split_adds_up_to_the_selection(db):
    with db.read() as r:
        split = selection.service_type_split(r, FilterState(borough=("Camden",))).set_index(
            "service_type"
        )
        total = r.scalar("SELECT count(*) FROM current_contracts WHERE borough = 'Camden'")
    assert set(split.index) == {"Frontline", "Corporate"}
    assert split["records"].sum() == total
    assert split["records_share"].sum() == pytest.approx(100, abs=0.2)


def test_the_command_line_takes_the_filter(db_path):
    done = command.run("export", "--service-type", "Corporate", db=db_path, text=True)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()[1:]
    corporate = {a for a, t in service_types.load().items() if t == "Corporate"}
    assert lines and all(any(a in line for a in corporate) for line in lines)


@pytest.mark.parametrize("page", ["pages/overview.py", "pages/market.py"])
def test_overview_and_market_show_the_split_for_the_filters(db, page):
    at = run_app({"service_type": "Corporate"}, page=page)
    assert not at.error
    split = next(d.value for d in at.dataframe if "Service type" in d.value.columns)
    assert list(split["Service type"]) == ["Corporate"]
    if page.endswith("overview.py"):
        assert metric(at, "Records") == f"{int(split['Records'].iloc[0]):,}"
