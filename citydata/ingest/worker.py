"""`ingest.prepare` in a process of its own: `python -m citydata.ingest.worker [IDLE_SECONDS]`.

Reads one pickled request from stdin, `(content, file_name, options)`, and writes the pickled
`Prepared` to stdout, then exits (so the memory a large file took goes back to the system). The
app starts it (ui/preparing.py) to check an upload away from its other visitors, often before
the upload arrives (its imports done meanwhile); the request comes only from the app itself,
never from a visitor. With no request within IDLE_SECONDS, or when stdin closes first, it ends
without a word.
"""

from __future__ import annotations

import os
import pickle
import select
import sys

# The check yields the processor to the server's own work: on a small machine the server's
# visitors share its cores with this process, and their pages come first. Set before the
# imports, which are most of a spare worker's work.
NICENESS = 10
if hasattr(os, "nice") and __name__ == "__main__":
    os.nice(NICENESS)

from citydata import ingest  # noqa: E402


def main(argv: list[str]) -> int:
    idle = float(argv[0]) if argv else None
    if idle is not None and os.name == "posix" and not select.select([sys.stdin], [], [], idle)[0]:
        return 0  # nobody asked: a spare that was not needed (pipes: POSIX only)
    try:
        content, name, options = pickle.load(sys.stdin.buffer)
    except EOFError:
        return 0  # the app closed the pipe without a request (a spare it let go)
    prepared = ingest.prepare(content, name, **options)
    pickle.dump(prepared, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
