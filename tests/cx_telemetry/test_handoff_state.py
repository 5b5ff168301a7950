"""Staff-desk state: one open case per customer, single-winner transitions, queue figures
(on every backend the suite runs: SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cx_telemetry import TelemetryStore
from cx_telemetry.handoff_queue import DEFAULT_WAIT, queue_snapshot
from cx_telemetry.handoff_state import HandoffDesk
from cx_telemetry.store_core import utcnow

ADDRESS = {"channel": "telegram", "chat_id": "42", "user_id": "7"}


def _open(desk: HandoffDesk, hid: str, sender: str = "telegram:42"):  # type: ignore[no-untyped-def]
    return desk.open_case(hid, sender_id=sender, channel="telegram", address=ADDRESS, reason="complaint",
                          intents=["complaint"], transcript=["Customer: hi"])  # fmt: skip


def test_one_open_case_per_customer(store: TelemetryStore) -> None:
    desk = HandoffDesk(store)
    first = _open(desk, "a" * 32)
    assert first.won and first.case is not None and first.case.status == "waiting"
    again = _open(desk, "b" * 32)  # escalating again while open: the same case
    assert not again.won and again.case is not None and again.case.handoff_id == "a" * 32
    assert desk.open_case_for("telegram:42").handoff_id == "a" * 32  # type: ignore[union-attr]
    other = _open(desk, "c" * 32, sender="telegram:43")
    assert other.won
    desk.close("a" * 32, "cancelled")
    assert desk.open_case_for("telegram:42") is None
    assert _open(desk, "d" * 32).won  # a new case after the old one closed


def test_transitions_have_one_winner_and_are_audited(store: TelemetryStore) -> None:
    desk = HandoffDesk(store)
    hid = "e" * 32
    _open(desk, hid)
    desk.set_card(hid, "CSTAFF", "171.0001")
    assert desk.case_for_thread("CSTAFF", "171.0001").handoff_id == hid  # type: ignore[union-attr]
    assert desk.offer_follow_up(hid).won
    assert not desk.offer_follow_up(hid).won
    assert desk.claim(hid, "UANA", "Ana (UANA)").won
    assert not desk.claim(hid, "UBO", "Bo (UBO)").won
    assert not desk.offer_follow_up(hid).won  # claimed: no follow-up offer any more
    desk.log_action(hid, "resolve_confirm", "UBO", "Bo (UBO)")
    closed = desk.close(hid, "resolved", "UBO", "Bo (UBO)")
    assert closed.won and closed.case is not None and closed.case.closed_by == "UBO"
    assert closed.case.agent == "Ana (UANA)"
    assert not desk.close(hid, "returned", "UANA").won
    assert [(a, u) for a, u, _ in desk.actions(hid)] == [
        ("requested", None), ("timeout", None), ("claim", "UANA"),
        ("resolve_confirm", "UBO"), ("resolve", "UBO"),
    ]  # fmt: skip
    with pytest.raises(ValueError):
        desk.close(hid, "exploded")


def test_queue_snapshot(store: TelemetryStore) -> None:
    now = utcnow()
    cid = store.open_conversation(channel="telegram", customer_id="telegram:1")
    hid = store.handoff_requested(cid, at=now)
    empty = queue_snapshot(store, hid, now=now)
    assert empty.position == 1 and empty.usual_wait == DEFAULT_WAIT and empty.samples == 0

    for i, wait in enumerate((60, 120, 600)):
        c = store.open_conversation(channel="telegram", customer_id=f"telegram:{100 + i}")
        h = store.handoff_requested(c, at=now - timedelta(days=1))
        store.handoff_claimed(h, agent="Ana", at=now - timedelta(days=1) + timedelta(seconds=wait))
    old = store.open_conversation(channel="telegram", customer_id="telegram:200")
    h = store.handoff_requested(old, at=now - timedelta(days=30))  # outside both windows
    store.handoff_claimed(h, agent="Ana", at=now - timedelta(days=30) + timedelta(hours=5))
    stale = store.open_conversation(channel="telegram", customer_id="telegram:201")
    store.handoff_requested(stale, at=now - timedelta(days=3))  # unclaimed for days: not in line
    ahead = store.open_conversation(channel="telegram", customer_id="telegram:202")
    store.handoff_requested(ahead, at=now - timedelta(minutes=1))

    snap = queue_snapshot(store, hid, now=now)
    assert snap.position == 2
    assert snap.usual_wait == timedelta(seconds=120) and snap.samples == 3
