"""A page's link given to a command (`--url`): the command takes the page's own choices it
shares (Collaboration's grouping, window and ended contracts; Coming to market's years; the
Adoption page's system) and names on stderr every other part of the link it did not use, so a
pasted link never silently answers something else than its page showed."""

from __future__ import annotations

import json

import pytest

from tests import command

cli = command.run
APP = "http://localhost:8501"
COLLABORATION = f"{APP}/collaborate?borough=Camden&group_by=Vendor&window=12&include_ended=true"


def _json(*args: str) -> object:
    done = cli(*args, "--json", text=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_collaborate_takes_the_collaboration_page_s_grouping_window_and_ended_contracts(db_path):
    by_link = cli("collaborate", "--url", COLLABORATION, "--json", "--today", "2026-12-07",
                  text=True)  # fmt: skip
    assert by_link.returncode == 0, by_link.stderr
    by_options = _json(
        "collaborate", "--borough", "Camden", "--by", "vendor", "--window-months", "12",
        "--include-ended", "--today", "2026-12-07",
    )  # fmt: skip
    found = json.loads(by_link.stdout)
    assert (found["by"], found["window_months"], found["include_ended"]) == ("vendor", 12, True)
    assert found == by_options
    assert "Not used" not in by_link.stderr


def test_coming_takes_the_page_s_years_and_names_its_quarter_figures_as_not_used(db_path):
    link = f"{APP}/coming?coming_years=3+years&coming_show=Decisions+due"
    by_link = cli("coming", "--url", link, "--json", "--today", "2026-12-07", text=True)
    assert by_link.returncode == 0, by_link.stderr
    assert json.loads(by_link.stdout) == _json("coming", "--years", "3", "--today", "2026-12-07")
    assert json.loads(by_link.stdout) != _json("coming", "--today", "2026-12-07")
    assert "Not used from the link: its quarter figures “Decisions due”" in by_link.stderr


def test_who_can_help_takes_the_adoption_page_s_system(db_path):
    link = f"{APP}/adoption?adoption_system=Mosaic"
    by_link = cli("who-can-help", "--url", link, "--json", text=True)
    assert by_link.returncode == 0, by_link.stderr
    assert json.loads(by_link.stdout) == _json("who-can-help", "Mosaic")
    same = cli("who-can-help", "MOSAIC", "--url", link, "--json", text=True)
    assert same.returncode == 0, same.stderr
    neither = cli("who-can-help", text=True)
    assert neither.returncode == 2 and "Name the system" in neither.stderr


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("collaborate", "--by", "system", "--url", COLLABORATION),
         "The link's grouping is “Vendor” and --by says “system”"),
        (("coming", "--years", "1", "--url", f"{APP}/coming?coming_years=3+years"),
         "The link's number of years is “3 years” and --years says “1”"),
        (("who-can-help", "Civica Spydus", "--url", f"{APP}/adoption?adoption_system=Mosaic"),
         "The link's system is “Mosaic” and SYSTEM says “Civica Spydus”"),
        (("collaborate", "--url", f"{APP}/collaborate?group_by=Colour"),
         "The link's grouping “Colour” is not one its page offers (it has System, Vendor in a "
         "service area, Vendor, Service area)"),
        (("collaborate", "--url", f"{APP}/collaborate?window=30"),
         "The link's window “30” is not one its page offers (it has a whole number of months "
         "from 1 to 24)"),
        (("coming", "--url", f"{APP}/coming?coming_years=9+years"),
         "The link's number of years “9 years” is not one its page offers (it has 1, 2, 3 years)"),
        # a digit Python's isdigit takes but int() does not: said in words, not int()'s
        (("collaborate", "--url", f"{APP}/collaborate?window=%C2%B2"),
         "The link's window “²” is not one its page offers (it has a whole number of months "
         "from 1 to 24)"),
        (("coming", "--url", f"{APP}/coming?coming_years=%C2%B2+years"),
         "The link's number of years “² years” is not one its page offers (it has 1, 2, 3 "
         "years)"),
    ],
)  # fmt: skip
def test_a_choice_given_twice_differently_or_that_its_page_lacks_is_a_usage_error(
    db_path, args, said
):
    done = cli(*args, text=True)
    assert done.returncode == 2 and said in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_export_names_the_link_s_page_choices_and_unknown_parameters_it_did_not_use(db_path):
    """A link with `boroguh=Camden` (mistyped) exported every borough with no word said."""
    link = f"{APP}/pipeline?borough=Hackney&pipeline_window=3+months&boroguh=Camden&embed=true"
    done = cli("export", "--url", link, text=True)
    assert done.returncode == 0, done.stderr
    assert (
        "Not used from the link: its window “3 months” (a choice of its page that `export` does "
        "not have) and “boroguh=Camden” (not a setting of this app; did you mean borough?), so "
        "the answer can differ from what its page showed." in done.stderr
    )
    assert "embed" not in done.stderr  # how Streamlit frames a page: never changes an answer


def test_a_map_link_s_window_is_not_taken_as_collaboration_s(db_path):
    """The Map and Collaboration pages both write `window`: only a link to Collaboration's
    page gives collaborate its window."""
    link = f"{APP}/map?metric=Contracts+ending&window=Next+12+months"
    done = cli("collaborate", "--url", link, "--json", "--today", "2026-12-07", text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["window_months"] == 6
    assert "its window “Next 12 months” (a choice of its page" in done.stderr


def test_alerts_add_names_the_link_s_page_choices_it_does_not_watch(db_path):
    link = f"{APP}/pipeline?borough=Camden&pipeline_window=3+months"
    done = cli("alerts", "add", "--name", "Camden", "--email", "a@example.org", "--ending", "6",
               "--url", link, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Not used from the link: its window “3 months”" in done.stderr


def test_a_window_of_0_months_is_still_refused_not_taken_as_the_default(db_path):
    done = cli("collaborate", "--window-months", "0", text=True)
    assert done.returncode == 2 and "the window must be 1 to 60 months" in done.stderr


@pytest.mark.parametrize("command_args", [("export",), ("alerts", "add", "--name", "X", "--email",
                                                        "a@example.org", "--changes")])  # fmt: skip
def test_a_link_that_is_no_link_is_a_usage_error_not_a_fault(db_path, command_args):
    """`--url http://[::1` (a link cut short) was "something went wrong inside City Tools
    Explorer … please report it"."""
    done = cli(*command_args, "--url", "http://[::1", text=True)
    assert done.returncode == 2, done.stderr
    assert "“http://[::1” cannot be read as a link: copy it again from the app" in done.stderr
    assert "went wrong" not in done.stderr
