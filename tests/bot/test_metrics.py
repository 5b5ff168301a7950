"""``GET /metrics``: Prometheus text a scraper parses; each counter counts one thing."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from pathlib import Path

from prometheus_client import Counter
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families

import bot
from bot.state.database import GatewayDatabase
from tests.bot.conftest import Running
from tests.bot.fakes import FakeRasa, FakeTelegram
from tests.bot.test_telegram import message, post, sent_texts


async def scrape(gw: Running) -> dict[str, float]:
    """Every sample by name, labelled ones as ``name{label=value}``."""
    r = await gw.client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"] == CONTENT_TYPE_LATEST
    samples: dict[str, float] = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
            samples[f"{s.name}{{{labels}}}" if labels else s.name] = s.value
    return samples


async def test_every_counter_is_exported_from_zero_with_what_it_counts(gw: Running) -> None:
    r = await gw.client.get("/metrics")
    families = {f.name: f for f in text_string_to_metric_families(r.text)}
    counters = [f for f in families.values() if f.type == "counter"]
    declared = [c for c in vars(gw.services.stats).values() if isinstance(c, Counter)]
    assert len(counters) == len(declared) == 29
    for family in counters:
        assert family.name.startswith("gateway_") and len(family.documentation) > 20
        totals = [s for s in family.samples if s.name.endswith("_total")]
        assert [(s.name, s.value) for s in totals] == [(f"{family.name}_total", 0)]
    assert (
        families["gateway_messages_kept"].documentation
    ) == "Messages kept for a later replay because no engine answered, once per message."
    assert families["gateway_inbox_depth"].type == "gauge"


async def test_the_readme_lists_every_metric(gw: Running) -> None:
    readme = (Path(bot.__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    names = {s.split("{")[0] for s in await scrape(gw) if not s.endswith("_created")}
    assert names and not [n for n in names if f"`{n}" not in readme]
    r = await gw.client.get("/metrics")
    counters = [f for f in text_string_to_metric_families(r.text) if f.type == "counter"]
    assert not [f.name for f in counters if f"| counter | {f.documentation} |" not in readme]


async def test_one_message_is_received_once_even_when_telegram_delivers_it_twice(
    gw: Running, fake_tg: FakeTelegram
) -> None:
    update = message("where is my order?")
    assert await post(gw, update) == 200
    assert await post(gw, update) == 200  # Telegram's redelivery: a duplicate
    assert sent_texts(fake_tg) == ["You said: where is my order?"]
    m = await scrape(gw)
    assert m["gateway_messages_received_total"] == 1
    assert m["gateway_replies_delivered_total"] == 1
    assert m["gateway_delivery_failed_total"] == 0
    assert m["gateway_inbox_depth"] == 0


async def test_a_503_during_a_database_outage_is_counted_as_refused(
    gw: Running, fake_tg: FakeTelegram, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    inbox = gw.services.inbox.store
    up, inbox.db = inbox.db, GatewayDatabase(f"sqlite:///{tmp_path}/gone/gateway.sqlite3")
    assert await post(gw, message("hello")) == 503
    m = await scrape(gw)
    assert m["gateway_webhooks_refused_total"] == 1
    assert m["gateway_messages_received_total"] == 0
    assert m["gateway_database_up"] == 0 and math.isnan(m["gateway_inbox_depth"])
    inbox.db = up  # back: Telegram's redelivery is answered
    assert await post(gw, message("hello")) == 200
    m = await scrape(gw)
    assert m["gateway_webhooks_refused_total"] == 1
    assert m["gateway_messages_received_total"] == 1
    assert m["gateway_database_up"] == 1 and m["gateway_inbox_depth"] == 0


async def test_a_kept_message_counts_once_however_often_it_is_kept_again(
    gw: Running, fake_tg: FakeTelegram, fake_rasa: FakeRasa
) -> None:
    fake_rasa.down = True
    assert await post(gw, message("cancel my order")) == 200
    for _ in range(2):  # replays while the engine is still down
        await gw.services.timers.run_once(datetime.now(timezone.utc) + timedelta(hours=1))
    m = await scrape(gw)
    assert m["gateway_messages_kept_total"] == 1
    assert m["gateway_messages_kept_again_total"] == 2
    assert m["gateway_kept_messages"] == 1
    assert m[f"gateway_engine_ready{{engine={fake_rasa.url}}}"] == 0
    fake_rasa.down = False
    await gw.services.timers.run_once(datetime.now(timezone.utc) + timedelta(hours=3))
    assert sent_texts(fake_tg)[-1] == "You said: cancel my order"
    m = await scrape(gw)
    assert m["gateway_messages_kept_total"] == 1
    assert m["gateway_messages_replayed_total"] == 1
    assert m["gateway_messages_lost_total"] == 0
    assert m["gateway_kept_messages"] == 0
    assert m[f"gateway_engine_ready{{engine={fake_rasa.url}}}"] == 1


async def test_the_inbox_depth_shows_updates_accepted_and_not_answered(gw: Running) -> None:
    # a gateway that accepted two updates and died before answering them
    store = gw.services.inbox.store
    now = datetime.now(timezone.utc)
    for n in (1, 2):
        store.accept(f"telegram:update:{n}", "telegram", "telegram:99", message("hi"), now)
    assert (await scrape(gw))["gateway_inbox_depth"] == 2


async def test_timers_due_and_late(gw: Running) -> None:
    timers, now = gw.services.timer_store, datetime.now(timezone.utc)
    timers.schedule("unknown-kind", "c-late", now - timedelta(minutes=2), {})
    timers.schedule("unknown-kind", "c-on-time", now - timedelta(seconds=1), {})
    timers.schedule("unknown-kind", "c-later", now + timedelta(minutes=5), {})
    m = await scrape(gw)
    assert m["gateway_timers_due"] == 2
    assert await gw.services.timers.run_once(now) == 2
    m = await scrape(gw)
    assert m["gateway_timers_fired_total"] == 2
    assert m["gateway_timers_late_total"] == 1  # the one claimed 2 minutes after it was due
    assert m["gateway_timers_due"] == 0
