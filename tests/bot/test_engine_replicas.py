"""Several engines (``ENGINE_URLS``): every conversation sticks to one engine, goes to the next
only when its engine cannot be reached, and is never sent to a second engine after the first
answered (even with an error) or may be running the turn."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot import Settings
from bot.engine_routing import EngineRouter, rendezvous_order
from bot.messages import APOLOGY
from bot.settings import engine_urls_from_env
from cx_telemetry import TelemetryStore
from tests.bot.conftest import running
from tests.bot.fakes import FakeRasa, FakeTelegram
from tests.bot.test_telegram import message, post, sent_texts

CHATS = range(100, 124)


@pytest.fixture
async def second_rasa() -> AsyncIterator[FakeRasa]:
    server = await FakeRasa(token="rasa-token").start()
    yield server
    await server.stop()


@pytest.fixture
def two_engines(settings: Settings, fake_rasa: FakeRasa, second_rasa: FakeRasa) -> Settings:
    return replace(settings, engine_urls=(fake_rasa.url, second_rasa.url))


def senders(engine: FakeRasa) -> set[str]:
    return {c.params["sender"] for c in engine.of("rest")}


def replies_to(tg: FakeTelegram, chat: int) -> list[str]:
    return [c.params["text"] for c in tg.of("sendMessage") if c.params["chat_id"] == chat]


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def owner(chat: int, engines: tuple[FakeRasa, FakeRasa]) -> FakeRasa:
    first = rendezvous_order(f"telegram:{chat}", [e.url for e in engines])[0]
    return next(e for e in engines if e.url == first)


async def test_each_conversation_stays_on_one_engine_and_both_engines_serve(
    two_engines: Settings,
    store: TelemetryStore,
    fake_tg: FakeTelegram,
    fake_rasa: FakeRasa,
    second_rasa: FakeRasa,
) -> None:
    async with running(two_engines, store) as gw:
        for turn in ("hi", "where is my order?", "thanks"):
            for chat in CHATS:
                assert await post(gw, message(turn, chat_id=chat)) == 200
    for chat in CHATS:
        assert replies_to(fake_tg, chat) == [
            "You said: hi", "You said: where is my order?", "You said: thanks"
        ]  # fmt: skip
    first, second = senders(fake_rasa), senders(second_rasa)
    assert first and second and not first & second  # spread, and each conversation on one
    assert len(first | second) == len(CHATS)
    # every gateway picks the same engine for a conversation, whatever order the URLs come in
    for chat in CHATS:
        on = owner(chat, (fake_rasa, second_rasa))
        assert f"telegram:{chat}" in senders(on)
        assert rendezvous_order(f"telegram:{chat}", [second_rasa.url, fake_rasa.url])[0] == on.url


async def test_a_refused_connection_fails_over_and_the_conversation_comes_back(
    two_engines: Settings,
    store: TelemetryStore,
    fake_tg: FakeTelegram,
    fake_rasa: FakeRasa,
    second_rasa: FakeRasa,
) -> None:
    engines = (fake_rasa, second_rasa)
    chat = next(c for c in CHATS if owner(c, engines) is fake_rasa)
    async with running(two_engines, store) as gw:
        await fake_rasa.stop()  # the process is gone: connections are refused
        assert await post(gw, message("where is my order?", chat_id=chat)) == 200
        assert replies_to(fake_tg, chat) == ["You said: where is my order?"]
        assert senders(second_rasa) == {f"telegram:{chat}"}
        ready = (await gw.client.get("/readyz")).json()
        assert ready["ready"] is True
        assert ready["engines"] == {fake_rasa.url: False, second_rasa.url: True}

        await fake_rasa.start()  # same port: back after the refused engine's rest period
        gw.services.engine.router.answered(fake_rasa.url)
        assert await post(gw, message("thanks", chat_id=chat)) == 200
    assert replies_to(fake_tg, chat) == ["You said: where is my order?", "You said: thanks"]
    assert [c.params["message"] for c in fake_rasa.of("rest")] == ["thanks"]


async def test_an_engine_that_answers_with_an_error_is_not_failed_over(
    two_engines: Settings,
    store: TelemetryStore,
    fake_tg: FakeTelegram,
    fake_rasa: FakeRasa,
    second_rasa: FakeRasa,
) -> None:
    engines = (fake_rasa, second_rasa)
    chat = next(c for c in CHATS if owner(c, engines) is fake_rasa)
    async with running(two_engines, store) as gw:
        fake_rasa.down = True  # answers 503: it may have the conversation's turn half done
        assert await post(gw, message("cancel my order", chat_id=chat)) == 200
        assert replies_to(fake_tg, chat) == [APOLOGY]  # kept, replayed later on its engine
        assert second_rasa.of("rest") == []
        assert gw.services.stats["messages_kept"] == 1


async def test_a_timeout_after_sending_is_not_failed_over(
    two_engines: Settings,
    store: TelemetryStore,
    fake_tg: FakeTelegram,
    fake_rasa: FakeRasa,
    second_rasa: FakeRasa,
) -> None:
    engines = (fake_rasa, second_rasa)
    chat = next(c for c in CHATS if owner(c, engines) is fake_rasa)
    fake_rasa.delay = 1.0  # the engine is running the turn when the gateway gives up
    async with running(replace(two_engines, rasa_timeout_seconds=0.3), store) as gw:
        assert await post(gw, message("cancel my order", chat_id=chat)) == 200
        assert replies_to(fake_tg, chat) == [APOLOGY]
        assert second_rasa.of("rest") == []


async def test_with_every_engine_unreachable_the_message_is_kept(
    settings: Settings, store: TelemetryStore, fake_tg: FakeTelegram
) -> None:
    gone = replace(settings, engine_urls=(closed_port_url(), closed_port_url()))
    async with running(gone, store) as gw:
        assert await post(gw, message("where is my order?")) == 200
        assert sent_texts(fake_tg) == [APOLOGY]
        assert gw.services.stats["messages_kept"] == 1
        r = await gw.client.get("/readyz")
        assert r.status_code == 503 and r.json()["engine"] is False


def test_a_refused_engine_is_tried_last_until_its_rest_period_ends() -> None:
    now = [0.0]
    router = EngineRouter(["http://a:5005", "http://b:5006/"], down_seconds=5, clock=lambda: now[0])
    key = next(
        k for k in (f"telegram:{i}" for i in range(100)) if router.order(k)[0].endswith("a:5005")
    )
    assert router.order(key) == ["http://a:5005", "http://b:5006"]
    router.refused("http://a:5005")
    assert router.order(key) == ["http://b:5006", "http://a:5005"]
    now[0] = 5.1
    assert router.order(key) == ["http://a:5005", "http://b:5006"]


def test_adding_an_engine_moves_only_the_conversations_it_wins() -> None:
    two = ["http://e1:5005", "http://e2:5006"]
    three = [*two, "http://e3:5007"]
    keys = [f"telegram:{i}" for i in range(3000)]
    moved = [k for k in keys if rendezvous_order(k, two)[0] != rendezvous_order(k, three)[0]]
    assert all(rendezvous_order(k, three)[0] == "http://e3:5007" for k in moved)
    assert 0.25 < len(moved) / len(keys) < 0.42  # about a third


def test_engine_urls_setting() -> None:
    env = {"ENGINE_URLS": " http://e1:5005/, http://e2:5006 ,,http://e1:5005", "RASA_URL": "x"}
    assert engine_urls_from_env(env) == ("http://e1:5005", "http://e2:5006")
    assert Settings.from_env(env).engines == ("http://e1:5005", "http://e2:5006")
    assert Settings.from_env({"RASA_URL": "http://one:5005/"}).engines == ("http://one:5005",)


@pytest.mark.parametrize(
    ("replicas", "lock_store", "says"),
    [
        ("2", "in_memory", "ENGINE_REPLICAS=2 needs a lock store the engines share"),
        ("two", "redis", "ENGINE_REPLICAS must be a whole number"),
    ],
)
def test_make_run_refuses_replicas_without_a_shared_lock_store(
    replicas: str, lock_store: str, says: str
) -> None:
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "ENGINE_REPLICAS": replicas, "LOCK_STORE_TYPE": lock_store,
           "RASA_TOKEN": "t"}  # fmt: skip
    done = subprocess.run(
        ["bash", str(root / "scripts" / "run.sh")], env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert says in done.stderr
