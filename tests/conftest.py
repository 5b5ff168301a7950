"""Fixtures shared by every test package: the fake platform APIs and PostgreSQL scratch
schemas."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.bot.fakes import FakeSlack, FakeTelegram
from tests.databases import PG_URL, PgScratch


@pytest.fixture(scope="session")
def pg_scratch() -> Iterator[PgScratch | None]:
    if not PG_URL:
        yield None
        return
    scratch = PgScratch()
    yield scratch
    scratch.drop_all()


@pytest.fixture
async def fake_tg() -> AsyncIterator[FakeTelegram]:
    server = await FakeTelegram().start()
    yield server
    await server.stop()


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    server = await FakeSlack().start()
    yield server
    await server.stop()
