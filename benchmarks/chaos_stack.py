"""The processes `make bench-chaos` runs and breaks: the trained engine, the action server and
two `python -m bot` gateways on 127.0.0.1, the project's tables in a PostgreSQL database of
their own (created here, dropped at the end), and the database outage."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import (  # noqa: E402
    MODEL,
    RASA,
    RASA_TOKEN,
    free_port,
    start_engine,
    wait_until_up,
)

TG_TOKEN = "123456:CHAOS-telegram-token"
TG_SECRET = "chaos-webhook-secret"
PSEUDONYM_KEY = "chaos-pseudonym-key"


class ChaosDatabase:
    """``chaos_<random>`` on the local PostgreSQL: created, broken for a while, dropped."""

    def __init__(self, admin_url: str) -> None:
        self.name = f"chaos_{uuid.uuid4().hex[:10]}"
        self.admin: Engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.url = make_url(admin_url).set(database=self.name).render_as_string(False)

    def create(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))

    def _kick(self, conn: object) -> None:
        conn.execute(  # type: ignore[attr-defined]
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                 "WHERE datname = :db AND pid <> pg_backend_pid()"), {"db": self.name},
        )  # fmt: skip

    def outage(self, down: bool) -> None:
        """Down: nobody may connect and every open connection is cut. Up: connections allowed."""
        with self.admin.connect() as conn:
            allow = "false" if down else "true"
            conn.execute(text(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS {allow}'))
            if down:
                self._kick(conn)

    def drop(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true'))
            self._kick(conn)
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}"'))
        self.admin.dispose()


class Stack:
    """Engine, action server and gateways sharing ``env``; logs in ``work``."""

    def __init__(self, work: Path, db_url: str, telegram_api: str, idle_seconds: float) -> None:
        if not MODEL.exists() or not RASA.exists():
            raise SystemExit(f"needs {MODEL} and {RASA}: run `make train` first")
        self.work = work
        self.engine_port, self.actions_port = free_port(), free_port()
        self.rasa_url = f"http://127.0.0.1:{self.engine_port}"
        self.env = {
            **os.environ,
            "CX_TELEMETRY_DB_URL": db_url,
            "CX_PSEUDONYM_KEY": PSEUDONYM_KEY,
            "CX_TELEMETRY_OUTBOX": str(work / "outbox-actions"),
            "CX_SURVEY_CONFIG": str(ROOT / "survey.yml"),
            "SHOP_DEMO_DB": str(work / "shop.sqlite3"),
            "SHOP_MAILDIR": str(work / "mail"),
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{self.actions_port}/webhook",
            "RASA_TELEMETRY_ENABLED": "false",
            "TRACKER_STORE_URL": f"sqlite:///{work / 'trackers.sqlite3'}",
            "LOCK_STORE_TYPE": "in_memory",
            "LOCK_STORE_URL": "localhost",
            "LOCK_STORE_PORT": "6379",
            "RASA_URL": self.rasa_url,
            "RASA_TOKEN": RASA_TOKEN,
            "RASA_TIMEOUT_SECONDS": "60",
            "TELEGRAM_BOT_TOKEN": TG_TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": TG_SECRET,
            "TELEGRAM_API_BASE_URL": telegram_api,
            "TELEGRAM_MODE": "webhook",
            "SLACK_BOT_TOKEN": "",
            "SLACK_APP_TOKEN": "",
            "CX_IDLE_TIMEOUT_SECONDS": str(idle_seconds),
            # a killed gateway's accepted updates are taken over after this (90 s by default)
            "INBOX_LEASE_SECONDS": "10",
        }
        self.engine: subprocess.Popen[bytes] | None = None
        self.actions: subprocess.Popen[bytes] | None = None
        self.gateways: dict[str, subprocess.Popen[bytes]] = {}
        self.gateway_ports: dict[str, int] = {}
        self.restarts: dict[str, int] = {}

    def migrate(self) -> None:
        for module in ("bot", "actions.verification"):
            subprocess.run([sys.executable, "-m", module, "migrate"], cwd=ROOT, env=self.env,
                           check=True, stdout=subprocess.DEVNULL)  # fmt: skip

    def start_actions(self) -> None:
        log = self.work / "actions.log"
        self.actions = subprocess.Popen(
            [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(self.actions_port)],
            cwd=ROOT, env=self.env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_until_up(f"http://127.0.0.1:{self.actions_port}/health", self.actions, log, 120)

    def start_engine(self, wait: bool = True) -> None:
        log = self.work / "engine.log"
        self.engine = start_engine(self.env, self.engine_port, log)
        if wait:
            self.engine_up()

    def engine_up(self, seconds: float = 300) -> None:
        assert self.engine is not None
        url = f"{self.rasa_url}/status?token={RASA_TOKEN}"
        wait_until_up(url, self.engine, self.work / "engine.log", seconds)

    def kill_engine(self) -> None:
        assert self.engine is not None
        self.engine.send_signal(signal.SIGKILL)
        self.engine.wait(timeout=10)

    def start_gateway(self, name: str) -> str:
        port = self.gateway_ports.setdefault(name, free_port())
        n = self.restarts[name] = self.restarts.get(name, -1) + 1
        log = self.work / f"{name}.log"
        env = {**self.env, "GATEWAY_PORT": str(port), "GATEWAY_INSTANCE_ID": f"{name}-{n}",
               "CX_TELEMETRY_OUTBOX": str(self.work / f"outbox-{name}")}  # fmt: skip
        self.gateways[name] = proc = subprocess.Popen(
            [sys.executable, "-m", "bot"], cwd=ROOT, env=env,
            stdout=log.open("ab"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_until_up(f"http://127.0.0.1:{port}/healthz", proc, log, 120)
        return f"http://127.0.0.1:{port}"

    def kill_gateway(self, name: str) -> None:
        proc = self.gateways[name]
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def gateway_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.gateway_ports.values()]

    def stop(self) -> None:
        procs = [*self.gateways.values(), self.engine, self.actions]
        for proc in procs:
            if proc is not None and proc.poll() is None:
                proc.terminate()
        for proc in procs:
            if proc is None:
                continue
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
