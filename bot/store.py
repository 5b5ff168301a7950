"""The slice of ``cx_telemetry.TelemetryStore`` the gateway uses (docs/CONTRACT.md).

Typed as a Protocol so the core depends on the contract, not on the store's internals.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol


class TimerLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def conversation_id(self) -> str: ...
    @property
    def payload(self) -> dict[str, Any]: ...


class GatewayStore(Protocol):
    def open_conversation(
        self,
        channel: str,
        customer_id: str,
        at: datetime | None = None,
        locale: str | None = None,
        model_version: str | None = None,
    ) -> str: ...

    def get_conversation(self, conversation_id: str) -> Any: ...

    def note_turn(self, conversation_id: str, by: str, at: datetime | None = None) -> None: ...

    def first_delivery(self, key: str, at: datetime | None = None) -> bool: ...

    def schedule_timer(
        self, kind: str, conversation_id: str, due_at: datetime, payload: dict[str, Any]
    ) -> Any: ...

    def cancel_timer(self, kind: str, conversation_id: str) -> Any: ...

    def claim_due_timers(
        self, now: datetime, owner: str, limit: int = 50
    ) -> Sequence[TimerLike]: ...

    def complete_timer(self, timer_id: str) -> Any: ...


def open_store(settings: Any) -> GatewayStore:
    """The real store for ``settings.telemetry`` (lazy: it connects on first use)."""
    from cx_telemetry import TelemetryStore

    store: GatewayStore = TelemetryStore.from_settings(settings.telemetry)
    return store
