"""The shop's outgoing mail: SMTP in production, a local maildir out of the box.

``SMTP_URL`` picks the transport: ``smtp://[user[:password]@]host[:port]`` (port 587, STARTTLS
required) or ``smtps://...`` (port 465, TLS from the first byte). Credentials come from the URL
(percent-encoded) or from ``SMTP_USERNAME``/``SMTP_PASSWORD``, which win. Without ``SMTP_URL``
every message is written to the maildir ``SHOP_MAILDIR`` (``var/mail/``), where any mail
reader, or ``ls var/mail/new``, shows it. Nothing here connects or touches a file until
``send``.
"""

from __future__ import annotations

import mailbox
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from actions.backend import BackendError
from actions.settings import ConfigError, Settings


class MailUnavailable(BackendError):
    """A message could not be handed to the mail transport (server down, login refused, TLS
    failed, maildir not writable). The message was not sent."""


class MailTransport(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Hand ``message`` over for delivery; raises ``MailUnavailable`` if that fails."""
        ...

    def describe(self) -> str:
        """Where mail goes, for people (no secrets): ``maildir /abs/var/mail`` or an SMTP URL."""
        ...


def transport_from_settings(settings: Settings) -> MailTransport:
    """SMTP when ``SMTP_URL`` is set, else the local maildir. Raises ``ConfigError`` for an
    unusable URL (at start, before any mail is due)."""
    if settings.smtp_url:
        return SmtpTransport.from_settings(settings)
    return MaildirTransport(settings.maildir)


@dataclass(frozen=True)
class MaildirTransport:
    """Each message becomes one file in ``path/new`` (Python's ``mailbox.Maildir``)."""

    path: Path

    def send(self, message: EmailMessage) -> None:
        try:
            mailbox.Maildir(self.path, create=True).add(message)
        except OSError as err:
            raise MailUnavailable(f"cannot write mail to the maildir {self.path}: {err}") from err

    def describe(self) -> str:
        return f"maildir {self.path.resolve()}"


@dataclass(frozen=True)
class SmtpTransport:
    host: str
    port: int
    implicit_tls: bool
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: Path | None = None
    timeout_seconds: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpTransport:
        assert settings.smtp_url
        url = urlsplit(settings.smtp_url)
        if url.scheme not in ("smtp", "smtps") or not url.hostname:
            raise ConfigError(
                "SMTP_URL must look like smtp://user:password@host:587 or smtps://..."
            )
        try:
            port = url.port or (465 if url.scheme == "smtps" else 587)
        except ValueError:
            raise ConfigError("SMTP_URL has an unusable port") from None
        return cls(
            host=url.hostname,
            port=port,
            implicit_tls=url.scheme == "smtps",
            username=settings.smtp_username or (unquote(url.username) if url.username else None),
            password=settings.smtp_password or (unquote(url.password) if url.password else None),
            ca_file=settings.smtp_ca_file,
            timeout_seconds=settings.smtp_timeout_seconds,
        )

    def describe(self) -> str:
        user = f"{self.username}@" if self.username else ""
        return f"{'smtps' if self.implicit_tls else 'smtp'}://{user}{self.host}:{self.port}"

    def send(self, message: EmailMessage) -> None:
        """One connection per message: TLS (STARTTLS on smtp://), login when credentials are
        set, send. Any failure is a ``MailUnavailable`` naming the server and the reason."""
        try:
            context = ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
            if self.implicit_tls:
                with smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout_seconds, context=context
                ) as smtp:
                    self._deliver(smtp, message)
            else:
                with smtplib.SMTP(self.host, self.port, timeout=self.timeout_seconds) as smtp:
                    smtp.ehlo()
                    if not smtp.has_extn("starttls"):  # never credentials or codes in clear
                        raise MailUnavailable(
                            f"mail server {self.describe()} does not offer STARTTLS; use "
                            "smtps:// or a server with TLS"
                        )
                    smtp.starttls(context=context)
                    self._deliver(smtp, message)
        except smtplib.SMTPAuthenticationError as err:
            raise MailUnavailable(
                f"mail server {self.describe()} refused the login: {_reason(err)}"
            ) from err
        except (smtplib.SMTPException, ssl.SSLError, OSError) as err:
            raise MailUnavailable(
                f"cannot send mail through {self.describe()}: {_reason(err)}"
            ) from err

    def _deliver(self, smtp: smtplib.SMTP, message: EmailMessage) -> None:
        if self.username:
            smtp.login(self.username, self.password or "")
        smtp.send_message(message)


def _reason(err: BaseException) -> str:
    if isinstance(err, smtplib.SMTPResponseException):
        text = err.smtp_error.decode(errors="replace") if isinstance(err.smtp_error, bytes) else ""
        return f"{err.smtp_code} {text}".strip()
    return str(err) or type(err).__name__
