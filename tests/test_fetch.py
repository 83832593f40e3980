"""Fetching published notices from a real HTTP server on localhost replaying recorded responses.

The server (http.server in a thread) plays each page's answers in order: recorded pages from
tests/data/feeds/ (their `{base}` is the server's own address), 429 with Retry-After, 500s, a body
cut short, an empty result, a changed schema. No test reaches the internet: the feed addresses
are settings pointed at the server.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from citydata import ingest
from citydata.feeds import counts, fetch, history, runs
from citydata.store import previews, rawfiles, snapshots
from tests import command
from tests.conftest import ROOT

FEEDS = Path(__file__).resolve().parent / "data" / "feeds"
SINCE = date(2025, 1, 1)
FETCH = ("fetch", "contracts-finder", "--since", "2025-01-01")


class Replay(ThreadingHTTPServer):
    """Answers per page ('page1' for the first request, else the `cursor`), played in order;
    the last answer of a page repeats. Every request is logged."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.script: dict[str, list[tuple[int, dict[str, str], bytes]]] = {}
        self.log: list[tuple[str, dict[str, list[str]]]] = []
        self.gates: dict[str, threading.Event] = {}  # a page answered only once its gate opens
        # the answer to a page not in the script, made when asked (a publisher paging for ever)
        self.make: Callable[[str], bytes] | None = None
        self.base = f"http://127.0.0.1:{self.server_address[1]}"

    def page(self, name: str) -> bytes:
        return (FEEDS / name).read_text(encoding="utf-8").replace("{base}", self.base).encode()

    def play(self, key: str, *answers: tuple[int, dict[str, str], bytes]) -> None:
        self.script[key] = list(answers)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # http.server's name for it
        server: Replay = self.server  # type: ignore[assignment]
        query = parse_qs(urlsplit(self.path).query)
        key = query.get("cursor", ["page1"])[0]
        server.log.append((key, query))
        if key in server.gates:
            server.gates[key].wait(timeout=60)
        made = [ok(server.make(key))] if server.make and key not in server.script else None
        answers = server.script.get(key) or made or [(404, {}, b"{}")]
        status, headers, body = answers.pop(0) if len(answers) > 1 else answers[0]
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server(monkeypatch):
    replay = Replay()
    thread = threading.Thread(target=replay.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("CITYTOOLS_CONTRACTS_FINDER_URL", f"{replay.base}/search")
    yield replay
    replay.shutdown()
    replay.server_close()


def ok(body: bytes) -> tuple[int, dict[str, str], bytes]:
    return (200, {}, body)


def published(db) -> list[tuple[str, str, str]]:
    return db.rows(
        "SELECT borough, system, vendor FROM current_contracts WHERE source_kind = 'published'"
        " ORDER BY ALL"
    )


def registers(db) -> list[tuple]:
    return db.rows(
        "SELECT borough_code, count(*) FROM current_contracts WHERE source_kind = 'register'"
        " GROUP BY ALL ORDER BY ALL"
    )


def raw_names(db) -> list[str]:
    return [n for (n,) in db.rows("SELECT file_name FROM raw_files WHERE file_name LIKE '%page%'")]


def test_pages_through_results_and_imports_only_the_regions_technology_notices(db, server):
    server.play("page1", ok(server.page("contracts_finder_page1.json")))
    server.play("page2", ok(server.page("contracts_finder_page2.json")))
    before = registers(db)
    run = fetch.run(db, "contracts-finder", SINCE, backoff=0.01)
    assert (run.status, run.pages, run.notices, run.imported) == ("done", 2, 4, 2)
    assert run.not_technology == 1  # Camden's grounds maintenance (Leeds is outside the region)
    assert published(db) == [
        ("Camden", "Revenues and benefits system", "NEC Software Solutions"),
        ("Hackney", "Parking permits and enforcement software", "Taranto Systems Ltd"),
    ]
    assert registers(db) == before  # the registers are untouched
    # The first request asks for notices since the date; the next follows links.next.
    assert server.log[0][1]["publishedFrom"] == ["2025-01-01T00:00:00"]
    assert server.log[0][1]["limit"] == ["100"]  # the documented page size (see data/feeds)
    assert "size" not in server.log[0][1]  # the retired search's parameter
    assert [key for key, _ in server.log] == ["page1", "page2"]
    # The responses are kept as received, like uploaded files.
    with db.read() as r:
        kept = [
            rawfiles.content(r, h)
            for (h,) in r.rows(
                "SELECT file_hash FROM raw_files WHERE file_name LIKE 'contracts-finder%'"
            )
        ]
    assert sorted(kept) == sorted(
        [server.page("contracts_finder_page1.json"), server.page("contracts_finder_page2.json")]
    )
    last = runs.last_run(db, "contracts-finder")
    assert last.status == "done" and last.imported == 2 and last.finished_at


def test_a_second_run_over_notices_already_held_imports_none(db, server):
    """Run again over the same pages, the fetch said "2 technology records imported" and its
    history "2 kept", though nothing was stored (everything was already held)."""
    for _ in range(2):
        server.play("page1", ok(server.page("contracts_finder_page1.json")))
        server.play("page2", ok(server.page("contracts_finder_page2.json")))
    first = fetch.run(db, "contracts-finder", SINCE, backoff=0.01)
    with db.read() as r:
        snapshots_before = r.scalar("SELECT count(*) FROM snapshots")
    again = fetch.run(db, "contracts-finder", SINCE, backoff=0.01, restart=True)
    with db.read() as r:
        assert r.scalar("SELECT count(*) FROM snapshots") == snapshots_before
    assert (first.imported, again.status, again.notices, again.imported) == (2, "done", 4, 0)
    assert runs.last_run(db, "contracts-finder").imported == 0


def test_waits_as_told_by_429_or_403_and_backs_off_on_5xx(db, server):
    server.play(
        "page1",
        (429, {"Retry-After": "0"}, b'{"error": "slow down"}'),
        (403, {}, b"Too many requests"),  # Contracts Finder's documented rate limit
        (503, {}, b"Service Unavailable"),
        ok(server.page("contracts_finder_page1.json")),
    )
    server.play("page2", ok(server.page("contracts_finder_page2.json")))
    run = fetch.run(db, "contracts-finder", SINCE, backoff=0.01)
    assert run.status == "done" and run.imported == 2
    assert [key for key, _ in server.log] == ["page1"] * 4 + ["page2"]
    assert run.run_id and history.recent(db)["status"].tolist()[0] == "done"


def test_a_body_cut_short_stops_the_run_stores_nothing_of_it_and_the_next_run_resumes(db, server):
    good = server.page("contracts_finder_page2.json")
    server.play("page1", ok(server.page("contracts_finder_page1.json")))
    server.play("page2", ok(good[: len(good) // 2]))  # cut short, every time
    run = fetch.run(db, "contracts-finder", SINCE, backoff=0.01)
    assert run.status == "failed" and run.pages == 1
    assert "cut short" in run.message and "Run the fetch again" in run.message
    # which page it was (it said only why): the address to report to the publisher
    where = f"That was page 2 ({server.base}/search?cursor=page2); the pages before it are kept."
    assert where in run.message
    assert published(db) == [("Camden", "Revenues and benefits system", "NEC Software Solutions")]
    assert len(raw_names(db)) == 1
    # The publisher recovers: the next run carries on from page 2, not from the start.
    server.log.clear()
    server.play("page2", ok(good))
    again = fetch.run(db, "contracts-finder", SINCE, backoff=0.01)
    assert again.status == "done" and again.pages == 2 and again.imported == 2
    assert [key for key, _ in server.log] == ["page2"]
    assert len(published(db)) == 2


def test_an_interrupted_run_resumes_after_the_last_page_stored(db, server):
    server.play("page1", ok(server.page("contracts_finder_page1.json")))
    server.play("page2", ok(server.page("contracts_finder_page2.json")))
    first = fetch.run(db, "contracts-finder", SINCE, backoff=0.01, max_pages=1)
    assert first.status == "failed" and first.pages == 1 and first.next_url.endswith("page2")
    server.log.clear()
    second = fetch.run(db, "contracts-finder", SINCE, backoff=0.01)
    assert [key for key, _ in server.log] == ["page2"] and second.status == "done"
    # --restart starts again; notices already held are replaced, not doubled.
    third = fetch.run(db, "contracts-finder", SINCE, backoff=0.01, restart=True)
    assert third.status == "done" and len(published(db)) == 2


def test_an_empty_result_is_done_with_nothing_stored(db, server):
    server.play("page1", ok(server.page("empty_result.json")))
    before = db.scalar("SELECT count(*) FROM snapshots")
    run = fetch.run(db, "contracts-finder", SINCE, backoff=0.01)
    assert (run.status, run.notices, run.message) == ("done", 0, "No new notices.")
    assert db.scalar("SELECT count(*) FROM snapshots") == before


def test_a_notices_file_refused_says_why_not_that_it_read_nothing(db):
    # The Published notices page said "notices.pdf: 0 rows read, 0 technology records of the
    # region's councils kept. The file was refused: This is a PDF document…".
    run = fetch.import_file(db, b"%PDF-1.4 not a table", "notices.pdf", "Ann")
    assert run.status == "failed"
    assert run.summary() == (
        "The file was refused: This is a PDF document, not a table. Upload a CSV or an Excel "
        "(.xlsx) file."
    )


def test_a_notices_file_refused_for_the_rules_file_does_not_blame_its_notices(
    db, tmp_path, monkeypatch
):
    """A file refused as a whole for a reason of its own (here: the technology rules file a
    steward edited cannot be read) counted its rows as "Refused: 3, for a fault in the
    notice", blaming notices with nothing wrong in them."""
    from citydata.core import technology

    rules = tmp_path / "cpv_service_areas.csv"
    rules.write_text(
        "rule,match,service_area,note\ncpv,48,Corporate IT and infrastructure,\n"
        "keyword,bins,Rubbish,\n",
        encoding="utf-8",
    )
    real = technology.load  # the real rules, read from the steward's broken file
    monkeypatch.setattr(technology, "load", lambda: real(technology.TECHNOLOGY_CPV_PATH, rules))
    content = (ROOT / "tests" / "data" / "notices" / "ocds_flattened.csv").read_bytes()
    run = fetch.import_file(db, content, "ocds_flattened.csv", "Ann")
    said = run.summary()
    assert run.status == "failed" and (run.refused, run.refused_with_file) == (0, 3)
    assert said.startswith("The file was refused: Published notices cannot be sorted: ")
    assert said.endswith(
        "ocds_flattened.csv: 3 rows read, 0 technology records of the region's councils kept. "
        "Refused with the file as a whole: 3, for the file's reason, not a fault of their own."
    )
    assert "fault in the notice" not in said
    [line] = history.recent(db).to_dict("records")
    assert (line["status"], line["refused"]) == ("failed", 0)
    assert "fault in the notice" not in history.line(line)


def test_a_run_of_one_page_one_notice_and_one_record_says_so_in_the_singular():
    run = runs.Run(feed="contracts-finder", since="2025-01-01", pages=1, notices=1, imported=1)
    assert run.summary() == (
        "Contracts Finder since 2025-01-01: 1 page, 1 notice read, 1 technology record of the "
        "region's councils imported."
    )
    file = runs.Run(feed="file", since="", notices=1, imported=1, file_name="notices.json")
    assert file.summary() == (
        "notices.json: 1 row read, 1 technology record of the region's councils kept."
    )
    row = {"feed": "contracts-finder", "since": "2025-01-01", "pages": 1, "notices": 1,
           "kept": 1, "not_technology": 0, "other_councils": 0, "refused": 0,
           "started_at": datetime(2025, 1, 2, 9, 0), "started_by": "Ann",
           "status": "done", "message": ""}  # fmt: skip
    assert history.line(row).endswith(": 1 page, 1 read, 1 kept.")


def test_the_command_line_reports_a_changed_schema_in_one_line_and_changes_nothing(db_path, server):
    # The command in this process (tests/command.py `run`: the same stdout, stderr, exit code
    # and traceback on a fault as `python -m citydata`); the server fixture set the feed address.
    server.play("page1", ok(server.page("changed_schema.json")))
    done = command.run(*FETCH, db=db_path, text=True)
    assert done.returncode == 1
    assert "no longer looks like a list of notices" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    server.play("page1", ok(server.page("contracts_finder_page1.json")))
    server.play("page2", ok(server.page("contracts_finder_page2.json")))
    done = command.run(*FETCH, "--json", "--restart", db=db_path, text=True)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert (out["status"], out["imported"], out["pages"]) == ("done", 2, 2)
    # `kept`, as `fetch-history --json` names the same number, beside `imported`
    assert out["kept"] == out["imported"] == 2
    listed = command.run("fetch-history", "--json", "--limit", "1", db=db_path, text=True)
    [line] = json.loads(listed.stdout)
    assert line["kept"] == line["imported"] == 2


def test_a_feed_address_that_is_not_a_web_address_is_refused(db_path, monkeypatch):
    monkeypatch.setenv("CITYTOOLS_FIND_A_TENDER_URL", "ftp://x")
    done = command.run("fetch", "find-a-tender", "--since", "2025-01-01", db=db_path, text=True)
    assert done.returncode == 1
    assert "CITYTOOLS_FIND_A_TENDER_URL" in done.stderr and "Traceback" not in done.stderr


def test_a_publisher_that_cannot_be_reached_is_said_in_words(db, monkeypatch):
    """A feed whose address answers nothing (no network, a wrong address) stopped with "the
    connection failed (ConnectError)": the name of an error class, not what to check."""
    with socket.socket() as spare:  # a port nothing listens on once this is closed
        spare.bind(("127.0.0.1", 0))
        port = spare.getsockname()[1]
    monkeypatch.setenv("CITYTOOLS_CONTRACTS_FINDER_URL", f"http://127.0.0.1:{port}/search")
    run = fetch.run(db, "contracts-finder", SINCE, backoff=0.01)
    assert run.status == "failed" and run.pages == 0
    assert "the publisher refused the connection (nothing answers at that address" in run.message
    assert "Error" not in run.message and "Run the fetch again" in run.message


@pytest.mark.parametrize(
    ("address", "said"),
    [
        ("https://{replay}/search", "no secure connection could be made with the publisher (it "
         "may not use a secure connection there: check the address)"),
        ("http://no-such-host.invalid/search", "the publisher's address was not found (check "
         "the address, or the network here)"),
    ],
    ids=["https to a plain server", "an unknown host"],
)  # fmt: skip
def test_a_secure_connection_or_an_address_that_fails_is_said_in_words(
    db, server, monkeypatch, address, said
):
    """Said before as "the connection failed (ConnectError)" for both: Python's class name."""
    host = server.base.removeprefix("http://")
    monkeypatch.setenv("CITYTOOLS_CONTRACTS_FINDER_URL", address.replace("{replay}", host))
    run = fetch.run(db, "contracts-finder", SINCE, backoff=0.01)
    assert run.status == "failed" and run.pages == 0
    assert said in run.message, run.message
    assert "Error" not in run.message and "SSL" not in run.message


def test_a_page_in_iso_8859_1_is_read_not_taken_for_a_cut_short_body(db, server):
    page = server.page("contracts_finder_page2.json").decode("utf-8")
    page = page.replace("Parking permits", "Parking permits (café)")
    server.play("page1", ok(page.encode("iso-8859-1")))  # not valid UTF-8
    run = fetch.run(db, "contracts-finder", SINCE, backoff=0.01)
    assert run.status == "done" and run.imported == 1
    assert published(db)[0][1] == "Parking permits (café) and enforcement software"


# One notice of Camden's in two releases: its award, then an amendment raising its value and
# moving its end date. Contracts Finder and Find a Tender publish each release of a notice; a
# fetch over days already fetched, or a file downloaded earlier, brings the award again.
RB_OCID = "ocds-b5fd17-22222222-0000-4000-8000-000000000001"
AWARD = {
    "ocid": RB_OCID, "id": "award", "date": "2025-01-10T09:00:00Z", "tag": ["award"],
    "buyer": {"name": "London Borough of Camden"},
    "tender": {"title": "Revenues and benefits system",
               "classification": {"scheme": "CPV", "id": "48000000"}},
    "awards": [{"id": "1", "status": "active", "value": {"amount": 900000, "currency": "GBP"},
                "suppliers": [{"name": "NEC Software Solutions UK Ltd"}],
                "contractPeriod": {"startDate": "2025-04-01", "endDate": "2028-03-31"}}],
}  # fmt: skip
AMENDMENT = AWARD | {
    "id": "amendment",
    "date": "2025-03-03T14:30:00Z",
    "tag": ["awardUpdate"],
    "awards": [AWARD["awards"][0] | {
        "value": {"amount": 1200000, "currency": "GBP"},
        "contractPeriod": {"startDate": "2025-04-01", "endDate": "2029-03-31"}}],
}  # fmt: skip


def release_page(server: Replay, *releases: dict, next_page: str | None = None) -> bytes:
    document = {"uri": f"{server.base}/search", "version": "1.1", "releases": list(releases)}
    if next_page:
        document["links"] = {"next": f"{server.base}/search?cursor={next_page}"}
    return json.dumps(document).encode()


def camden_rb(db) -> list[tuple]:
    return db.rows(
        "SELECT total_value, contract_end FROM current_contracts"
        " WHERE source_kind = 'published' AND source_ref = $ref",
        {"ref": RB_OCID},
    )


AMENDED = [(1200000, date(2029, 3, 31))]


def published_snapshots(db) -> int:
    return db.scalar("SELECT count(*) FROM snapshots WHERE kind = 'published'")


def test_an_older_release_on_a_later_page_does_not_replace_the_newer(db, server):
    """The amendment on page 1, the award on page 2: the award was stored last and put the old
    value and end date back as current, in a second snapshot."""
    server.play("page1", ok(release_page(server, AMENDMENT, next_page="page2")))
    server.play("page2", ok(release_page(server, AWARD)))
    run = fetch.run(db, "contracts-finder", SINCE, backoff=0.01)
    assert camden_rb(db) == AMENDED
    assert db.rows(
        "SELECT c.release_date FROM contracts AS c JOIN snapshots AS s ON s.id = c.snapshot_id"
        " WHERE s.status = 'active' AND c.source_ref = $ref",
        {"ref": RB_OCID},
    ) == [(datetime(2025, 3, 3, 14, 30),)]  # the amendment's, in UTC
    assert published_snapshots(db) == 1
    assert (run.status, run.pages, run.notices, run.imported) == ("done", 2, 2, 1)
    assert history.recent(db)["kept"].tolist()[0] == 1


def test_fetching_the_same_days_again_makes_no_snapshot_and_keeps_the_newer_release(db, server):
    """The award on page 1, the amendment on page 2: run again, the award replaced the
    amendment, then the amendment the award: two snapshots each run, and the old values shown
    in between."""
    for _ in range(2):
        server.play("page1", ok(release_page(server, AWARD, next_page="page2")))
        server.play("page2", ok(release_page(server, AMENDMENT)))
    first = fetch.run(db, "contracts-finder", SINCE, backoff=0.01)
    assert camden_rb(db) == AMENDED and first.imported == 2  # added, then changed
    before = published_snapshots(db)
    seen = []
    again = fetch.run(
        db, "contracts-finder", SINCE, backoff=0.01, restart=True,
        on_page=lambda _run: seen.append(camden_rb(db)),
    )  # fmt: skip
    assert seen == [AMENDED, AMENDED]  # never the award's values, even between pages
    assert published_snapshots(db) == before
    assert (again.status, again.notices, again.imported) == ("done", 2, 0)


def test_an_older_notices_file_imported_changes_nothing(db, server, tmp_path):
    server.play("page1", ok(release_page(server, AMENDMENT)))
    fetch.run(db, "contracts-finder", SINCE, backoff=0.01)
    before = published_snapshots(db)
    downloaded = release_page(server, AWARD)  # a file downloaded before the amendment
    run = fetch.import_file(db, downloaded, "camden-january.json", "Ann")
    assert camden_rb(db) == AMENDED
    assert published_snapshots(db) == before
    assert run.imported == 0 and "newer" in run.message
    assert history.recent(db)["kept"].tolist()[0] == 0


def test_a_notices_file_already_held_is_done_with_nothing_new_not_failed(db, server):
    """Importing a notices file a second time was shown in red and recorded as failed, though
    nothing went wrong: every notice in it was already held."""
    content = release_page(server, AMENDMENT)
    first = fetch.import_file(db, content, "camden.json", "Ann")
    before = published_snapshots(db)
    again = fetch.import_file(db, content, "camden.json", "Ann")
    assert (first.status, first.imported) == ("done", 1)
    assert (again.status, again.imported) == ("done", 0)
    assert "already held" in again.summary() and "Nothing was stored" not in again.summary()
    assert published_snapshots(db) == before
    assert history.recent(db)["status"].tolist()[0] == "done"


def test_a_notices_file_counts_as_kept_only_what_it_stored(db, server):
    """A file with an older release of a notice held and a notice new to Hackney said "2
    technology records kept", though one was stored."""
    server.play("page1", ok(release_page(server, AMENDMENT)))
    fetch.run(db, "contracts-finder", SINCE, backoff=0.01)
    hackney = json.loads(server.page("contracts_finder_page2.json"))["releases"][0]
    run = fetch.import_file(db, release_page(server, AWARD, hackney), "mixed.json", "Ann")
    assert (run.status, run.imported) == ("done", 1)
    assert history.recent(db)["kept"].tolist()[0] == 1
    assert camden_rb(db) == AMENDED
    assert "Taranto Systems Ltd" in {vendor for _, _, vendor in published(db)}


def test_a_notices_file_stored_from_the_upload_page_counts_what_its_preview_stored(db, server):
    server.play("page1", ok(release_page(server, AMENDMENT)))
    fetch.run(db, "contracts-finder", SINCE, backoff=0.01)
    hackney = json.loads(server.page("contracts_finder_page2.json"))["releases"][0]
    content = release_page(server, AWARD, hackney)
    prepared = ingest.prepare(content, "mixed.json")
    changes = previews.preview(db, prepared)  # as the Upload page shows it, then commits
    ids = snapshots.commit(db, prepared, content, "Ann")
    run = counts.record_upload(db, prepared, "Ann", ids, changes)
    assert len(prepared.records) == 2 and run.imported == 1
    assert history.recent(db)["kept"].tolist()[0] == 1


def _adds_up(run: runs.Run) -> bool:
    """What a run read is what it kept and what it left out, each for its reason."""
    left_out = (
        run.held + run.not_technology + run.other_councils + run.refused + run.older
        + run.not_notices
    )  # fmt: skip
    return run.notices == run.imported + left_out


def test_a_pages_entries_that_are_not_notices_are_read_and_left_out_and_the_counts_add_up(
    db, server
):
    """A page's `releases` with a number, text and null among the notices, an empty object,
    a release with no `ocid` and two releases of one notice: the fetch said "8 notices read, 1
    ... imported. Left out: 1 not technology" and nothing of the others; a release with no
    `ocid` (which no later release can replace) was imported with no reference."""
    page1 = json.loads(server.page("contracts_finder_page1.json"))["releases"]
    camden_rb, grounds, leeds = page1
    older = camden_rb | {"id": "r0", "date": "2025-01-01T00:00:00Z"}  # merged into r1
    no_ocid = {k: v for k, v in camden_rb.items() if k != "ocid"} | {"id": "r9"}
    releases = [older, camden_rb, 7, "not a notice", None, {}, no_ocid, grounds, leeds]
    server.play("page1", ok(release_page(server, *releases)))
    run = fetch.run(db, "contracts-finder", SINCE, backoff=0.01)
    assert run.status == "done"
    assert (run.notices, run.imported, run.not_technology, run.other_councils) == (9, 1, 1, 1)
    assert (run.not_notices, run.refused, run.older) == (5, 0, 1)
    assert _adds_up(run)
    assert run.summary() == (
        "Contracts Finder since 2025-01-01: 1 page, 9 notices read, 1 technology record of the "
        "region's councils imported. Left out: 1 not technology; 1 bought by a council outside "
        "the region or not recognised; 1 older release of a notice (its newer release is held "
        "or in the same file); 5 entries of the list of notices that are not notices."
    )
    [line] = [history.line(row) for row in history.recent(db).to_dict("records")]
    assert line.endswith(
        ": 1 page, 9 read, 1 kept. Left out: 1 not technology; 1 bought by a council outside "
        "the region or not recognised; 1 older release of a notice (its newer release is held "
        "or in the same file); 5 entries of the list of notices that are not notices."
    )
    refs = db.rows("SELECT source_ref FROM current_contracts WHERE source_kind = 'published'")
    assert refs == [(camden_rb["ocid"],)]  # (none without a reference)


def test_a_second_run_counts_the_notices_already_held_as_left_out(db, server):
    for _ in range(2):
        server.play("page1", ok(server.page("contracts_finder_page1.json")))
        server.play("page2", ok(server.page("contracts_finder_page2.json")))
    first = fetch.run(db, "contracts-finder", SINCE, backoff=0.01)
    again = fetch.run(db, "contracts-finder", SINCE, backoff=0.01, restart=True)
    assert (first.held, again.notices, again.imported, again.held) == (0, 4, 0, 2)
    assert _adds_up(first) and _adds_up(again)
    assert "Left out: 2 already held as they are; 1 not technology; 1 bought" in again.summary()
    line = history.line(history.recent(db).to_dict("records")[0])
    assert ": 2 pages, 4 read, 0 kept. Left out: 2 already held as they are; 1 not" in line


def test_a_page_of_nothing_but_entries_that_are_not_notices_is_read_and_left_out(db, server):
    server.play("page1", ok(release_page(server, 1, "two", None)))
    run = fetch.run(db, "contracts-finder", SINCE, backoff=0.01)
    assert (run.status, run.notices, run.imported, run.not_notices) == ("done", 3, 0, 3)
    assert _adds_up(run)


def test_a_notices_file_imported_twice_counts_what_it_read_the_second_time(db, server):
    content = release_page(server, AMENDMENT, 0)
    first = fetch.import_file(db, content, "camden.json", "Ann")
    again = fetch.import_file(db, content, "camden.json", "Ann")
    assert (first.notices, first.imported, first.not_notices) == (2, 1, 1)
    assert (again.notices, again.imported, again.held, again.not_notices) == (2, 0, 1, 1)
    assert _adds_up(first) and _adds_up(again)
    assert "Left out: 1 already held as they are; 1 entry of the list of notices" in again.summary()
