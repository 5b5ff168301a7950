"""Two real engine processes sharing a PostgreSQL tracker store and a Redis lock store (the
servers on this machine; the test creates its own database and drops it): one conversation
served by both in turn keeps its form and its survey, and when a conversation's engine dies
the gateway sends the next message to the other, which carries on where it was."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from actions.verification.database import VerificationDatabase
from bot.engine_routing import rendezvous_order
from bot.state.database import GatewayDatabase
from cx_telemetry import Settings as TelemetrySettings
from cx_telemetry import TelemetryStore
from tests.bot.conftest import running
from tests.bot.fakes import FakeSlack, FakeTelegram
from tests.bot.test_telegram import message, post, sent_texts
from tests.databases import PG_URL

from .conftest import (
    MODEL,
    RASA,
    RASA_TOKEN,
    ROOT,
    Stack,
    free_port,
    gateway_settings,
    wait_until_up,
)

pytestmark = pytest.mark.engine

REDIS = ("127.0.0.1", int(os.environ.get("CX_TEST_REDIS_PORT") or 6379))
# The shape of the project's endpoints.yml at scale (TRACKER_STORE_URL, LOCK_STORE_TYPE=redis).
ENDPOINTS = """\
action_endpoint:
  url: {actions}
tracker_store:
  type: SQL
  url: {trackers}
lock_store:
  type: redis
  url: {redis_host}
  port: {redis_port}
  key_prefix: {prefix}
"""


@dataclass(frozen=True)
class Replicas:
    urls: list[str]
    procs: list[subprocess.Popen[bytes]]
    stack: Stack


def _redis_up() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(scope="module")
def tracker_db() -> Iterator[str]:
    """A scratch PostgreSQL database for Rasa's trackers, dropped afterwards."""
    if not PG_URL:
        pytest.skip("CX_TELEMETRY_TEST_PG_URL is not set: no PostgreSQL for the tracker store")
    name = f"rasa_replicas_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(drivername="postgresql", database=name, query={})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory, tracker_db: str) -> Iterator[Replicas]:
    if not MODEL.exists() or not RASA.exists():
        if os.environ.get("CX_E2E_REQUIRED"):
            pytest.fail(f"end-to-end tests need {MODEL} and {RASA} (run `make train`)")
        pytest.skip("no trained model: run `make train` (make test does)")
    if not _redis_up():
        pytest.skip(f"no Redis on {REDIS[0]}:{REDIS[1]} for the lock store")
    work = tmp_path_factory.mktemp("replicas")
    telemetry = TelemetrySettings(
        db_url=f"sqlite:///{work / 'telemetry.sqlite3'}",
        pseudonym_key="e2e-pseudonym-key",
        outbox_dir=work / "outbox",
    )
    TelemetryStore.from_settings(telemetry).migrate()
    GatewayDatabase(telemetry.db_url).migrate()
    VerificationDatabase(telemetry.db_url).migrate()  # the order e-mail look-ups count guesses
    actions_port = free_port()
    endpoints = work / "endpoints.yml"
    endpoints.write_text(
        ENDPOINTS.format(
            actions=f"http://127.0.0.1:{actions_port}/webhook", trackers=tracker_db,
            redis_host=REDIS[0], redis_port=REDIS[1], prefix=f"e2e{uuid.uuid4().hex[:8]}",
        )
    )  # fmt: skip
    env = {
        **os.environ,
        "CX_TELEMETRY_DB_URL": telemetry.db_url,
        "CX_PSEUDONYM_KEY": "e2e-pseudonym-key",
        "CX_TELEMETRY_OUTBOX": str(work / "outbox"),
        "SHOP_DEMO_DB": str(work / "shop.sqlite3"),
        "SHOP_MAILDIR": str(work / "mail"),
        "CX_SURVEY_CONFIG": str(ROOT / "survey.yml"),
        "RASA_TELEMETRY_ENABLED": "false",
    }
    engine_ports = [free_port(), free_port()]
    logs = [work / "actions.log", work / "engine-1.log", work / "engine-2.log"]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(actions_port)],
            cwd=ROOT, env=env, stdout=logs[0].open("wb"), stderr=subprocess.STDOUT,
        ),
        *(subprocess.Popen(
            [str(RASA), "run", "--enable-api", "--auth-token", RASA_TOKEN, "--port", str(port),
             "--model", str(MODEL), "--endpoints", str(endpoints), "--credentials", "credentials.yml"],
            cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        ) for port, log in zip(engine_ports, logs[1:], strict=True)),
    ]  # fmt: skip
    urls = [f"http://127.0.0.1:{port}" for port in engine_ports]
    try:
        wait_until_up(f"http://127.0.0.1:{actions_port}/health", procs[0], logs[0], 60)
        for url, proc, log in zip(urls, procs[1:], logs[1:], strict=True):
            wait_until_up(f"{url}/status?token={RASA_TOKEN}", proc, log, 300)
        yield Replicas(urls, procs[1:], Stack(urls[0], env, telemetry))
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def say(engine_url: str, sender: str, words: str) -> list[str]:
    """One customer message straight to one engine's REST channel; the texts it answers."""
    body = {"sender": sender, "message": words, "metadata": {"channel": "telegram"}}
    r = httpx.post(f"{engine_url}/webhooks/rest/webhook", json=body, timeout=120)
    r.raise_for_status()
    return [m["text"] for m in r.json() if m.get("text")]


