"""A gateway killed while it replays kept messages holds only the conversation it was
replaying: another gateway replays the other customers' kept messages at its next poll, not
after the timers' claim lease (``CLAIM_LEASE``, 5 minutes)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import cast

import pytest

from bot.counters import GatewayCounters
from bot.state.database import GatewayDatabase
from bot.state.timer_store import CLAIM_LEASE, Timer, TimerStore
from bot.threads import DbThreads
from bot.timer_outbox import DurableTimers
from bot.timers import TimerWorker
from contract import REPLAY_TIMER_PREFIX

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


class Killed(BaseException):
    """SIGKILL in the middle of a replay: nothing after it runs (no ``complete``)."""


class NoOutbox:
    async def replay(self) -> int:
        return 0


@pytest.fixture
def threads() -> Iterator[DbThreads]:
    t = DbThreads(sqlite=False)
    yield t
    t.close()


def _worker(
    db: GatewayDatabase, threads: DbThreads, owner: str, replayed: list[str], die: bool = False
) -> TimerWorker:
    async def replay(timer: Timer) -> None:
        if die:
            raise Killed
        replayed.append(str(timer.payload["text"]))

    return TimerWorker(
        TimerStore(db),
        cast(DurableTimers, NoOutbox()),
        threads,
        {REPLAY_TIMER_PREFIX: replay},
        owner=owner,
        clock=lambda: T0,
        stats=GatewayCounters(),
    )


def _keep(store: TimerStore, cid: str, n: int, text: str) -> None:
    received = (T0 - timedelta(minutes=5) + timedelta(seconds=n)).isoformat()
    payload = {"text": text, "received_at": received}
    store.schedule(f"{REPLAY_TIMER_PREFIX}{cid}-{n}", cid, T0, payload)


async def test_a_killed_gateways_unreplayed_kept_messages_are_replayed_at_once_by_another(
    state_db: GatewayDatabase, second_db: GatewayDatabase, threads: DbThreads
) -> None:
    store = TimerStore(state_db)
    _keep(store, "c1", 1, "where is my order 10001")
    _keep(store, "c1", 2, "hello?")
    _keep(store, "c2", 3, "cancel order 10002")
    _keep(store, "c3", 4, "bye")
    dead: list[str] = []
    with pytest.raises(Killed):
        await _worker(state_db, threads, "gw-a", dead, die=True).run_once(T0)
    replayed: list[str] = []
    other = _worker(second_db, threads, "gw-b", replayed)
    assert await other.run_once(T0 + timedelta(seconds=2)) == 2
    assert replayed == ["cancel order 10002", "bye"]  # c1 is gw-a's until the lease
    assert await other.run_once(T0 + CLAIM_LEASE + timedelta(seconds=3)) == 2
    assert replayed[2:] == ["where is my order 10001", "hello?"]  # in the order written


async def test_one_gateway_replays_every_kept_message_in_one_poll_in_order(
    state_db: GatewayDatabase, threads: DbThreads
) -> None:
    store = TimerStore(state_db)
    _keep(store, "c1", 2, "second")
    _keep(store, "c1", 1, "first")
    _keep(store, "c2", 3, "other chat")
    replayed: list[str] = []
    assert await _worker(state_db, threads, "gw-a", replayed).run_once(T0) == 3
    assert replayed.index("first") < replayed.index("second")
    assert sorted(replayed) == ["first", "other chat", "second"]
