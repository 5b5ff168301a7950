"""The platforms a gateway's settings switch on, and where replies and staff notices go: the
Telegram and Slack clients, the outbound side of every channel (console included) and the staff
desk the handoff desk posts to (the terminal's or Slack's). ``Services`` builds this after its
stores and before ``Delivery``; no I/O here (the clients connect on first use)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.console.adapter import ConsoleChannel
from bot.channels.console.mailbox import ConsoleMailbox
from bot.channels.console.staff_desk import TerminalDesk
from bot.channels.slack.outbound import SlackOutbound, make_client
from bot.channels.slack.staff_desk import SlackStaffDesk
from bot.channels.telegram.outbound import Retries, TelegramOutbound, make_bot
from bot.delivery import Outbound
from bot.handoff.cases import CaseRepository
from bot.handoff.staff_desk import StaffDesk
from bot.settings import Settings
from bot.state.timer_store import TimerStore


@dataclass(frozen=True)
class Platforms:
    """``outbounds`` by channel name, for ``Delivery``. ``in_terminal``: the console processes
    (``python -m bot chat`` or ``staff``), which use the terminal staff desk and no alerts."""

    telegram_out: TelegramOutbound | None
    slack_client: AsyncWebClient | None
    outbounds: Mapping[str, Outbound]
    slack_desk: SlackStaffDesk | None
    desk: StaffDesk | None
    in_terminal: bool

    @classmethod
    def from_settings(
        cls,
        s: Settings,
        timer_store: TimerStore,
        cases: CaseRepository,
        clock: Callable[[], datetime],
        console: ConsoleChannel | None,
        terminal_desk: bool,
    ) -> Platforms:
        outbounds: dict[str, Outbound] = {}
        telegram_out = None
        if s.telegram_bot_token:
            retries = Retries(
                s.delivery_attempts, s.delivery_backoff_seconds, s.max_retry_after_seconds
            )
            telegram_out = TelegramOutbound(
                make_bot(s.telegram_bot_token, s.telegram_api_base_url), retries
            )
            outbounds["telegram"] = telegram_out
        slack_client = (
            make_client(s.slack_bot_token, s.slack_api_base_url) if s.slack_enabled else None
        )
        if slack_client is not None:
            outbounds["slack"] = SlackOutbound(slack_client)
        if console is not None:
            outbounds["console"] = console
        elif terminal_desk:
            outbounds["console"] = ConsoleMailbox(timer_store, clock)
        slack_desk = (
            SlackStaffDesk(slack_client, s.slack_staff_channel, clock)
            if slack_client is not None and s.slack_staff_channel
            else None
        )
        in_terminal = console is not None or terminal_desk
        desk: StaffDesk | None = TerminalDesk(cases) if in_terminal else slack_desk
        return cls(telegram_out, slack_client, outbounds, slack_desk, desk, in_terminal)
