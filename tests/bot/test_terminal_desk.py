"""Trying everything without tokens (issue #11, section 6): the console is a full channel
(handoff, cancel, idle survey and timeouts reach it) and the terminal staff desk works a console
customer's case through the same desk code as Slack, from its own process."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import timedelta

import pytest

from actions import context
from bot import Settings
from bot.app import Services
from bot.channels.console.adapter import ConsoleChannel
from bot.channels.console.staff import StaffConsole
from bot.handoff.texts import CANCELLED_TEXT, TIMEOUT_TEXT
from bot.messages import Address, IncomingMessage
from bot.state.database import GatewayDatabase
from cx_telemetry import Settings as TelemetrySettings
from cx_telemetry import TelemetryStore
from tests.bot.handoff_fakes import HandoffEngine

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


@pytest.fixture
async def fake_rasa() -> AsyncIterator[HandoffEngine]:
    server = await HandoffEngine(token="rasa-token").start()
    yield server
    await server.stop()


@pytest.fixture(autouse=True)
def action_server_env(
    telemetry_settings: TelemetrySettings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    monkeypatch.setenv("CX_TELEMETRY_DB_URL", telemetry_settings.db_url)
    monkeypatch.setenv("CX_PSEUDONYM_KEY", str(telemetry_settings.pseudonym_key))
    monkeypatch.setenv("CX_TELEMETRY_OUTBOX", str(telemetry_settings.outbox_dir))
    monkeypatch.setenv("CX_SURVEY_CONFIG", str(ROOT / "survey.yml"))
    context.reset_caches()
    yield
    context.reset_caches()


def terminal_settings(settings: Settings) -> Settings:
    return replace(settings, telegram_bot_token=None, slack_bot_token=None)


class Chat:
    """`python -m bot chat`: one customer typing in a terminal."""

    def __init__(self, settings: Settings, store: TelemetryStore) -> None:
        self.out = io.StringIO()
        self.console = ConsoleChannel(out=self.out)
        self.services = Services(
            settings,
            telemetry_store=store,
            state_db=GatewayDatabase(settings.state_db_url),
            console=self.console,
        )
        self.address = Address("console", "sam", "sam")
        self.n = 0

    async def say(self, text: str) -> None:
        self.n += 1
        await self.services.pipeline.receive(IncomingMessage(self.address, text, f"c:{self.n}"))

    def lines(self) -> list[str]:
        return [line[5:] for line in self.out.getvalue().splitlines() if line.startswith("bot> ")]


async def test_console_handoff_cancel_and_timeout_reach_the_customer(
    settings: Settings, store: TelemetryStore, fake_rasa: HandoffEngine
) -> None:
    chat = Chat(terminal_settings(settings), store)
    await chat.say("agent")
    assert "You're next in line" in chat.lines()[-1]  # the terminal desk can take it
    fired = await chat.services.timers.run_once(chat.services.clock() + timedelta(minutes=11))
    assert fired == 1 and chat.lines()[-1] == TIMEOUT_TEXT  # printed, not "no outbound"
    await chat.say("never mind")
    assert chat.lines()[-1] == CANCELLED_TEXT
    await chat.say("hello again")
    assert chat.lines()[-1] == "You said: hello again"
    # the idle timer fires in the console's own process and is printed there
    await chat.services.timers.run_once(chat.services.clock() + timedelta(minutes=16))
    assert fake_rasa.of("trigger_intent")[-1].params["name"] == "EXTERNAL_conversation_idle"
    await chat.services.stop()


async def test_the_terminal_desk_works_a_console_case_from_its_own_process(
    settings: Settings, store: TelemetryStore, fake_rasa: HandoffEngine
) -> None:
    chat = Chat(terminal_settings(settings), store)
    desk_out = io.StringIO()
    staff_services = Services(
        replace(terminal_settings(settings), timer_poll_seconds=0),
        telemetry_store=store,
        state_db=GatewayDatabase(settings.state_db_url),
        terminal_desk=True,
    )
    desk = StaffConsole(
        staff_services.cases, staff_services.staff_side, "Ana", staff_services.clock, desk_out
    )
    await chat.say("hello there")
    await chat.say("agent")
    await chat.say("my lamp <!channel> arrived broken")
    await desk.command("list")
    assert "1. [waiting] · console · sam · waiting 0 min" in desk_out.getvalue()
    await desk.command("open 1")
    shown = desk_out.getvalue()
    assert (
        "Customer: hello there" in shown and "Customer: my lamp <!channel> arrived broken" in shown
    )

    async def delivered() -> list[str]:  # the chat's process fires what the desk left for it
        await chat.services.timers.run_once()
        return chat.lines()

    await desk.command("claim")
    assert (await delivered())[-1] == "Ana from our support team has joined the chat."
    await desk.command("So sorry! A new lamp goes out today.")
    assert (await delivered())[-1] == "Ana: So sorry! A new lamp goes out today."
    await desk.command("note warehouse ticket 991")
    assert not any("warehouse" in line for line in await delivered())
    await chat.say("thank you!")
    await desk.command("resolve")
    lines = await delivered()
    assert "Ana from our support team has closed this chat" in lines[-3]
    assert lines[-2].startswith("Before you go") and "How satisfied" in lines[-1]
    case = staff_services.cases.case(desk.listed[0])
    assert case is not None and case.status == "resolved" and case.agent == "Ana (Ana)"
    assert "Customer: thank you!" in case.transcript
    assert [a for a, _, _ in staff_services.cases.actions(case.handoff_id)] == [
        "requested", "claim", "resolve",
    ]  # fmt: skip
    await staff_services.stop()
    await chat.services.stop()


async def test_nosurvey_on_the_terminal_desk_means_no_survey_after_the_case(
    settings: Settings, store: TelemetryStore, fake_rasa: HandoffEngine
) -> None:
    chat = Chat(terminal_settings(settings), store)
    desk_out = io.StringIO()
    staff_services = Services(
        replace(terminal_settings(settings), timer_poll_seconds=0),
        telemetry_store=store,
        state_db=GatewayDatabase(settings.state_db_url),
        terminal_desk=True,
    )
    desk = StaffConsole(
        staff_services.cases, staff_services.staff_side, "Ana", staff_services.clock, desk_out
    )
    await chat.say("hello there")
    await chat.say("agent")
    await desk.command("list")
    await desk.command("open 1")
    await desk.command("claim")
    await desk.command("nosurvey")
    assert "Desk: No survey: Ana marked this case" in desk_out.getvalue()
    await desk.command("list")
    assert desk_out.getvalue().splitlines()[-1].endswith("· no survey")
    await desk.command("resolve")
    await chat.services.timers.run_once()
    lines = chat.lines()
    assert "Ana from our support team has closed this chat" in lines[-1]
    assert not any("How satisfied" in line for line in lines)
    case = staff_services.cases.case(desk.listed[0])
    assert case is not None and case.no_survey and case.conversation_id
    info = store.get_conversation(case.conversation_id)
    assert info is not None and info.not_surveyed == "staff"
    await staff_services.stop()
    await chat.services.stop()
