"""Handing a message over: by e-mail through an SMTP server, or to a Teams or Slack webhook.

Every failure (server down, refused login, refused recipient, an HTTP status other than 2xx,
a timeout) raises `DeliveryError` with one plain sentence; the caller then records nothing as
sent, so the next run tries again.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import httpx

from citydata.core import network, settings

log = logging.getLogger(__name__)

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
    port = int(settings.number(settings.SMTP_PORT, secrets))
    tls = (settings.value("CITYTOOLS_SMTP_TLS", secrets) or "starttls").strip().lower()
    sender = settings.value("CITYTOOLS_SMTP_SENDER", secrets)
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
        port=port,
        sender=sender.strip(),
        user=settings.value("CITYTOOLS_SMTP_USER", secrets),
        password=settings.value("CITYTOOLS_SMTP_PASSWORD", secrets),
        tls=tls,
        timeout=_timeout(secrets),
    )


def _timeout(secrets: Mapping[str, Any] | None) -> float:
    return settings.number(settings.SEND_TIMEOUT, secrets)


def send_email(server: MailServer, to: str, subject: str, text: str) -> None:
    """One plain-text e-mail; DeliveryError when the server does not take it."""
    msg = EmailMessage()
    msg["From"] = server.sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="citytools-explorer")
    msg.set_content(text)
    stage = "connect"
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
                stage = "starttls"
                smtp.starttls(context=ssl.create_default_context())
            if server.user:
                stage = "login"
                smtp.login(server.user, server.password or "")
            stage = "send"
            refused = smtp.send_message(msg)
    except smtplib.SMTPException as exc:
        log.warning("the mail server %s refused a message: %r", server.host, exc)
        raise DeliveryError(_refused_in_words(server, to, stage, exc)) from None
    except OSError as exc:
        log.warning("the mail server %s:%s: %r", server.host, server.port, exc)
        named = f"the mail server {server.host}:{server.port}"
        why = network.in_words(exc, named, tls_setting="CITYTOOLS_SMTP_TLS")
        raise DeliveryError(
            f"Nothing was sent: {why}. The alert is tried again on the next run."
        ) from None
    if refused:
        raise DeliveryError(f"The mail server refused the address {to}.")


def post_webhook(url: str, payload: dict[str, Any], timeout: float) -> None:
    """POST `payload` as JSON; DeliveryError unless the receiver answers 2xx."""
    try:
        response = httpx.post(url, json=payload, timeout=timeout, follow_redirects=False)
    except httpx.HTTPError as exc:
        log.warning("a webhook could not be reached: %r", exc)
        raise DeliveryError(
            f"Nothing was posted to the webhook: {network.in_words(exc, 'its server')}. The "
            "alert is tried again on the next run."
        ) from None
    if not 200 <= response.status_code < 300:
        raise DeliveryError(f"The webhook answered {response.status_code}; nothing was posted.")


def _refused_in_words(server: MailServer, to: str, stage: str, exc: smtplib.SMTPException) -> str:
    """What the mail server would not do, in words (never Python's text of its reply, such as
    "(535, b'5.7.8 ...')"), and what to check."""
    at = f"The mail server {server.host}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return (
            f"{at} did not accept the user name and password (CITYTOOLS_SMTP_USER and "
            "CITYTOOLS_SMTP_PASSWORD): check them. Nothing was sent."
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError) and stage == "starttls":
        return (
            f"{at} does not offer a secure connection by STARTTLS: set CITYTOOLS_SMTP_TLS to "
            "what the server uses (ssl, or none on a trusted network). Nothing was sent."
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError) and stage == "login":
        return (
            f"{at} does not offer signing in: leave CITYTOOLS_SMTP_USER unset if it needs no "
            "sign-in, or check the server and port. Nothing was sent."
        )
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return (
            f"{at} refused the sender address {server.sender} (CITYTOOLS_SMTP_SENDER): use an "
            "address it accepts mail from. Nothing was sent."
        )
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return f"{at} refused the address {to}. Nothing was sent."
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"{at} closed the connection before the message was sent. Nothing was sent."
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = _reply(exc.smtp_error)
        said = f" (it said: “{reply}”)" if reply else ""
        return f"{at} refused the message with code {exc.smtp_code}{said}. Nothing was sent."
    return f"{at} refused the message. Nothing was sent."


def _reply(raw: bytes | str) -> str:
    """A mail server's own reply, as one line of printable text (at most 200 characters)."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())[:200]


def slack_payload(title: str, text: str) -> dict[str, Any]:
    """A Slack incoming-webhook message: `text` shown as written (Slack's &, <, > escaped)."""
    body = f"*{_slack(title)}*\n{_slack(text)}"
    return {"text": body, "mrkdwn": True}


def teams_payload(title: str, text: str) -> dict[str, Any]:
    """A Teams incoming-webhook (Workflows) message: an Adaptive Card of plain text blocks,
    where a link written in Markdown in the data ("[Civica](https://elsewhere)") shows as
    written, not as a link whose words hide where it goes."""
    blocks = [{"type": "TextBlock", "text": _teams(title), "weight": "Bolder", "wrap": True}]
    blocks += [
        {"type": "TextBlock", "text": _teams(paragraph), "wrap": True}
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


def _teams(text: str) -> str:
    """A TextBlock's text with no Markdown link: an invisible word joiner between "]" and
    "(" (bare addresses are still links, as Teams makes them anyway)."""
    return text.replace("](", "]\u2060(")


def _slack(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
