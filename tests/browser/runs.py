"""Which runs of the script a page has asked the server for and not yet seen finish.

The app root's `data-test-script-state` does not say: it stays `notRunning` from a click until
the server's first message of the run it asked for (measured on Streamlit 1.67: a form's submit
button and a slider both go straight from `notRunning` to `running`). A click on a form's
button changes nothing else in the page, so on a loaded machine whose server took more than
`QUIET_MS` to start the run, `settle` could end before the run began (seen once in 60 clicks
under `stress --cpu 3`), and the test go on with the old page. The lockout test failed so in
CI: its fifth wrong password was never counted. A submit that reaches the server before the
previous one's run has begun is merged with it (Streamlit coalesces the requests: one run, one
count), the likely way the fifth was lost.

So every page of the tests' browser contexts watches its own websocket (`watch_runs`: an init
script that wraps `WebSocket.prototype.send`). A run is asked for by a `BackMsg` with
`rerun_script`; it is over when a `ForwardMsg` with `script_finished` arrives whose status is
not "finished early for a rerun" (that run makes way for another: a newer request, or the
script's own `st.rerun()`). Only the socket that asked last can answer, and a closed one
answers nothing more (a page that reconnects asks again on its new socket). `settle` waits
while a run is asked for and unanswered.

The request is noted in the page as it is sent, not by an event of Playwright's that could
reach the test late. The page can send it a moment after Playwright's click returns (8 clicks
of 60 under the same stress), but that is a task of the page queued before `settle`'s first
look, which then sees it.
"""

from __future__ import annotations

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

RERUN_SCRIPT = BackMsg.DESCRIPTOR.fields_by_name["rerun_script"].number
SCRIPT_FINISHED = ForwardMsg.DESCRIPTOR.fields_by_name["script_finished"].number
EARLY_FOR_RERUN = ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN

# The top-level fields of a protocol buffer message, read as the wire format lays them out:
# a varint key (field number * 8 + wire type), then a varint, 8 bytes, a length and that many
# bytes, or 4 bytes. Only the field numbers and the varints' values are kept.
WATCH_RUNS = f"""(() => {{
  const runs = window.__runs = {{open: false}};
  const fields = (data) => {{
    const b = data instanceof ArrayBuffer ? new Uint8Array(data)
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const found = new Map();
    let i = 0;
    const varint = () => {{
      let value = 0, scale = 1;
      for (;;) {{
        const x = b[i++];
        value += (x & 127) * scale;
        if (x < 128 || i >= b.length) return value;
        scale *= 128;
      }}
    }};
    while (i < b.length) {{
      const key = varint(), field = Math.floor(key / 8), wire = key % 8;
      if (wire === 0) found.set(field, varint());
      else if (wire === 1) {{ found.set(field, null); i += 8; }}
      else if (wire === 2) {{ const n = varint(); found.set(field, null); i += n; }}
      else if (wire === 5) {{ found.set(field, null); i += 4; }}
      else break;
    }}
    return found;
  }};
  const binary = (data) => data instanceof ArrayBuffer || ArrayBuffer.isView(data);
  // Only the socket that asked last can answer: a page that reconnects asks on its new one.
  const answered = (socket) => {{ if (runs.socket === socket) runs.open = false; }};
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {{
    if (!this.__watched) {{  // the page's first message on this socket: before any answer
      this.__watched = true;
      this.addEventListener('message', (event) => {{
        if (!binary(event.data)) return;
        const status = fields(event.data).get({SCRIPT_FINISHED});
        if (status !== undefined && status !== {EARLY_FOR_RERUN}) answered(this);
      }});
      this.addEventListener('close', () => answered(this));
    }}
    if (binary(data) && fields(data).has({RERUN_SCRIPT})) {{
      runs.open = true;
      runs.socket = this;
    }}
    return send.call(this, data);
  }};
}})();"""

# True while the page waits for a run it asked for (and on a page without the watcher, never).
RUN_OPEN = "(window.__runs && window.__runs.open)"


def watch_runs(context) -> None:
    """Every page `context` opens from now on counts the runs it asks for and sees finish."""
    context.add_init_script(WATCH_RUNS)
