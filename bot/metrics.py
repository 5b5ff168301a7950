"""``GET /metrics`` in the Prometheus text format, from a registry of this gateway's own (tests run
several gateways in one process; the global registry would mix them up).

Counters: the gateway's collaborators tally events in one ``Counter[str]`` (``stats``);
:data:`COUNTERS` says what each name counts, and each is exported as ``gateway_<name>_total``,
zero until it happens so a scraper sees every series from the start. Gauges are read when
Prometheus scrapes, from the same :class:`~bot.health.Snapshot` as ``/health``."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping

from prometheus_client import CollectorRegistry, Gauge
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector

from bot.health import Health

PREFIX = "gateway_"
CONTENT_TYPE = CONTENT_TYPE_LATEST

COUNTERS: Mapping[str, str] = {
    # customer messages
    "messages_received": "Customer messages the gateway began to answer (a platform's "
    "redelivery of one update is deduplicated and not counted; replays are messages_replayed).",
    "messages_kept": "Messages kept for a later replay because no engine answered, once per "
    "message.",
    "messages_kept_again": "Replays of a kept message that found every engine still down and "
    "were scheduled again (the message is counted once in messages_kept).",
    "messages_replayed": "Kept messages answered when replayed.",
    "messages_lost": "Messages never answered: they could not be kept (database and disk "
    "down), the engine refused them on replay, or their inbox row failed 5 times.",
    "webhooks_refused": "Telegram webhooks answered 503 because the database could not take "
    "the update (Telegram delivers it again).",
    "inbox_resumed": "Accepted updates this gateway took over from the inbox: left by a dead "
    "gateway, or waiting behind an older message of their chat.",
    "kept_messages_hurried": "Kept messages made due at once because the engine was ready again.",
    "engine_unavailable": "Customer messages no engine could answer (each is then kept).",
    "engine_errors": "Customer messages the engine refused with an error (answered with an "
    "apology, not kept).",
    "internal_errors": "Customer messages that failed inside the gateway (logged).",
    # replies
    "replies_delivered": "Replies (one chat message each) a platform accepted.",
    "delivery_failed": "Deliveries (the replies of one turn to one chat) a platform refused "
    "after retries, or for a channel that is off.",
    # timers
    "timers_fired": "Timers (idle survey, kept-message replay, handoff timeout) the timer "
    "loop claimed to fire.",
    "timers_late": "Timers claimed more than 60 s after they were due (the timer loop was "
    "stopped, the database down, or a dead gateway's claim had to expire).",
    "timer_failed": "Timers whose handler raised (the timer is dropped, logged).",
    "timers_deferred": "Timer schedules written to the local outbox because the database was down.",
    "timers_replayed": "Deferred timer schedules applied once the database answered again.",
    "timer_schedule_failed": "Idle timers lost: neither the database nor the outbox took them.",
    "idle_triggered": "Idle conversations the engine was asked to close (survey or goodbye).",
    # the handoff desk
    "handoffs_opened": "Handoff cases opened for the staff.",
    "handoff_failed": "Handoffs that could not open a case (the customer is told so).",
    "handoff_customer_messages": "Customer messages relayed to a staff thread.",
    "handoff_agent_messages": "Staff replies delivered to a customer.",
    "handoff_timeouts": "Handoff cases nobody claimed in time (the customer was offered a "
    "follow-up).",
    # detractor alerts
    "alerts_posted": "Detractor alert cards posted to the staff channel.",
    "alerts_rate_limited": "Detractor alerts not posted: the customer had one within the cooldown.",
    "alerts_failed": "Detractor alert cards Slack refused (tried again on the next poll).",
    "alert_poll_failed": "Detractor alert polls that failed (a database outage or an error).",
}


class _Tally(Collector):
    """The ``stats`` tally as Prometheus counters, read at each scrape."""

    def __init__(self, stats: Counter[str]) -> None:
        self.stats = stats

    def collect(self) -> Iterable[Metric]:
        for name, help_text in COUNTERS.items():
            yield CounterMetricFamily(PREFIX + name, help_text, value=self.stats[name])


def _value(figure: int | None) -> float:
    return math.nan if figure is None else float(figure)


class GatewayMetrics:
    """Owns the registry; :meth:`scrape` reads the gauges and renders the text."""

    def __init__(self, stats: Counter[str], health: Health) -> None:
        self.health = health
        self.registry = CollectorRegistry()
        self.registry.register(_Tally(stats))

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
