"""Telemetry events and how each one lands in the database.

Every telemetry write of the store is an *event*: an operation name and JSON-able arguments.
It is applied in one transaction, either at once or later from the outbox, and each apply
function is an idempotent upsert where repetition could double-count (one response per
conversation and metric; first claim, first reply and first resolve win).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from cx_telemetry.events.clarifications import clarification_offered, clarification_picked
from cx_telemetry.events.common import Args, real_conversation_id
from cx_telemetry.events.conversations import (
    close_conversation,
    note_fallback,
    note_intent,
    note_turn,
    open_conversation,
)
from cx_telemetry.events.customers import (
    link_customer,
    note_order,
    unlink_customer,
    verification_attempt,
)
from cx_telemetry.events.handoffs import (
    handoff_agent_replied,
    handoff_claimed,
    handoff_requested,
    handoff_resolved,
)
from cx_telemetry.events.surveys import (
    survey_answered,
    survey_asked,
    survey_comment,
    survey_ended,
    survey_not_asked,
)

APPLY: dict[str, Callable[[Session, Args], Any]] = {
    f.__name__: f
    for f in (
        open_conversation,
        note_turn,
        note_intent,
        note_fallback,
        close_conversation,
        survey_asked,
        survey_answered,
        survey_comment,
        survey_ended,
        survey_not_asked,
        handoff_requested,
        handoff_claimed,
        handoff_agent_replied,
        handoff_resolved,
        link_customer,
        unlink_customer,
        note_order,
        verification_attempt,
        clarification_offered,
        clarification_picked,
    )
}


def apply(session: Session, op: str, args: Args) -> Any:
    """Apply event ``op``; an event for an alias id lands on its real conversation."""
    if args.get("cid"):
        args = {**args, "cid": real_conversation_id(session, str(args["cid"]))}
    return APPLY[op](session, args)
