"""Delivery dedupe and durable timers: atomic across processes (here: separate engines)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from bot.errors import StateUnavailable
from bot.state.database import GatewayDatabase
from bot.state.deliveries import DeliveryKeys
from bot.state.inbox_store import InboxStore
from bot.state.timer_store import CLAIM_LEASE, TimerStore

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def store(state_db: GatewayDatabase) -> TimerStore:
    return TimerStore(state_db)


@pytest.fixture
def second(second_db: GatewayDatabase) -> TimerStore:
    return TimerStore(second_db)


def test_first_delivery_is_true_once_across_gateways(
    state_db: GatewayDatabase, second_db: GatewayDatabase
) -> None:
    one, two = DeliveryKeys(state_db), DeliveryKeys(second_db)
    assert one.first_delivery("telegram:update:1") is True
    assert two.first_delivery("telegram:update:1") is False
    assert one.first_delivery("telegram:update:1") is False
    assert two.first_delivery("slack:event:Ev1") is True


def test_a_claim_is_first_again_for_its_claimant_only(
    state_db: GatewayDatabase, second_db: GatewayDatabase
) -> None:
    one, two = DeliveryKeys(state_db), DeliveryKeys(second_db)
    keyboard = "telegram:keyboard:42:700"
    assert one.first_claim(keyboard, "telegram:update:1") is True
    assert two.first_claim(keyboard, "telegram:update:1") is True  # resumed by another gateway
    assert two.first_claim(keyboard, "telegram:update:2") is False  # a second tap
    assert one.first_delivery(keyboard) is False


def test_timer_reschedule_moves_it_and_claims_are_exclusive(
    store: TimerStore, second: TimerStore
) -> None:
    first_id = store.schedule("idle", "c1", T0, {"n": 1})
    moved_id = store.schedule("idle", "c1", T0 + timedelta(minutes=5), {"n": 2})
    assert first_id != moved_id
    assert store.claim_due(now=T0 + timedelta(minutes=1), owner="gw-1") == []
    later = T0 + timedelta(minutes=6)
    got = store.claim_due(now=later, owner="gw-1")
    assert [(t.id, t.kind, t.conversation_id, t.payload) for t in got] == [
        (moved_id, "idle", "c1", {"n": 2})
    ]
    assert got[0].due_at == T0 + timedelta(minutes=5)
    assert second.claim_due(now=later, owner="gw-2") == []
    assert store.complete(first_id) is False  # the old firing cannot delete anything
    assert second.complete(moved_id) is True
    assert store.claim_due(now=later + CLAIM_LEASE * 2, owner="gw-1") == []


def test_a_claim_abandoned_by_a_dead_gateway_is_handed_out_again(
    store: TimerStore, second: TimerStore
) -> None:
    store.schedule("survey", "c2", T0, {})
    assert len(store.claim_due(now=T0, owner="gw-dead")) == 1
    assert second.claim_due(now=T0 + CLAIM_LEASE / 2, owner="gw-2") == []
    assert len(second.claim_due(now=T0 + CLAIM_LEASE * 2, owner="gw-2")) == 1


def test_a_deferred_schedule_never_pulls_a_later_timer_forward(store: TimerStore) -> None:
    store.schedule("idle", "c3", T0 + timedelta(minutes=15), {"n": "newer"})
    store.schedule("idle", "c3", T0 + timedelta(minutes=5), {"n": "outbox"}, keep_later=True)
    assert store.claim_due(now=T0 + timedelta(minutes=10), owner="gw-1") == []
    store.schedule("idle", "c4", T0 + timedelta(minutes=5), {"n": "outbox"}, keep_later=True)
    assert [t.conversation_id for t in store.claim_due(now=T0 + timedelta(minutes=10))] == ["c4"]


def test_inbox_rows_of_one_chat_in_order_and_a_dead_gateways_rows_resumed(
    state_db: GatewayDatabase, second_db: GatewayDatabase
) -> None:
    lease = timedelta(seconds=90)
    a, b = InboxStore(state_db, "gw-a", lease), InboxStore(second_db, "gw-b", lease)
    first = a.accept("telegram:update:1", "telegram", "telegram:42", {"n": 1}, T0)
    assert first.first and first.item is not None and first.item.payload == {"n": 1}
    assert a.accept("telegram:update:1", "telegram", "telegram:42", {"n": 1}, T0).first is False
    behind = b.accept("telegram:update:2", "telegram", "telegram:42", {"n": 2}, T0)
    assert behind.first and behind.item is None  # waits for update 1 of the same chat
    other = b.accept("telegram:update:3", "telegram", "telegram:43", {"n": 3}, T0)
    assert other.item is not None  # another chat does not wait
    assert b.claim_waiting(T0 + timedelta(seconds=10)) == []  # gw-a holds update 1
    assert b.claim_waiting(T0 + lease + timedelta(seconds=1)) == []  # gw-a's grace begins
    resumed = b.claim_waiting(T0 + lease * 2 + timedelta(seconds=2))  # gw-a died
    assert [i.payload for i in resumed] == [{"n": 1}, {"n": 3}]
    nxt = b.finish_and_next(resumed[0], T0 + lease * 2 + timedelta(seconds=3))
    assert nxt is not None and nxt.payload == {"n": 2}
    assert b.finish_and_next(nxt, T0 + lease * 2 + timedelta(seconds=4)) is None
    assert b.depth() == 1


def test_an_answered_update_whose_lease_ran_out_during_an_outage_is_not_run_again(
    state_db: GatewayDatabase, second_db: GatewayDatabase
) -> None:
    """gw-a answered, then could not delete the row: the database was down longer than the
    lease. When it returns, gw-b's poll comes first; it must leave gw-a time to finish."""
    lease = timedelta(seconds=90)
    a, b = InboxStore(state_db, "gw-a", lease), InboxStore(second_db, "gw-b", lease)
    item = a.accept("telegram:update:1", "telegram", "telegram:42", {"n": 1}, T0).item
    assert item is not None
    back = T0 + lease * 5  # the outage is over
    assert b.claim_waiting(back) == []
    assert b.claim_waiting(back + lease / 2) == []
    assert a.finish_and_next(item, back + timedelta(seconds=10)) is None  # gw-a's retry
    assert b.claim_waiting(back + lease * 3) == []
    assert b.depth() == 0


