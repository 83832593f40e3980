"""How a fetch of published notices copes with a publisher's pages that go wrong: a next page
that is a page already read, a wait asked for in a form the fetch did not read, a page with a
byte-order mark, a page too big or too deeply nested to read. Each against the real HTTP server
on localhost of tests/test_fetch.py, replaying the answers given."""

from __future__ import annotations

import gzip
import json
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from citydata import ingest
from citydata.feeds import client as http
from citydata.feeds import counts, fetch, history, runs, spool
from citydata.ingest import read as ingest_read
from tests import command
from tests.test_fetch import AMENDED, AMENDMENT, AWARD, SINCE, camden_rb, ok, release_page, server
from ui import fetching

__all__ = ["server"]  # (the fixture, used by name)


def fetched_within(db, seconds: float = 60, **options) -> runs.Run:
    """The run, once it has ended; fails the test when it is still fetching after `seconds`."""
    done: dict[str, runs.Run] = {}
    worker = threading.Thread(
        target=lambda: done.setdefault(
            "run", fetch.run(db, "contracts-finder", SINCE, backoff=0.01, **options)
        ),
        daemon=True,
    )
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"still fetching after {seconds} s"
    return done["run"]


def test_a_next_page_that_is_a_page_already_read_stops_the_fetch_and_says_so(db, server):
    """A publisher whose next link pointed back at a page already read (its own, or the one
    before) had the fetch ask for the same page for ever: the command never ended and the
    Published notices page showed it running."""
    server.play("page1", ok(release_page(server, AWARD, next_page="page2")))
    server.play("page2", ok(release_page(server, AMENDMENT, next_page="page2")))
    run = fetched_within(db)
    assert run.status == "failed" and run.pages == 2
    assert [key for key, _ in server.log] == ["page1", "page2"]
    assert run.message.startswith(
        "Contracts Finder gave the address of page 2 again as the next page: the fetch stopped "
        "there, as it would otherwise ask for the same page for ever."
    )
    assert camden_rb(db) == AMENDED  # what the pages read brought is kept
    assert runs.last_run(db, "contracts-finder").status == "failed"


def test_a_wait_asked_for_as_a_date_is_waited_for(server):
    """Retry-After may give the time to come back as a date (RFC 9110): the fetch took it for
    no number and tried again after 2, 4 and 8 seconds, so a publisher asking for a minute's
    rest was asked three times more and the fetch stopped "too many times"."""
    back = datetime.now(UTC) + timedelta(seconds=90)
    server.play(
        "page1",
        (429, {"Retry-After": format_datetime(back, usegmt=True)}, b'{"error": "slow down"}'),
        ok(release_page(server, AWARD)),
    )
    waits: list[float] = []
    with http.new_client() as session:
        page = http.get(session, f"{server.base}/search", backoff=0.01, sleep=waits.append)
    assert page.document["releases"][0]["ocid"] == AWARD["ocid"]
    [wait] = waits
    assert 85 <= wait <= 90


def test_a_wait_that_is_not_a_number_of_seconds_does_not_stop_the_fetch(db, server):
    """Retry-After: NaN ended the fetch in Python's words ("Invalid value NaN (not a number)"),
    and a command in a traceback; it is now waited as an unreadable wait is, a short while."""
    server.play(
        "page1",
        (429, {"Retry-After": "nan"}, b"{}"),
        (429, {"Retry-After": "soon"}, b"{}"),
        ok(release_page(server, AWARD)),
    )
    run = fetched_within(db)
    assert (run.status, run.imported) == ("done", 1)


def test_a_page_with_a_byte_order_mark_is_read(db, server):
    """A page beginning with UTF-8's byte-order mark (as .NET services often send) was taken
    for "cut short or not JSON" four times over and the fetch stopped, every night."""
    server.play("page1", ok(b"\xef\xbb\xbf" + release_page(server, AWARD)))
    run = fetched_within(db)
    assert (run.status, run.imported) == ("done", 1)
    assert camden_rb(db)[0][0] == 900000


