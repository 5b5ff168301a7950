"""Verification against real databases (SQLite; PostgreSQL too when ``CX_TELEMETRY_TEST_PG_URL``
is set), the seeded demo shop, the real telemetry store in the same database, and mail into a
maildir (or a real local SMTP server, ``tests/fakes/smtp.py``). Time is a clock the test moves."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import trustme
from sqlalchemy import create_engine, text

from actions.demo_shop import DemoShopBackend
from actions.mail import MaildirTransport, MailTransport
from actions.verification import Chat, Verification
from actions.verification.codes import read_code
from actions.verification.database import VerificationDatabase
from actions.verification.migrate import upgrade_to_head as upgrade_verification
from actions.verification.schema import VerificationBase
from bot.state.migrate import upgrade_to_head as upgrade_gateway
from bot.state.schema import GatewayBase
from cx_telemetry import Settings, TelemetryStore
from cx_telemetry.db import make_engine
from cx_telemetry.migrate import upgrade_to_head as upgrade_telemetry
from cx_telemetry.models import Base
from tests.databases import BACKENDS, PgScratch
from tests.fakes.smtp import FakeSmtp

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
SENDER = "Brightcart support <support@brightcart.example>"
ANA = "ana.lopez@example.com"  # owns 10001 (and 10018)
BEN = "ben.okafor@example.com"  # owns 10002 (and 10017)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def _migrate(url: str) -> None:
    engine = make_engine(url)
    for upgrade in (upgrade_telemetry, upgrade_gateway, upgrade_verification):
        upgrade(engine)  # the product's one database: every package's tables
    engine.dispose()


@pytest.fixture(scope="session")
def verification_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("verification") / "template.sqlite3"
    _migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def verification_pg(pg_scratch: PgScratch | None) -> str | None:
    if pg_scratch is None:
        return None
    url = pg_scratch.new()
    _migrate(url)
    return url


@pytest.fixture(params=BACKENDS)
def db_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    verification_template: Path,
    verification_pg: str | None,
) -> str:
    """A migrated, empty database with the telemetry, gateway and verification tables."""
    if request.param == "sqlite":
        path = tmp_path / "db" / "product.sqlite3"
        path.parent.mkdir()
        shutil.copy(verification_template, path)
        return f"sqlite:///{path}"
    assert verification_pg
    engine = create_engine(verification_pg)
    tables = [
        *Base.metadata.sorted_tables,
        *GatewayBase.metadata.sorted_tables,
        *VerificationBase.metadata.sorted_tables,
    ]
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(t.name for t in tables)}"))
    engine.dispose()
    return verification_pg


@pytest.fixture
def telemetry(db_url: str, tmp_path: Path) -> Iterator[TelemetryStore]:
    store = TelemetryStore(
        Settings(db_url, "test-pseudonym-key", tmp_path / "key", tmp_path / "outbox")
    )
    yield store
    store.dispose()


@pytest.fixture
def shop(tmp_path: Path) -> DemoShopBackend:
    return DemoShopBackend(tmp_path / "shop.sqlite3")


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    return tmp_path / "mail"


@pytest.fixture
def vdb(db_url: str) -> Iterator[VerificationDatabase]:
    db = VerificationDatabase(db_url)
    yield db
    db.dispose()


def build(
    vdb: VerificationDatabase,
    shop: DemoShopBackend,
    mail: MailTransport,
    telemetry: TelemetryStore,
    clock: Clock,
) -> Verification:
    return Verification(vdb, shop, mail, telemetry, link_days=30, mail_from=SENDER, clock=clock)


@pytest.fixture
def verification(
    vdb: VerificationDatabase,
    shop: DemoShopBackend,
    telemetry: TelemetryStore,
    clock: Clock,
    maildir: Path,
) -> Verification:
    return build(vdb, shop, MaildirTransport(maildir), telemetry, clock)


def new_chat(telemetry: TelemetryStore, sender: str, at: datetime = T0) -> Chat:
    """A customer's chat with its open telemetry conversation, as the gateway would open it."""
    channel = sender.split(":")[0]
    return Chat(sender, telemetry.open_conversation(channel=channel, customer_id=sender, at=at))


def mailed(maildir: Path) -> list[tuple[str, str]]:
    """(to, code) of every code mail in the maildir, oldest first."""
    found = []
    for path in sorted((maildir / "new").glob("*"), key=lambda p: p.stat().st_mtime_ns):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        found.append((str(message["To"]), read_code(str(message["Subject"])) or ""))
    return found


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def smtp(ca: trustme.CA) -> Iterator[FakeSmtp]:
    server = FakeSmtp(ca).start()
    yield server
    server.stop()


@pytest.fixture
def smtps(ca: trustme.CA) -> Iterator[FakeSmtp]:
    server = FakeSmtp(ca, implicit_tls=True).start()
    yield server
    server.stop()
