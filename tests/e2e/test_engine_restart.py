"""An engine that dies mid-conversation loses nothing: its trackers are in the SQL tracker store
endpoints.yml configures (a SQLite file here, as with `make run`), so the customer continues
where they were, in a form or in the survey."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from cx_telemetry import TelemetryStore
from cx_telemetry.models import SurveyResponse
from tests.bot.conftest import Running, running
from tests.bot.fakes import FakeSlack, FakeTelegram

from .conftest import (
    RASA_TOKEN,
    Stack,
    engine_stores,
    free_port,
    gateway_settings,
    start_engine,
    wait_until_up,
)
from .test_conversations_e2e import Customer

pytestmark = pytest.mark.engine


@dataclass
class Engine:
    """One engine process of our own, killed and started again on the same port and stores."""

    env: dict[str, str]
    port: int
    log: Path
    proc: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait(self) -> None:
        wait_until_up(f"{self.url}/status?token={RASA_TOKEN}", self.proc, self.log, 240)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)  # a crash: nothing gets flushed on the way out
        self.proc.wait(timeout=30)

    def restart(self) -> None:
        self.kill()
        self.proc = start_engine(self.env, self.port, self.log)
        self.wait()


@pytest.fixture(scope="module")
def engine(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    work = tmp_path_factory.mktemp("engine-restart")
    env = {**stack.env, **engine_stores(work)}
    port = free_port()
    log = work / "engine.log"
    eng = Engine(env, port, log, start_engine(env, port, log))
    try:
        eng.wait()
        yield eng
    finally:
        eng.proc.terminate()
        try:
            eng.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            eng.proc.kill()


@pytest.fixture
async def gateway(
    stack: Stack, engine: Engine, fake_tg: FakeTelegram, fake_slack: FakeSlack
) -> AsyncIterator[Running]:
    settings = gateway_settings(
        stack, fake_tg, fake_slack, rasa_url=engine.url, instance_id="gw-e2e-restart"
    )
    async with running(settings, TelemetryStore.from_settings(stack.telemetry)) as gw:
        yield gw


async def test_a_form_in_progress_continues_after_an_engine_crash(
    gateway: Running, fake_tg: FakeTelegram, engine: Engine
) -> None:
    ann = Customer(gateway, fake_tg, chat=6301)
    await ann.says("where is my order?")
    assert "order number" in ann.texts()[-1], ann.lines
    engine.restart()
    await ann.says("10002")
    assert "e-mail address on order #10002" in ann.texts()[-1], ann.lines
    engine.restart()
    await ann.says("ben.okafor@example.com")  # the order's e-mail: a look-up needs no code
    answer = " ".join(ann.texts()[-2:])
    assert "is on its way with" in answer and "#10002" in answer, ann.lines
    assert not any("didn't quite get that" in t for t in ann.texts()), ann.lines


async def test_a_survey_in_progress_records_the_tap_after_an_engine_crash(
    gateway: Running, fake_tg: FakeTelegram, engine: Engine, stack: Stack
) -> None:
    ann = Customer(gateway, fake_tg, chat=6302)
    await ann.says("where is my order 10002?")
    await ann.says("ben.okafor@example.com")
    await ann.taps("No")
    assert ann.texts()[-2] == "Before you go: two quick questions, one tap each.", ann.lines
    engine.restart()
    await ann.taps("4")
    assert ann.texts()[-1].startswith("How much do you agree: Brightcart made it easy"), ann.lines
    await ann.taps("6")
    assert ann.texts()[-1].endswith("Have a good day!"), ann.lines
    assert not any("didn't quite get that" in t for t in ann.texts()), ann.lines
    store = TelemetryStore.from_settings(stack.telemetry)
    answered = store.run(
        lambda s: sorted(
            (r.metric, r.score)
            for r in s.scalars(select(SurveyResponse).where(SurveyResponse.status == "answered"))
            if r.score is not None
        )
    )
    assert ("csat", 4) in answered and ("ces", 6) in answered, answered
