"""Who is asking, for the staff card of a handoff (issue #13): when the chat is verified for a
shop customer, ``action_handoff`` sends the gateway their first name, since when they are a
customer, their order count and newest orders (from the shop) and their conversations of the
last 30 days on any channel with outcome and scores (from telemetry, by customer key). The
gateway may not read the shop or the verification database (tests/test_architecture.py), so
this travels in the handoff request. Nothing personal for an unverified chat."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker

from actions.backend import BackendError
from actions.context import backend, chat_of, telemetry, verification
from actions.identity import blocking
from cx_telemetry import best_effort
from cx_telemetry.customer_history import previous_conversations

logger = logging.getLogger(__name__)
RECENT_ORDERS = 5


async def who_is_asking(tracker: Tracker, cid: str | None) -> dict[str, Any]:
    """The handoff request's ``customer``: the verified shop customer, null when the chat is
    not verified, and left out (the card then says it is not known) when that can't be told;
    a handoff never fails for it."""
    try:
        customer = await blocking(verification().linked_customer, chat_of(tracker))
    except Exception:
        logger.exception("could not tell whether chat %s is verified", tracker.sender_id[:12])
        return {}
    if customer is None:
        return {"customer": None}
    try:
        orders = await blocking(backend().orders_of_customer, customer.customer_id)
    except BackendError:
        logger.exception("orders of a verified customer not read for the staff card")
        orders = []
    store = telemetry()
    key = store.customer_key(customer.customer_id)
    past = await blocking(best_effort, "customer history", previous_conversations, store, key, cid)
    return {
        "customer": {
            "first_name": customer.first_name,
            "since": customer.created_on.isoformat(),
            "orders": len(orders),
            "recent_orders": [
                {"id": o.order_id, "status": o.status.value} for o in orders[:RECENT_ORDERS]
            ],
            "history": [
                {
                    "channel": p.channel,
                    "opened_at": p.opened_at.isoformat(),
                    "intent": p.intent,
                    "outcome": p.outcome,
                    "scores": p.scores,
                }
                for p in past or ()
            ],
        }
    }
