"""Fixtures shared by the gateway tests and the end-to-end tests: the fake platform APIs."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.bot.fakes import FakeSlack, FakeTelegram


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
