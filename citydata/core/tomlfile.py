"""Reading a settings file written in TOML (.streamlit/secrets.toml, the lead-time file,
service_types.toml), with what is wrong in it said in words a person can act on: where (the
line and column) and what to check, never Python's own text ("Illegal character '\\n'",
"'utf-8' codec can't decode byte 0xff", "[Errno 13]")."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any


class Unreadable(Exception):
    """The file cannot be used; the message is a clause ("it is not ...") ending in a full stop,
    to follow "<file> cannot be read: "."""


_WHERE = re.compile(r"\(at line (\d+), column (\d+)\)")


def load(path: Path) -> dict[str, Any]:
    """The file's settings. FileNotFoundError as Python raises it (a missing file may be
    allowed); Unreadable for a file that cannot be read or is not TOML."""
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise
    except OSError as exc:
        why = f" ({exc.strerror.lower()})" if exc.strerror else ""
        raise Unreadable(f"this computer could not open it{why}.") from None
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        raise Unreadable(
            f"line {line:,} is not UTF-8 text. Save the file again as UTF-8 (in Notepad: Save "
            "as, Encoding UTF-8)."
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        where = _WHERE.search(str(exc))
        at = f" at line {int(where[1]):,}, column {int(where[2]):,}" if where else ""
        raise Unreadable(
            f"it is not written as the app expects{at}. Check that line against the examples "
            "in the README: each setting is name = value, text in straight double quotes."
        ) from None
