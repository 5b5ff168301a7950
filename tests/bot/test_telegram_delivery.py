"""Telegram delivery: 429 honoured, 5xx retried with backoff, failures counted; dedupe 503."""

from __future__ import annotations

import time

from tests.bot.conftest import Running
from tests.bot.fakes import FakeTelegram
from tests.bot.test_telegram import message, post, sent_texts


async def test_429_retry_after_is_honoured(gw: Running, fake_tg: FakeTelegram) -> None:
    fake_tg.fail("sendMessage", 429, retry_after=1)
    started = time.perf_counter()
    await post(gw, message("hello"))
    assert time.perf_counter() - started >= 0.95
    assert len(fake_tg.of("sendMessage")) == 2
    assert gw.services.stats["replies_delivered"] == 1


async def test_5xx_is_retried(gw: Running, fake_tg: FakeTelegram) -> None:
    fake_tg.fail("sendMessage", 502)
    fake_tg.fail("sendMessage", 500)
    await post(gw, message("hello"))
    assert len(fake_tg.of("sendMessage")) == 3
    assert gw.services.stats["delivery_failed"] == 0


async def test_undeliverable_reply_is_logged_and_counted(
    gw: Running, fake_tg: FakeTelegram, caplog
) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        fake_tg.fail("sendMessage", 500)
    await post(gw, message("hello"))
    assert gw.services.stats["delivery_failed"] == 1
    assert "undeliverable reply on telegram" in caplog.text
    metrics = (await gw.client.get("/metrics")).text
    assert "\ngateway_delivery_failed_total 1.0\n" in metrics


async def test_forbidden_is_not_retried(gw: Running, fake_tg: FakeTelegram) -> None:
    fake_tg.fail("sendMessage", 403)
    await post(gw, message("hello"))
    assert len(fake_tg.of("sendMessage")) == 1
    assert gw.services.stats["delivery_failed"] == 1


async def test_inbox_down_asks_telegram_to_redeliver(
    gw: Running, fake_tg: FakeTelegram, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from bot.errors import StateUnavailable

    def down(*args: object) -> bool:
        raise StateUnavailable("db down")

    monkeypatch.setattr(gw.services.inbox.store, "accept", down)
    assert await post(gw, message("hello")) == 503
    assert sent_texts(fake_tg) == []


async def test_token_never_logged(gw: Running, fake_tg: FakeTelegram) -> None:
    import io
    import logging

    from bot.logs import RedactSecrets
    from tests.bot.conftest import TG_TOKEN

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets(gw.services.settings.secrets()))
    root = logging.getLogger()
    root.addHandler(handler)
    old = logging.getLogger("httpx").level
    logging.getLogger("httpx").setLevel(logging.INFO)
    try:
        fake_tg.fail("sendMessage", 403)
        await post(gw, message("hello"))
    finally:
        root.removeHandler(handler)
        logging.getLogger("httpx").setLevel(old)
    out = stream.getvalue()
    assert "sendMessage" in out or "undeliverable" in out
    assert TG_TOKEN not in out
    assert TG_TOKEN not in repr(gw.services.settings)


async def test_gateway_starts_when_telegram_is_unreachable(with_settings, store) -> None:  # type: ignore[no-untyped-def]
    from tests.bot.conftest import running

    async with running(with_settings(telegram_api_base_url="http://127.0.0.1:9/bot"), store) as gw:
        assert (await gw.client.get("/healthz")).status_code == 200
