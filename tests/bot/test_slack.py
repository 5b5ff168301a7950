"""Slack over HTTP: bolt AsyncApp behind our signature check, the real slack_sdk client
against a fake Web API, requests signed exactly as Slack signs them."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from bot import Settings
from cx_telemetry import TelemetryStore
from tests.bot.conftest import SLACK_SECRET, Running, running, wait_for
from tests.bot.fakes import FakeRasa, FakeSlack, slack_headers

_ids = itertools.count(1)


def event(inner: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    return {
        "token": "legacy",
        "team_id": "T1",
        "api_app_id": "A1",
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_ids)}",
        "event_time": int(time.time()),
        "event": inner,
        "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}],
    }


def dm(text: str, user: str = "U1", **extra: Any) -> dict[str, Any]:
    return {"type": "message", "channel": "D1", "channel_type": "im", "user": user, "text": text,
            "ts": f"1700000000.{next(_ids):06d}", **extra}  # fmt: skip


async def send(
    gw: Running, payload: dict[str, Any], headers: dict[str, str] | None = None, **kw: Any
) -> Any:
    body = json.dumps(payload).encode()
    hdr = slack_headers(SLACK_SECRET, body, "application/json", **kw)
    hdr.update(headers or {})
    return await gw.client.post("/webhooks/slack", content=body, headers=hdr)


async def send_form(gw: Running, form: dict[str, str]) -> Any:
    body = urlencode(form).encode()
    return await gw.client.post(
        "/webhooks/slack",
        content=body,
        headers=slack_headers(SLACK_SECRET, body, "application/x-www-form-urlencoded"),
    )


def posts(slack: FakeSlack) -> list[dict[str, Any]]:
    return [c.params for c in slack.of("chat.postMessage")]


async def test_url_verification(gw: Running) -> None:
    r = await send(gw, {"type": "url_verification", "challenge": "abc123", "token": "t"})
    assert r.status_code == 200 and "abc123" in r.text


async def test_forged_and_stale_signatures_are_403(gw: Running, fake_rasa: FakeRasa) -> None:
    body = json.dumps(event(dm("hi"))).encode()
    hdr = slack_headers("wrong-secret", body, "application/json")
    r = await gw.client.post("/webhooks/slack", content=body, headers=hdr)
    assert r.status_code == 403
    r = await send(gw, event(dm("hi")), timestamp=int(time.time()) - 6 * 60)
    assert r.status_code == 403
    r = await gw.client.post(
        "/webhooks/slack", content=body, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 403
    assert fake_rasa.calls == []


async def test_malformed_json_400_and_big_body_413(gw: Running) -> None:
    body = b"{oops"
    r = await gw.client.post(
        "/webhooks/slack",
        content=body,
        headers=slack_headers(SLACK_SECRET, body, "application/json"),
    )
    assert r.status_code == 400
    big = b"{" + b" " * (2 * 1024 * 1024) + b"}"
    r = await gw.client.post(
        "/webhooks/slack", content=big, headers=slack_headers(SLACK_SECRET, big, "application/json")
    )
    assert r.status_code == 413
    latin = b"payload=%7B%7D&text=caf\xe9"  # not UTF-8: bolt's adapter would fail on it
    r = await gw.client.post(
        "/webhooks/slack",
        content=latin,
        headers=slack_headers(SLACK_SECRET, latin, "application/x-www-form-urlencoded"),
    )
    assert r.status_code == 400


async def test_unconfigured_signing_secret_accepts_nothing(
    with_settings: Callable[..., Settings], store: TelemetryStore, fake_rasa: FakeRasa
) -> None:
    async with running(with_settings(slack_signing_secret=None), store) as gw:
        body = json.dumps(event(dm("hi"))).encode()
        unsigned = slack_headers("", body, "application/json")  # "signed" with an empty secret
        r = await gw.client.post("/webhooks/slack", content=body, headers=unsigned)
        assert r.status_code == 403
    assert fake_rasa.calls == []


async def test_dm_is_answered_after_the_ack(
    gw: Running, fake_slack: FakeSlack, fake_rasa: FakeRasa
) -> None:
    fake_rasa.delay = 0.3
    started = time.perf_counter()
    r = await send(gw, event(dm("where is my order?")))
    assert r.status_code == 200
    assert time.perf_counter() - started < 0.3  # acked before the engine's work
    await wait_for(lambda: len(posts(fake_slack)) == 1)
    post = posts(fake_slack)[0]
    assert post["channel"] == "D1" and "thread_ts" not in post
    assert post["blocks"][0]["text"]["text"] == "You said: where is my order?"
    rest = fake_rasa.of("rest")[0].params
    assert rest["sender"] == "slack:D1:U1" and rest["metadata"]["channel"] == "slack"


async def test_mention_is_answered_in_a_thread(
    gw: Running, fake_slack: FakeSlack, fake_rasa: FakeRasa
) -> None:
    mention = {"type": "app_mention", "channel": "C9", "user": "U2", "text": "<@UBOT> refund please",
               "ts": "1700000000.000900"}  # fmt: skip
    await send(gw, event(mention))
    await wait_for(lambda: len(posts(fake_slack)) == 1)
    assert posts(fake_slack)[0]["thread_ts"] == "1700000000.000900"
    assert fake_rasa.of("rest")[0].params["message"] == "refund please"


async def test_bot_and_changed_messages_are_ignored(
    gw: Running, fake_slack: FakeSlack, fake_rasa: FakeRasa
) -> None:
    await send(gw, event(dm("I am a bot", bot_id="B2")))
    await send(gw, event(dm("me myself", user="UBOT")))
    await send(gw, event({"type": "message", "subtype": "message_changed", "channel": "D1", "channel_type": "im",
                          "message": {"text": "x", "user": "U1"}, "ts": "1.2"}))  # fmt: skip
    await send(gw, event({"type": "message", "subtype": "message_deleted", "channel": "D1", "channel_type": "im",
                          "ts": "1.3"}))  # fmt: skip
    await send(
        gw,
        event(
            {
                "type": "message",
                "channel": "C1",
                "channel_type": "channel",
                "user": "U1",
                "text": "chat",
            }
        ),
    )
    await send(gw, event(dm("real one")))
    await wait_for(lambda: len(posts(fake_slack)) == 1)
    assert [c.params["message"] for c in fake_rasa.of("rest")] == ["real one"]


async def test_retried_event_is_processed_once(
    gw: Running, fake_slack: FakeSlack, fake_rasa: FakeRasa
) -> None:
    payload = event(dm("once"), event_id="EvRETRY")
    await send(gw, payload)
    await send(
        gw, payload, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )
    await wait_for(lambda: len(posts(fake_slack)) >= 1)
    await send(
        gw, payload, headers={"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_timeout"}
    )
    import asyncio

    await asyncio.sleep(0.2)
    assert len(fake_rasa.of("rest")) == 1
    assert len(posts(fake_slack)) == 1


async def test_buttons_press_and_replacement(
    gw: Running, fake_slack: FakeSlack, fake_rasa: FakeRasa
) -> None:
    await send(gw, event(dm("buttons")))
    await wait_for(lambda: len(posts(fake_slack)) == 1)
    blocks = posts(fake_slack)[0]["blocks"]
    actions = [b for b in blocks if b["type"] == "actions"]
    assert [e["text"]["text"] for e in actions[0]["elements"]] == ["Order A-1", "Order B-2"]
    pressed = actions[0]["elements"][1]
    payload = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": "U1"},
        "api_app_id": "A1",
        "token": "t",
        "trigger_id": "trig1",
        "container": {"type": "message", "message_ts": "1700000000.000001", "channel_id": "D1"},
        "channel": {"id": "D1"},
        "message": {
            "type": "message",
            "ts": "1700000000.000001",
            "text": "Which order?",
            "blocks": blocks,
        },
        "actions": [{**pressed, "block_id": actions[0]["block_id"], "action_ts": "1700000001.1"}],
    }
    r = await send_form(gw, {"payload": json.dumps(payload)})
    assert r.status_code == 200
    await wait_for(lambda: len(posts(fake_slack)) == 2)
    update = fake_slack.of("chat.update")[0].params
    assert update["ts"] == "1700000000.000001"
    assert not [b for b in update["blocks"] if b["type"] == "actions"]
    assert "Order B-2" in json.dumps(update["blocks"])
    assert fake_rasa.of("rest")[-1].params["message"] == '/inform{"order":"B-2"}'


async def test_more_than_five_buttons_render_in_rows(gw: Running, fake_slack: FakeSlack) -> None:
    await send(gw, event(dm("many buttons")))
    await wait_for(lambda: len(posts(fake_slack)) == 1)
    actions = [b for b in posts(fake_slack)[0]["blocks"] if b["type"] == "actions"]
    assert [len(a["elements"]) for a in actions] == [5, 3]
    ids = [e["action_id"] for a in actions for e in a["elements"]]
    assert len(set(ids)) == 8


async def test_support_command_starts_a_conversation(
    gw: Running, fake_slack: FakeSlack, fake_rasa: FakeRasa
) -> None:
    r = await send_form(gw, {"command": "/support", "text": "", "user_id": "U5", "channel_id": "C1",
                             "trigger_id": "trig-support", "team_id": "T1", "token": "t"})  # fmt: skip
    assert r.status_code == 200
    await wait_for(lambda: len(posts(fake_slack)) == 1)
    assert fake_slack.of("conversations.open")[0].params["users"] == "U5"
    assert posts(fake_slack)[0]["channel"] == "DU5"
    assert fake_rasa.of("rest")[0].params["message"] == "/greet"


async def test_slack_markup_escaped(gw: Running, fake_slack: FakeSlack) -> None:
    await send(gw, event(dm("markup")))
    await wait_for(lambda: len(posts(fake_slack)) == 1)
    text = posts(fake_slack)[0]["blocks"][0]["text"]["text"]
    assert text == "Use &lt;b&gt; &amp; *bold* _x_ *y* <https://ex.com/a?b=1&amp;c=2|docs>"


async def test_slack_5xx_is_retried(gw: Running, fake_slack: FakeSlack) -> None:
    fake_slack.failures["chat.postMessage"] = [500]
    await send(gw, event(dm("hello")))
    await wait_for(lambda: len(posts(fake_slack)) == 2, timeout=10)
    assert gw.services.stats["delivery_failed"] == 0


def test_socket_mode_handler_is_available() -> None:
    # SLACK_APP_TOKEN switches to Socket Mode; its handler (aiohttp-based) must import.
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    assert AsyncSocketModeHandler
