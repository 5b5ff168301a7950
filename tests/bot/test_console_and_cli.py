"""The console channel (``python -m bot chat``), settings, and the set-webhook command."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest

from bot import Settings
from bot.__main__ import _set_webhook
from bot.app import Services
from bot.channels.console.adapter import ConsoleChannel
from bot.errors import ConfigError
from bot.state.database import GatewayDatabase
from tests.bot.fakes import FakeRasa, FakeTelegram


async def test_console_goes_through_the_gateway(
    settings: Settings, store, fake_rasa: FakeRasa
) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    console = ConsoleChannel(out=out)
    services = Services(
        replace(settings, telegram_bot_token=None, slack_bot_token=None),
        telemetry_store=store,
        state_db=GatewayDatabase(settings.state_db_url),
        console=console,
    )
    await console.run(services.pipeline.receive, io.StringIO("buttons\n2\n/quit\n"), user="ann")
    await services.stop()
    text = out.getvalue()
    assert "bot> Which order?" in text and "1. Order A-1" in text and "2. Order B-2" in text
    assert "(you chose: Order B-2)" in text
    assert [c.params["message"] for c in fake_rasa.of("rest")] == [
        "buttons",
        '/inform{"order":"B-2"}',
    ]
    assert fake_rasa.of("rest")[0].params["sender"] == "console:ann"


def test_settings_from_env() -> None:
    s = Settings.from_env({"RASA_URL": "http://engine:5005/", "TELEGRAM_BOT_TOKEN": "t0k3n-xyz",
                           "GATEWAY_PORT": "9000", "CX_IDLE_TIMEOUT_SECONDS": "60"})  # fmt: skip
    assert s.rasa_url == "http://engine:5005"
    assert s.telegram_enabled and not s.slack_enabled
    assert s.gateway_port == 9000 and s.idle_timeout.total_seconds() == 60
    assert s.telegram_api_base_url == "https://api.telegram.org/bot"
    assert s.slack_api_base_url == "https://slack.com/api/"
    assert "t0k3n-xyz" not in repr(s)
    with pytest.raises(ConfigError):
        Settings.from_env({"TELEGRAM_MODE": "carrier-pigeon"})
    with pytest.raises(AttributeError):
        s.rasa_url = "x"  # type: ignore[misc]


async def test_set_webhook_registers_secret(settings: Settings, fake_tg: FakeTelegram) -> None:
    assert await _set_webhook(settings, "https://example.com/webhooks/telegram") == 0
    call = fake_tg.of("setWebhook")[0].params
    assert call["url"] == "https://example.com/webhooks/telegram"
    assert call["secret_token"] == settings.telegram_webhook_secret
    assert "callback_query" in call["allowed_updates"]


def test_core_never_imports_platform_sdks() -> None:
    import ast
    import pathlib

    import bot

    for path in pathlib.Path(bot.__file__).parent.rglob("*.py"):
        if "channels" in path.parts:
            continue
        tree = ast.parse(path.read_text())
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not {
            m for m in names if m.split(".")[0] in ("telegram", "slack_bolt", "slack_sdk", "rasa")
        }, path
