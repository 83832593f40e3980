"""A connection that failed, in words a council user can act on: one helper for every place
the app talks to another server (the publishers' APIs, the mail server, Teams and Slack
webhooks), so that each says a refused connection, a timeout, an unknown address or a failed
secure connection the same way, and none shows the name of an error class (ConnectError,
gaierror) or Python's text of it ([Errno 111], [SSL: WRONG_VERSION_NUMBER])."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator

import httpx


def in_words(exc: BaseException, server: str = "the server", tls_setting: str = "") -> str:
    """Why `server` (as the sentence names it: "the publisher", "the mail server
    smtp.example.org:587") could not be used, as a clause to put after a colon; `tls_setting`
    names the setting that chooses a secure connection, where there is one."""
    causes = list(_chain(exc))
    if any(isinstance(e, httpx.ProxyError) for e in causes):
        return "the network's proxy refused the connection (ask your IT team about the proxy)"
    if any(isinstance(e, ssl.SSLCertVerificationError) for e in causes):
        return (
            f"{server}'s certificate could not be checked, so no secure connection was made "
            "(a wrong address, or a network that intercepts secure connections)"
        )
    if any(isinstance(e, ssl.SSLError) for e in causes):
        check = f"the address and port, and {tls_setting}" if tls_setting else "the address"
        return (
            f"no secure connection could be made with {server} (it may not use a secure "
            f"connection there: check {check})"
        )
    if any(isinstance(e, socket.gaierror) for e in causes):
        return f"{server}'s address was not found (check the address, or the network here)"
    if any(isinstance(e, ConnectionRefusedError) for e in causes):
        return (
            f"{server} refused the connection (nothing answers at that address and port: a "
            "wrong address, or the server is down)"
        )
    if any(isinstance(e, httpx.TimeoutException | TimeoutError) for e in causes):
        return f"{server} did not answer in time"
    if any(isinstance(e, httpx.ConnectError) for e in causes):
        return f"{server} could not be reached (no network here, or a wrong address)"
    if any(isinstance(e, httpx.TransportError | ConnectionError) for e in causes):
        return f"the connection to {server} broke off"
    for e in causes:
        if isinstance(e, OSError) and e.strerror:
            return f"this computer could not reach {server} ({e.strerror.lower()})"
    return f"{server} could not be reached"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and what caused it (httpx keeps the socket's own error there)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
