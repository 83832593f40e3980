"""Uploads over 25 MB are refused by the server itself, not only by the browser.

Streamlit 1.67's upload handler (PUT /_stcore/upload_file/{session}/{file}, in
streamlit/web/server/starlette/starlette_routes.py) enforces `server.maxUploadSize`: it answers
413 at once when Content-Length says the body is too big, and aborts with 413 while streaming
a body sent without a length (chunked) once it passes the limit plus 1 MB of multipart framing.
The app's .streamlit/config.toml sets 25 MB. The browser checks the same limit before sending.

The test signs in as a data steward, lets the real upload widget send a small file (so the
session and the XSRF token are the browser's own), then sends files to the same address itself.
"""

from __future__ import annotations

import http.client
import shutil
import urllib.request
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import run_server, settle
from tests.conftest import DATA

PASSWORD = "correct horse battery staple"
LIMIT = 25 * 1024 * 1024
UPLOAD = "/_stcore/upload_file/"


@pytest.fixture
def steward_server(built_db, tmp_path):
    db = tmp_path / "citytools.duckdb"
    shutil.copyfile(built_db, db)
    with run_server(db, {"CITYTOOLS_UPLOAD_PASSWORD": PASSWORD}) as srv:
        yield srv


def open_upload_page(page, server) -> None:
    page.goto(f"{server.url}/sign_in")
    settle(page)
    page.get_by_role("textbox", name="Your name or email").fill("Ann Steward")
    page.get_by_role("textbox", name="Upload password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    settle(page)
    page.get_by_role("link", name="Upload a register").click()
    settle(page)


def put(url: str, headers: dict[str, str], size: int, *, chunked: bool) -> int:
    """PUT a multipart body holding a file of `size` bytes, with a Content-Length or sent in
    chunks without one; the status answered."""
    parts = urlsplit(url)
    boundary = "----citytools"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="r.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    conn.putrequest("PUT", parts.path)
    for key, value in headers.items():
        conn.putheader(key, value)
    conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    if chunked:
        conn.putheader("Transfer-Encoding", "chunked")
    else:
        conn.putheader("Content-Length", str(len(head) + size + len(tail)))
    conn.endheaders()
    pieces = [head] + [b"x" * min(2**20, size - i) for i in range(0, size, 2**20)] + [tail]
    try:
        for piece in pieces:
            conn.send(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
        if chunked:
            conn.send(b"0\r\n\r\n")
    except OSError:
        pass  # the server stopped reading: its answer is waiting
    try:
        return conn.getresponse().status
    finally:
        conn.close()


def test_the_server_refuses_an_upload_over_the_limit_however_it_is_sent(
    steward_server, page, tmp_path, artifacts
):
    open_upload_page(page, steward_server)
    small = tmp_path / "camden.csv"
    small.write_bytes((DATA / "hostile" / "csv_renamed.xlsx").read_bytes())
    with page.expect_request(lambda r: UPLOAD in r.url and r.method == "PUT") as sent:
        page.locator('input[type="file"]').set_input_files(small)
    settle(page)
    page.get_by_text("Recognised as").wait_for()
    request = sent.value
    session = request.url.rsplit("/", 1)[0]
    token = {"X-Xsrftoken": request.all_headers()["x-xsrftoken"]}
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in page.context.cookies())
    headers = token | {"Cookie": cookies}  # the browser's own session and token
    for chunked in (False, True):
        # The same door takes a file under the limit, so a refusal is about the size alone.
        assert put(f"{session}/under-{chunked}", headers, LIMIT - 2**20, chunked=chunked) == 204
        assert put(f"{session}/over-{chunked}", headers, LIMIT + 1, chunked=chunked) == 413
    assert put(f"{session}/far-over", headers, LIMIT + 2 * 2**20, chunked=True) == 413
    assert "request body exceeded the size limit while streaming" in steward_server.log_text()

    with urllib.request.urlopen(f"{steward_server.url}/_stcore/health", timeout=10) as r:
        assert r.status == 200, "the server is still serving"
    page.screenshot(path=artifacts / "upload-limit-after.png", full_page=True)


def test_the_browser_refuses_a_file_over_the_limit_before_sending_it(
    steward_server, page, tmp_path, artifacts
):
    open_upload_page(page, steward_server)
    big = tmp_path / "big register.csv"
    big.write_bytes(b"Borough,System,Vendor\r\n" + b" " * LIMIT)
    puts: list[str] = []
    page.on("request", lambda r: puts.append(r.url) if UPLOAD in r.url else None)
    page.locator('input[type="file"]').set_input_files(big)
    settle(page)
    page.get_by_text("or smaller").first.wait_for()
    assert page.get_by_text("Recognised as").count() == 0
    assert puts == [], "nothing was sent"
    page.screenshot(path=artifacts / "upload-limit-browser.png", full_page=True)
