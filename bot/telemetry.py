"""What the gateway records in the CX telemetry store, and its one failure policy: a telemetry
call never breaks a conversation. Every method logs and counts a failure and carries on
(writes are also outboxed by the store itself while its database is down)."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime
from typing import Protocol

from bot.messages import Address
from bot.threads import DbThreads
from cx_telemetry import ConversationInfo

log = logging.getLogger(__name__)


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

    def note_turn(self, cid: str, by: str, at: datetime | None = None) -> None: ...

    def handoff_claimed(self, hid: str, agent: str, at: datetime | None = None) -> None: ...

    def handoff_agent_replied(self, hid: str, at: datetime | None = None) -> None: ...

    def handoff_resolved(
        self,
        hid: str,
        agent: str | None = None,
        outcome: str = "resolved",
        at: datetime | None = None,
    ) -> None: ...

    def get_conversation(self, cid: str) -> ConversationInfo | None: ...

    def pseudonym(self, customer_id: str) -> str: ...


class Telemetry:
    """Best-effort telemetry of the gateway. Construction does no I/O."""

    def __init__(self, store: TelemetryWrites, threads: DbThreads, stats: Counter[str]) -> None:
        self.store = store
        self.threads = threads
        self.stats = stats

    async def open_conversation(self, address: Address, locale: str) -> str | None:
        """The customer's open conversation id (opened if none is), or None on a failure."""
        try:
            return await self.threads.write(
                self.store.open_conversation,
                channel=address.channel,
                customer_id=address.sender_id,
                locale=locale,
            )
        except Exception:
            self._failed("open_conversation")
            return None

    async def note_turn(self, cid: str | None, by: str) -> None:
        if cid is None:
            return
        try:
            await self.threads.write(self.store.note_turn, cid, by=by)
        except Exception:
            self._failed(f"note_turn({by})")

    async def handoff_claimed(self, hid: str, agent: str, at: datetime | None) -> None:
        try:
            await self.threads.write(self.store.handoff_claimed, hid, agent=agent, at=at)
        except Exception:
            self._failed("handoff_claimed")

    async def handoff_agent_replied(self, hid: str, at: datetime) -> None:
        try:
            await self.threads.write(self.store.handoff_agent_replied, hid, at=at)
        except Exception:
            self._failed("handoff_agent_replied")

    async def handoff_resolved(
        self, hid: str, outcome: str, agent: str | None = None, at: datetime | None = None
    ) -> None:
        try:
            await self.threads.write(
                self.store.handoff_resolved, hid, agent=agent, outcome=outcome, at=at
            )
        except Exception:
            self._failed("handoff_resolved")

    async def conversation(self, cid: str) -> ConversationInfo | None:
        """The conversation's state, or None when it is unknown or cannot be read."""
        try:
            return await self.threads.read(self.store.get_conversation, cid)
        except Exception:
            log.warning("could not read conversation %s", cid)
            return None

    async def reachable(self) -> bool:
        """For ``/readyz``: True when the telemetry database answers a read."""
        try:
            await self.threads.read(self.store.get_conversation, "readyz-probe")
        except Exception:
            return False
        return True

    def pseudonym(self, customer_id: str) -> str | None:
        """The customer's pseudonym, as on their conversation rows (None if the key fails)."""
        try:
            return self.store.pseudonym(customer_id)
        except Exception:
            log.exception("no pseudonym for a customer")
            return None

    def _failed(self, what: str) -> None:
        log.exception("telemetry %s failed", what)
        self.stats["telemetry_failed"] += 1
