"""The staff side as the handoff desk sees it: :class:`StaffDesk` is what a staff-desk adapter
offers (Slack, ``bot/channels/slack/staff_desk.py``; the terminal, ``bot/channels/terminal``);
:class:`StaffNotices` is how the desk uses it, with one failure policy: a notice to staff never
breaks the handoff.

Every text handed to a desk is plain text, never a platform's markup: the adapter renders it
(and escapes what the customer wrote) for its own platform."""

from __future__ import annotations

import logging
from typing import Protocol

from bot.handoff.values import Case

log = logging.getLogger(__name__)


class StaffDesk(Protocol):
    """Cards and threads in the staff channel, and the names of the people involved."""

    @property
    def channel(self) -> str: ...

    async def post_card(self, case: Case) -> str:
        """Post the case's card in the staff channel; returns its ts (the thread)."""

    async def update_card(self, case: Case) -> None: ...

    async def post_note(self, case: Case, text: str) -> None:
        """A note of ours in the case's thread ("Claimed by Ana.")."""

    async def post_customer_text(self, case: Case, text: str) -> None:
        """What the customer wrote, relayed to the case's thread exactly as written."""

    async def tell(self, case: Case, user_id: str, text: str) -> None:
        """A message only ``user_id`` sees (ephemeral)."""

    async def ask_confirmation(self, case: Case, user_id: str, kind: str) -> None: ...

    async def agent_name(self, user_id: str) -> str: ...


class StaffNotices:
    """The staff desk, or none (no staff channel configured). Every call but
    :meth:`post_card` logs a failure and carries on."""

    def __init__(self, desk: StaffDesk | None) -> None:
        self.desk = desk

    @property
    def configured(self) -> bool:
        return self.desk is not None

    async def post_card(self, case: Case) -> tuple[str, str]:
        """Post the card: ``(staff channel, ts)``. Raises when it cannot: without a card no
        one on staff can see the case."""
        if self.desk is None:
            raise LookupError("no staff desk is configured")
        return self.desk.channel, await self.desk.post_card(case)

    async def card(self, case: Case) -> None:
        if self.desk is None or not case.card_ts:
            return
        try:
            await self.desk.update_card(case)
        except Exception:
            log.exception("could not update the card of handoff %s", case.handoff_id)

    async def thread(self, case: Case, note: str) -> None:
        """A note of ours in the case's thread."""
        if self.desk is None or not case.card_ts:
            return
        try:
            await self.desk.post_note(case, note)
        except Exception:
            log.exception("could not post in the thread of handoff %s", case.handoff_id)

    async def customer_said(self, case: Case, text: str) -> None:
        if self.desk is None or not case.card_ts:
            return
        try:
            await self.desk.post_customer_text(case, text)
        except Exception:
            log.exception("could not relay a customer message of handoff %s", case.handoff_id)

    async def tell(self, case: Case, user_id: str, text: str) -> None:
        if self.desk is None:
            return
        try:
            await self.desk.tell(case, user_id, text)
        except Exception:
            log.exception("could not answer staff user %s", user_id)

    async def ask_confirmation(self, case: Case, user_id: str, kind: str) -> None:
        if self.desk is None:
            return
        try:
            await self.desk.ask_confirmation(case, user_id, kind)
        except Exception:
            log.exception("could not ask staff user %s to confirm", user_id)

    async def agent_name(self, user_id: str) -> str:
        if self.desk is None:
            return user_id
        try:
            return await self.desk.agent_name(user_id)
        except Exception:
            log.warning("no name for staff user %s", user_id)
            return user_id
