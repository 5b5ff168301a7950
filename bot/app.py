"""The ASGI app: ``build_app(settings)`` wires the gateway, the channels and the timers."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import sys
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.gateway import Gateway
from bot.handoff import build_router
from bot.rasa_client import RasaClient
from bot.settings import Settings
from bot.store import GatewayStore, open_store
from bot.timers import TimerWorker

log = logging.getLogger(__name__)


class Services:
    """Everything one gateway process runs; ``start``/``stop`` do the I/O."""

    def __init__(
        self, settings: Settings, store: GatewayStore | None = None, rasa: RasaClient | None = None
    ) -> None:
        self.settings = settings
        self.store = store if store is not None else open_store(settings)
        self.rasa = rasa or RasaClient(
            settings.rasa_url, settings.rasa_token, settings.rasa_timeout_seconds
        )
        self.gateway = Gateway(settings, self.rasa, self.store)
        self.timers = TimerWorker(self.gateway, owner=settings.instance_id)
        self.telegram: Any = None
        self.slack: Any = None
        if settings.telegram_enabled:
            from bot.channels.telegram import TelegramChannel, make_bot

            assert settings.telegram_bot_token is not None
            self.telegram = TelegramChannel(
                self.gateway, make_bot(settings.telegram_bot_token, settings.telegram_api_base_url)
            )
            self.gateway.register("telegram", self.telegram)
        if settings.slack_enabled:
            from bot.channels.slack import SlackChannel

            self.slack = SlackChannel(self.gateway)
            self.gateway.register("slack", self.slack)
        # Human handoff (bot/handoff.py); its staff desk lives in SLACK_STAFF_CHANNEL.
        self.gateway.handoff = build_router(self.gateway, settings.handoff_timeout)
        self.staff: Any = None
        if self.slack is not None and settings.slack_staff_channel:
            from bot.channels.slack_staff import attach_staff_desk

            self.staff = attach_staff_desk(
                self.gateway.handoff, self.slack, settings.slack_staff_channel
            )
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        _skip_missing_sniffio()
        for channel in (self.telegram, self.slack):
            if channel is not None:
                await channel.start()
        if self.settings.timer_poll_seconds > 0:
            self._tasks.append(
                asyncio.create_task(self.timers.run(self.settings.timer_poll_seconds))
            )

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for channel in (self.telegram, self.staff, self.slack):
            if channel is not None:
                with contextlib.suppress(Exception):
                    await channel.stop()
        await self.rasa.aclose()
        self.gateway.close()

    async def ready(self) -> dict[str, bool]:
        engine = await self.rasa.is_ready()
        try:
            await self.gateway.db(self.store.get_conversation, "readyz-probe")
            database = True
        except Exception:
            database = False
        return {"engine": engine, "database": database}


def _skip_missing_sniffio() -> None:
    """httpcore runs ``import sniffio`` on every request; when sniffio is not installed each
    failed import scans sys.path (several ms of CPU per customer message in the benchmark).
    Recording its absence once makes the failure instant; httpcore then assumes asyncio,
    which is what we run. A no-op once ``sniffio`` is installed."""
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


def build_app(
    settings: Settings, *, store: GatewayStore | None = None, rasa: RasaClient | None = None
) -> Starlette:
    """The gateway as an ASGI app. No I/O here: channels connect in the lifespan."""
    services = Services(settings, store=store, rasa=rasa)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await services.start()
        try:
            yield
        finally:
            await services.stop()

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        checks = await services.ready()
        ready = all(checks.values())
        return JSONResponse({"ready": ready, **checks}, status_code=200 if ready else 503)

    async def metrics(request: Request) -> Response:
        lines = [
            f"gateway_{name} {value}" for name, value in sorted(services.gateway.stats.items())
        ]
        return PlainTextResponse("\n".join(lines) + "\n")

    async def telegram(request: Request) -> Response:
        if services.telegram is None:
            return PlainTextResponse("telegram is not configured", status_code=404)
        response: Response = await services.telegram.webhook(request)
        return response

    async def slack(request: Request) -> Response:
        if services.slack is None:
            return PlainTextResponse("slack is not configured", status_code=404)
        response: Response = await services.slack.webhook(request)
        return response

    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
            Route("/webhooks/telegram", telegram, methods=["POST"]),
            Route("/webhooks/slack", slack, methods=["POST"]),
        ],
        lifespan=lifespan,
    )
    app.state.services = services
    return app
