"""Command line: ``python -m bot`` (serve), ``python -m bot chat``, ``python -m bot staff``,
``python -m bot migrate``, ``python -m bot telegram set-webhook URL``."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from bot.logs import configure_logging
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.app import Services

log = logging.getLogger("bot")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="CX support gateway")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="run the gateway (default)")
    sub.add_parser("chat", help="talk to the assistant in this terminal")
    staff = sub.add_parser("staff", help="the handoff desk in this terminal (beside `chat`)")
    staff.add_argument("--name", help="your name as customers see it (default: your login)")
    sub.add_parser("migrate", help="create or upgrade the gateway's and the telemetry's tables")
    tg = sub.add_parser("telegram", help="Telegram helpers")
    tg_sub = tg.add_subparsers(dest="action", required=True)
    hook = tg_sub.add_parser(
        "set-webhook", help="register URL (…/webhooks/telegram) with the secret"
    )
    hook.add_argument("url")
    args = parser.parse_args(argv)

    settings = Settings.from_env()
    if args.command in ("chat", "staff"):
        # The terminal is the conversation: the gateway's log goes to a file, never into it.
        configure_logging(settings, path=Path("var/log") / f"{args.command}.log")
        terminal = replace(settings, gateway_db_url=settings.console_db_url)
        if args.command == "chat":
            return asyncio.run(_chat(terminal))
        return asyncio.run(_staff(terminal, args.name or getpass.getuser()))
    configure_logging(settings)
    if args.command == "migrate":
        return _migrate_only(settings)
    if args.command == "telegram":
        return asyncio.run(_set_webhook(settings, args.url))
    return _serve(settings)


def _serve(settings: Settings) -> int:
    import uvicorn

    from bot.app import Services, build_app

    services = Services(settings)
    _migrate(services)
    app = build_app(settings, services)
    channels = [
        n
        for n, on in (("telegram", settings.telegram_enabled), ("slack", settings.slack_enabled))
        if on
    ]
    log.info(
        "gateway on http://%s:%d, engine %s, channels: %s",
        settings.gateway_host, settings.gateway_port, ", ".join(settings.engines),
        ", ".join(channels) or "none",
    )  # fmt: skip
    # ws="none": no websocket routes, and the websockets pinned for rasa-sdk is too old for uvicorn
    uvicorn.run(
        app, host=settings.gateway_host, port=settings.gateway_port, log_config=None, ws="none"
    )
    return 0


async def _chat(settings: Settings) -> int:
    """The console channel. Its process fires the console's timers (idle survey, the handoff's
    message offer, replies from `python -m bot staff`): only it can show them to the customer."""
    from bot.app import Services
    from bot.channels.console.adapter import ConsoleChannel

    console = ConsoleChannel()
    services = Services(settings, console=console)
    _migrate(services)
    await _check_engine(services, settings)
    await services.start()
    try:
        await console.run(services.pipeline.receive)
    finally:
        await services.stop()
    return 0


async def _staff(settings: Settings, agent: str) -> int:
    """The terminal staff desk, on the chat's cases. It fires no timers (the chat does)."""
    from bot.app import Services
    from bot.channels.console.staff import StaffConsole

    services = Services(replace(settings, timer_poll_seconds=0), terminal_desk=True)
    _migrate(services)
    await _check_engine(services, settings)
    await services.start()
    desk = StaffConsole(services.cases, services.staff_side, agent, services.clock)
    try:
        await desk.run()
    finally:
        await services.stop()
    return 0


async def _check_engine(services: Services, settings: Settings) -> None:
    if not await services.engine.is_ready():
        print(f"(the engine at {settings.rasa_url} is not answering yet; start it with make run)")
    elif not settings.rasa_token:
        print("(no engine token: run make run once, or set RASA_TOKEN)")


def _migrate(services: Services) -> None:
    """Bring the tables up to date; a database that is down must not stop the gateway
    (``/readyz`` reports it, dedupe answers 503 until it is back)."""
    try:
        services.migrate()
    except Exception as exc:
        log.error("migration failed: %s", exc)


def _migrate_only(settings: Settings) -> int:
    from bot.app import Services

    try:
        Services(settings).migrate()
    except Exception as exc:
        print(f"migration failed: {exc}", file=sys.stderr)
        return 1
    print("gateway and telemetry tables are up to date")
    return 0


async def _set_webhook(settings: Settings, url: str) -> int:
    from bot.channels.telegram.adapter import ALLOWED_UPDATES
    from bot.channels.telegram.outbound import make_bot

    if not settings.telegram_bot_token or not settings.telegram_webhook_secret:
        print("TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET must be set", file=sys.stderr)
        return 2
    async with make_bot(settings.telegram_bot_token, settings.telegram_api_base_url) as bot:
        done = await bot.set_webhook(
            url, secret_token=settings.telegram_webhook_secret, allowed_updates=ALLOWED_UPDATES
        )
    print("webhook set" if done else "Telegram refused the webhook")
    return 0 if done else 1


if __name__ == "__main__":
    sys.exit(main())
