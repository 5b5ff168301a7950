"""What the gateway counts: one ``prometheus_client.Counter`` per thing, each exported as
``gateway_<name>_total`` with its help text saying exactly what one increment means. The
collaborators are handed this object (``stats``) and call ``stats.<name>.inc()``; a typo is a
type error, not a new series. The registry is this gateway's own: tests run several gateways in
one process, and the global registry would add their counts together."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

PREFIX = "gateway_"


class GatewayCounters:
    """Construction does no I/O. ``counters[name]`` reads one (tests, ``/metrics``' table)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = r = registry or CollectorRegistry()

        def counter(name: str, help_text: str) -> Counter:
            return Counter(PREFIX + name, help_text, registry=r)

        # -- customer messages -------------------------------------------------------------
        self.messages_received = counter(
            "messages_received",
            "Customer messages the gateway began to answer (a platform's redelivery of one "
            "update is deduplicated and not counted; replays are messages_replayed; an update "
            "a dead gateway had begun counts again where it resumes, see inbox_resumed).",
        )
        self.messages_kept = counter(
            "messages_kept",
            "Messages kept for a later replay because no engine answered, once per message.",
        )
        self.messages_kept_again = counter(
            "messages_kept_again",
            "Replays of a kept message that found every engine still down and were scheduled "
            "again (the message is counted once in messages_kept).",
        )
        self.messages_replayed = counter(
            "messages_replayed", "Kept messages answered when replayed."
        )
        self.messages_lost = counter(
            "messages_lost",
            "Messages never answered: they could not be kept (database and disk down), the "
            "engine refused them on replay, or their inbox row failed 5 times.",
        )
        self.webhooks_refused = counter(
            "webhooks_refused",
            "Telegram webhooks answered 503 because the database could not take the update "
            "(Telegram delivers it again).",
        )
        self.inbox_resumed = counter(
            "inbox_resumed",
            "Accepted updates this gateway took over from the inbox: left by a dead gateway, "
            "or waiting behind an older message of their chat.",
        )
        self.kept_messages_hurried = counter(
            "kept_messages_hurried",
            "Kept messages made due at once because the engine was ready again.",
        )
        self.engine_unavailable = counter(
            "engine_unavailable", "Customer messages no engine could answer (each is then kept)."
        )
        self.engine_errors = counter(
            "engine_errors",
            "Customer messages the engine refused with an error (answered with an apology, "
            "not kept).",
        )
        self.internal_errors = counter(
            "internal_errors", "Customer messages that failed inside the gateway (logged)."
        )
        # -- replies -----------------------------------------------------------------------
        self.replies_delivered = counter(
            "replies_delivered", "Replies (one chat message each) a platform accepted."
        )
        self.delivery_failed = counter(
            "delivery_failed",
            "Deliveries (the replies of one turn to one chat) a platform refused after "
            "retries, or for a channel that is off.",
        )
        # -- timers ------------------------------------------------------------------------
        self.timers_fired = counter(
            "timers_fired",
            "Timers (idle survey, kept-message replay, handoff timeout) the timer loop claimed "
            "to fire.",
        )
        self.timers_late = counter(
            "timers_late",
            "Timers claimed more than 60 s after they were due (the timer loop was stopped, "
            "the database down, or a dead gateway's claim had to expire).",
        )
        self.timer_failed = counter(
            "timer_failed", "Timers whose handler raised (the timer is dropped, logged)."
        )
        self.timers_deferred = counter(
            "timers_deferred",
            "Timer schedules written to the local outbox because the database was down.",
        )
        self.timers_replayed = counter(
            "timers_replayed",
            "Deferred timer schedules applied once the database answered again.",
        )
        self.timer_schedule_failed = counter(
            "timer_schedule_failed",
            "Idle timers lost: neither the database nor the outbox took them.",
        )
        self.idle_triggered = counter(
            "idle_triggered",
            "Idle conversations the engine was asked to close (survey or goodbye).",
        )
        # -- the handoff desk --------------------------------------------------------------
        self.handoffs_opened = counter("handoffs_opened", "Handoff cases opened for the staff.")
        self.handoff_failed = counter(
            "handoff_failed", "Handoffs that could not open a case (the customer is told so)."
        )
        self.handoff_customer_messages = counter(
            "handoff_customer_messages", "Customer messages relayed to a staff thread."
        )
        self.handoff_agent_messages = counter(
            "handoff_agent_messages", "Staff replies delivered to a customer."
        )
        self.handoff_timeouts = counter(
            "handoff_timeouts",
            "Handoff cases nobody claimed in time (the customer was offered a follow-up).",
        )
        # -- detractor alerts --------------------------------------------------------------
        self.alerts_posted = counter(
            "alerts_posted", "Detractor alert cards posted to the staff channel."
        )
        self.alerts_rate_limited = counter(
            "alerts_rate_limited",
            "Detractor alerts not posted: the customer had one within the cooldown.",
        )
        self.alerts_failed = counter(
            "alerts_failed",
            "Detractor alert cards Slack refused (tried again on the next poll).",
        )
        self.alert_poll_failed = counter(
            "alert_poll_failed",
            "Detractor alert polls that failed (a database outage or an error).",
        )

    def __getitem__(self, name: str) -> float:
        """The count of ``gateway_<name>_total`` (0 for a name nobody counts)."""
        return self.registry.get_sample_value(f"{PREFIX}{name}_total") or 0.0
