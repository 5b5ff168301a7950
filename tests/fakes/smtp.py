"""A real SMTP server on 127.0.0.1 (aiosmtpd) for the shop's mail: STARTTLS (or TLS from the
first byte) with a certificate from a test CA, LOGIN/PLAIN auth, and every message it accepts
kept in ``messages``. The client under test talks to it exactly as to a mail provider."""

from __future__ import annotations

import socket
import ssl
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USERNAME = "shop@brightcart.example"
PASSWORD = "s3cret pa:ss"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class FakeSmtp:
    """``implicit_tls`` False: plain until STARTTLS, which is required before AUTH and MAIL."""

    def __init__(self, ca: trustme.CA, implicit_tls: bool = False) -> None:
        self.messages: list[EmailMessage] = []
        self.logins: list[str] = []
        self.port = free_port()
        self.implicit_tls = implicit_tls
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        # aiosmtpd counts only STARTTLS as TLS for AUTH; with TLS from the first byte the whole
        # connection is encrypted anyway, so AUTH is offered there without it (and, as aiosmtpd
        # then warns against requiring it, ``logins`` shows that the client logged in).
        tls: dict[str, Any] = (
            {"ssl_context": context, "auth_require_tls": False}
            if implicit_tls
            else {"tls_context": context, "require_starttls": True, "auth_required": True}
        )
        self.controller = Controller(
            self,
            hostname="127.0.0.1",
            port=self.port,
            server_hostname="smtp.test",
            authenticator=self._authenticate,
            **tls,
        )

    def start(self) -> FakeSmtp:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def url(self, username: str = USERNAME, password: str = PASSWORD) -> str:
        from urllib.parse import quote

        scheme = "smtps" if self.implicit_tls else "smtp"
        return f"{scheme}://{quote(username, safe='')}:{quote(password, safe='')}@127.0.0.1:{self.port}"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == USERNAME.encode()
            and auth_data.password == PASSWORD.encode()
        )
        if ok:
            self.logins.append(USERNAME)
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535


def write_ca(ca: trustme.CA, directory: Path) -> Path:
    """The test CA's certificate as a file, for ``SMTP_CA_FILE``."""
    path = directory / "test-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path
