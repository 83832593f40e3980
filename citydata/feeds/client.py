"""Polite HTTP for the feeds: one GET with retries, Retry-After on 429, backoff on 5xx.

A response is retried when the server says it is busy (429, or 403 as Contracts Finder
documents it: after its Retry-After, in seconds or as a date; asked to wait longer than MAX_WAIT
seconds, the fetch stops at once and says when to run it again), fails (5xx, a dropped
connection, a timeout: after BACKOFF x 2^attempt seconds), or sends a body cut short (JSON that
does not parse). After ATTEMPTS tries the fetch stops with a FeedError saying what happened;
nothing of that page is stored. A page larger than the largest file the app reads is not read
past that size.
"""

from __future__ import annotations

import codecs
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from citydata.core import dates, network, settings

ATTEMPTS = 4
# Contracts Finder's API documentation says too many requests get a 403 and a wait; both
# publishers answer 429 with Retry-After in practice (see tests/data/feeds/README.md).
RATE_LIMITED = (429, 403)
MAX_WAIT = 120.0
USER_AGENT = "CityToolsExplorer (+https://github.com/) published-notices fetch"


class FeedError(RuntimeError):
    """A feed that cannot be read now; the message says what happened, in plain English."""


class Refused(FeedError):
    """The publisher refused the request (a 4xx other than slow down): `status`, its code."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Page:
    url: str
    content: bytes  # the response's bytes, as received
    document: Any  # the parsed JSON


def _asked_wait(response: httpx.Response) -> float | None:
    """How long the publisher asked us to wait, in seconds: Retry-After in seconds, or the date
    to come back (both are HTTP's); None when it says neither (NaN, "soon", nothing)."""
    value = response.headers.get("Retry-After", "").strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            back = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            back = None
        if back is None or back.tzinfo is None:  # (HTTP's dates are in GMT, and say so)
            return None
        seconds = (back - datetime.now(UTC)).total_seconds()
    return None if math.isnan(seconds) else max(seconds, 0.0)


def _minutes(seconds: float) -> str:
    minutes = max(math.ceil(seconds / 60), 1)
    return f"{minutes:,} minute" + ("" if minutes == 1 else "s")


def get(
    client: httpx.Client,
    url: str,
    params: dict[str, Any] | None = None,
    *,
    backoff: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
    max_bytes: int | None = None,
) -> Page:
    """The JSON page at `url`; FeedError after ATTEMPTS failed tries, or at once for a page
    larger than `max_bytes` (default: the largest file the app reads, CITYTOOLS_MAX_UPLOAD_MB),
    which is read no further."""
    limit = settings.upload_limit_bytes() if max_bytes is None else max_bytes
    problem = "no answer"
    for attempt in range(ATTEMPTS):
        wait = backoff * 2**attempt
        try:
            with client.stream("GET", url, params=params) as response:
                content = _body(response, limit) if response.status_code < 400 else b""
        except httpx.TimeoutException:
            problem = "the publisher did not answer in time"
        except httpx.HTTPError as exc:
            problem = in_words(exc)
        else:
            if response.status_code in RATE_LIMITED:
                problem = (
                    f"the publisher asked us to slow down ({response.status_code}) too many times"
                )
                asked = _asked_wait(response)
                if asked is not None and asked > MAX_WAIT:  # (asking sooner goes against it)
                    after = dates.now() + timedelta(seconds=asked)
                    raise FeedError(
                        f"The publisher asked us to wait {_minutes(asked)} before asking again, "
                        f"longer than a fetch waits ({_minutes(MAX_WAIT)}): nothing more was "
                        f"asked. Run the fetch again after {after:%H:%M} to carry on."
                    )
                wait = min(wait, MAX_WAIT) if asked is None else asked
            elif response.status_code >= 500:
                problem = f"the publisher's server failed ({response.status_code})"
            elif response.status_code >= 400:
                raise Refused(
                    f"The publisher refused the request ({response.status_code}) for {url}.",
                    response.status_code,
                )
            elif content is None:
                raise FeedError(
                    f"The publisher's page is larger than {_size(limit)}, the largest file "
                    f"this app reads (the {settings.MAX_UPLOAD_MB} setting), so it was not read "
                    "and nothing of it was stored. Raise the setting, then run the fetch again "
                    "to carry on from this page."
                )
            else:
                try:
                    return Page(str(response.url), content, _json(content))
                except ValueError:
                    problem = "the response was cut short or is not JSON"
                except RecursionError:
                    raise FeedError(
                        "The publisher's answer is nested too deeply to be a list of notices "
                        "(an OCDS release package): the feed may have changed. Nothing from "
                        "this page was stored."
                    ) from None
        if attempt < ATTEMPTS - 1:
            sleep(wait)
    raise FeedError(f"Stopped after {ATTEMPTS} tries: {problem}.")


def _body(response: httpx.Response, limit: int) -> bytes | None:
    """The response's bytes (unpacked, when sent compressed), or None once they pass `limit`:
    a page far too large is never held whole in memory."""
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _size(limit: int) -> str:
    megabytes = limit / 1024 / 1024
    return f"{megabytes:,.0f} MB" if megabytes >= 1 else f"{limit / 1024:,.0f} KB"


def _json(content: bytes) -> Any:
    """The parsed body: UTF-8 as the publishers declare (after a byte-order mark, if it has
    one: UTF-8's, or UTF-16's), else ISO-8859-1 (Contracts Finder has served Latin-1 bytes in
    its OCDS search)."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return json.loads(content.decode("utf-16"))
    content = content.removeprefix(codecs.BOM_UTF8)
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        text = content.decode("iso-8859-1")
    return json.loads(text)


def new_client(timeout: float = 60.0) -> httpx.Client:
    return httpx.Client(
        timeout=timeout, headers={"User-Agent": USER_AGENT, "Accept": "application/json"}
    )


def in_words(exc: BaseException) -> str:
    """What went wrong on the way to the publisher, as a steward can act on it (never the
    name of an error class such as ConnectError): `citydata.core.network`'s words."""
    return network.in_words(exc, "the publisher")
