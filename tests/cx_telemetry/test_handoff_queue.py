"""The queue figures a customer is told when they ask for a person (``handoffs`` telemetry)."""

from __future__ import annotations

from datetime import timedelta

from contract import utcnow
from cx_telemetry import TelemetryStore
from cx_telemetry.handoff_queue import DEFAULT_WAIT, queue_snapshot


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
