"""`python -m bot staff` (`make staff`): the handoff desk in a terminal, for trying a handoff
without Slack. It works through the same desk code as the Slack staff desk
(:class:`bot.handoff.staff.StaffSide`): list the open cases, open one, claim it, reply, add a
note, resolve it or return it to the assistant. New cases and what the customer writes appear as
they come."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TextIO

from bot.channels.console.staff_desk import DESK
from bot.handoff.cases import CaseRepository
from bot.handoff.customer import describe
from bot.handoff.staff import StaffSide
from bot.handoff.values import Case, StaffAction, StaffMessage

HELP = """Commands:
  list               the open cases          open N         follow case N
  claim              take the open case      note TEXT      an internal note
  resolve            close it (the customer gets the survey)
  return             hand the customer back to the assistant
  nosurvey           no survey for the customer after this case
  help, quit         (add ! to resolve or return a case someone else claimed)
Anything else you type is your reply to the customer of the open case."""


class StaffConsole:
    """The person at the keyboard is ``agent``; ``poll_seconds`` is how often the desk looks for
    new cases and new lines."""

    def __init__(
        self,
        cases: CaseRepository,
        staff: StaffSide,
        agent: str,
        clock: Callable[[], datetime],
        out: TextIO | None = None,
        poll_seconds: float = 1.0,
    ) -> None:
        self.cases = cases
        self.staff = staff
        self.agent = agent
        self.clock = clock
        self.out = out or sys.stdout
        self.poll_seconds = poll_seconds
        self.listed: list[str] = []  # handoff ids, in the order last listed
        self.current: str | None = None
        self.seen: dict[str, tuple[str, int]] = {}  # handoff id -> (status, lines shown)

    async def run(self, lines: TextIO | None = None) -> None:
        """Read commands until EOF (Ctrl-D) or ``quit``."""
        source = lines or sys.stdin
        self._print(f"Terminal staff desk. You are {self.agent}.\n{HELP}")
        await self.command("list")
        watcher = asyncio.create_task(self._watch())
        try:
            while True:
                line = await asyncio.to_thread(source.readline)
                if not line or line.strip() in ("quit", "exit"):
                    return
                await self.command(line.strip())
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)

    async def command(self, line: str) -> None:
        word, _, rest = line.partition(" ")
        if not line:
            return
        if word in ("list", "ls"):
            await self._list()
        elif word == "open":
            await self._open(rest.strip())
        elif word == "help":
            self._print(HELP)
        elif word in ("claim", "resolve", "return", "resolve!", "return!"):
            await self._act(word.rstrip("!"), confirmed=word.endswith("!"))
        elif word == "nosurvey":
            await self._act("no_survey", confirmed=False)
        elif word == "note":
            await self._note(rest.strip())
        else:
            await self._reply(line)

    # -- commands --------------------------------------------------------------------------
    async def _list(self) -> None:
        cases = await asyncio.to_thread(self.cases.open_cases)
        self.listed = [c.handoff_id for c in cases]
        if not cases:
            self._print("No open cases.")
        for n, case in enumerate(cases, start=1):
            self._print(f"{n}. {self._summary(case)}")

    async def _open(self, which: str) -> None:
        if not which.isdigit() or not 1 <= int(which) <= len(self.listed):
            self._print("Which case? Type 'list', then 'open N'.")
            return
        self.current = self.listed[int(which) - 1]
        case = await asyncio.to_thread(self.cases.case, self.current)
        if case is None:
            return
        self._print(f"-- {self._summary(case)}")
        self._print(f"   {describe(case.identity)}")
        for line in case.transcript:
            self._print(f"   {line}")
        self.seen[case.handoff_id] = (case.status, len(case.transcript))

    async def _act(self, kind: str, confirmed: bool) -> None:
        case = await self._current()
        if case is not None:
            key = f"{DESK}:action:{uuid.uuid4().hex}"
            await self.staff.on_staff_action(
                StaffAction(kind, case.handoff_id, self.agent, key, confirmed)
            )
            await self._show_changes()

    async def _note(self, text: str) -> None:
        case = await self._current()
        if case is not None and text:
            await asyncio.to_thread(
                self.cases.append_line, case.handoff_id, f"Note ({self.agent}): {text}"
            )
            await self._show_changes()

    async def _reply(self, text: str) -> None:
        case = await self._current()
        if case is None or case.card_ts is None:
            return
        message = StaffMessage(DESK, case.card_ts, self.agent, text, f"{DESK}:{uuid.uuid4().hex}")
        await self.staff.on_staff_message(message)
        if case.is_open:
            await asyncio.to_thread(
                self.cases.append_line, case.handoff_id, f"{self.agent}: {text}"
            )
        await self._show_changes()

    async def _current(self) -> Case | None:
        case: Case | None = None
        if self.current is not None:
            case = await asyncio.to_thread(self.cases.case, self.current)
        if case is None:
            self._print("Open a case first: 'list', then 'open N'.")
        return case

    # -- what changed ------------------------------------------------------------------------
    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)
            try:
                await self._show_changes()
            except Exception as exc:  # the database may be busy; look again later
                self._print(f"(could not read the cases: {exc})")

    async def _show_changes(self) -> None:
        for listed in await asyncio.to_thread(self.cases.open_cases):
            if listed.handoff_id not in self.seen:
                self.seen[listed.handoff_id] = (listed.status, len(listed.transcript))
                self._print(f"New case: {self._summary(listed)}  (type 'list')")
        if self.current is None:
            return
        case = await asyncio.to_thread(self.cases.case, self.current)
        if case is None:
            return
        status, shown = self.seen.get(case.handoff_id, (case.status, len(case.transcript)))
        for line in case.transcript[shown:]:
            if not line.startswith(f"{self.agent}: "):
                self._print(f"   {line}")
        if case.status != status:
            self._print(f"-- {self._summary(case)}")
        self.seen[case.handoff_id] = (case.status, len(case.transcript))

    def _summary(self, case: Case) -> str:
        minutes = int((self.clock() - case.requested_at).total_seconds() // 60)
        who = case.customer_name or case.address.get("user_id") or "customer"
        parts = [
            f"[{case.status}{', ' + case.agent if case.agent else ''}]",
            f"{case.channel} · {who}",
            f"waiting {minutes} min" if case.is_open else "closed",
            (case.reason or "no reason given").replace("_", " "),
        ]
        if case.intents:
            parts.append("intents: " + ", ".join(case.intents))
        if case.contact_email:
            parts.append(f"e-mail: {case.contact_email}")
        if case.no_survey:
            parts.append("no survey")
        return " · ".join(parts)

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)
