"""Engine outages, readiness, and durable timers shared by two gateways."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta, timezone

from bot import Settings
from bot.messages import APOLOGY
from cx_telemetry import TelemetryStore
from tests.bot.conftest import Running, running, wait_for
from tests.bot.fakes import FakeRasa, FakeTelegram
from tests.bot.test_telegram import message, post, sent_texts


async def test_healthz_and_readyz(gw: Running, fake_rasa: FakeRasa) -> None:
    assert (await gw.client.get("/healthz")).status_code == 200
    r = await gw.client.get("/readyz")
    assert r.status_code == 200 and r.json() == {
        "ready": True, "engine": True, "database": True, "engines": {fake_rasa.url: True}
    }  # fmt: skip
    fake_rasa.down = True
    r = await gw.client.get("/readyz")
    assert r.status_code == 503 and r.json()["engine"] is False
    assert (await gw.client.get("/healthz")).status_code == 200


async def test_readyz_reports_database_down(
    settings: Settings, fake_rasa: FakeRasa, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    broken = replace(settings.telemetry, db_url=f"sqlite:///{tmp_path}/missing-dir/x/db.sqlite3")
    store = TelemetryStore.from_settings(broken)
    async with running(replace(settings, telemetry=broken), store) as gw:
        r = await gw.client.get("/readyz")
        assert r.status_code == 503 and r.json()["database"] is False


async def test_engine_down_then_up_replays_kept_message(
    gw: Running, fake_tg: FakeTelegram, fake_rasa: FakeRasa
) -> None:
    fake_rasa.down = True
    assert await post(gw, message("cancel my order")) == 200
    assert sent_texts(fake_tg) == [APOLOGY]
    assert gw.services.stats["messages_kept"] == 1
    # still down: the kept message is kept again, nothing reaches the customer
    await gw.services.timers.run_once()
    assert sent_texts(fake_tg) == [APOLOGY]
    fake_rasa.down = False
    await gw.services.timers.run_once(datetime.now(timezone.utc) + timedelta(seconds=5))
    assert sent_texts(fake_tg) == [APOLOGY, "You said: cancel my order"]
    # replayed once only
    await gw.services.timers.run_once(datetime.now(timezone.utc) + timedelta(hours=1, seconds=5))
    assert [c.params["message"] for c in fake_rasa.of("rest")].count("cancel my order") == 3
    assert sent_texts(fake_tg).count("You said: cancel my order") == 1


async def test_engine_timeout_is_an_outage(
    with_settings, store: TelemetryStore, fake_tg: FakeTelegram, fake_rasa: FakeRasa
) -> None:  # type: ignore[no-untyped-def]
    fake_rasa.delay = 1.0
    async with running(with_settings(rasa_timeout_seconds=0.2), store) as gw:
        await post(gw, message("slow"))
        assert sent_texts(fake_tg) == [APOLOGY]


async def test_idle_timer_fires_once_with_two_gateways(
    with_settings,
    store: TelemetryStore,
    telemetry_settings,
    fake_tg: FakeTelegram,
    fake_rasa: FakeRasa,
) -> None:  # type: ignore[no-untyped-def]
    idle = timedelta(milliseconds=300)
    a = with_settings(idle_timeout=idle, timer_poll_seconds=0.02, instance_id="gw-a")
    b = with_settings(idle_timeout=idle, timer_poll_seconds=0.02, instance_id="gw-b")
    store_b = TelemetryStore.from_settings(telemetry_settings)  # a second process's own store
    async with contextlib.AsyncExitStack() as stack:
        gw_a = await stack.enter_async_context(running(a, store))
        gw_b = await stack.enter_async_context(running(b, store_b))
        await post(gw_a, message("hello"))
        await post(gw_b, message("still there?"))  # a customer message re-schedules the timer
        await wait_for(lambda: len(fake_rasa.of("trigger_intent")) >= 1, timeout=5)
        await asyncio.sleep(0.5)  # both gateways keep polling
    triggers = fake_rasa.of("trigger_intent")
    assert len(triggers) == 1
    assert triggers[0].params["name"] == "EXTERNAL_conversation_idle"
    assert triggers[0].params["sender"] == "telegram:42"
    assert (
        triggers[0].params["token"] == "rasa-token"
        and triggers[0].params["output_channel"] == "latest"
    )
    survey = [c for c in fake_tg.of("sendMessage") if c.params["text"] == "How would you rate us?"]
    assert len(survey) == 1
    assert len(survey[0].params["reply_markup"]["inline_keyboard"]) == 5


async def test_idle_timer_survives_restart(
    with_settings, store: TelemetryStore, fake_tg: FakeTelegram, fake_rasa: FakeRasa
) -> None:  # type: ignore[no-untyped-def]
    s = with_settings(idle_timeout=timedelta(minutes=15))
    async with running(s, store) as gw:
        await post(gw, message("hello"))
    async with running(s, store) as gw:  # a fresh process: the timer is in the database
        assert await gw.services.timers.run_once() == 0
        later = datetime.now(timezone.utc) + timedelta(minutes=16)
        assert await gw.services.timers.run_once(later) == 1
    assert len(fake_rasa.of("trigger_intent")) == 1
    assert sent_texts(fake_tg)[-1] == "How would you rate us?"


async def test_polling_mode(
    with_settings, store: TelemetryStore, fake_tg: FakeTelegram, fake_rasa: FakeRasa
) -> None:  # type: ignore[no-untyped-def]
    update = message("via polling")
    fake_tg.updates.append(update)
    async with running(with_settings(telegram_mode="polling"), store):
        await wait_for(lambda: len(fake_tg.of("sendMessage")) == 1)
    assert fake_tg.of("deleteWebhook")
    assert sent_texts(fake_tg) == ["You said: via polling"]


async def test_idle_timer_skips_closed_conversation(
    gw: Running, store: TelemetryStore, fake_tg: FakeTelegram, fake_rasa: FakeRasa
) -> None:
    await post(gw, message("bye"))
    cid = fake_rasa.of("rest")[0].params["metadata"]["conversation_id"]
    store.close_conversation(cid)
    later = datetime.now(timezone.utc) + timedelta(minutes=16)
    assert await gw.services.timers.run_once(later) == 1
    assert fake_rasa.of("trigger_intent") == []


async def test_an_idle_timer_scheduled_during_a_database_outage_fires_later(
    with_settings, store: TelemetryStore, fake_tg: FakeTelegram, fake_rasa: FakeRasa, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from bot.state.database import GatewayDatabase

    s = with_settings(idle_timeout=timedelta(minutes=15))
    async with running(s, store) as gw:
        timers = gw.services.timer_store
        up, timers.db = timers.db, GatewayDatabase(f"sqlite:///{tmp_path}/gone/gateway.sqlite3")
        await post(gw, message("hello"))  # accepted, answered; then the database went away
        assert sent_texts(fake_tg) == ["You said: hello"]
        assert gw.services.stats["timers_deferred"] == 1
        with contextlib.suppress(Exception):
            await gw.services.timers.run_once()  # still down: the schedule keeps waiting
        timers.db = up  # the database is back
        assert await gw.services.timers.run_once() == 0  # in place, due in 15 minutes
        later = datetime.now(timezone.utc) + timedelta(minutes=16)
        assert await gw.services.timers.run_once(later) == 1
    assert len(fake_rasa.of("trigger_intent")) == 1
    assert sent_texts(fake_tg)[-1] == "How would you rate us?"
    assert gw.services.stats["timer_schedule_failed"] == 0


async def test_kept_messages_are_answered_within_5_s_of_the_engine_answering_again(
    with_settings, store: TelemetryStore, fake_tg: FakeTelegram, fake_rasa: FakeRasa
) -> None:  # type: ignore[no-untyped-def]
    # The backoff alone would wait a minute: only the readiness probe can make it in time.
    s = with_settings(timer_poll_seconds=0.5, engine_probe_seconds=0.5, replay_delay_seconds=60)
    async with running(s, store) as gw:
        fake_rasa.down = True
        assert await post(gw, message("first", chat_id=61)) == 200
        assert await post(gw, message("second", chat_id=62)) == 200
        await asyncio.sleep(1.2)  # the probe sees the engine still down: nothing replays
        assert sent_texts(fake_tg) == [APOLOGY, APOLOGY]
        fake_rasa.down = False
        back = asyncio.get_running_loop().time()
        await wait_for(lambda: len(sent_texts(fake_tg)) == 4, timeout=5)
        assert asyncio.get_running_loop().time() - back < 5
    assert sorted(sent_texts(fake_tg)[2:]) == ["You said: first", "You said: second"]
    assert gw.services.stats["messages_kept"] == 2


async def test_health_reports_the_engine_the_inbox_and_what_waits(
    gw: Running, fake_tg: FakeTelegram, fake_rasa: FakeRasa
) -> None:
    r = await gw.client.get("/health")
    assert r.status_code == 200
    assert r.json() == {
        "healthy": True,
        "engine": {"ready": True},
        "engines": {fake_rasa.url: True},
        "database": True,
        "inbox": {"waiting": 0},
        "kept_messages": 0,
        "timers": {"due": 0},
        "telemetry_outbox": {"pending": 0, "dead": 0},
        "timer_outbox": {"pending": 0},
    }
    fake_rasa.down = True
    assert await post(gw, message("anyone there?")) == 200
    r = await gw.client.get("/health")
    assert r.status_code == 503
    assert r.json()["engine"]["ready"] is False and r.json()["kept_messages"] == 1
