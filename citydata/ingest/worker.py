"""`ingest.prepare` in a process of its own: `python -m citydata.ingest.worker`.

Reads one pickled request from stdin, `(content, file_name, options)`, and writes the pickled
`Prepared` to stdout, then exits (so the memory a large file took goes back to the system). The
app starts it (ui/preparing.py) to check an upload away from its other visitors; the request
comes only from the app itself, never from a visitor.
"""

from __future__ import annotations

import os
import pickle
import sys

from citydata import ingest

# The check yields the processor to the server's own work: on a small machine the server's
# visitors share its cores with this process, and their pages come first.
NICENESS = 10


def main() -> None:
    if hasattr(os, "nice"):
        os.nice(NICENESS)
    content, name, options = pickle.load(sys.stdin.buffer)
    prepared = ingest.prepare(content, name, **options)
    pickle.dump(prepared, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
