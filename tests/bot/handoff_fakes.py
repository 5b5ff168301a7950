"""Fakes for the handoff tests, built on ``tests/bot/fakes.py``.

``HandoffEngine`` is a fake Rasa engine that keeps a tracker per sender, honours
``ConversationPaused`` / ``resume`` as Rasa does (a paused conversation ignores messages), and
runs the project's real rasa-sdk actions ``action_handoff`` and ``action_start_survey``
against the test database. ``StaffSlack`` adds ``users.info`` to the fake Slack Web API.
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from tests.bot.fakes import Call, FakeRasa, FakeSlack, FakeTelegram, _params

ESCALATE = {
    "agent": "contact_human_agent",
    "talk to a person": "contact_human_agent",
    "/contact_human_agent": "contact_human_agent",
    "this is outrageous": "complaint",
}
SLOTS = {"survey_active": False, "survey_step": None, "survey_segment": None}


def raw_sender(request: web.Request) -> str:
    """The conversation id exactly as Rasa's server sees it: sanic does not unquote path
    parameters, so ``telegram%3A42`` would be another conversation than ``telegram:42``."""
    return request.raw_path.split("?")[0].split("/")[2]


class HandoffEngine(FakeRasa):
    def __init__(self, token: str | None = None) -> None:
        super().__init__(token=token)
        self.events: dict[str, list[dict[str, Any]]] = {}
        self.paused: dict[str, bool] = {}

    def routes(self, app: web.Application) -> None:
        super().routes(app)
        app.router.add_get("/conversations/{sender}/tracker", self.tracker)
        app.router.add_post("/conversations/{sender}/tracker/events", self.append)

    def _authorised(self, request: web.Request) -> bool:
        return not self.token or request.query.get("token") == self.token

    async def tracker(self, request: web.Request) -> web.Response:
        sender = raw_sender(request)
        self.calls.append(Call("tracker", {"sender": sender, **dict(request.query)}))
        if not self._authorised(request):
            return web.Response(status=401)
        return web.json_response({"sender_id": sender, "events": self.events.get(sender, [])})

    async def append(self, request: web.Request) -> web.Response:
        sender = raw_sender(request)
        body = await request.json()
        if self.down:
            return web.Response(status=503)
        if not self._authorised(request):
            return web.Response(status=401)
        for item in body if isinstance(body, list) else [body]:  # one event or a list
            self.calls.append(Call("events", {"sender": sender, **item, **dict(request.query)}))
            if item.get("event") == "resume":
                self.paused[sender] = False
            self.events.setdefault(sender, []).append(item)
        return web.json_response({"sender_id": sender})

    async def rest(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(Call("rest", body))
        if self.down:
            return web.Response(status=503)
        sender, text = body["sender"], str(body["message"])
        intent = ESCALATE.get(text, "chitchat")
        self._user(sender, text, intent, body.get("metadata") or {})
        if self.paused.get(sender):
            return web.json_response([])  # Rasa ignores messages of a paused conversation
        if intent in ("contact_human_agent", "complaint"):
            from actions.handoff import ActionHandoff

            messages = await self._run(ActionHandoff(), sender, text, intent)
        else:
            messages = self.reply(sender, text)
        return web.json_response(self._bot(sender, messages))

    async def trigger(self, request: web.Request) -> web.Response:
        sender = raw_sender(request)
        body = await request.json()
        self.calls.append(Call("trigger_intent", {**body, **dict(request.query), "sender": sender}))
        if self.down:
            return web.Response(status=503)
        if not self._authorised(request):
            return web.Response(status=401)
        if self.paused.get(sender):
            return web.json_response({"tracker": {}, "messages": []})
        messages: list[dict[str, Any]] = []
        if body["name"] == "EXTERNAL_handoff_resolved":
            from actions.survey import ActionStartSurvey

            entities = [{"entity": k, "value": v} for k, v in (body.get("entities") or {}).items()]
            messages = await self._run(ActionStartSurvey(), sender, "", body["name"], entities)
        return web.json_response({"tracker": {}, "messages": self._bot(sender, messages)})

    # -- a tiny tracker store ----------------------------------------------------------------

    def _user(self, sender: str, text: str, intent: str, metadata: dict[str, Any]) -> None:
        self.events.setdefault(sender, []).append(
            {
                "event": "user",
                "timestamp": time.time(),
                "text": text,
                "parse_data": {"intent": {"name": intent, "confidence": 0.99}, "entities": []},
                "metadata": metadata,
            }
        )

    def _bot(self, sender: str, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for m in messages:
            rest = {"recipient_id": sender}
            for key in ("text", "buttons", "custom", "image"):
                if m.get(key):
                    rest[key] = m[key]
            out.append(rest)
            if m.get("text"):
                self.events.setdefault(sender, []).append(
                    {"event": "bot", "timestamp": time.time(), "text": m["text"]}
                )
        return out

    async def _run(
        self,
        action: Any,
        sender: str,
        text: str,
        intent: str,
        entities: list[dict[str, Any]] | None = None,
    ) -> list[dict[str, Any]]:
        latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}}
        latest["entities"] = entities or []  # type: ignore[assignment]
        events = list(self.events.get(sender, []))
        tracker = Tracker(sender, dict(SLOTS), latest, events, False, None, {}, "action_listen")
        dispatcher = CollectingDispatcher()
        result = await action.run(dispatcher, tracker, {})
        if any(e.get("event") == "pause" for e in result):
            self.paused[sender] = True
        self.events[sender].append({"event": "action", "name": action.name()})
        return dispatcher.messages


class StaffSlack(FakeSlack):
    """The fake Slack Web API, plus ``users.info`` for the names of agents and customers."""

    names = {"UANA": "Ana", "UBO": "Bo", "U1": "Carla Customer"}

    def routes(self, app: web.Application) -> None:
        super().routes(app)
        app.router.add_get("/api/{method}", self.handle)  # slack_sdk reads users.info by GET

    async def handle(self, request: web.Request) -> web.Response:
        if request.match_info["method"] != "users.info":
            return await super().handle(request)
        params = await _params(request)
        self.calls.append(Call("users.info", params))
        user = str(params.get("user"))
        return web.json_response(
            {
                "ok": True,
                "user": {
                    "id": user,
                    "name": user.lower(),
                    "profile": {"display_name": self.names.get(user, ""), "real_name": ""},
                },
            }
        )


class NamedTelegram(FakeTelegram):
    """The fake Bot API, plus ``getChat`` for the customer's name on the staff card."""

    def result(self, method: str, p: dict[str, Any]) -> Any:
        if method == "getChat":  # a ChatFullInfo, with the fields Bot API 7.x requires
            chat_id = int(p["chat_id"])
            return {"id": chat_id, "type": "private", "first_name": "Ann", "last_name": "Example",
                    "accent_color_id": 0, "max_reaction_count": 11}  # fmt: skip
        return super().result(method, p)
