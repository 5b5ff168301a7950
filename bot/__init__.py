"""The gateway: Telegram and Slack in, the Rasa engine's REST channel out, replies rendered
natively, and the handoff desk. ``bot.app.build_app(settings)`` is the ASGI app."""

from bot.errors import ConfigError, DeliveryFailed, EngineError, EngineUnavailable, GatewayError
from bot.settings import Settings

__all__ = [
    "ConfigError",
    "DeliveryFailed",
    "EngineError",
    "EngineUnavailable",
    "GatewayError",
    "Settings",
]
