"""Clarification events: topics offered when the assistant was unsure, and the one picked."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cx_telemetry.events.common import Args, as_time, from_conversation, insert_for
from cx_telemetry.models import Clarification, Conversation

SOMETHING_ELSE = "something_else"  # the "Something else" button: none of the offered topics


def clarification_offered(s: Session, a: Args) -> None:
    conv = s.get(Conversation, a["cid"])
    copied = from_conversation(conv)
    s.execute(
        insert_for(s, Clarification).values(
            conversation_id=a["cid"],
            channel=copied["channel"],
            model_version=copied["model_version"],
            synthetic=copied["synthetic"],
            asked_at=as_time(a["at"]),
            text=a.get("text"),
            offered=list(a["offered"]),
            confidences=list(a["confidences"]),
        )
    )
    s.execute(
        update(Conversation)
        .where(Conversation.id == a["cid"])
        .values(clarification_count=Conversation.clarification_count + 1)
    )


def clarification_picked(s: Session, a: Args) -> None:
    """The conversation's latest offer, if nothing was picked from it yet, gets ``intent`` when
    it was one of the offered topics (or ``something_else``); anything else changes nothing."""
    latest = s.scalar(
        select(Clarification)
        .where(Clarification.conversation_id == a["cid"])
        .order_by(Clarification.asked_at.desc(), Clarification.id.desc())
        .limit(1)
        .with_for_update()
    )
    if latest is None or latest.picked is not None:
        return
    if a["intent"] in latest.offered or a["intent"] == SOMETHING_ELSE:
        latest.picked, latest.picked_at = a["intent"], as_time(a["at"])
