"""Real local HTTP servers standing in for the Telegram Bot API, the Slack Web API and Rasa.

The real ``telegram.Bot`` / ``slack_sdk`` clients talk to them through their base URLs; every
call is recorded so tests assert what a customer would see.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.perf_counter)


class FakeServer:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def start(self) -> FakeServer:
        app = web.Application(client_max_size=10 * 1024 * 1024)
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]


async def _params(request: web.Request) -> dict[str, Any]:
    if request.query:
        return {**dict(request.query), **(await _body_params(request))}
    return await _body_params(request)


async def _body_params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        body = await request.read()
        return json.loads(body) if body else {}
    form = await request.post()
    out: dict[str, Any] = {}
    for key, value in form.items():
        try:
            out[key] = json.loads(str(value))
        except ValueError:
            out[key] = str(value)
    return out


class FakeTelegram(FakeServer):
    """Bot API at ``{url}/bot`` (use as ``TELEGRAM_API_BASE_URL``)."""

    def __init__(self, username: str = "shop_bot") -> None:
        super().__init__()
        self.username = username
        self.failures: dict[str, list[tuple[int, dict[str, Any]]]] = {}  # method -> queued errors
        self.updates: list[dict[str, Any]] = []
        self._ids = itertools.count(1000)

    @property
    def base_url(self) -> str:
        return self.url + "/bot"

    def fail(self, method: str, status: int, **parameters: Any) -> None:
        self.failures.setdefault(method, []).append((status, parameters))

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/bot{token}/{method}", self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _params(request)
        self.calls.append(Call(method, params))
        queued = self.failures.get(method)
        if queued:
            status, parameters = queued.pop(0)
            body: dict[str, Any] = {
                "ok": False,
                "error_code": status,
                "description": f"fake {status}",
            }
            if parameters:
                body["parameters"] = parameters
            return web.json_response(body, status=status)
        return web.json_response({"ok": True, "result": self.result(method, params)})

    def result(self, method: str, p: dict[str, Any]) -> Any:
        if method == "getMe":
            return {"id": 999, "is_bot": True, "first_name": "Shop", "username": self.username}
        if method == "getUpdates":
            updates, self.updates = self.updates, []
            return updates
        if method in ("sendMessage", "sendPhoto", "editMessageText", "editMessageReplyMarkup"):
            message = {
                "message_id": p.get("message_id") or next(self._ids),
                "date": int(time.time()),
                "chat": {"id": int(p.get("chat_id", 0)), "type": "private"},
            }
            if "text" in p:
                message["text"] = p["text"]
            return message
        return True


class FakeSlack(FakeServer):
    """Web API at ``{url}/api/`` (use as ``SLACK_API_BASE_URL``)."""

    bot_user_id = "UBOT"

    def __init__(self) -> None:
        super().__init__()
        self.failures: dict[str, list[int]] = {}
        self._ts = itertools.count(1)

    @property
    def base_url(self) -> str:
        return self.url + "/api/"

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/api/{method}", self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _params(request)
        self.calls.append(Call(method, params))
        queued = self.failures.get(method)
        if queued:
            status = queued.pop(0)
            return web.json_response(
                {"ok": False, "error": "fatal_error"}, status=status, headers={"Retry-After": "0"}
            )
        if method == "auth.test":
            return web.json_response(
                {
                    "ok": True,
                    "user_id": self.bot_user_id,
                    "bot_id": "BBOT",
                    "team_id": "T1",
                    "user": "shop",
                }
            )
        if method == "conversations.open":
            return web.json_response(
                {"ok": True, "channel": {"id": "D" + str(params.get("users", "X"))}}
            )
        if method in ("chat.postMessage", "chat.update"):
            ts = params.get("ts") or f"1700000000.{next(self._ts):06d}"
            return web.json_response({"ok": True, "channel": params.get("channel"), "ts": ts})
        return web.json_response({"ok": True})


def slack_signature(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def slack_headers(
    secret: str, body: bytes, content_type: str, timestamp: int | None = None
) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": slack_signature(secret, ts, body),
    }


class FakeRasa(FakeServer):
    """The REST channel and the HTTP API of a Rasa engine, with canned replies."""

    def __init__(self, delay: float = 0.0, token: str | None = None, workers: int = 0) -> None:
        super().__init__()
        self.delay = delay
        # workers > 0: at most that many messages in the "model" at once, like one engine
        # process whose NLU and policies are CPU-bound (0 = unlimited parallelism).
        self._slots = asyncio.Semaphore(workers) if workers > 0 else None
        self.token = token
        self.down = False

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/", self.root)
        app.router.add_get("/status", self.status)
        app.router.add_post("/webhooks/rest/webhook", self.rest)
        app.router.add_post("/conversations/{sender}/trigger_intent", self.trigger)

    async def root(self, request: web.Request) -> web.Response:
        if self.down:
            return web.Response(status=503)
        return web.Response(text="Hello from Rasa: 3.6.21")

    async def status(self, request: web.Request) -> web.Response:
        if self.down:
            return web.Response(status=503)
        if self.token and request.query.get("token") != self.token:
            return web.json_response({"status": "failure", "code": 401}, status=401)
        return web.json_response({"model_file": "models/current.tar.gz", "model_id": "m1"})

    async def rest(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(Call("rest", body))
        if self.down:
            return web.Response(status=503, text="down")
        if self.delay and self._slots is not None:
            async with self._slots:
                await asyncio.sleep(self.delay)
        elif self.delay:
            await asyncio.sleep(self.delay)
        return web.json_response(self.reply(body["sender"], str(body["message"])))

    def reply(self, sender: str, text: str) -> list[dict[str, Any]]:
        r = {"recipient_id": sender}
        if text == "/greet":
            return [{**r, "text": "Hi! How can I help?"}]
        if text == "buttons":
            return [{**r, "text": "Which order?", "buttons": [
                {"title": "Order A-1", "payload": "/inform{\"order\":\"A-1\"}"},
                {"title": "Order B-2", "payload": "/inform{\"order\":\"B-2\"}"},
            ]}]  # fmt: skip
        if text == "many buttons":
            return [
                {
                    **r,
                    "text": "Pick",
                    "buttons": [{"title": f"Opt {i}", "payload": f"/o{i}"} for i in range(8)],
                }
            ]
        if text == "long":
            return [{**r, "text": ("word " * 2000).strip()}]  # 9999 characters
        if text == "markup":
            return [{**r, "text": "Use <b> & **bold** _x_ *y* [docs](https://ex.com/a?b=1&c=2)"}]
        if text == "image":
            return [{**r, "image": "https://ex.com/cat.png"}]
        if text == "custom":
            return [{**r, "custom": {"text": "custom!", "blocks": [{"type": "divider"}]}}]
        return [{**r, "text": f"You said: {text}"}]

    async def trigger(self, request: web.Request) -> web.Response:
        body = await request.json()
        params = dict(request.query)
        self.calls.append(
            Call("trigger_intent", {**body, **params, "sender": request.match_info["sender"]})
        )
        if self.down:
            return web.Response(status=503)
        if self.token and params.get("token") != self.token:
            return web.Response(status=401)
        return web.json_response({
            "tracker": {},
            "messages": [{"recipient_id": request.match_info["sender"], "text": "How would you rate us?",
                          "buttons": [{"title": str(i), "payload": f"/rate{{\"score\":{i}}}"} for i in range(1, 6)]}],
        })  # fmt: skip
