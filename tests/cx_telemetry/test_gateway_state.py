"""Delivery dedupe and durable timers: atomic across processes (here: separate engines)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest

from cx_telemetry import Settings, StoreUnavailable, TelemetryStore
from cx_telemetry.gateway_state import CLAIM_LEASE

from .conftest import T0


@pytest.fixture
def second(settings: Settings) -> Iterator[TelemetryStore]:
    """A second gateway: its own engine and connection pool on the same database."""
    s = TelemetryStore.from_settings(settings)
    yield s
    s.dispose()


def test_first_delivery_is_true_once_across_gateways(
    store: TelemetryStore, second: TelemetryStore
) -> None:
    assert store.first_delivery("telegram:update:1") is True
    assert second.first_delivery("telegram:update:1") is False
    assert store.first_delivery("telegram:update:1") is False
    assert second.first_delivery("slack:event:Ev1") is True


def test_timer_reschedule_moves_it_and_claims_are_exclusive(
    store: TelemetryStore, second: TelemetryStore
) -> None:
    first_id = store.schedule_timer(kind="idle", conversation_id="c1", due_at=T0, payload={"n": 1})
    moved_id = store.schedule_timer(
        kind="idle", conversation_id="c1", due_at=T0 + timedelta(minutes=5), payload={"n": 2}
    )
    assert first_id != moved_id
    assert store.claim_due_timers(now=T0 + timedelta(minutes=1), owner="gw-1") == []
    later = T0 + timedelta(minutes=6)
    got = store.claim_due_timers(now=later, owner="gw-1")
    assert [(t.id, t.kind, t.conversation_id, t.payload) for t in got] == [
        (moved_id, "idle", "c1", {"n": 2})
    ]
    assert got[0].due_at == T0 + timedelta(minutes=5)
    assert second.claim_due_timers(now=later, owner="gw-2") == []
    assert store.complete_timer(first_id) is False  # the old firing cannot delete anything
    assert second.complete_timer(moved_id) is True
    assert store.claim_due_timers(now=later + CLAIM_LEASE * 2, owner="gw-1") == []


def test_a_claim_abandoned_by_a_dead_gateway_is_handed_out_again(
    store: TelemetryStore, second: TelemetryStore
) -> None:
    store.schedule_timer(kind="survey", conversation_id="c2", due_at=T0)
    assert len(store.claim_due_timers(now=T0, owner="gw-dead")) == 1
    assert second.claim_due_timers(now=T0 + CLAIM_LEASE / 2, owner="gw-2") == []
    assert len(second.claim_due_timers(now=T0 + CLAIM_LEASE * 2, owner="gw-2")) == 1


def test_cancel_timer(store: TelemetryStore) -> None:
    store.schedule_timer(kind="idle", conversation_id="c3", due_at=T0)
    assert store.cancel_timer(kind="idle", conversation_id="c3") is True
    assert store.cancel_timer(kind="idle", conversation_id="c3") is False
    assert store.claim_due_timers(now=T0 + timedelta(days=1), owner="gw") == []


def test_concurrent_claims_hand_each_timer_to_exactly_one_gateway(
    store: TelemetryStore, second: TelemetryStore
) -> None:
    for i in range(40):
        store.schedule_timer(kind="idle", conversation_id=f"c{i}", due_at=T0)
    claimed: dict[str, list[str]] = {"a": [], "b": []}

    def poll(name: str, s: TelemetryStore) -> None:
        while True:
            got = s.claim_due_timers(now=T0 + timedelta(seconds=1), owner=name, limit=5)
            if not got:
                return
            claimed[name].extend(t.id for t in got)

    threads = [
        threading.Thread(target=poll, args=("a", store)),
        threading.Thread(target=poll, args=("b", second)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    all_ids = claimed["a"] + claimed["b"]
    assert len(all_ids) == 40 and len(set(all_ids)) == 40


def test_gateway_state_raises_when_the_database_is_down(down_url: str, settings: Settings) -> None:
    down = TelemetryStore(
        Settings(down_url, settings.pseudonym_key, settings.pseudonym_key_file, settings.outbox_dir)
    )
    with pytest.raises(StoreUnavailable):
        down.first_delivery("k")
    with pytest.raises(StoreUnavailable):
        down.claim_due_timers(now=T0, owner="gw")
    with pytest.raises(StoreUnavailable):
        down.get_conversation("x")


def test_two_processes_opening_the_same_customer_share_one_conversation(
    store: TelemetryStore, second: TelemetryStore
) -> None:
    got: list[str] = []

    def open_many(s: TelemetryStore) -> None:
        for _ in range(10):
            got.append(s.open_conversation(channel="telegram", customer_id="telegram:race"))

    threads = [threading.Thread(target=open_many, args=(s,)) for s in (store, second, store)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(got) == 30 and len(set(got)) == 1
    assert not store.outbox.has_pending()
