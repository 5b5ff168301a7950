"""The real stack: the trained Rasa engine and the action server as subprocesses, the gateway
in-process, the fake Telegram and Slack APIs on 127.0.0.1, and a real local SMTP server
(``tests/fakes/smtp.py``) the shop mails verification codes through. `make test` trains before
pytest."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme

from actions.verification.codes import read_code
from actions.verification.database import VerificationDatabase
from bot import Settings
from bot.state.database import GatewayDatabase
from cx_telemetry import Settings as TelemetrySettings
from cx_telemetry import TelemetryStore
from tests.bot.conftest import SLACK_SECRET, SLACK_TOKEN, TG_SECRET, TG_TOKEN, Running, running
from tests.bot.fakes import FakeSlack, FakeTelegram
from tests.fakes.smtp import FakeSmtp, write_ca

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "current.tar.gz"
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
RASA_TOKEN = "e2e-rasa-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Stack:
    rasa_url: str
    env: dict[str, str]
    telemetry: TelemetrySettings
    mail: FakeSmtp | None = None

    def code_for(self, email: str) -> str:
        """The newest verification code the shop mailed to ``email``."""
        assert self.mail is not None, "this stack runs without the SMTP server"
        codes = [read_code(str(m["Subject"])) for m in self.mail.messages if str(m["To"]) == email]
        assert codes and codes[-1], f"no code mailed to {email}"
        return str(codes[-1])


def wait_until_up(url: str, proc: subprocess.Popen[bytes], log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited early:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} not up after {seconds:.0f}s:\n{log.read_text()[-3000:]}")


def engine_stores(work: Path) -> dict[str, str]:
    """endpoints.yml's settings as `make run` has them: trackers in a SQLite file, one engine."""
    return {
        "TRACKER_STORE_URL": f"sqlite:///{work / 'trackers.sqlite3'}",
        "LOCK_STORE_TYPE": "in_memory",
        "LOCK_STORE_URL": "localhost",
        "LOCK_STORE_PORT": "6379",
    }


def start_engine(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """`rasa run` on the trained model, as scripts/run.sh starts it."""
    return subprocess.Popen(
        [str(RASA), "run", "--enable-api", "--auth-token", RASA_TOKEN, "--port", str(port),
         "--model", str(MODEL), "--endpoints", "endpoints.yml", "--credentials", "credentials.yml"],
        cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
    )  # fmt: skip


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not MODEL.exists() or not RASA.exists():
        if os.environ.get("CX_E2E_REQUIRED"):
            pytest.fail(f"end-to-end tests need {MODEL} and {RASA} (run `make train`)")
        pytest.skip("no trained model: run `make train` (make test does)")
    work = tmp_path_factory.mktemp("e2e")
    telemetry = TelemetrySettings(
        db_url=f"sqlite:///{work / 'telemetry.sqlite3'}",
        pseudonym_key="e2e-pseudonym-key",
        outbox_dir=work / "outbox",
    )
    TelemetryStore.from_settings(telemetry).migrate()
    GatewayDatabase(telemetry.db_url).migrate()  # the gateway's tables, same file
    VerificationDatabase(telemetry.db_url).migrate()  # verified chats, codes, guesses
    ca = trustme.CA()
    mail = FakeSmtp(ca).start()
    actions_port, engine_port = free_port(), free_port()
    env = {
        **os.environ,
        "CX_TELEMETRY_DB_URL": telemetry.db_url,
        "CX_PSEUDONYM_KEY": "e2e-pseudonym-key",
        "CX_TELEMETRY_OUTBOX": str(work / "outbox"),
        "SHOP_DEMO_DB": str(work / "shop.sqlite3"),
        "CX_SURVEY_CONFIG": str(ROOT / "survey.yml"),
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{actions_port}/webhook",
        "RASA_TELEMETRY_ENABLED": "false",
        **engine_stores(work),
        "SMTP_URL": mail.url(),
        "SMTP_CA_FILE": str(write_ca(ca, work)),
    }
    logs = [work / "actions.log", work / "engine.log"]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(actions_port)],
            cwd=ROOT, env=env, stdout=logs[0].open("wb"), stderr=subprocess.STDOUT,
        ),
        start_engine(env, engine_port, logs[1]),
    ]  # fmt: skip
    try:
        wait_until_up(f"http://127.0.0.1:{actions_port}/health", procs[0], logs[0], 60)
        wait_until_up(
            f"http://127.0.0.1:{engine_port}/status?token={RASA_TOKEN}", procs[1], logs[1], 240
        )
        yield Stack(f"http://127.0.0.1:{engine_port}", env, telemetry, mail)
    finally:
        mail.stop()
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def gateway_settings(
    stack: Stack, fake_tg: FakeTelegram, fake_slack: FakeSlack, **extra: Any
) -> Settings:
    """Gateway settings pointing at the real engine, the fakes and the stack's telemetry."""
    base: dict[str, Any] = dict(
        rasa_url=stack.rasa_url,
        rasa_token=RASA_TOKEN,
        rasa_timeout_seconds=60,
        telegram_bot_token=TG_TOKEN,
        telegram_webhook_secret=TG_SECRET,
        telegram_api_base_url=fake_tg.base_url,
        slack_bot_token=SLACK_TOKEN,
        slack_signing_secret=SLACK_SECRET,
        slack_api_base_url=fake_slack.base_url,
        telemetry=stack.telemetry,
        idle_timeout=timedelta(minutes=15),
        timer_poll_seconds=0,
        replay_delay_seconds=0.0,
        delivery_attempts=3,
        delivery_backoff_seconds=0.01,
        instance_id="gw-e2e",
    )
    return Settings(**{**base, **extra})


@pytest.fixture
async def gateway(
    stack: Stack, fake_tg: FakeTelegram, fake_slack: FakeSlack
) -> AsyncIterator[Running]:
    store = TelemetryStore.from_settings(stack.telemetry)
    async with running(gateway_settings(stack, fake_tg, fake_slack), store) as gw:
        yield gw