def test_a_page_nested_too_deeply_stops_the_fetch_in_words(db, server):
    """Ended in Python's RecursionError, and a command in "something went wrong inside City
    Tools Explorer", though the fault was the publisher's page."""
    server.play("page1", ok(b'{"releases": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}"))
    run = fetched_within(db)
    assert run.status == "failed" and run.pages == 0
    assert run.message.startswith(
        "The publisher's answer is nested too deeply to be a list of notices"
    )


def test_a_page_larger_than_the_app_reads_stops_the_fetch_and_says_which_setting(
    db, server, monkeypatch
):
    """A page larger than CITYTOOLS_MAX_UPLOAD_MB was read whole into memory (however large the
    publisher sent it), then refused unsaid: the fetch said "done. No new notices." and its
    notices were lost without a word."""
    monkeypatch.setenv("CITYTOOLS_MAX_UPLOAD_MB", "0.05")  # 51 KB
    long = AMENDMENT | {"tender": AWARD["tender"] | {"description": "Revenues. " * 8_000}}
    server.play("page1", ok(release_page(server, AWARD, next_page="page2")))
    server.play("page2", ok(release_page(server, long)))
    run = fetched_within(db)
    assert run.status == "failed" and run.pages == 1
    assert run.message == (
        "The publisher's page is larger than 51 KB, the largest file this app reads (the "
        "CITYTOOLS_MAX_UPLOAD_MB setting), so it was not read and nothing of it was stored. "
        "Raise the setting, then run the fetch again to carry on from this page. That was page "
        f"2 ({server.base}/search?cursor=page2); the pages before it are kept."
    )
    assert camden_rb(db)[0][0] == 900000  # the award of page 1, not the amendment
    monkeypatch.setenv("CITYTOOLS_MAX_UPLOAD_MB", "1")
    again = fetched_within(db)
    assert (again.status, again.pages) == ("done", 2)
    assert camden_rb(db) == AMENDED


REAL = Path(__file__).resolve().parent / "data" / "real"


@pytest.mark.parametrize(
    ("file_name", "left_out"),
    [
        # the City of London's award for legal services: not technology
        ("ocds_cf2020_city_of_london_lbla_release.json", "Left out: 4 not technology."),
        # the London Fire Commissioner's awards: not a council's
        (
            "london-fire-commissioner-award_20200727-20200803.csv",
            "Left out: 9 bought by a council outside the region or not recognised.",
        ),
    ],
    ids=["not technology", "not a council's"],
)
def test_a_notices_file_with_nothing_the_region_keeps_is_done_not_refused(db, file_name, left_out):
    """Imported on the Published notices page, a real notices file holding none of the
    region's technology notices was shown in red as "The file was refused: None of the 4 rows
    can be imported…" and recorded as failed, though nothing was wrong with it: every notice
    was read and left out for a reason with nothing to fix."""
    content = (REAL / file_name).read_bytes()
    before = db.scalar("SELECT count(*) FROM snapshots")
    run = fetch.import_file(db, content, file_name, "Ann")
    assert run.status == "done"
    assert run.summary().endswith(
        f"0 technology records of the region's councils kept. {left_out} No technology "
        "notices of the region's councils."
    )
    assert "refused" not in run.summary()
    assert history.recent(db)["status"].tolist()[0] == "done"
    assert db.scalar("SELECT count(*) FROM snapshots") == before
    # The Upload page says the same of it (it said it in red as refused): counts.nothing_kept
    assert counts.nothing_kept(ingest.prepare(content, file_name)) == run.summary()


def test_a_notices_file_with_a_fault_in_every_notice_is_still_refused(db, server):
    broken = AWARD | {
        "awards": [AWARD["awards"][0] | {"contractPeriod": {"startDate": "2025-04-01",
                                                            "endDate": "2025-02-31"}}]
    }  # fmt: skip
    run = fetch.import_file(db, release_page(server, broken), "camden.json", "Ann")
    assert run.status == "failed" and run.refused == 1
    assert run.summary().startswith("The file was refused: ")


def test_a_fetch_that_carried_on_says_its_counts_include_the_pages_read_before(db, server):
    """A fetch carrying on from one stopped half way counts the pages read before it too (it
    finishes the same fetch), but its line in the history did not say so once it finished:
    the history showed "1 page, 3 read, 1 kept" and then "2 pages, 4 read, 2 kept", as if 7
    notices had been read and 3 kept."""
    server.play("page1", ok(server.page("contracts_finder_page1.json")))
    server.play("page2", ok(server.page("contracts_finder_page2.json")))
    first = fetched_within(db, max_pages=1)
    assert (first.status, first.pages, first.notices) == ("failed", 1, 3)
    second = fetched_within(db)
    carried = (
        "Carried on from page 2, where the fetch before stopped: the counts include the 1 page "
        "read before."
    )
    assert (second.status, second.pages, second.notices, second.message) == (
        "done", 2, 4, carried
    )  # fmt: skip
    newest = history.line(history.recent(db).to_dict("records")[0])
    assert newest.endswith(carried)


def test_a_fetch_that_carried_on_and_was_interrupted_says_it_was_interrupted(db, server):
    """Said only "Carried on from page 2." once interrupted, so the history did not say the
    fetch had stopped early, nor to run it again."""
    server.play("page1", ok(server.page("contracts_finder_page1.json")))
    server.play("page2", ok(server.page("contracts_finder_page2.json")))
    fetched_within(db, max_pages=1)

    def interrupted(_run):
        raise RuntimeError("the machine is shutting down")

    with pytest.raises(RuntimeError):
        fetch.run(db, "contracts-finder", SINCE, backoff=0.01, on_page=interrupted)
    last = runs.last_run(db, "contracts-finder")
    assert last.status == "failed"
    assert last.message == (
        "Interrupted; run the fetch again to carry on. Carried on from page 2, where the fetch "
        "before stopped: the counts include the 1 page read before."
    )


def test_a_fetch_limited_to_some_pages_carries_on_for_as_many_again(db, server):
    """The Published notices page fetches at most 50 pages a click ("press again to carry
    on"), as `fetch --max-pages` does: pressed again, the fetch counted the 50 pages read
    before against the 50 of this click, stopped before reading any, and said "Stopped after 50
    pages; run again to carry on" for ever."""
    server.play("page1", ok(release_page(server, AWARD, next_page="page2")))
    server.play("page2", ok(release_page(server, AMENDMENT, next_page="page3")))
    server.play("page3", ok(release_page(server)))
    first = fetched_within(db, max_pages=1)
    assert (first.status, first.pages) == ("failed", 1)
    server.log.clear()
    second = fetched_within(db, max_pages=1)
    assert [key for key, _ in server.log] == ["page2"]
    assert (second.status, second.pages) == ("failed", 2)
    assert camden_rb(db) == AMENDED
    third = fetched_within(db, max_pages=5)
    assert (third.status, third.pages) == ("done", 3)


def test_the_pages_progress_counts_the_pages_of_this_click(db, server):
    """Carrying on from page 51, the page's progress bar was full from the first page and said
    "Page 52 of at most 50"."""
    server.play("page1", ok(release_page(server, AWARD, next_page="page2")))
    server.play("page2", ok(release_page(server, AMENDMENT, next_page="page3")))
    server.play("page3", ok(release_page(server)))
    fetched_within(db, max_pages=1)
    seen: list[tuple[str, float]] = []

    def shown(run: runs.Run) -> None:
        job = fetching.Job(feed="contracts-finder", since=SINCE, started_by="Ann", max_pages=4)
        job.progress = run
        seen.append((job.words(), job.fraction))

    fetched_within(db, on_page=shown)
    assert seen == [
        ("Page 2 (1 of at most 4 this time): 2 notices read, 2 records kept.", 0.25),
        ("Page 3 (2 of at most 4 this time): 2 notices read, 2 records kept.", 0.5),
    ]


def test_a_next_page_given_as_an_address_on_the_same_site_is_followed(db, server):
    """A next link written without the site ("/search?cursor=page2", as a web page may link)
    stopped the fetch as "a next page on another site", though it is the publisher's own."""
    first = json.loads(release_page(server, AWARD))
    first["links"] = {"next": "/search?cursor=page2"}
    server.play("page1", ok(json.dumps(first).encode()))
    server.play("page2", ok(release_page(server, AMENDMENT)))
    run = fetched_within(db)
    assert (run.status, run.pages) == ("done", 2), run.message
    assert camden_rb(db) == AMENDED


def test_a_next_page_on_another_site_still_stops_the_fetch(db, server):
    first = json.loads(release_page(server, AWARD))
    first["links"] = {"next": "https://example.org/search?cursor=page2"}
    server.play("page1", ok(json.dumps(first).encode()))
    run = fetched_within(db)
    assert run.status == "failed" and "a next page on another site" in run.message
    assert [key for key, _ in server.log] == ["page1"]


def test_a_fetch_that_refused_a_notice_says_why_not_to_see_problems_it_never_shows(db, server):
    """A fetch refusing a notice said "Refused: 1 (see the file's problems)": a fetch has no
    file, and neither the Published notices page nor `fetch` shows any problems, so what was
    wrong with the notice was nowhere to be read."""
    backwards = AWARD | {
        "awards": [AWARD["awards"][0] | {"contractPeriod": {"startDate": "2027-04-01",
                                                            "endDate": "2025-03-31"}}]
    }  # fmt: skip
    server.play("page1", ok(release_page(server, backwards)))
    run = fetched_within(db)
    assert (run.status, run.notices, run.refused) == ("done", 1, 1)
    assert run.summary().endswith(
        "Refused: 1, for a fault in the notice. The first: The contract ends (31/03/2025) "
        "before it starts (01/04/2027)."
    )
    assert runs.last_run(db, "contracts-finder").summary() == run.summary()  # (as the page says)
    line = history.line(history.recent(db).to_dict("records")[0])
    assert line.endswith(
        "Refused: 1, for a fault in the notice (a date that is not one, an end before the start…)."
    )


def test_a_fetch_whose_place_the_publisher_no_longer_knows_starts_again(db, server):
    """The next page's address carries the publisher's place in the results (a `cursor`), which
    a publisher may forget after a while. Carrying on from a stopped fetch, the publisher
    refused it (400) and the fetch said "Run the fetch again to carry on", every time: it
    carried on from the same address, and the Published notices page has no way to start
    again."""
    server.play("page1", ok(release_page(server, AWARD, next_page="page2")))
    server.play("page2", (400, {}, b'{"error": "cursor expired"}'), ok(release_page(server)))
    fetched_within(db, max_pages=1)
    server.log.clear()
    run = fetched_within(db)
    assert [key for key, _ in server.log] == ["page2", "page1", "page2"]
    assert (run.status, run.pages, run.notices, run.held) == ("done", 2, 1, 1)
    assert run.message == (
        "The publisher no longer knew the page the fetch before stopped at (it refused it: "
        "400), so this fetch started again from the first page."
    )
    assert camden_rb(db)[0][0] == 900000


def test_a_fetch_handed_to_the_app_that_started_again_counts_only_from_the_first_page(
    db_path, db, server
):
    """Fetched while the app holds the database, the same fetch starting again is queued for
    the app, which imported it counting the pages read before the fetch started again too (3
    pages of 2)."""
    server.play("page1", ok(release_page(server, AWARD, next_page="page2")))
    server.play("page2", (400, {}, b'{"error": "cursor expired"}'), ok(release_page(server)))
    fetched_within(db, max_pages=1)
    batch = spool.Batch(db_path)
    previous = runs.last_run(db, "contracts-finder")
    fetched = fetch.download(batch, "contracts-finder", SINCE, previous, backoff=0.01)
    imported = spool.import_batch(db, batch.queue())
    assert (fetched.status, fetched.pages, fetched.notices) == ("done", 2, 1)
    counts = (imported.status, imported.pages, imported.notices, imported.imported, imported.held)
    assert counts == ("done", 2, 1, 0, 1)  # (the app knows the notice is held already)
    assert imported.message.startswith("The publisher no longer knew the page")


def test_a_page_sent_compressed_is_unpacked_and_its_size_counted_unpacked(db, server, monkeypatch):
    """Since a page is read no further than the largest file the app reads, that size is the
    page's once unpacked: a page of 60 KB sent as 1 KB of gzip is still too large at 51 KB,
    and one within the size is read as sent."""
    long = AMENDMENT | {"tender": AWARD["tender"] | {"description": "Revenues. " * 6_000}}
    packed = gzip.compress(release_page(server, long))
    assert len(packed) < 2_000
    server.play("page1", (200, {"Content-Encoding": "gzip"}, packed))
    monkeypatch.setenv("CITYTOOLS_MAX_UPLOAD_MB", "0.05")
    refused = fetched_within(db)
    assert refused.status == "failed" and "larger than 51 KB" in refused.message
    monkeypatch.setenv("CITYTOOLS_MAX_UPLOAD_MB", "1")
    run = fetched_within(db)
    assert (run.status, run.imported) == ("done", 1)
    assert camden_rb(db) == AMENDED


def test_the_fetch_command_says_when_the_notices_were_last_fetched_to_the_end(db_path, server):
    fetch_command = ("fetch", "contracts-finder", "--since", "2025-01-01")
    server.play("page1", ok(release_page(server, AWARD)))
    assert command.run(*fetch_command, db=db_path, text=True).returncode == 0
    server.play("page1", (400, {}, b'{"error": "bad request"}'))
    stopped = command.run(*fetch_command, "--restart", db=db_path, text=True)
    assert stopped.returncode == 1
    said, behind = stopped.stdout.strip().split("\n")
    assert said.startswith("The publisher refused the request (400)")
    assert behind.startswith("Notices from Contracts Finder were last fetched to the end on ")
    assert behind.endswith("; the one fetch since has stopped before the end, so notices it "
                           "published after that may not be held yet.")  # fmt: skip


def test_a_fetch_whose_first_page_failed_asks_again_for_the_notices_since_the_day(db, server):
    """A fetch that stopped before its first page (the publisher down) was carried on from the
    search's bare address: the next run asked for the publisher's notices with no
    `publishedFrom` and no `limit` (whatever the publisher gives by default, from any day),
    and said "Carried on from page 1"."""
    server.play("page1", (503, {}, b"Service Unavailable"))
    stopped = fetched_within(db)
    assert (stopped.status, stopped.pages) == ("failed", 0)
    server.play("page1", ok(release_page(server, AWARD)))
    server.log.clear()
    run = fetched_within(db)
    [(page, query)] = server.log
    assert page == "page1"
    assert query["publishedFrom"] == ["2025-01-01T00:00:00"] and query["limit"] == ["100"]
    assert (run.status, run.pages, run.imported, run.message) == ("done", 1, 1, "")


def test_a_wait_longer_than_the_fetch_waits_stops_it_and_says_when_to_run_it_again(server):
    """Asked to wait ten minutes, the fetch waited two and asked again, four times over (against
    what the publisher asked, which may shut it out for longer), then said only that it had
    been asked to slow down "too many times"."""
    server.play("page1", (429, {"Retry-After": "600"}, b'{"error": "slow down"}'))
    waits: list[float] = []
    with http.new_client() as session, pytest.raises(http.FeedError) as stopped:
        http.get(session, f"{server.base}/search", backoff=0.01, sleep=waits.append)
    assert waits == [] and len(server.log) == 1
    assert str(stopped.value).startswith(
        "The publisher asked us to wait 10 minutes before asking again, longer than a fetch "
        "waits (2 minutes): nothing more was asked. Run the fetch again after "
    )


def endless(server) -> None:
    """The publisher pages for ever, each page naming a new next page (no address twice); for
    ever being long, a fetch that is not stopped ends after 30 pages, so a test fails rather
    than waits."""
    server.make = lambda key: release_page(
        server, next_page=f"p{len(server.log) + 1}" if len(server.log) < 30 else None
    )


def test_a_publisher_paging_for_ever_stops_the_fetch_command_at_its_bound(
    db_path, server, monkeypatch
):
    """A publisher whose every page named a new next page kept `python -m citydata fetch`
    (without --max-pages, as a scheduler runs it) asking for ever: no page came round again,
    so nothing stopped it, and the scheduled fetch never ended. It now stops after the most
    pages one fetch reads, says so and from which page to carry on, and carrying on is
    bounded the same way."""
    monkeypatch.setattr(fetch, "MAX_PAGES", 3, raising=False)
    endless(server)
    fetch_command = ("fetch", "contracts-finder", "--since", "2025-01-01")
    stopped = command.run(*fetch_command, db=db_path, text=True)
    assert stopped.returncode == 1, stopped.stderr
    assert stopped.stdout.startswith(
        "Stopped after 3 pages, the most one fetch reads at a time: run the fetch again to carry "
        "on from page 4.\n"
    ), stopped.stdout
    assert [key for key, _ in server.log] == ["page1", "p2", "p3"]
    again = command.run(*fetch_command, db=db_path, text=True)
    assert again.returncode == 1, again.stderr
    assert again.stdout.startswith(
        "Stopped after 3 pages, the most one fetch reads at a time: run the fetch again to carry "
        "on from page 7. Carried on from page 4"
    ), again.stdout
    assert [key for key, _ in server.log][3:] == ["p4", "p5", "p6"]


def test_a_publisher_paging_for_ever_stops_the_apps_fetch_at_its_pages_a_click(db, server):
    """The Published notices page's fetch stops after its pages a click, and says to press
    Fetch again (it said "run again", which on the page named nothing to press)."""
    endless(server)
    job = fetching.Job(feed="contracts-finder", since=SINCE, started_by="Ann", max_pages=2)
    fetching.Jobs()._work(db, job)
    assert (job.finished, job.error, job.progress.status) == (True, "", "failed")
    assert job.progress.summary().startswith(
        "Stopped after 2 pages, the most asked for at a time: press Fetch again to carry on "
        "from page 3."
    )
    assert len(server.log) == 2


def test_a_page_refused_as_a_whole_stops_the_fetch_and_says_which_and_why(
    db, db_path, server, monkeypatch
):
    """A page read whole but refused as a whole (here: more entries than a file may hold)
    added nothing to the counts of its entries; the fetch went on to the next page and ended
    "done", as if it had read everything. It now stops at that page, stores nothing of it,
    says which page and why in the run and the history, and carries on from it when run
    again. A fetch queued for the running app stops there the same way, queuing none of it."""
    server.play("page1", ok(release_page(server, AWARD, next_page="page2")))
    others = [AWARD | {"ocid": f"{AWARD['ocid']}-{n}", "id": f"other-{n}"} for n in (1, 2)]
    server.play("page2", ok(release_page(server, AMENDMENT, *others, next_page="page3")))
    server.play("page3", ok(release_page(server)))
    most = ingest_read.MAX_ROWS
    monkeypatch.setattr(ingest_read, "MAX_ROWS", 2)  # (500,000 in a file: the same refusal)
    # (it quoted an uploaded file's advice, "Split it (one borough per file) and upload each",
    # which a page fetched from a publisher cannot follow)
    said = (
        "Page 2 was refused as a whole, as a file of notices would be (“This page has more than "
        "2 rows, the most accepted in one file.”)"
    )
    run = fetched_within(db)
    assert (run.status, run.pages, run.notices, run.imported) == ("failed", 1, 1, 1)
    assert run.message.startswith(said) and run.message.endswith(
        "”): none of its 3 entries was counted or stored; the pages before it are kept. If the "
        "fetch is refused at this page again later, report the page to the publisher. Run the "
        "fetch again to carry on."
    )
    assert "upload" not in run.message
    assert run.next_url == f"{server.base}/search?cursor=page2"  # carried on from it
    [line] = history.recent(db).to_dict("records")
    assert (line["status"], line["pages"], line["notices"]) == ("failed", 1, 1)
    assert said in history.line(line)
    assert [key for key, _ in server.log] == ["page1", "page2"]

    queued = spool.Batch(db_path)
    stopped = fetch.download(queued, "contracts-finder", SINCE, None, restart=True, backoff=0.01)
    assert (stopped.status, stopped.pages) == ("failed", 1)
    assert stopped.message.startswith(said)
    folder = queued.queue()
    listed = json.loads((folder / "manifest.json").read_text())["pages"]
    assert [page["file"] for page in listed] == ["page-0001.json"]

    monkeypatch.setattr(ingest_read, "MAX_ROWS", most)  # within the limit: carrying on reads it
    again = fetched_within(db)
    assert (again.status, again.pages, again.notices, again.imported) == ("done", 3, 4, 4)
    assert camden_rb(db) == AMENDED
    # The app refusing a queued page it imports (its limits changed since) says so too, where
    # it said "something went wrong inside City Tools Explorer", a fault of the app.
    monkeypatch.setattr(ingest_read, "MAX_ROWS", 0)
    imported = spool.import_batch(db, folder)
    assert imported.status == "failed"
    assert imported.message.startswith("Page 1 was refused as a whole, as a file of notices")
