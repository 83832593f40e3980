"""A link, a command or an alert naming a vendor that has since been grouped under another
name (an alias) is read as the vendor it is grouped under, with a note saying so. The records
show the canonical name only, so the name as given was dropped: "No vendor called … in the
data (did you mean …?)", and an alert could not be made from the link at all."""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from urllib.parse import urlencode

import duckdb
import pytest

from citydata import cli
from tests.apptest import run_app
from tests.test_alerts import alerts
from tests.test_cli import _records as records
from tests.test_cli import cli as run_cli
from tests.test_hostile_links import shown
from tests.test_security import open_page


def two_vendors(db_path) -> tuple[str, str]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        rows = con.execute("SELECT DISTINCT vendor FROM current_contracts ORDER BY 1 LIMIT 2")
        first, second = (v for (v,) in rows.fetchall())
    return first, second


def grouped(db_path) -> tuple[str, str, str]:
    """(a vendor's old name, the name it is grouped under now, another vendor)."""
    old, other = two_vendors(db_path)
    now = f"{old} Holdings"
    accept = ["aliases", "--accept", f"{old}={now}", "--user", "ann", "--db", str(db_path)]
    with redirect_stdout(io.StringIO()):
        assert cli.main(accept) == 0
    return old, now, other


def test_a_link_naming_a_grouped_vendor_shows_the_vendor_it_is_grouped_under(db_path):
    old, now, other = grouped(db_path)
    for named in ([old], [old, other]):
        at = run_app({"vendor": named})
        assert [shown(w.value) for w in at.sidebar.warning] == [
            f"“{old}” is now grouped under “{now}”."
        ]
        assert at.session_state["vendor"] == [now, *named[1:]], "the filter shows it"
        assert at.session_state["filters"].vendor == (now, *named[1:])


def test_a_command_naming_a_grouped_vendor_reads_it_as_that_vendor(db_path):
    old, now, _ = grouped(db_path)
    link = f"http://localhost:8501/?{urlencode({'vendor': old})}"
    for args in (["--vendor", old], ["--url", link]):
        done = run_cli("export", *args, db=db_path)
        assert {r["vendor"] for r in records(done)} == {now}
        assert done.stderr.decode().startswith(f"Note: “{old}” is now grouped under “{now}”.\n")


def test_an_alert_can_be_made_from_a_link_naming_a_grouped_vendor(db_path):
    old, now, _ = grouped(db_path)
    view = f"https://x.example/pipeline?{urlencode({'vendor': old})}"
    added = alerts(db_path, "add", "--name", "Old name", "--email", "a@example.org",
                   "--url", view, "--ending", "60")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert added.stderr == f"Note: “{old}” is now grouped under “{now}”.\n"


@pytest.mark.parametrize(
    ("page", "key"), [("pages/vendor.py", "vendor_profile"), ("pages/map.py", "share_vendor")]
)
def test_a_page_setting_naming_a_grouped_vendor_shows_the_vendor_it_is_grouped_under(
    db_path, page, key
):
    """The Vendor profile's and the Map's own choice of vendor, from a link: the name given was
    dropped ("The link's vendor … cannot be used here; showing none")."""
    old, now, _ = grouped(db_path)
    params = {key: old} | ({"metric": "Share held by a vendor"} if key == "share_vendor" else {})
    at = open_page(page, params)
    assert at.selectbox(key=key).value == now
    assert [shown(w.value) for w in at.sidebar.warning] == [
        f"“{old}” is now grouped under “{now}”."
    ]
    assert at.query_params[key] == now  # (a link copied from the page names it as now)
