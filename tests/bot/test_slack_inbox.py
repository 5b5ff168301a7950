"""Slack customer messages go through the durable inbox: the message is in the gateway's
database before Slack hears 200, Slack's retries of one event are answered once, and during a
database outage the webhook answers 503 so that Slack's retry brings the message in later."""

from __future__ import annotations

import asyncio
from pathlib import Path

from slack_bolt.async_app import AsyncBoltContext
from sqlalchemy import select

from bot.state.database import GatewayDatabase
from bot.state.inbox_store import InboxItem
from bot.state.schema import InboxRow
from tests.bot.conftest import Running, wait_for
from tests.bot.fakes import FakeRasa, FakeSlack
from tests.bot.test_slack import dm, event, posts, send

RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}


def answers(slack: FakeSlack, text: str) -> list[str]:
    return [p["text"] for p in posts(slack) if p.get("text") == f"You said: {text}"]


async def test_a_dm_is_in_the_inbox_before_the_200_and_answered_once(
    gw: Running, fake_slack: FakeSlack, fake_rasa: FakeRasa
) -> None:
    fake_rasa.delay = 0.5  # the engine is slow: the answer comes well after the ack
    r = await send(gw, event(dm("where is my order?")))
    assert r.status_code == 200
    assert await gw.services.inbox.depth() == 1  # durable: another gateway could take it over
    db = gw.services.inbox.store.db
    [row] = db.read(lambda s: s.scalars(select(InboxRow.payload)).all())
    assert row["event"]["text"] == "where is my order?" and "token" not in row  # legacy secret
    assert posts(fake_slack) == []
    await wait_for(lambda: len(answers(fake_slack, "where is my order?")) == 1)
    await gw.services.inbox.drain(5)
    assert await gw.services.inbox.depth() == 0
    assert len(fake_rasa.of("rest")) == 1


async def test_slack_retries_of_one_event_are_answered_once(
    gw: Running, fake_slack: FakeSlack, fake_rasa: FakeRasa
) -> None:
    fake_rasa.delay = 0.3
    payload = event(dm("only once"), event_id="EvSAME")
    assert (await send(gw, payload)).status_code == 200
    assert (await send(gw, payload, headers=RETRY)).status_code == 200  # while it is worked on
    await wait_for(lambda: len(answers(fake_slack, "only once")) == 1)
    retry = {**RETRY, "X-Slack-Retry-Num": "2"}
    assert (await send(gw, payload, headers=retry)).status_code == 200  # after the answer
    await gw.services.inbox.drain(5)
    await asyncio.sleep(0.2)
    assert len(answers(fake_slack, "only once")) == 1
    assert len(fake_rasa.of("rest")) == 1


async def test_a_database_outage_answers_503_and_slacks_retry_is_answered(
    gw: Running, fake_slack: FakeSlack, fake_rasa: FakeRasa, tmp_path: Path
) -> None:
    inbox = gw.services.inbox.store
    up, inbox.db = inbox.db, GatewayDatabase(f"sqlite:///{tmp_path}/gone/gateway.sqlite3")
    payload = event(dm("are you there?"), event_id="EvOUTAGE")
    r = await send(gw, payload)
    assert r.status_code == 503  # Slack retries a non-2xx
    await asyncio.sleep(0.2)
    assert fake_rasa.of("rest") == [] and posts(fake_slack) == []
    inbox.db = up
    assert (await send(gw, payload, headers=RETRY)).status_code == 200
    await wait_for(lambda: len(answers(fake_slack, "are you there?")) == 1)
    await gw.services.inbox.drain(5)
    assert len(fake_rasa.of("rest")) == 1


async def test_a_row_left_by_a_dead_gateway_is_answered_by_the_worker(
    gw: Running, fake_slack: FakeSlack, fake_rasa: FakeRasa
) -> None:
    """The row is committed and its gateway never works on it (it died after the 200): the
    inbox worker of any gateway picks it up once the lease and a grace period as long are over,
    and answers it once."""
    services = gw.services
    assert services.slack is not None
    store = services.inbox.store
    held: list[InboxItem] = []

    async def dies(item: InboxItem | None, handler: object) -> None:
        held.extend([item] if item else [])

    real_work, services.inbox.work = services.inbox.work, dies  # type: ignore[method-assign]
    payload = event(dm("still there?"))
    assert (await send(gw, payload)).status_code == 200
    await gw.services.inbox.drain(5)
    assert len(held) == 1 and posts(fake_slack) == []
    services.inbox.work = real_work  # type: ignore[method-assign]
    assert await services.inbox_worker.run_once() == 0  # the lease still runs
    later = services.inbox.clock
    services.inbox.clock = lambda: later() + store.lease * 2
    assert await services.inbox_worker.run_once() == 0  # its holder's grace period begins
    services.inbox.clock = lambda: later() + store.lease * 4
    assert await services.inbox_worker.run_once() == 1
    await wait_for(lambda: len(answers(fake_slack, "still there?")) == 1)
    await services.inbox.drain(5)
    assert await services.inbox.depth() == 0
    assert (await send(gw, payload, headers=RETRY)).status_code == 200  # a late retry: ignored
    await services.inbox.drain(5)
    assert len(answers(fake_slack, "still there?")) == 1


async def test_a_mention_goes_through_the_inbox_and_our_own_messages_do_not(
    gw: Running, fake_slack: FakeSlack, fake_rasa: FakeRasa
) -> None:
    mention = {"type": "app_mention", "channel": "C1", "user": "U7", "text": "<@UBOT> hi",
               "ts": "1700000100.000001"}  # fmt: skip
    bot_own = {**dm("our own words"), "bot_id": "BBOT"}
    assert (await send(gw, event(bot_own))).status_code == 200
    assert (await send(gw, event(mention))).status_code == 200
    await wait_for(lambda: len(answers(fake_slack, "hi")) == 1)
    await gw.services.inbox.drain(5)
    assert [c.params["message"] for c in fake_rasa.of("rest")] == ["hi"]
    assert [p.get("thread_ts") for p in posts(fake_slack)] == ["1700000100.000001"]


async def test_socket_mode_messages_go_through_the_inbox_and_survive_an_outage(
    gw: Running, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    """In Socket Mode bolt has acked before the listener runs: the message goes into the inbox
    after the ack, or, with the database down, is answered at once rather than lost."""
    slack = gw.services.slack
    assert slack is not None
    await slack._on_event(event(dm("over the socket")), AsyncBoltContext(bot_user_id="UBOT"))
    await wait_for(lambda: len(answers(fake_slack, "over the socket")) == 1)
    await gw.services.inbox.drain(5)
    inbox = gw.services.inbox.store
    up, inbox.db = inbox.db, GatewayDatabase(f"sqlite:///{tmp_path}/gone/gateway.sqlite3")
    await slack._on_event(event(dm("still over it")), AsyncBoltContext(bot_user_id="UBOT"))
    assert answers(fake_slack, "still over it") == ["You said: still over it"]
    inbox.db = up
