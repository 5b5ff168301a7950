"""Typed values and texts of the human handoff, shared by the router (``bot/handoff.py``) and
the staff desk adapter (``bot/channels/slack_staff.py``): the request ``action_handoff`` puts
in its reply, what staff do (messages, card buttons), the staff-desk protocol, and what the
customer is told. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from bot.messages import Address, BotReply, Button
from cx_telemetry.handoff_state import Case

TIMEOUT_KIND = "handoff_timeout"  # durable timer, one per handoff (conversation_id = its id)
RESOLVED_INTENT = "EXTERNAL_handoff_resolved"
CANCEL_PAYLOAD = "/handoff_cancel"  # the "Never mind" button of action_handoff
CANCEL_WORDS = frozenset(
    {
        CANCEL_PAYLOAD,
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
INTERNAL_NOTE = "//"

BACK_BUTTON = Button(title="Back to the assistant", payload=CANCEL_PAYLOAD)
CANCELLED_TEXT = "No problem, you're back with the assistant. What can I help you with?"
NO_CASE_TEXT = "You're talking with the assistant. What can I help you with?"
JOINED_TEXT = "{name} from our support team has joined the chat."
CLOSED_TEXT = "{name} from our support team has closed this chat. Thank you for your patience!"
RETURNED_TEXT = (
    "{name} has handed you back to the assistant. Is there anything else I can help with?"
)
TIMEOUT_TEXT = (
    "Sorry, everyone on our team is still busy. You can leave your message here together with "
    "an e-mail address, and we'll get back to you by e-mail. Or carry on with the assistant."
)
FAILED_TEXT = (
    "Sorry, I can't reach our support team right now. You're back with the assistant; "
    "please ask for a person again in a few minutes."
)
ENGINE_DOWN_TEXT = "The assistant is not reachable right now; nothing was changed. Try again."


@dataclass(frozen=True)
class HandoffRequest:
    """The custom payload ``action_handoff`` adds to its reply."""

    handoff_id: str
    conversation_id: str | None
    reason: str | None
    position: int | None


def handoff_request(reply: BotReply) -> HandoffRequest | None:
    """The handoff request carried by an engine reply, if it is one."""
    data = (reply.custom or {}).get("handoff")
    if not isinstance(data, Mapping) or not data.get("id"):
        return None
    position = data.get("position")
    return HandoffRequest(
        handoff_id=str(data["id"]),
        conversation_id=str(data["conversation_id"]) if data.get("conversation_id") else None,
        reason=str(data["reason"]) if data.get("reason") else None,
        position=position if isinstance(position, int) else None,
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
    """A card button: ``claim`` | ``resolve`` | ``return`` | ``dismiss``; ``confirmed`` when
    the second step of a Resolve/Return on someone else's case was pressed."""

    kind: str
    handoff_id: str
    user_id: str
    delivery_key: str
    confirmed: bool = False


class StaffDesk(Protocol):
    """What the staff side (Slack) offers the router; implemented in ``bot/channels``."""

    channel: str

    async def post_card(self, case: Case) -> str:
        """Post the case's card in the staff channel; returns its ts (the thread)."""

    async def update_card(self, case: Case) -> None: ...

    async def post_in_thread(self, case: Case, text: str) -> None: ...

    async def tell(self, case: Case, user_id: str, text: str) -> None:
        """A message only ``user_id`` sees (ephemeral)."""

    async def ask_confirmation(self, case: Case, user_id: str, kind: str) -> None: ...

    async def agent_name(self, user_id: str) -> str: ...

    async def customer_name(self, address: Address) -> str | None: ...


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
            if intent and not str(intent).startswith("EXTERNAL_") and intent not in intents:
                intents.append(str(intent))
            if text and not text.startswith("/EXTERNAL_"):
                lines.append(f"Customer: {text}")
        elif kind == "bot" and event.get("text"):
            lines.append(f"Bot: {event['text']}")
    return lines[-TRANSCRIPT_TURNS:], intents
