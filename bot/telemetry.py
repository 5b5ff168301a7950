"""What the gateway records in the CX telemetry store. Telemetry never breaks a conversation:
one policy, ``cx_telemetry.best_effort``, for every call."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.messages import Address, BotReply
from bot.threads import DbThreads
from contract import parse_survey_payload
from cx_telemetry import ConversationInfo, best_effort


class TelemetryWrites(Protocol):
    """The part of ``cx_telemetry.TelemetryStore`` the gateway uses (docs/CONTRACT.md)."""

    def open_conversation(
        self,
        channel: str,
        customer_id: str,
        at: datetime | None = None,
        locale: str | None = None,
        model_version: str | None = None,
    ) -> str: ...

    def note_turn(
        self, cid: str, by: str, at: datetime | None = None, text: str | None = None
    ) -> None: ...

    def handoff_claimed(self, hid: str, agent: str, at: datetime | None = None) -> None: ...

    def handoff_agent_replied(self, hid: str, at: datetime | None = None) -> None: ...

    def handoff_resolved(
        self,
        hid: str,
        agent: str | None = None,
        outcome: str = "resolved",
        at: datetime | None = None,
    ) -> None: ...

    def survey_not_asked(self, cid: str, reason: str) -> None: ...

    def get_conversation(self, cid: str) -> ConversationInfo | None: ...

    def asked_survey(self, channel: str, customer_id: str, metric: str) -> str | None: ...

    def survey_answered(
        self, cid: str, metric: str = "csat", score: int = 0, at: datetime | None = None
    ) -> None: ...

    def pseudonym(self, customer_id: str) -> str: ...


class Telemetry:
    """The gateway's telemetry, every call through ``cx_telemetry.best_effort`` (logged, never
    raised) on the database threads. Construction does no I/O."""

    def __init__(self, store: TelemetryWrites, threads: DbThreads) -> None:
        self.store = store
        self.threads = threads

    async def open_conversation(self, address: Address, locale: str) -> str | None:
        """The customer's open conversation id (opened if none is), or None on a failure."""
        return await self.threads.write(
            best_effort,
            "open_conversation",
            self.store.open_conversation,
            channel=address.channel,
            customer_id=address.sender_id,
            locale=locale,
        )

    async def note_turn(self, cid: str | None, by: str, said: str | None = None) -> None:
        """Count a turn; ``said`` (what was written, or ``replies_text``) goes to the
        conversation's transcript, redacted by the store."""
        if cid is not None:
            await self.threads.write(
                best_effort, "note_turn", self.store.note_turn, cid, by=by, text=said
            )

    async def handoff_claimed(self, hid: str, agent: str, at: datetime | None) -> None:
        await self.threads.write(
            best_effort, "handoff_claimed", self.store.handoff_claimed, hid, agent=agent, at=at
        )

    async def handoff_agent_replied(self, hid: str, at: datetime) -> None:
        await self.threads.write(
            best_effort, "handoff_agent_replied", self.store.handoff_agent_replied, hid, at=at
        )

    async def handoff_resolved(
        self, hid: str, outcome: str, agent: str | None = None, at: datetime | None = None
    ) -> None:
        await self.threads.write(
            best_effort,
            "handoff_resolved",
            self.store.handoff_resolved,
            hid,
            agent=agent,
            outcome=outcome,
            at=at,
        )

    async def no_survey(self, cid: str | None) -> None:
        """Staff marked the case "No survey": the conversation is not surveyed."""
        if cid is not None:
            await self.threads.write(
                best_effort, "survey not asked", self.store.survey_not_asked, cid, "staff"
            )

    async def conversation(self, cid: str) -> ConversationInfo | None:
        """The conversation's state, or None when it is unknown or cannot be read."""
        return await self.threads.read(
            best_effort, "conversation lookup", self.store.get_conversation, cid
        )

    async def asked_survey(self, address: Address, metric: str) -> str | None:
        """The open conversation waiting for this customer's ``metric`` answer, or None."""
        return await self.threads.read(
            best_effort,
            "asked survey lookup",
            self.store.asked_survey,
            address.channel,
            address.sender_id,
            metric,
        )

    async def survey_answered(self, cid: str, metric: str, score: int) -> None:
        await self.threads.write(
            best_effort, "survey_answered", self.store.survey_answered, cid, metric, score
        )

    async def reachable(self) -> bool:
        """For ``/readyz``: True when the telemetry database answers a read."""
        try:
            await self.threads.read(self.store.get_conversation, "readyz-probe")
        except Exception:
            return False
        return True

    def pseudonym(self, customer_id: str) -> str | None:
        """The customer's pseudonym, as on their conversation rows (None if the key fails)."""
        return best_effort("pseudonym", self.store.pseudonym, customer_id)


def customer_text(text: str) -> str:
    """The customer's turn as the transcript keeps it: a survey tap named as one."""
    tap = parse_survey_payload(text)
    return f"(tapped {tap[0].upper()} {tap[1]})" if tap is not None else text


def replies_text(replies: Sequence[BotReply]) -> str:
    """The bot's turn as the transcript keeps it: each message's text, its buttons in
    brackets."""
    lines = []
    for reply in replies:
        line = reply.text or ""
        if reply.buttons:
            line += (" " if line else "") + "[" + " | ".join(b.title for b in reply.buttons) + "]"
        if line:
            lines.append(line)
    return "\n".join(lines)
