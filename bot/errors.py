"""Exceptions of ``bot``.

Every exception raised on purpose by the gateway derives from :class:`GatewayError`::

    GatewayError
    ├── ConfigError           a setting is missing or unusable (raised at start-up, never later)
    ├── EngineError           the Rasa engine answered something we cannot use (4xx, bad JSON)
    │   └── EngineUnavailable the engine cannot be reached, timed out or answered 5xx
    ├── DeliveryFailed        a reply could not be delivered to the platform after retries
    └── StateUnavailable      the gateway's database (dedupe keys, timers, cases) is down

Webhooks turn bad input into 4xx responses at the boundary; these exceptions never reach a
customer as a 500.
"""

from __future__ import annotations


class GatewayError(Exception):
    """Root of every error raised by ``bot``."""


class ConfigError(GatewayError):
    """A setting is missing or has a value the gateway cannot use."""


class EngineError(GatewayError):
    """The engine answered, but not with something the gateway can use."""


class EngineUnavailable(EngineError):
    """The engine is down, too slow, or failing (connection error, timeout, 5xx)."""


class DeliveryFailed(GatewayError):
    """A reply could not be delivered to the customer's platform, even after retries."""


class StateUnavailable(GatewayError):
    """The gateway's own database cannot be reached. Gateway state is never deferred: a webhook
    answers 503 so the platform redelivers, a timer or a case waits for the next attempt."""
