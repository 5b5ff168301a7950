"""The gateway: Telegram and Slack in, the Rasa engine's REST channel out, replies rendered natively."""

from bot.app import build_app
from bot.errors import ConfigError, DeliveryFailed, EngineError, EngineUnavailable, GatewayError
from bot.settings import Settings

__all__ = [
    "ConfigError",
    "DeliveryFailed",
    "EngineError",
    "EngineUnavailable",
    "GatewayError",
    "Settings",
    "build_app",
]
