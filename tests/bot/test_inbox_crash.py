"""A gateway killed (SIGKILL) after it answered Telegram (or Slack) 200 but before it answered the customer:
the update is in the inbox, so the next gateway answers it, exactly once, and Telegram's
redelivery of the same update changes nothing. Real gateway processes (`python -m bot`) against
the fake Telegram Bot API and a fake engine that holds the first message."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from cx_telemetry import Settings as TelemetrySettings
from cx_telemetry import TelemetryStore
from tests.bot.conftest import SLACK_SECRET, SLACK_TOKEN, TG_SECRET, TG_TOKEN
from tests.bot.fakes import Call, FakeRasa, FakeSlack, FakeTelegram, slack_headers
from tests.bot.test_slack import dm, event, posts
from tests.bot.test_taps import tap
from tests.bot.test_telegram import HDR, message, sent_texts

ROOT = Path(__file__).resolve().parents[2]
RASA_TOKEN = "rasa-token"


class HoldingRasa(FakeRasa):
    """Holds customer messages while ``held`` is set (the engine is slow, the gateway waits)."""

    def __init__(self) -> None:
        super().__init__(token=RASA_TOKEN)
        self.released = asyncio.Event()
        self.released.set()

    async def rest(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(Call("rest", body))
        await self.released.wait()
        return web.json_response(self.reply(body["sender"], str(body["message"])))


@pytest.fixture
async def rasa() -> AsyncIterator[HoldingRasa]:
    server = await HoldingRasa().start()
    yield server
    await server.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Gateway:
    """One `python -m bot` process on its own port, sharing the database with the others."""

    def __init__(self, env: dict[str, str], name: str, log: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**env, "GATEWAY_PORT": str(self.port), "GATEWAY_INSTANCE_ID": name}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot"], cwd=ROOT, env=env,
            stdout=log.open("ab"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.log = log

    async def up(self) -> None:
        async with httpx.AsyncClient() as client:
            for _ in range(300):
                if self.proc.poll() is not None:
                    raise AssertionError(f"gateway exited:\n{self.log.read_text()[-3000:]}")
                try:
                    if (await client.get(f"{self.url}/healthz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError(f"gateway not up:\n{self.log.read_text()[-3000:]}")

    async def post(self, update: dict[str, Any]) -> int:
        async with httpx.AsyncClient() as client:
            r = await client.post(f"{self.url}/webhooks/telegram", json=update, headers=HDR)
            return r.status_code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture
def env(
    tmp_path: Path,
    fake_tg: FakeTelegram,
    rasa: HoldingRasa,
    telemetry_settings: TelemetrySettings,
    store: TelemetryStore,  # migrates the telemetry's and the gateway's tables
) -> dict[str, str]:
    return {
        **os.environ,
        "RASA_URL": rasa.url,
        "RASA_TOKEN": RASA_TOKEN,
        "TELEGRAM_BOT_TOKEN": TG_TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": TG_SECRET,
        "TELEGRAM_API_BASE_URL": fake_tg.base_url,
        "CX_TELEMETRY_DB_URL": telemetry_settings.db_url,
        "CX_PSEUDONYM_KEY": "test-pseudonym-key-0123456789",
        "CX_TELEMETRY_OUTBOX": str(tmp_path / "outbox"),
        "CX_SURVEY_CONFIG": str(ROOT / "survey.yml"),
        "INBOX_LEASE_SECONDS": "2",
        "INBOX_POLL_SECONDS": "0.2",
    }


@pytest.fixture
def gateways(env: dict[str, str], tmp_path: Path) -> Iterator[list[Gateway]]:
    started: list[Gateway] = []
    yield started
    for gw in started:
        gw.stop()


async def until(cond: Any, seconds: float) -> None:
    for _ in range(int(seconds / 0.05)):
        if cond():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def test_an_update_accepted_by_a_killed_gateway_is_answered_once_by_the_next(
    env: dict[str, str],
    gateways: list[Gateway],
    fake_tg: FakeTelegram,
    rasa: HoldingRasa,
    tmp_path: Path,
) -> None:
    first = Gateway(env, "gw-a", tmp_path / "gw-a.log")
    gateways.append(first)
    await first.up()
    rasa.released.clear()  # the engine is slow: the gateway is mid-work when it dies
    update = message("where is my parcel?", chat_id=5150)
    assert await first.post(update) == 200  # Telegram considers it delivered
    await until(lambda: len(rasa.of("rest")) == 1, 10)
    first.kill()
    rasa.released.set()
    assert not any("where is my parcel" in t for t in sent_texts(fake_tg))

    second = Gateway(env, "gw-b", tmp_path / "gw-b.log")
    gateways.append(second)
    await second.up()
    answered = lambda: [t for t in sent_texts(fake_tg) if t == "You said: where is my parcel?"]  # noqa: E731
    await until(lambda: len(answered()) == 1, 15)
    assert await second.post(update) == 200  # Telegram delivers again: a duplicate, ignored
    await asyncio.sleep(1.5)
    assert len(answered()) == 1, sent_texts(fake_tg)


async def test_a_tap_accepted_by_a_killed_gateway_reaches_the_engine_through_the_next(
    env: dict[str, str],
    gateways: list[Gateway],
    fake_tg: FakeTelegram,
    rasa: HoldingRasa,
    tmp_path: Path,
) -> None:
    """Issue #12, the chaos run: the first gateway claimed the keyboard, then died before the
    engine answered; the gateway that resumes the tap must not take it for a second tap."""
    first = Gateway(env, "gw-a", tmp_path / "gw-a.log")
    gateways.append(first)
    await first.up()
    rasa.released.clear()
    rating = tap("csat:4", message_id=900, chat_id=5152)
    assert await first.post(rating) == 200
    await until(lambda: len(rasa.of("rest")) == 1, 10)
    first.kill()
    rasa.released.set()

    second = Gateway(env, "gw-b", tmp_path / "gw-b.log")
    gateways.append(second)
    await second.up()
    answered = lambda: [t for t in sent_texts(fake_tg) if t == "You said: csat:4"]  # noqa: E731
    await until(lambda: len(answered()) == 1, 15)
    assert [c.params["message"] for c in rasa.of("rest")] == ["csat:4", "csat:4"]
    assert all(c.params.get("text") is None for c in fake_tg.of("answerCallbackQuery"))
    assert await second.post(tap("csat:2", message_id=900, chat_id=5152)) == 200  # a double tap
    await until(lambda: len(fake_tg.of("answerCallbackQuery")) >= 3, 10)
    assert fake_tg.of("answerCallbackQuery")[-1].params.get("text") == "Already got it, thanks!"
    assert [c.params["message"] for c in rasa.of("rest")] == ["csat:4", "csat:4"]


async def test_messages_of_one_chat_are_answered_in_order_after_a_crash(
    env: dict[str, str],
    gateways: list[Gateway],
    fake_tg: FakeTelegram,
    rasa: HoldingRasa,
    tmp_path: Path,
) -> None:
    first = Gateway(env, "gw-a", tmp_path / "gw-a.log")
    gateways.append(first)
    await first.up()
    rasa.released.clear()
    words = ["one", "two", "three"]
    for word in words:
        assert await first.post(message(word, chat_id=5151)) == 200
    await until(lambda: len(rasa.of("rest")) == 1, 10)  # one at a time: "two" waits for "one"
    first.kill()
    rasa.released.set()

    second = Gateway(env, "gw-b", tmp_path / "gw-b.log")
    gateways.append(second)
    await second.up()
    expected = [f"You said: {w}" for w in words]
    await until(lambda: [t for t in sent_texts(fake_tg) if t in expected] == expected, 15)


async def test_a_slow_answer_is_not_taken_over_by_another_gateway(
    env: dict[str, str],
    gateways: list[Gateway],
    fake_tg: FakeTelegram,
    rasa: HoldingRasa,
    tmp_path: Path,
) -> None:
    """The lease (2 s here) is renewed while the engine thinks, so a live gateway's work is
    never redone by the other one."""
    first = Gateway(env, "gw-a", tmp_path / "gw-a.log")
    other = Gateway(env, "gw-b", tmp_path / "gw-b.log")
    gateways.extend([first, other])
    await first.up()
    await other.up()
    rasa.released.clear()
    assert await first.post(message("take your time", chat_id=5152)) == 200
    await asyncio.sleep(5)  # two and a half leases
    rasa.released.set()
    await until(lambda: "You said: take your time" in sent_texts(fake_tg), 10)
    await asyncio.sleep(1)
    assert len(rasa.of("rest")) == 1
    assert sent_texts(fake_tg).count("You said: take your time") == 1


async def test_a_slack_message_accepted_by_a_killed_gateway_is_answered_once_by_the_next(
    env: dict[str, str],
    gateways: list[Gateway],
    fake_slack: FakeSlack,
    rasa: HoldingRasa,
    tmp_path: Path,
) -> None:
    slack_env = {**env, "SLACK_BOT_TOKEN": SLACK_TOKEN, "SLACK_SIGNING_SECRET": SLACK_SECRET,
                 "SLACK_API_BASE_URL": fake_slack.base_url}  # fmt: skip
    first = Gateway(slack_env, "gw-a", tmp_path / "gw-a.log")
    gateways.append(first)
    await first.up()
    rasa.released.clear()
    payload = event(dm("is my refund through?"), event_id="EvKILLED")
    assert await post_slack(first, payload) == 200  # Slack considers it delivered
    await until(lambda: len(rasa.of("rest")) == 1, 10)
    first.kill()
    rasa.released.set()

    second = Gateway(slack_env, "gw-b", tmp_path / "gw-b.log")
    gateways.append(second)
    await second.up()
    said = "You said: is my refund through?"
    answered = lambda: [p for p in posts(fake_slack) if p.get("text") == said]  # noqa: E731
    await until(lambda: len(answered()) == 1, 15)
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert await post_slack(second, payload, retry) == 200  # Slack retries: a duplicate
    await asyncio.sleep(1.5)
    assert len(answered()) == 1, posts(fake_slack)


async def post_slack(
    gw: Gateway, payload: dict[str, Any], extra: dict[str, str] | None = None
) -> int:
    body = json.dumps(payload).encode()
    headers = {**slack_headers(SLACK_SECRET, body, "application/json"), **(extra or {})}
    async with httpx.AsyncClient() as client:
        r = await client.post(f"{gw.url}/webhooks/slack", content=body, headers=headers)
        return r.status_code
