"""Human handoff, plumbing shared by the customer and staff halves of the router.

:class:`HandoffBase` holds the router's collaborators (gateway, case desk, staff desk) and the
calls that must never break a handoff: staff desk posts, engine resume and transcript, display
names and telemetry writes. Each one logs and carries on when its service fails.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from bot.errors import EngineError
from bot.handoff_values import TIMEOUT_KIND, StaffDesk, transcript_of
from bot.messages import Address
from cx_telemetry.handoff_state import Case, HandoffDesk

if TYPE_CHECKING:
    from bot.gateway import Gateway

log = logging.getLogger(__name__)
T = TypeVar("T")


class HandoffBase:
    """Collaborators and fail-safe helpers of the handoff router. Construction does no I/O."""

    def __init__(
        self,
        gateway: Gateway,
        desk: HandoffDesk,
        staff: StaffDesk | None,
        timeout: timedelta = timedelta(minutes=10),
    ) -> None:
        self.gateway = gateway
        self.desk = desk
        self.staff = staff
        self.timeout = timeout
        # The per-message lookup reads on its own threads: a read-only transaction does not
        # wait for the gateway's (single, on SQLite) database writer thread.
        self._reads: ThreadPoolExecutor | None = None

    def close(self) -> None:
        if self._reads is not None:
            self._reads.shutdown(wait=False)

    async def _read(self, fn: Callable[..., T], *args: Any) -> T:
        if self._reads is None:
            self._reads = ThreadPoolExecutor(max_workers=4, thread_name_prefix="handoff-read")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._reads, functools.partial(fn, *args))

    # -- helpers -----------------------------------------------------------------------------

    async def _after_close(self, case: Case, note: str) -> None:
        gw = self.gateway
        await gw.db(gw.store.cancel_timer, kind=TIMEOUT_KIND, conversation_id=case.handoff_id)
        await self._card(case)
        await self._thread(case, note)

    async def _closed_telemetry(self, case: Case, outcome: str, agent: str | None) -> None:
        await self._telemetry(
            "handoff_resolved", case.handoff_id, agent=agent, outcome=outcome, at=case.closed_at
        )

    async def _schedule_idle(self, case: Case) -> None:
        from bot.gateway import IDLE_KIND

        gw = self.gateway
        if case.conversation_id is None:
            return
        try:
            await gw.db(
                gw.store.schedule_timer,
                kind=IDLE_KIND,
                conversation_id=case.conversation_id,
                due_at=gw.clock() + gw.settings.idle_timeout,
                payload={"address": case.address, "conversation_id": case.conversation_id},
            )
        except Exception:
            log.exception("could not schedule the idle timer after a handoff")

    async def _resume(self, case: Case) -> bool:
        return await self._resume_sender(case.sender_id)

    async def _resume_sender(self, sender_id: str) -> bool:
        """Un-pause the engine's conversation (``ConversationPaused`` by action_handoff)."""
        try:
            await self.gateway.rasa.resume(sender_id)
        except EngineError as exc:
            log.error("could not resume %s: %s", sender_id, exc)
            return False
        return True

    async def _transcript(self, sender_id: str) -> tuple[list[str], list[str]]:
        """The last 20 turns (``"Customer: ..."`` / ``"Bot: ..."``) and intents so far, from the
        engine's tracker. Empty when the engine does not answer: the card goes out anyway."""
        try:
            data = await self.gateway.rasa.tracker(sender_id)
        except EngineError as exc:
            log.warning("no transcript for the staff card: %s", exc)
            return [], []
        return transcript_of(data)

    def _pseudonym(self, customer_id: str) -> str | None:
        pseudonym = getattr(self.gateway.store, "pseudonym", None)
        try:
            return str(pseudonym(customer_id)) if pseudonym else None
        except Exception:
            return None

    async def _customer_name(self, address: Address) -> str | None:
        """The customer's display name where the platform gives one: the staff desk knows
        Slack users; other channels may offer ``display_name(address)`` on their adapter."""
        try:
            if self.staff is not None:
                name = await self.staff.customer_name(address)
                if name:
                    return name
            lookup = getattr(self.gateway.outbounds.get(address.channel), "display_name", None)
            return await lookup(address) if lookup is not None else None
        except Exception:
            log.warning("no display name for a %s customer", address.channel)
            return None

    async def _agent_name(self, user_id: str) -> str:
        if self.staff is None:
            return user_id
        try:
            return await self.staff.agent_name(user_id)
        except Exception:
            log.warning("no name for staff user %s", user_id)
            return user_id

    async def _card(self, case: Case) -> None:
        if self.staff is None or not case.card_ts:
            return
        try:
            await self.staff.update_card(case)
        except Exception:
            log.exception("could not update the card of handoff %s", case.handoff_id)

    async def _thread(self, case: Case, text: str) -> None:
        if self.staff is None or not case.card_ts:
            return
        try:
            await self.staff.post_in_thread(case, text)
        except Exception:
            log.exception("could not post in the thread of handoff %s", case.handoff_id)

    async def _tell(self, case: Case, user_id: str, text: str) -> None:
        if self.staff is None:
            return
        try:
            await self.staff.tell(case, user_id, text)
        except Exception:
            log.exception("could not answer staff user %s", user_id)

    async def _telemetry(self, method: str, *args: Any, **kwargs: Any) -> None:
        """Telemetry writes never break the handoff (they are outboxed on an outage)."""
        if args and args[0] is None:
            return
        try:
            await self.gateway.db(getattr(self.gateway.store, method), *args, **kwargs)
        except Exception:
            log.exception("telemetry %s failed", method)
