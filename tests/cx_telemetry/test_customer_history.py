"""A customer's previous conversations for the staff card: any channel, the last 30 days, with
outcome and scores; not the one being handed off, not another customer's."""

from __future__ import annotations

from datetime import datetime, timedelta

from cx_telemetry import TelemetryStore
from cx_telemetry.customer_history import previous_conversations

from .conftest import T0

DAY = timedelta(days=1)


def _visit(store: TelemetryStore, chat: str, at: datetime, intent: str) -> str:
    cid = store.open_conversation(channel=chat.split(":")[0], customer_id=chat, at=at)
    store.link_customer(cid, chat, "C1001" if chat != "telegram:9" else "C1009",
                        until=T0 + 60 * DAY, at=at)  # fmt: skip
    store.note_intent(cid, intent, at=at)
    store.close_conversation(cid, at=at + timedelta(minutes=5))
    return cid


def test_the_last_30_days_on_every_channel_newest_first(store: TelemetryStore) -> None:
    now = T0 + 40 * DAY
    _visit(store, "telegram:1", T0, "get_refund")  # 40 days ago: too old
    slack = _visit(store, "slack:D1:U1", now - 5 * DAY, "track_order")
    store.survey_asked(slack, "csat", at=now - 5 * DAY)
    store.survey_answered(slack, "csat", 2, at=now - 5 * DAY)
    _visit(store, "telegram:1", now - DAY, "cancel_order")
    _visit(store, "telegram:9", now - DAY, "cancel_order")  # another customer
    current = _visit(store, "telegram:1", now, "contact_human_agent")

    past = previous_conversations(store, store.customer_key("C1001"), besides=current, now=now)
    assert [(p.channel, p.intent, p.outcome, p.scores) for p in past] == [
        ("telegram", "cancel_order", "contained", {}),
        ("slack", "track_order", "contained", {"csat": 2}),
    ]
    assert past[0].opened_at == now - DAY
