"""``GET /metrics`` in the Prometheus text format: the counters of :mod:`bot.counters` and
gauges read when Prometheus scrapes, from the same :class:`~bot.health.Snapshot` as
``/health``, all in the gateway's own registry."""

from __future__ import annotations

import math

from prometheus_client import Gauge
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from bot.counters import PREFIX, GatewayCounters
from bot.health import Health

CONTENT_TYPE = CONTENT_TYPE_LATEST


def _value(figure: int | None) -> float:
    return math.nan if figure is None else float(figure)


class GatewayMetrics:
    """Adds the gauges to the counters' registry; :meth:`scrape` reads them and renders it."""

    def __init__(self, counters: GatewayCounters, health: Health) -> None:
        self.health = health
        self.registry = counters.registry

        def gauge(name: str, help_text: str, labels: tuple[str, ...] = ()) -> Gauge:
            return Gauge(PREFIX + name, help_text, labels, registry=self.registry)

        unread = " (NaN while the database does not answer)"
        self.inbox_depth = gauge(
            "inbox_depth",
            "Accepted updates not yet answered, in the inbox of every gateway" + unread,
        )
        self.kept_messages = gauge(
            "kept_messages", "Messages kept for a down engine, waiting to be replayed" + unread
        )
        self.timers_due = gauge(
            "timers_due", "Timers due and not done yet, being fired or waiting" + unread
        )
        self.telemetry_outbox_pending = gauge(
            "telemetry_outbox_pending", "Telemetry writes in this gateway's outbox, waiting for "
            "the telemetry database",
        )  # fmt: skip
        self.telemetry_outbox_dead = gauge(
            "telemetry_outbox_dead",
            "Telemetry writes the database refused for a reason other than an outage, kept in "
            "the outbox's dead/ for a person to look at",
        )
        self.timer_outbox_pending = gauge(
            "timer_outbox_pending", "Timer schedules in this gateway's outbox, waiting for the "
            "database",
        )  # fmt: skip
        self.database_up = gauge("database_up", "1 when the gateway's database answers, else 0")
        self.engine_ready = gauge(
            "engine_ready", "1 when the engine at this URL is ready, else 0", ("engine",)
        )

    async def scrape(self) -> bytes:
        """Read the gauges now and render every metric."""
        s = await self.health.snapshot()
        self.inbox_depth.set(_value(s.inbox_depth))
        self.kept_messages.set(_value(s.kept_messages))
        self.timers_due.set(_value(s.timers_due))
        self.telemetry_outbox_pending.set(s.telemetry_outbox_pending)
        self.telemetry_outbox_dead.set(s.telemetry_outbox_dead)
        self.timer_outbox_pending.set(s.timer_outbox_pending)
        self.database_up.set(1 if s.database else 0)
        for url, ready in s.engines.items():
            self.engine_ready.labels(engine=url).set(1 if ready else 0)
        return generate_latest(self.registry)
