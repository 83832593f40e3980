"""Handing a message over: by e-mail through an SMTP server, or to a Teams or Slack webhook.

Every failure (server down, refused login, refused recipient, an HTTP status other than 2xx,
a timeout) raises `DeliveryError` with one plain sentence; the caller then records nothing as
sent, so the next run tries again.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import httpx

from citydata.core import settings

TLS_MODES = ("starttls", "ssl", "none")


class DeliveryError(RuntimeError):
    """A message the server or webhook did not accept."""


@dataclass(frozen=True)
class MailServer:
    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = None
    tls: str = "starttls"
    timeout: float = 30.0


def mail_server(secrets: Mapping[str, Any] | None = None) -> MailServer | None:
    """The SMTP settings, or None when no server is set (e-mail alerts cannot be sent)."""
    host = settings.value("CITYTOOLS_SMTP_HOST", secrets)
    if not host:
        return None
    port_text = settings.value("CITYTOOLS_SMTP_PORT", secrets) or "587"
    tls = (settings.value("CITYTOOLS_SMTP_TLS", secrets) or "starttls").strip().lower()
    sender = settings.value("CITYTOOLS_SMTP_SENDER", secrets)
    if not port_text.strip().isdigit() or not 0 < int(port_text) < 65536:
        raise settings.SettingError(f"CITYTOOLS_SMTP_PORT is “{port_text[:20]}”, not a port.")
    if tls not in TLS_MODES:
        raise settings.SettingError(
            f"CITYTOOLS_SMTP_TLS is “{tls[:20]}”; use one of {', '.join(TLS_MODES)}."
        )
    if not sender:
        raise settings.SettingError(
            "CITYTOOLS_SMTP_SENDER is not set: the address alerts are sent from."
        )
    return MailServer(
        host=host.strip(),
        port=int(port_text),
        sender=sender.strip(),
        user=settings.value("CITYTOOLS_SMTP_USER", secrets),
        password=settings.value("CITYTOOLS_SMTP_PASSWORD", secrets),
        tls=tls,
        timeout=_timeout(secrets),
    )


def _timeout(secrets: Mapping[str, Any] | None) -> float:
    text = settings.value("CITYTOOLS_SEND_TIMEOUT", secrets) or "30"
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1
    if not 0 < seconds <= 600:
        raise settings.SettingError(
            f"CITYTOOLS_SEND_TIMEOUT is “{text[:20]}”; use a number of seconds up to 600."
        )
    return seconds


def send_email(server: MailServer, to: str, subject: str, text: str) -> None:
    """One plain-text e-mail; DeliveryError when the server does not take it."""
    msg = EmailMessage()
    msg["From"] = server.sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="citytools-explorer")
    msg.set_content(text)
    try:
        if server.tls == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                server.host,
                server.port,
                timeout=server.timeout,
                context=ssl.create_default_context(),
            )
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
        with smtp:
            if server.tls == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if server.user:
                smtp.login(server.user, server.password or "")
            refused = smtp.send_message(msg)
    except smtplib.SMTPException as exc:
        raise DeliveryError(f"The mail server {server.host} refused the message: {exc}") from None
    except OSError as exc:
        raise DeliveryError(
            f"The mail server {server.host}:{server.port} could not be reached: "
            f"{exc.strerror or exc}"
        ) from None
    if refused:
        raise DeliveryError(f"The mail server refused the address {to}.")


def post_webhook(url: str, payload: dict[str, Any], timeout: float) -> None:
    """POST `payload` as JSON; DeliveryError unless the receiver answers 2xx."""
    try:
        response = httpx.post(url, json=payload, timeout=timeout, follow_redirects=False)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"The webhook could not be reached: {type(exc).__name__}") from None
    if not 200 <= response.status_code < 300:
        raise DeliveryError(f"The webhook answered {response.status_code}; nothing was posted.")


def slack_payload(title: str, text: str) -> dict[str, Any]:
    """A Slack incoming-webhook message: `text` shown as written (Slack's &, <, > escaped)."""
    body = f"*{_slack(title)}*\n{_slack(text)}"
    return {"text": body, "mrkdwn": True}


def teams_payload(title: str, text: str) -> dict[str, Any]:
    """A Teams incoming-webhook (Workflows) message: an Adaptive Card of plain text blocks."""
    blocks = [{"type": "TextBlock", "text": title, "weight": "Bolder", "wrap": True}]
    blocks += [
        {"type": "TextBlock", "text": paragraph, "wrap": True}
        for paragraph in text.split("\n\n")
        if paragraph.strip()
    ]
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": blocks,
                },
            }
        ],
    }


def webhook_timeout(secrets: Mapping[str, Any] | None = None) -> float:
    return _timeout(secrets)


def _slack(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
