"""The handoff desk's :class:`bot.handoff.staff_desk.StaffDesk` in a terminal: no cards and no
threads, so a case's card is its row and its thread is the case's transcript, which the terminal
desk (``python -m bot staff``) reads. Both processes use it: the chat's to add what the customer
writes, the desk's to answer the person at the keyboard."""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from bot.handoff.cases import CaseRepository
from bot.handoff.values import Case, agent_display

DESK = "terminal"


class TerminalDesk:
    def __init__(self, cases: CaseRepository, out: TextIO | None = None) -> None:
        self.cases = cases
        self.out = out or sys.stdout

    @property
    def channel(self) -> str:
        return DESK

    async def post_card(self, case: Case) -> str:
        return f"{DESK}:{case.handoff_id}"  # the desk lists open cases from their rows

    async def update_card(self, case: Case) -> None:
        return None  # the desk reads the row again

    async def post_note(self, case: Case, text: str) -> None:
        await asyncio.to_thread(self.cases.append_line, case.handoff_id, f"Desk: {text}")

    async def post_customer_text(self, case: Case, text: str) -> None:
        await asyncio.to_thread(self.cases.append_line, case.handoff_id, f"Customer: {text}")

    async def tell(self, case: Case, user_id: str, text: str) -> None:
        print(f"desk> {text}", file=self.out, flush=True)

    async def ask_confirmation(self, case: Case, user_id: str, kind: str) -> None:
        verb = "resolve" if kind == "resolve" else "return"
        print(
            f"desk> {agent_display(case.agent)} claimed this case. "
            f"Type '{verb}!' to {verb} it anyway.",
            file=self.out,
            flush=True,
        )

    async def agent_name(self, user_id: str) -> str:
        return user_id  # the name the person at the keyboard gave
