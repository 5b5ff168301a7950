"""CX telemetry: the store the gateway and the actions write to, and the CX-lead CLI.

Public API (see docs/CONTRACT.md)::

    from cx_telemetry import Settings, TelemetryStore, TelemetryError, StoreUnavailable
"""

from cx_telemetry.best_effort import best_effort
from cx_telemetry.errors import InvalidTelemetry, StoreUnavailable, TelemetryError, UsageError
from cx_telemetry.records import ConversationInfo, HandoffInfo
from cx_telemetry.settings import Settings
from cx_telemetry.store import ReplayResult, TelemetryStore

__all__ = [
    "ConversationInfo",
    "HandoffInfo",
    "InvalidTelemetry",
    "ReplayResult",
    "Settings",
    "StoreUnavailable",
    "TelemetryError",
    "TelemetryStore",
    "UsageError",
    "best_effort",
]
