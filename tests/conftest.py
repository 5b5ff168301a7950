"""Fixtures shared by every test package: the fake platform APIs and PostgreSQL scratch
schemas."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest
from hypothesis import settings

from tests.bot.fakes import FakeSlack, FakeTelegram
from tests.databases import PG_URL, PgScratch

# The property tests draw new examples on every local run, which is how they find new cases;
# CI (HYPOTHESIS_PROFILE=ci) draws the same ones each time, so a red build is reproducible and a
# green one is not luck. A counter-example found locally becomes a plain regression test.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


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


@pytest.fixture(autouse=True)
def _no_tracker_store(monkeypatch: pytest.MonkeyPatch) -> None:
    """``make test`` exports the engine's ``TRACKER_STORE_URL`` (a file under var/): a test of
    ``cx-telemetry forget``/``purge`` must never erase the developer's trackers, so a test that
    wants a tracker store sets its own."""
    monkeypatch.delenv("TRACKER_STORE_URL", raising=False)
