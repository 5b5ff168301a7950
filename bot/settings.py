"""Gateway settings, read from the environment once (``Settings.from_env()``), then passed."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import yaml

from bot.alerts.settings import AlertSettings
from bot.errors import ConfigError
from cx_telemetry import Settings as TelemetrySettings

DEFAULT_RASA_URL = "http://localhost:5005"
DEFAULT_TELEGRAM_API = "https://api.telegram.org/bot"
DEFAULT_SLACK_API = "https://slack.com/api/"
MAX_BODY_BYTES = 1024 * 1024
DEFAULT_IDLE_SECONDS = 900
DEFAULT_RASA_TOKEN_FILE = "var/rasa_token"  # written by scripts/run.sh on first use
# `make chat` and `make staff` keep their cases and timers here, apart from the `make run`
# gateway: only the console's own process can show a console customer a timer's message.
DEFAULT_CONSOLE_DB_URL = "sqlite:///var/console-gateway.sqlite3"


def rasa_token_from_env(env: Mapping[str, str]) -> str | None:
    """``RASA_TOKEN``, else the token ``make run`` generated (``RASA_TOKEN_FILE``), so `make chat`
    and `make staff` can resume and trigger conversations like the gateway does."""
    if env.get("RASA_TOKEN"):
        return env["RASA_TOKEN"]
    try:
        token = Path(env.get("RASA_TOKEN_FILE") or DEFAULT_RASA_TOKEN_FILE).read_text().strip()
    except OSError:
        return None
    return token or None


def engine_urls_from_env(env: Mapping[str, str]) -> tuple[str, ...]:
    """``ENGINE_URLS``: comma-separated engine addresses (replicas sharing a tracker store and
    a Redis lock store); empty when unset, then ``RASA_URL`` is the one engine."""
    urls = (u.strip().rstrip("/") for u in (env.get("ENGINE_URLS") or "").split(","))
    return tuple(dict.fromkeys(u for u in urls if u))


def idle_timeout_from_env(env: Mapping[str, str]) -> timedelta:
    """The idle timeout after the bot's last answer: ``idle_timeout_minutes`` of the CX lead's
    survey file (``CX_SURVEY_CONFIG``, default ``survey.yml``; ``actions.survey_config`` checks
    the whole file when ``make run`` starts). ``CX_IDLE_TIMEOUT_SECONDS`` overrides it (demos,
    tests); an unreadable file or value gives the default, 900 s: the gateway keeps serving."""
    if env.get("CX_IDLE_TIMEOUT_SECONDS"):
        return timedelta(seconds=float(env["CX_IDLE_TIMEOUT_SECONDS"]))
    path = Path(env.get("CX_SURVEY_CONFIG") or "survey.yml")
    try:
        minutes = float(yaml.safe_load(path.read_text(encoding="utf-8"))["idle_timeout_minutes"])
    except (OSError, yaml.YAMLError, TypeError, KeyError, ValueError):
        return timedelta(seconds=DEFAULT_IDLE_SECONDS)
    return timedelta(minutes=minutes) if minutes > 0 else timedelta(seconds=DEFAULT_IDLE_SECONDS)


def gateway_db_url(env: Mapping[str, str]) -> str:
    """The gateway's database (``GATEWAY_DB_URL``); by default the telemetry database, so one
    machine runs on one SQLite file and a deployment on one PostgreSQL."""
    return env.get("GATEWAY_DB_URL") or TelemetrySettings.from_env(env).db_url


@dataclass(frozen=True)
class Settings:
    """Everything the gateway needs. Construct directly in tests; ``from_env()`` in production.

    A channel is on when its token is set. Secrets are excluded from ``repr``.
    """

    rasa_url: str = DEFAULT_RASA_URL
    # Several engine replicas (``ENGINE_URLS``): each conversation goes to one of them
    # (bot/engine_routing.py). Empty: ``rasa_url`` alone.
    engine_urls: tuple[str, ...] = ()
    rasa_token: str | None = field(default=None, repr=False)
    rasa_timeout_seconds: float = 30.0

    telegram_bot_token: str | None = field(default=None, repr=False)
    telegram_webhook_secret: str | None = field(default=None, repr=False)
    telegram_api_base_url: str = DEFAULT_TELEGRAM_API
    telegram_mode: str = "webhook"  # "webhook" | "polling"

    slack_bot_token: str | None = field(default=None, repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_api_base_url: str = DEFAULT_SLACK_API
    slack_staff_channel: str | None = None  # where handoff cards go (the staff desk)
    handoff_timeout: timedelta = timedelta(minutes=10)  # no claim by then: offer follow-up
    alerts: AlertSettings = field(default_factory=AlertSettings)  # detractor alerts (bot/alerts)

    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8000

    telemetry: TelemetrySettings = field(default_factory=TelemetrySettings)
    gateway_db_url: str = ""  # empty = the telemetry database (see gateway_db_url())
    console_db_url: str = DEFAULT_CONSOLE_DB_URL  # `make chat` / `make staff` (see above)
    idle_timeout: timedelta = timedelta(seconds=DEFAULT_IDLE_SECONDS)

    # Operational knobs (tests shrink them).
    timer_poll_seconds: float = 1.0  # 0 disables the background timer loop
    inbox_lease_seconds: float = 90.0  # a dead gateway's accepted updates resume after this
    inbox_poll_seconds: float = 1.0  # 0 disables the inbox's resume loop
    replay_delay_seconds: float = 5.0  # first retry of a message kept while the engine was down
    replay_max_delay_seconds: float = 300.0
    delivery_attempts: int = 5
    delivery_backoff_seconds: float = 0.5
    max_retry_after_seconds: float = 60.0
    max_body_bytes: int = MAX_BODY_BYTES
    start_text: str = "/greet"  # what Telegram's /start and Slack's /support send to the engine
    # Who claims timers: unique per process across machines (containers all run as pid 1).
    instance_id: str = field(default_factory=lambda: f"gw-{socket.gethostname()}-{os.getpid()}")

    @property
    def engines(self) -> tuple[str, ...]:
        """The engines the gateway talks to: ``engine_urls``, else ``rasa_url``."""
        return self.engine_urls or (self.rasa_url,)

    @property
    def state_db_url(self) -> str:
        """Where the gateway's own tables live: ``gateway_db_url``, else the telemetry's."""
        return self.gateway_db_url or self.telemetry.db_url

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_bot_token)

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token)

    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in a log line."""
        values = (
            self.rasa_token,
            self.telegram_bot_token,
            self.telegram_webhook_secret,
            self.slack_bot_token,
            self.slack_signing_secret,
            self.slack_app_token,
            self.telemetry.pseudonym_key,
        )
        return tuple(v for v in values if v)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the variables listed in the README; unset or empty ones take the defaults."""
        env = os.environ if env is None else env
        mode = (env.get("TELEGRAM_MODE") or "webhook").strip().lower()
        if mode not in ("webhook", "polling"):
            raise ConfigError(f"TELEGRAM_MODE must be 'webhook' or 'polling', not {mode!r}")
        return cls(
            rasa_url=(env.get("RASA_URL") or DEFAULT_RASA_URL).rstrip("/"),
            engine_urls=engine_urls_from_env(env),
            rasa_token=rasa_token_from_env(env),
            rasa_timeout_seconds=float(env.get("RASA_TIMEOUT_SECONDS") or 30.0),
            telegram_bot_token=env.get("TELEGRAM_BOT_TOKEN") or None,
            telegram_webhook_secret=env.get("TELEGRAM_WEBHOOK_SECRET") or None,
            telegram_api_base_url=env.get("TELEGRAM_API_BASE_URL") or DEFAULT_TELEGRAM_API,
            telegram_mode=mode,
            slack_bot_token=env.get("SLACK_BOT_TOKEN") or None,
            slack_signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
            slack_app_token=env.get("SLACK_APP_TOKEN") or None,
            slack_api_base_url=env.get("SLACK_API_BASE_URL") or DEFAULT_SLACK_API,
            slack_staff_channel=env.get("SLACK_STAFF_CHANNEL") or None,
            handoff_timeout=timedelta(minutes=float(env.get("HANDOFF_TIMEOUT_MINUTES") or 10)),
            alerts=AlertSettings.from_env(env),
            gateway_host=env.get("GATEWAY_HOST") or "127.0.0.1",
            gateway_port=int(env.get("GATEWAY_PORT") or 8000),
            telemetry=TelemetrySettings.from_env(env),
            gateway_db_url=gateway_db_url(env),
            console_db_url=env.get("CONSOLE_GATEWAY_DB_URL") or DEFAULT_CONSOLE_DB_URL,
            idle_timeout=idle_timeout_from_env(env),
            inbox_lease_seconds=float(env.get("INBOX_LEASE_SECONDS") or 90.0),
            inbox_poll_seconds=float(env.get("INBOX_POLL_SECONDS") or 1.0),
            instance_id=env.get("GATEWAY_INSTANCE_ID") or f"gw-{os.getpid()}",
        )
