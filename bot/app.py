"""The gateway as an ASGI app: ``build_app(settings)`` puts :class:`Services` (the object graph,
``bot.services``) behind the HTTP routes: health, readiness, metrics and the webhooks."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.metrics import CONTENT_TYPE
from bot.services import Services
from bot.settings import Settings

__all__ = ["Services", "build_app"]


def build_app(settings: Settings, services: Services | None = None) -> Starlette:
    """The gateway as an ASGI app. No I/O here: channels connect in the lifespan."""
    services = services or Services(settings)

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
        ready, checks = await services.ready()
        return JSONResponse({"ready": ready, **checks}, status_code=200 if ready else 503)

    async def health(request: Request) -> Response:
        healthy, report = await services.health.report()
        return JSONResponse({"healthy": healthy, **report}, status_code=200 if healthy else 503)

    async def metrics(request: Request) -> Response:
        return Response(await services.metrics.scrape(), media_type=CONTENT_TYPE)

    async def telegram(request: Request) -> Response:
        if services.telegram is None:
            return PlainTextResponse("telegram is not configured", status_code=404)
        return await services.telegram.webhook(request)

    async def slack(request: Request) -> Response:
        if services.slack is None:
            return PlainTextResponse("slack is not configured", status_code=404)
        return await services.slack.webhook(request)

    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
            Route("/webhooks/telegram", telegram, methods=["POST"]),
            Route("/webhooks/slack", slack, methods=["POST"]),
        ],
        lifespan=lifespan,
    )
    app.state.services = services
    return app
