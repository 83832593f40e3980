"""Who can help: the boroughs running a system, best in-house skill first, in the app and on the
command line; plain words when nobody has recorded skills."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from citydata import ingest, lifecycle
from citydata.query import skills
from citydata.query.filters import FilterState
from citydata.store import snapshots
from tests.apptest import run_app, shown
from tests.command import run
from tests.test_security import open_page

ADOPTION = "pages/adoption.py"
PROFILE = "pages/borough.py"
RANK = {"Expert": 4, "Intermediate": 3, "Basic": 2, "None": 1, None: 0}

# A register for Camden with a system nobody else runs, and no skill columns at all.
NO_SKILLS = b"""Service area,System,Vendor,Reference,Satisfaction
Housing,Brand New Housing,New Vendor Ltd,C-1,4
"""


def add_camden_register(db) -> None:
    prepared = ingest.prepare(NO_SKILLS, "camden.csv", borough="Camden")
    assert not prepared.rejects
    snapshots.commit(db, prepared, NO_SKILLS, "ann@camden")


def expected(db, system: str, where: str = "true", besides: str = "") -> list[tuple]:
    """Per borough running `system`: (borough, best skill, average satisfaction), by SQL."""
    rows = db.rows(
        f"SELECT borough, skill_level, satisfaction FROM current_contracts"
        f" WHERE system = $s AND borough <> $b AND {where}",
        {"s": system, "b": besides},
    )
    best: dict[str, str | None] = {}
    scores: dict[str, list[int]] = {}
    for borough, skill, score in rows:
        if RANK[skill] >= RANK[best.get(borough)]:
            best[borough] = skill
        scores.setdefault(borough, [])
        if score is not None:
            scores[borough].append(score)
    return [
        (b, best[b], round(sum(s) / len(s), 1) if s else None) for b, s in sorted(scores.items())
    ]


def test_the_boroughs_come_best_skill_first_then_most_satisfied(db):
    with db.read() as r:
        found = skills.who_can_help(r, FilterState(), "Mosaic")
    rows = [
        (b, None if pd.isna(s) else s, None if pd.isna(sat) else sat)
        for b, s, sat in zip(found.borough, found.skill_level, found.satisfaction, strict=True)
    ]
    assert sorted(rows, key=lambda x: x[0]) == expected(db, "Mosaic")
    order = [(-RANK[s], -(sat if sat is not None else -1), b) for b, s, sat in rows]
    assert order == sorted(order), "most skill first, then the most satisfied, then A-Z"
    assert found.skill_level.iloc[0] == "Expert"


def test_filters_apply_but_the_borough_filter_does_not_and_besides_leaves_one_out(db):
    state = FilterState(borough=("Camden",), service_area=("Adults' social care",))
    with db.read() as r:
        mosaic = set(skills.who_can_help(r, FilterState(), "Mosaic").borough)
        found = skills.who_can_help(r, state, "Mosaic", "Westminster")
    assert set(found.borough) == {
        b for b, *_ in expected(db, "Mosaic", "service_area = 'Adults'' social care'")
    } - {"Westminster"}
    assert len(found) >= 3 and mosaic > set(found.borough)


def test_plain_words_when_nobody_recorded_skills(db):
    add_camden_register(db)
    with db.read() as r:
        found = skills.who_can_help(r, FilterState(), "Brand New Housing")
    sentence = skills.in_words(found, "Brand New Housing")
    assert sentence.startswith("1 borough runs Brand New Housing, but none has recorded")
    assert skills.in_words(found.iloc[0:0], "X").startswith("No other borough runs X")


def test_the_adoption_page_shows_who_can_help(db):
    at = run_app({"adoption_system": "Mosaic"}, ADOPTION)
    assert not at.exception and not at.error
    assert any(h.value == "Who can help with Mosaic" for h in at.header)  # a section (h2)
    table = next(d.value for d in at.dataframe if "In-house skill level" in d.value.columns)
    with db.read() as r:
        assert list(table["Borough"]) == list(
            skills.who_can_help(r, FilterState(), "Mosaic").borough
        )
    assert table["In-house skill level"].iloc[0] == "Expert"
    assert any(shown(m.value).startswith(f"{len(table)} boroughs run Mosaic") for m in at.markdown)


def test_the_adoption_page_says_so_when_nobody_recorded_skills(db):
    add_camden_register(db)
    at = run_app({"adoption_system": "Brand New Housing"}, ADOPTION)
    assert not at.exception and not at.error
    assert any("none has recorded its in-house skill" in shown(m.value) for m in at.markdown)


def test_the_profile_peers_lead_to_who_can_help(db):
    system = db.scalar(
        "SELECT system FROM current_contracts WHERE system IN (SELECT system FROM"
        " current_contracts WHERE borough = 'Camden') AND borough <> 'Camden'"
        " AND skill_level IS NOT NULL GROUP BY system ORDER BY count(*) DESC, system LIMIT 1"
    )
    at = run_app({"profile": "Camden"}, PROFILE)
    [asked] = [s for s in at.selectbox if s.label == "Which system?"]
    assert system in asked.options
    asked.select(system).run()
    assert not at.exception and not at.error
    table = next(d.value for d in at.dataframe if "In-house skill level" in d.value.columns)
    assert "Camden" not in set(table["Borough"])
    assert sorted(table["Borough"]) == [b for b, *_ in expected(db, system, besides="Camden")]


def test_the_command_line_gives_the_same_table(db_path):
    done = run("who-can-help", "mosaic", "--besides", "camden", "--json", db=db_path, text=True)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["system"] == "Mosaic"
    db = lifecycle.open_store(db_path)
    try:
        with db.read() as r:
            found = skills.who_can_help(r, FilterState(), "Mosaic", "Camden")
    finally:
        db.close()
    assert [b["borough"] for b in out["boroughs"]] == list(found.borough)
    assert out["summary"] == skills.in_words(found, "Mosaic")

    text = run("who-can-help", "Mosaic", db=db_path, text=True)
    assert text.returncode == 0 and "In-house skill level" in text.stdout


def test_the_command_line_gives_next_contract_ends_as_dates(db_path, tmp_path):
    db = lifecycle.open_store(db_path)
    try:
        with db.read() as r:
            found = skills.who_can_help(r, FilterState(), "Mosaic")
    finally:
        db.close()
    ends = [d.date().isoformat() for d in pd.to_datetime(found["next_end"])]
    done = run("who-can-help", "Mosaic", "--json", db=db_path, text=True)
    assert [b["next_end"] for b in json.loads(done.stdout)["boroughs"]] == ends
    text = run("who-can-help", "Mosaic", db=db_path, text=True).stdout
    assert "00:00:00" not in text and all(end in text for end in ends)
    out = tmp_path / "helpers.csv"
    assert run("who-can-help", "Mosaic", "-o", str(out), db=db_path).returncode == 0
    assert pd.read_csv(out, encoding="utf-8-sig")["Next contract end"].tolist() == ends


@pytest.mark.parametrize("written", ["mosaik", "Mosaic Adults"])
def test_an_unknown_system_is_refused_with_the_nearest_names(db_path, written):
    done = run("who-can-help", written, db=db_path, text=True)
    assert done.returncode == 1
    assert "Did you mean: Mosaic" in done.stderr and "Traceback" not in done.stderr


def test_a_link_naming_a_system_the_borough_does_not_share_is_named_and_dropped(db):
    at = open_page(PROFILE, {"profile": "Camden", "profile_help": "Nothing Camden Runs"})
    assert not at.exception and not at.error
    [asked] = [s for s in at.selectbox if s.label == "Which system?"]
    assert asked.value is None
    assert not [d for d in at.dataframe if "In-house skill level" in d.value.columns]
    notes = [shown(w.value) for w in at.sidebar.warning]
    assert any(
        n.startswith("The link's system to find helpers for “Nothing Camden Runs” cannot be used")
        for n in notes
    ), notes


def test_the_command_line_answers_while_another_process_holds_the_database(db_path):
    from tests.test_lifecycle import held_by_another_process

    with held_by_another_process(db_path):
        done = run("who-can-help", "Mosaic", "--json", db=db_path, text=True)
    assert done.returncode == 0, done.stderr
    assert "reading a copy of it made just now" in done.stderr
    assert json.loads(done.stdout)["boroughs"][0]["skill_level"] == "Expert"


@pytest.mark.parametrize("asked", ["Mosaic", "MOSAIC", "  mosaic "])
def test_a_register_writing_a_system_in_capitals_is_one_of_those_running_it(db_path, asked):
    # Camden's register writes "MOSAIC" where the other boroughs write "Mosaic": asked in any
    # capitals, the command answers for the system under the name most records use, Camden
    # among those running it (it was left out, or answered alone when asked for "MOSAIC").
    db = lifecycle.open_store(db_path)
    try:
        register = (
            b"Service area,System,Vendor,Reference\nChildren's social care,MOSAIC,Servelec,C-1\n"
        )
        prepared = ingest.prepare(register, "camden.csv", borough="Camden")
        snapshots.commit(db, prepared, register, "ann@camden")
        running = expected(db, "Mosaic")
        kept = db.rows("SELECT system FROM current_contracts WHERE borough = 'Camden'")
    finally:
        db.close()
    assert len(running) > 1 and "Camden" not in [b for b, *_ in running]
    assert kept == [("MOSAIC",)]  # (the record keeps the register's spelling)
    done = run("who-can-help", asked, "--json", db=db_path, text=True)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["system"] == "Mosaic"
    assert sorted(b["borough"] for b in out["boroughs"]) == sorted(
        [b for b, *_ in running] + ["Camden"]
    )
    assert f"{len(running) + 1} boroughs run Mosaic" in out["summary"]
