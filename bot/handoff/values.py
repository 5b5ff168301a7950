"""Typed values of the human handoff, shared by the desk and the staff-desk adapters: the
request ``action_handoff`` puts in its reply, what staff do (messages, card buttons), how
agents are named, and the transcript for the card. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.handoff.customer import Identity, identity_of_request
from bot.messages import BotReply
from contract import EXTERNAL_INTENT_PREFIX, HANDOFF_CANCEL_PAYLOAD, HANDOFF_CUSTOM_KEY

CANCEL_WORDS = frozenset(
    {
        HANDOFF_CANCEL_PAYLOAD,
        "never mind",
        "nevermind",
        "cancel",
        "stop",
        "forget it",
        "back to the bot",
        "back to the assistant",
        "talk to the bot",
        "no thanks",
    }
)
TRANSCRIPT_TURNS = 20
INTERNAL_NOTE = "//"  # a staff message starting with this is a note, not sent to the customer


@dataclass(frozen=True)
class Case:
    """One handoff as the staff desk and the gateway see it (``bot.handoff.cases`` keeps it)."""

    handoff_id: str
    conversation_id: str | None
    sender_id: str
    channel: str
    address: dict[str, Any]
    customer: str | None
    customer_name: str | None
    reason: str | None
    intents: tuple[str, ...]
    transcript: tuple[str, ...]
    status: str
    requested_at: datetime
    claimed_at: datetime | None
    claimed_by: str | None
    agent: str | None
    closed_at: datetime | None
    closed_by: str | None
    follow_up_offered: bool
    staff_channel: str | None
    card_ts: str | None
    contact_email: str | None = None  # left by the customer after the follow-up offer
    no_survey: bool = False  # staff marked it: no survey for the customer after this case
    identity: Identity = None  # verified for a shop customer, not verified, or not known

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


@dataclass(frozen=True)
class Transition:
    """The result of a claim or close: the case afterwards and whether this caller made it."""

    case: Case | None
    won: bool


@dataclass(frozen=True)
class HandoffRequest:
    """The custom payload ``action_handoff`` adds to its reply."""

    handoff_id: str
    conversation_id: str | None
    reason: str | None
    identity: Identity = None


def handoff_request(reply: BotReply) -> HandoffRequest | None:
    """The handoff request carried by an engine reply, if it is one."""
    data = (reply.custom or {}).get(HANDOFF_CUSTOM_KEY)
    if not isinstance(data, Mapping) or not data.get("id"):
        return None
    return HandoffRequest(
        handoff_id=str(data["id"]),
        conversation_id=str(data["conversation_id"]) if data.get("conversation_id") else None,
        reason=str(data["reason"]) if data.get("reason") else None,
        identity=identity_of_request(data),
    )


def is_cancel(text: str) -> bool:
    return " ".join(text.lower().split()).strip(" .!") in CANCEL_WORDS


_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def contact_email_in(text: str) -> str | None:
    """The last e-mail address in a customer's message (they may correct themselves)."""
    found = _EMAIL.findall(text)
    return found[-1][:254] if found else None


@dataclass(frozen=True)
class StaffMessage:
    """A human's message in a staff thread (``thread_ts`` = the card's ts)."""

    staff_channel: str
    thread_ts: str
    user_id: str
    text: str
    delivery_key: str


@dataclass(frozen=True)
class StaffAction:
    """A card button: ``claim`` | ``resolve`` | ``return`` | ``dismiss`` | ``no_survey``;
    ``confirmed`` when
    the second step of a Resolve/Return on someone else's case was pressed."""

    kind: str
    handoff_id: str
    user_id: str
    delivery_key: str
    confirmed: bool = False


def agent_label(name: str, user_id: str) -> str:
    """How an agent is recorded in telemetry and surveys: ``"Ana (U123)"``."""
    return f"{name} ({user_id})"


def agent_display(agent: str | None) -> str:
    """``"Ana (U123)"`` -> ``"Ana"``."""
    return (agent or "").rsplit(" (", 1)[0] or "Our team"


def transcript_of(tracker: Any) -> tuple[list[str], list[str]]:
    """``(lines, intents)`` from a Rasa tracker: the last 20 customer/bot turns and the
    customer's intents in order of first appearance (EXTERNAL_ ones left out)."""
    events = tracker.get("events") if isinstance(tracker, Mapping) else None
    lines: list[str] = []
    intents: list[str] = []
    for event in events or ():
        if not isinstance(event, Mapping):
            continue
        kind = event.get("event")
        if kind == "user":
            text = str(event.get("text") or "")
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            external = str(intent).startswith(EXTERNAL_INTENT_PREFIX)
            if intent and not external and intent not in intents:
                intents.append(str(intent))
            if text and not text.startswith("/" + EXTERNAL_INTENT_PREFIX):
                lines.append(f"Customer: {text}")
        elif kind == "bot" and event.get("text"):
            lines.append(f"Bot: {event['text']}")
    return lines[-TRANSCRIPT_TURNS:], intents
