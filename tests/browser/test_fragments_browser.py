"""A panel's own control reruns that panel alone: the rest of the page's script does not run.

What Streamlit sends over the websocket after the change says which run it was: a fragment's
run ends with FINISHED_FRAGMENT_RUN_SUCCESSFULLY (a whole page's with FINISHED_SUCCESSFULLY)
and every element it sends carries its fragment's id; the title, the sidebar's filters and the
other panels are not sent again. (AppTest cannot tell: it reruns the whole script for any
widget.)
"""

from __future__ import annotations

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from tests.browser.conftest import expect, settle

WHOLE_PAGE = ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY
ONE_PANEL = ForwardMsg.ScriptFinishedStatus.FINISHED_FRAGMENT_RUN_SUCCESSFULLY


class Received:
    """The server's messages on the page's websocket, from `mark()` on."""

    def __init__(self, page):
        self.frames: list[bytes] = []
        self.socket = None  # the page's websocket, once it has one
        page.on("websocket", self._opened)

    def _opened(self, ws) -> None:
        self.socket = ws
        ws.on("framereceived", self._frame)

    def _frame(self, payload: str | bytes) -> None:
        if isinstance(payload, bytes):
            self.frames.append(payload)

    def mark(self) -> None:
        self.frames.clear()

    def messages(self) -> list[ForwardMsg]:
        return [ForwardMsg.FromString(f) for f in self.frames]

    def finished(self) -> list[int]:
        return [
            m.script_finished for m in self.messages() if m.WhichOneof("type") == "script_finished"
        ]


def elements_sent(messages: list[ForwardMsg]) -> list[ForwardMsg]:
    return [m for m in messages if m.WhichOneof("type") == "delta"]


def _finishes_a_run(payload: str | bytes) -> bool:
    return isinstance(payload, bytes) and (
        ForwardMsg.FromString(payload).WhichOneof("type") == "script_finished"
    )


def after_change(page, received: Received, change) -> list[ForwardMsg]:
    """The messages of the run `change()` starts, once it has finished and the page settled.

    The wait is for the run's own last message: a panel's run can start and finish between
    two looks at the page's script state, so waiting to see it running could wait forever."""
    received.mark()
    with received.socket.expect_event("framereceived", _finishes_a_run, timeout=30_000):
        change()
    settle(page)
    assert received.finished(), "no run finished after the change"
    return received.messages()


def assert_panel_alone(messages: list[ForwardMsg]) -> None:
    finished = [m.script_finished for m in messages if m.WhichOneof("type") == "script_finished"]
    assert WHOLE_PAGE not in finished, "the whole page ran again"
    assert finished == [ONE_PANEL]
    deltas = elements_sent(messages)
    assert deltas, "the panel sent nothing"
    # a panel's elements carry its fragment's id (or a fragment's inside it); the rest none
    assert all(m.delta.fragment_id for m in deltas), "an element outside the panel was sent"


def test_the_concentration_threshold_reruns_its_panel_alone(server, page):
    received = Received(page)
    page.goto(f"{server.url}/market")
    settle(page)
    summary = page.get_by_text("service areas are above 2,000")
    expect(summary).to_be_visible()
    thumb = page.get_by_role("slider", name="Highlight markets with an HHI above")
    thumb.scroll_into_view_if_needed()

    messages = after_change(page, received, lambda: thumb.press("ArrowRight"))

    assert_panel_alone(messages)
    expect(page.get_by_text("service areas are above 2,100")).to_be_visible()
    expect(page.get_by_role("heading", name="Market: vendors and concentration")).to_be_visible()
    expect(page.get_by_role("heading", name="Vendor ranking")).to_be_visible()


def test_the_coverage_tabs_rerun_their_panel_alone(server, page):
    received = Received(page)
    page.goto(server.url)
    settle(page)
    tab = page.get_by_role("tab", name="Table")
    tab.scroll_into_view_if_needed()

    messages = after_change(page, received, tab.click)

    assert_panel_alone(messages)
    panel = page.get_by_role("tabpanel")
    expect(panel.get_by_test_id("stDataFrame")).to_be_visible()
    expect(page.get_by_role("heading", name="Records", exact=True)).to_be_visible()
