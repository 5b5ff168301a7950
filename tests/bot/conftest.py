from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot import Settings
from bot.app import Services, build_app
from bot.state.database import GatewayDatabase
from cx_telemetry import Settings as TelemetrySettings
from cx_telemetry import TelemetryStore
from tests.bot.fakes import FakeRasa, FakeSlack, FakeTelegram
from tests.databases import BACKENDS, DOWN_PG_URL, PgScratch

TG_TOKEN = "123456:TEST-telegram-token"
TG_SECRET = "tg-webhook-secret"
SLACK_SECRET = "slack-signing-secret"
SLACK_TOKEN = "xoxb-test-slack-token"


@pytest.fixture
async def fake_rasa() -> AsyncIterator[FakeRasa]:
    server = await FakeRasa(token="rasa-token").start()
    yield server
    await server.stop()


@pytest.fixture
def telemetry_settings(tmp_path: Path) -> TelemetrySettings:
    return TelemetrySettings(
        db_url=f"sqlite:///{tmp_path / 'telemetry.sqlite3'}",
        pseudonym_key="test-pseudonym-key-0123456789",
        outbox_dir=tmp_path / "outbox",
    )


@pytest.fixture
def store(telemetry_settings: TelemetrySettings) -> TelemetryStore:
    s = TelemetryStore.from_settings(telemetry_settings)
    s.migrate()
    GatewayDatabase(telemetry_settings.db_url).migrate()  # the gateway's tables, same file
    return s


@pytest.fixture
def settings(
    fake_tg: FakeTelegram,
    fake_slack: FakeSlack,
    fake_rasa: FakeRasa,
    telemetry_settings: TelemetrySettings,
) -> Settings:
    return Settings(
        rasa_url=fake_rasa.url,
        rasa_token="rasa-token",
        rasa_timeout_seconds=5,
        telegram_bot_token=TG_TOKEN,
        telegram_webhook_secret=TG_SECRET,
        telegram_api_base_url=fake_tg.base_url,
        slack_bot_token=SLACK_TOKEN,
        slack_signing_secret=SLACK_SECRET,
        slack_api_base_url=fake_slack.base_url,
        telemetry=telemetry_settings,
        idle_timeout=timedelta(minutes=15),
        timer_poll_seconds=0,
        replay_delay_seconds=0.0,
        delivery_attempts=3,
        delivery_backoff_seconds=0.01,
        instance_id="gw-test",
    )


class Running:
    """A built app with its lifespan running, and a client that speaks ASGI to it."""

    def __init__(self, app: Any, client: httpx.AsyncClient) -> None:
        self.app = app
        self.client = client
        self.services: Services = app.state.services


@contextlib.asynccontextmanager
async def running(settings: Settings, store: TelemetryStore) -> AsyncIterator[Running]:
    services = Services(
        settings, telemetry_store=store, state_db=GatewayDatabase(settings.state_db_url)
    )
    app = build_app(settings, services)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield Running(app, client)


@pytest.fixture
async def gw(settings: Settings, store: TelemetryStore) -> AsyncIterator[Running]:
    async with running(settings, store) as r:
        yield r


@pytest.fixture
def with_settings(settings: Settings) -> Callable[..., Settings]:
    return lambda **kw: replace(settings, **kw)


async def wait_for(cond: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not cond():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


# -- the gateway's database on every backend the suite runs (SQLite; PostgreSQL when set) ------


@pytest.fixture(params=BACKENDS)
def state_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def state_url(state_backend: str, tmp_path: Path, pg_scratch: PgScratch | None) -> str:
    if state_backend == "sqlite":
        return f"sqlite:///{tmp_path / 'gateway.sqlite3'}"
    assert pg_scratch is not None
    return pg_scratch.new()


@pytest.fixture
def state_db(state_url: str) -> Iterator[GatewayDatabase]:
    db = GatewayDatabase(state_url)
    db.migrate()
    yield db
    db.dispose()


@pytest.fixture
def second_db(state_db: GatewayDatabase) -> Iterator[GatewayDatabase]:
    """A second gateway: its own engine and connection pool on the same database."""
    db = GatewayDatabase(state_db.url)
    yield db
    db.dispose()


@pytest.fixture
def down_db(state_backend: str, tmp_path: Path) -> GatewayDatabase:
    if state_backend == "sqlite":
        return GatewayDatabase(f"sqlite:///{tmp_path / 'missing-dir' / 'gateway.sqlite3'}")
    return GatewayDatabase(DOWN_PG_URL)
