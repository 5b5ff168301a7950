"""The code mail through a real SMTP server on 127.0.0.1 (STARTTLS and TLS, with login), the
maildir default, and failures that are said clearly and leave no code behind."""

from __future__ import annotations

from pathlib import Path

import pytest
import trustme
from sqlalchemy import select

from actions.mail import MaildirTransport, MailUnavailable, SmtpTransport, transport_from_settings
from actions.settings import ConfigError, Settings
from actions.verification import CodeOutcome
from actions.verification.codes import read_code
from actions.verification.database import VerificationDatabase
from cx_telemetry import TelemetryStore
from cx_telemetry.models import VerificationAttempt
from tests.fakes.smtp import PASSWORD, USERNAME, FakeSmtp, free_port, write_ca

from .conftest import ANA, Clock, build, new_chat


def _smtp(url: str, ca: trustme.CA, tmp_path: Path, **settings: str) -> SmtpTransport:
    transport = transport_from_settings(
        Settings(smtp_url=url, smtp_ca_file=write_ca(ca, tmp_path), **settings)  # type: ignore[arg-type]
    )
    assert isinstance(transport, SmtpTransport)
    return transport


@pytest.mark.parametrize("server", ["smtp", "smtps"])
def test_the_code_arrives_through_a_real_smtp_server(
    server: str,
    request: pytest.FixtureRequest,
    ca: trustme.CA,
    tmp_path: Path,
    vdb: VerificationDatabase,
    shop: object,
    telemetry: TelemetryStore,
    clock: Clock,
) -> None:
    fake: FakeSmtp = request.getfixturevalue(server)
    verification = build(vdb, shop, _smtp(fake.url(), ca, tmp_path), telemetry, clock)  # type: ignore[arg-type]
    chat = new_chat(telemetry, "telegram:1")
    verification.request_code(chat, ANA)
    [message] = fake.messages
    assert message["To"] == ANA and fake.logins == [USERNAME]
    code = read_code(str(message["Subject"]))
    assert code and code in message.get_content()
    assert verification.check_code(chat, code).outcome is CodeOutcome.VERIFIED


def test_credentials_may_come_from_their_own_settings(
    smtp: FakeSmtp, ca: trustme.CA, tmp_path: Path
) -> None:
    url = f"smtp://127.0.0.1:{smtp.port}"
    transport = _smtp(url, ca, tmp_path, smtp_username=USERNAME, smtp_password=PASSWORD)
    assert PASSWORD not in repr(transport) and PASSWORD not in transport.describe()
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.com", ANA, "hello"
    transport.send(message)
    assert len(smtp.messages) == 1


def test_a_wrong_password_is_said_clearly_and_leaves_no_code(
    smtp: FakeSmtp,
    ca: trustme.CA,
    tmp_path: Path,
    vdb: VerificationDatabase,
    shop: object,
    telemetry: TelemetryStore,
    clock: Clock,
) -> None:
    transport = _smtp(smtp.url(password="wrong"), ca, tmp_path)
    verification = build(vdb, shop, transport, telemetry, clock)  # type: ignore[arg-type]
    chat = new_chat(telemetry, "telegram:1")
    with pytest.raises(MailUnavailable) as failed:
        verification.request_code(chat, ANA)
    assert f"smtp://{USERNAME}@127.0.0.1:{smtp.port} refused the login: 535" in str(failed.value)
    assert "wrong" not in str(failed.value) and smtp.messages == []
    assert verification.check_code(chat, "123456").outcome is CodeOutcome.NO_CODE
    with telemetry.engine.connect() as conn:
        outcomes = conn.scalars(select(VerificationAttempt.outcome)).all()
    assert "mail_failed" in outcomes


def test_a_server_that_is_down_is_said_clearly(
    ca: trustme.CA,
    tmp_path: Path,
    vdb: VerificationDatabase,
    shop: object,
    telemetry: TelemetryStore,
    clock: Clock,
) -> None:
    port = free_port()  # nothing listens there
    transport = _smtp(f"smtps://u:p@127.0.0.1:{port}", ca, tmp_path)
    verification = build(vdb, shop, transport, telemetry, clock)  # type: ignore[arg-type]
    with pytest.raises(
        MailUnavailable, match=rf"cannot send mail through smtps://u@127.0.0.1:{port}"
    ):
        verification.request_code(new_chat(telemetry, "telegram:1"), ANA)


def test_a_server_without_a_trusted_certificate_is_refused(smtp: FakeSmtp, tmp_path: Path) -> None:
    transport = transport_from_settings(Settings(smtp_url=smtp.url()))  # system CAs only
    from email.message import EmailMessage

    with pytest.raises(MailUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
        transport.send(EmailMessage())
    assert smtp.messages == []


def test_without_smtp_mail_goes_to_the_maildir_whose_path_can_be_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    transport = transport_from_settings(Settings.from_env({}))
    assert transport == MaildirTransport(Path("var/mail"))
    assert transport.describe() == f"maildir {tmp_path / 'var' / 'mail'}"
    assert not (tmp_path / "var").exists()  # nothing is created before a mail is sent
    from actions.verification.__main__ import main

    monkeypatch.delenv("SMTP_URL", raising=False)
    monkeypatch.delenv("SHOP_MAILDIR", raising=False)
    assert main(["mail-location"]) == 0
    assert capsys.readouterr().out.strip() == f"maildir {tmp_path / 'var' / 'mail'}"


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"SMTP_URL": "http://mail.example.com"}, "SMTP_URL must look like"),
        ({"SMTP_URL": "smtp://mail.example.com:port"}, "unusable port"),
        ({"VERIFIED_LINK_DAYS": "0"}, "VERIFIED_LINK_DAYS must be a positive number"),
        ({"VERIFIED_LINK_DAYS": "a month"}, "VERIFIED_LINK_DAYS must be a positive number"),
    ],
)
def test_unusable_settings_are_refused_at_start(env: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        transport_from_settings(Settings.from_env(env))


def test_settings_default_to_the_telemetry_database_and_hide_secrets() -> None:
    settings = Settings.from_env(
        {
            "CX_TELEMETRY_DB_URL": "sqlite:///t.db",
            "SMTP_URL": "smtp://u:hunter2@h",
            "SMTP_PASSWORD": "x",
        }
    )
    assert settings.verification_db_url == "sqlite:///t.db" and settings.verified_link_days == 30
    assert "hunter2" not in repr(settings)
    assert Settings.from_env({"VERIFICATION_DB_URL": "sqlite:///v.db"}).verification_db_url == (
        "sqlite:///v.db"
    )
