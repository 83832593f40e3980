"""Hostile links in a real browser: Markdown in a link's values makes no link, fetches no image,
draws no heading and colours nothing; a bare address is not made clickable.

An HTTP server on a loopback port stands in for the outside site: it records every request, so
an image the page was tricked into loading would show up there.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import quote

import pytest

from tests.browser.conftest import settle


class _Recorder(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self):
        _Recorder.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def outside():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def payloads(site: str) -> dict[str, str]:
    return {
        "link": f"[Your session expired - sign in again]({site}/phish)",
        "image": f"![x]({site}/track.png)",
        "heading": "Capita\n# You have been signed out",
        "colour": ":red[ACCOUNT LOCKED]",
        "bare": f"see {site}/phish or www.example.org",
    }


@pytest.mark.parametrize("kind", ["link", "image", "heading", "colour", "bare"])
def test_a_hostile_link_value_shows_as_text_in_the_sidebar(server, page, outside, kind):
    _Recorder.hits.clear()
    value = payloads(outside)[kind]
    page.goto(f"{server.url}/?vendor={quote(value)}")
    settle(page)
    note = page.locator('[data-testid="stSidebar"] [data-testid="stAlertContainer"]').first
    note.wait_for()
    assert note.locator("a").count() == 0, "no link inside the app's own warning"
    assert note.locator("img").count() == 0
    assert note.locator("h1, h2, h3, h4, h5, h6").count() == 0
    assert note.locator("span[class*='red'], span[style*='color']").count() == 0
    text = note.inner_text().replace("\u2060", "")
    assert " ".join(value.split())[:40] in " ".join(text.split())
    assert _Recorder.hits == [], "the browser fetched nothing from the outside site"