def test_two_engines_serving_one_conversation_in_turn_keep_its_state(replicas: Replicas) -> None:
    a, b = replicas.urls
    sender = f"telegram:{uuid.uuid4().int % 10**9}"
    asked = say(a, sender, "where is my order?")
    assert any("order number" in t.lower() for t in asked), asked
    # the other engine knows the form is waiting for an order number
    email = say(b, sender, "10002")
    assert any("e-mail address on order #10002" in t for t in email), email
    answer = say(a, sender, "ben.okafor@example.com")  # the order's e-mail, on the first engine
    assert any("#10002" in t and "is on its way with" in t for t in answer), answer
    assert answer[-1] == "Anything else I can help with?"
    # ... and that it asked "Anything else?": a No starts the survey
    survey = say(b, sender, "no")
    assert survey[-1].startswith("How satisfied are you with the help you got today?"), survey
    # the survey goes on across engines: the CSAT tap is followed by the CES question
    ces = say(a, sender, "csat:4")
    assert ces[-1].startswith("How much do you agree: Brightcart made it easy"), ces
    done = say(b, sender, "ces:6")
    assert done[0].startswith("Thank you for your feedback"), done


async def test_when_a_conversations_engine_dies_the_other_carries_on(
    replicas: Replicas, fake_tg: FakeTelegram, fake_slack: FakeSlack
) -> None:
    a, b = replicas.urls
    chat = next(c for c in range(5000, 5100) if rendezvous_order(f"telegram:{c}", [a, b])[0] == a)
    settings = gateway_settings(replicas.stack, fake_tg, fake_slack, engine_urls=(a, b))
    store = TelemetryStore.from_settings(replicas.stack.telemetry)
    async with running(settings, store) as gw:
        assert await post(gw, message("where is my order?", chat_id=chat)) == 200
        assert any("order number" in t.lower() for t in sent_texts(fake_tg)), sent_texts(fake_tg)
        replicas.procs[0].send_signal(signal.SIGKILL)  # engine a is gone mid-form
        replicas.procs[0].wait(timeout=10)
        assert await post(gw, message("10002", chat_id=chat)) == 200
        assert "e-mail address on order #10002" in sent_texts(fake_tg)[-1], sent_texts(fake_tg)
        email = message("ben.okafor@example.com", chat_id=chat)
        assert await post(gw, email) == 200
        texts = sent_texts(fake_tg)
        assert any("#10002" in t and "is on its way with" in t for t in texts), texts
        ready = (await gw.client.get("/readyz")).json()
        assert ready["ready"] is True and ready["engines"] == {a: False, b: True}
