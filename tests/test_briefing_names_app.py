"""A briefing says what it was made of: its files are named with the filters it was made under
and it says them in full, as every other download does, so two briefings of different
selections are never taken for one another."""

from __future__ import annotations

import io

import docx

from citydata.core import dates
from tests.apptest import run_app
from tests.test_original_download import downloads  # noqa: F401

DAY = f"{dates.today():%Y-%m-%d}"


def drawn(downloads, starting: str) -> dict[str, tuple[str, bytes]]:  # noqa: F811
    """ending -> (file name, bytes) of the downloads whose name starts with `starting`."""
    return {
        name.rsplit(".", 1)[-1]: (name, data() if callable(data) else data)
        for _, name, data in downloads
        if name.startswith(starting)
    }


def test_a_groups_briefing_is_named_with_the_filters_and_says_them(db_path, downloads):  # noqa: F811
    """Group 1's briefing was collaboration-group-1-<day> whatever the filters, and said
    nothing of them: group 1 of every borough and group 1 of Housing alone looked the same."""
    files = {}
    for params in ({}, {"service_area": "Housing"}):
        downloads.clear()
        run_app(params, "pages/collaborate.py")
        files[bool(params)] = drawn(downloads, "collaboration-group-1-")
    everything, housing = files[False], files[True]
    assert {name for name, _ in everything.values()} == {
        f"collaboration-group-1-{DAY}.{ending}" for ending in ("csv", "md", "docx")
    }
    assert {name for name, _ in housing.values()} == {
        f"collaboration-group-1-housing-{DAY}.{ending}" for ending in ("csv", "md", "docx")
    }
    markdown = housing["md"][1].decode("utf-8")
    assert "Selection: Contracts where service area is Housing." in markdown
    assert "Selection: All contracts." in everything["md"][1].decode("utf-8")
    text = [p.text for p in docx.Document(io.BytesIO(housing["docx"][1])).paragraphs]
    assert "Selection: Contracts where service area is Housing." in text


def test_a_boroughs_briefing_is_named_with_the_filters_besides_its_borough(db_path, downloads):  # noqa: F811
    """Camden's briefing was camden-briefing-<day> whatever else was filtered."""
    run_app({"profile": "Camden", "service_area": "Housing"}, "pages/borough.py")
    names = {name for name, _ in drawn(downloads, "camden-briefing").values()}
    assert names == {f"camden-briefing-housing-{DAY}.{e}" for e in ("txt", "xlsx", "docx")}
