"""The README is the front door: its commands are the ones CI runs, and every setting is there."""

from __future__ import annotations

import re

from citydata.core import settings
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def fenced_commands() -> list[str]:
    return [
        line.strip()
        for block in re.findall(r"```bash\n(.*?)```", README, flags=re.S)
        for line in block.splitlines()
        if line.strip()
    ]


def test_ci_runs_exactly_the_readme_test_command():
    test_command = next(c for c in fenced_commands() if "pytest" in c)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci.splitlines()


def test_the_readme_run_command_starts_the_app():
    run_command = next(c for c in fenced_commands() if "streamlit run" in c)
    assert "requirements.txt" in run_command and run_command.endswith("streamlit run app.py")


def test_every_setting_is_documented_in_the_readme():
    for setting in settings.SETTINGS:
        assert f"`{setting.name}`" in README, setting.name


def test_every_setting_is_a_row_of_the_settings_table_as_github_shows_it():
    """A blank line in the middle of the table ended it there: the 14 settings below it (the
    mail server's, the public address, the feeds...) read as one paragraph of bars."""
    from markdown_it import MarkdownIt

    section = README[README.index("## Settings") : README.index("## The database")]
    shown = MarkdownIt("commonmark").enable("table").render(section)
    rows = re.findall(r"<tr>\s*<td><code>(CITYTOOLS_\w+)</code></td>\s*<td>(.*?)</td>", shown)
    assert dict(rows) == {
        s.name: "(none)" if s.default is None else f"<code>{s.default}</code>"
        for s in settings.SETTINGS
    }


def test_the_readme_gives_the_app_s_own_download_limits():
    """It still said 50,000 records for an Excel download after the app moved to 150,000."""
    from citydata.output import exports, workbook

    said = " ".join(README.split())
    assert (
        f"Up to {exports.APP_EXCEL_MAX_ROWS:,} records you can have CSV or Excel; up to "
        f"{exports.APP_CSV_MAX_ROWS:,}, CSV only"
    ) in said
    assert f"a sheet holds at most {workbook.EXCEL_MAX_ROWS + 1:,} rows" in said


def test_every_numeric_setting_s_bounds_are_in_its_row_of_the_settings_table():
    """The values a numeric setting takes (`Bounds`), in the words of the message that refuses
    any other: "Takes a number of megabytes above 0, at most 1,024"."""
    section = README[README.index("## Settings") : README.index("## The database")]
    rows = {m[1]: m[0] for m in re.finditer(r"^\| `(CITYTOOLS_\w+)` \|.*$", section, flags=re.M)}
    bounded = [s for s in settings.SETTINGS if s.bounds is not None]
    assert {s.name for s in bounded} >= {"CITYTOOLS_MAX_UPLOAD_MB", "CITYTOOLS_INBOX_SECONDS"}
    for s in bounded:
        assert f"Takes {s.bounds.said()}" in rows[s.name], s.name
