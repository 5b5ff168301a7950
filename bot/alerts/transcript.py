"""The recent transcript shown on an alert card, redacted.

The conversation's own transcript as telemetry keeps it (redacted when it was stored,
:class:`StoredTranscripts`); for a conversation without one (from before transcripts were kept,
or past their retention) the customer's last turns from the engine's tracker, redacted as
comments are (``cx_telemetry.privacy.redact``). A card without either still goes out."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from bot.engine_client import EngineClient
from bot.errors import EngineError
from bot.handoff.values import transcript_of
from bot.threads import DbThreads
from contract import parse_survey_payload
from cx_telemetry.privacy import redact

log = logging.getLogger(__name__)
TURNS = 12  # the newest turns; the card has room for about this many


class TranscriptSource(Protocol):
    async def recent(self, conversation_id: str, sender_id: str | None) -> list[str]:
        """The newest redacted turns ("Customer: ...", "Bot: ..."); empty when unknown."""


@dataclass(eq=False)
class EngineTranscripts:
    engine: EngineClient

    async def recent(self, conversation_id: str, sender_id: str | None) -> list[str]:
        if sender_id is None:
            return []
        try:
            tracker = await self.engine.tracker(sender_id)
        except EngineError as exc:
            log.info("no transcript for a detractor alert: %s", exc)
            return []
        lines, _ = transcript_of(tracker)
        return [readable(line) for line in lines[-TURNS:]]


class TranscriptReads(Protocol):
    """The part of ``cx_telemetry.TelemetryStore`` that reads transcripts."""

    def transcript(self, cid: str, last: int | None = None) -> list[tuple[str, str]]: ...


@dataclass(eq=False)
class StoredTranscripts:
    """Telemetry's stored transcript, else ``fallback`` (the engine's tracker)."""

    store: TranscriptReads
    threads: DbThreads
    fallback: TranscriptSource

    async def recent(self, conversation_id: str, sender_id: str | None) -> list[str]:
        try:
            turns = await self.threads.read(self.store.transcript, conversation_id, TURNS)
        except Exception as exc:  # the card goes out anyway
            log.info("no stored transcript for a detractor alert: %s", exc)
            turns = []
        if not turns:
            return await self.fallback.recent(conversation_id, sender_id)
        return [f"{by.capitalize()}: {text}" for by, text in turns]


def readable(line: str) -> str:
    """A transcript line as a CX lead reads it: redacted, a survey tap named as one."""
    who, _, text = line.partition(": ")
    tap = parse_survey_payload(text) if who == "Customer" else None
    if tap is not None:
        return f"Customer: (tapped {tap[0].upper()} {tap[1]})"
    return redact(line)