def test_a_lease_renewed_after_an_outage_keeps_the_row(
    state_db: GatewayDatabase, second_db: GatewayDatabase
) -> None:
    lease = timedelta(seconds=90)
    a, b = InboxStore(state_db, "gw-a", lease), InboxStore(second_db, "gw-b", lease)
    item = a.accept("telegram:update:1", "telegram", "telegram:42", {"n": 1}, T0).item
    assert item is not None
    back = T0 + lease * 5
    assert b.claim_waiting(back) == []
    assert a.extend(item, back + timedelta(seconds=1)) is True  # gw-a still thinking
    assert b.claim_waiting(back + lease) == []  # the renewed lease holds
    assert b.claim_waiting(back + lease * 2 + timedelta(seconds=2)) == []  # a fresh grace
    assert len(b.claim_waiting(back + lease * 4)) == 1  # gw-a died meanwhile


def test_cancel_timer(store: TimerStore) -> None:
    store.schedule("idle", "c3", T0, {})
    assert store.cancel("idle", "c3") is True
    assert store.cancel("idle", "c3") is False
    assert store.claim_due(now=T0 + timedelta(days=1), owner="gw") == []


def test_concurrent_claims_hand_each_timer_to_exactly_one_gateway(
    store: TimerStore, second: TimerStore
) -> None:
    for i in range(40):
        store.schedule("idle", f"c{i}", T0, {})
    claimed: dict[str, list[str]] = {"a": [], "b": []}

    def poll(name: str, s: TimerStore) -> None:
        while True:
            got = s.claim_due(now=T0 + timedelta(seconds=1), owner=name, limit=5)
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


def test_gateway_state_raises_when_the_database_is_down(down_db: GatewayDatabase) -> None:
    with pytest.raises(StateUnavailable):
        DeliveryKeys(down_db).first_delivery("k")
    with pytest.raises(StateUnavailable):
        TimerStore(down_db).claim_due(now=T0, owner="gw")


def test_updates_of_one_chat_accepted_at_once_by_two_gateways_lease_only_one(
    state_db: GatewayDatabase, second_db: GatewayDatabase
) -> None:
    lease = timedelta(seconds=90)
    stores = [InboxStore(state_db, "gw-a", lease), InboxStore(second_db, "gw-b", lease)]
    results: list[bool] = []
    start = threading.Barrier(8)

    def accept(n: int) -> None:
        start.wait()
        got = stores[n % 2].accept(f"telegram:update:{n}", "telegram", "telegram:7", {"n": n}, T0)
        results.append(got.item is not None)

    threads = [threading.Thread(target=accept, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]  # one at a time per chat, whoever came first
