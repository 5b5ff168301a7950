"""``TelemetryStore``: the public API the gateway and the actions call (see docs/CONTRACT.md)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from cx_telemetry import store_queries as queries
from cx_telemetry import vocabulary as vocab
from cx_telemetry.db import outages_raise
from cx_telemetry.erasure import ErasureTarget, forget_subject, purge_all
from cx_telemetry.errors import StoreUnavailable
from cx_telemetry.privacy import ORDER_PREFIX, SHOP_CUSTOMER_PREFIX, redact
from cx_telemetry.records import ConversationInfo, HandoffInfo
from cx_telemetry.settings import Settings
from cx_telemetry.store_core import ReplayResult, StoreCore, iso
from cx_telemetry.vocabulary import check, check_score

__all__ = ["ReplayResult", "TelemetryStore"]


class TelemetryStore(StoreCore):
    """Telemetry writes (never raise on an outage: outboxed) and readers (raise
    ``StoreUnavailable``). Construction does no I/O; the first call connects."""

    @classmethod
    def from_settings(cls, settings: Settings) -> TelemetryStore:
        return cls(settings)

    # -- conversations ----------------------------------------------------------------------
    def open_conversation(
        self,
        channel: str,
        customer_id: str,
        at: datetime | None = None,
        locale: str | None = None,
        model_version: str | None = None,
    ) -> str:
        """Id of this customer's open conversation on this channel; opens one if none is open.
        During an outage a fresh id is returned and the opening waits in the outbox."""
        args = {
            "id": uuid.uuid4().hex,
            "channel": channel,
            "customer": self.pseudonym(customer_id),
            "at": iso(at),
            "locale": locale,
            "model_version": model_version,
        }
        return str(self.write_event("open_conversation", args, fallback=args["id"]))

    def note_turn(
        self, cid: str, by: str, at: datetime | None = None, text: str | None = None
    ) -> None:
        """Count one message of the customer, the bot or an agent; with ``text``, keep it in
        the conversation's transcript, redacted (``privacy.redact``)."""
        check(by, vocab.TURN_BY, "by")
        args: dict[str, Any] = {"cid": cid, "by": by, "at": iso(at)}
        if text and text.strip():
            args["text"] = redact(text)
        self.write_event("note_turn", args)

    def note_intent(
        self, cid: str, intent: str, support: bool = True, at: datetime | None = None
    ) -> None:
        """Record an intent; support intents make the conversation count for containment."""
        self.write_event(
            "note_intent", {"cid": cid, "intent": intent, "support": support, "at": iso(at)}
        )

    def note_fallback(self, cid: str, at: datetime | None = None) -> None:
        """Count one fallback (the bot did not understand)."""
        self.write_event("note_fallback", {"cid": cid, "at": iso(at)})

    def close_conversation(
        self, cid: str, outcome: str | None = None, at: datetime | None = None
    ) -> None:
        """Close once; outcome None = escalated if a handoff was requested, else contained if a
        support intent was seen, else abandoned. Still-asked survey responses become expired."""
        if outcome is not None:
            check(outcome, vocab.OUTCOMES, "outcome")
        self.write_event("close_conversation", {"cid": cid, "outcome": outcome, "at": iso(at)})

    def get_conversation(self, cid: str) -> ConversationInfo | None:
        """Current state of a conversation, or None if unknown."""
        return self.run(lambda s: queries.conversation(s, cid))

    # -- surveys ----------------------------------------------------------------------------
    def survey_asked(
        self,
        cid: str,
        metric: str = "csat",
        scale_max: int | None = None,
        segment: str = "bot",
        agent: str | None = None,
        intent: str | None = None,
        model_version: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """Record that ``metric`` was asked (once per conversation and metric)."""
        check(metric, tuple(vocab.METRIC_SCALES), "metric")
        check(segment, vocab.SEGMENTS, "segment")
        args = {
            "cid": cid,
            "metric": metric,
            "scale_max": int(scale_max or vocab.METRIC_SCALES[metric]),
            "segment": segment,
            "agent": agent,
            "intent": intent,
            "model_version": model_version,
            "at": iso(at),
        }
        self.write_event("survey_asked", args)

    def survey_answered(
        self, cid: str, metric: str = "csat", score: int = 0, at: datetime | None = None
    ) -> None:
        """Record the score (1..scale_max; NPS 0..10). The first answer counts; repeats are
        ignored."""
        check(metric, tuple(vocab.METRIC_SCALES), "metric")
        check_score(metric, score)
        args = {
            "cid": cid,
            "metric": metric,
            "score": score,
            "scale_max": vocab.METRIC_SCALES[metric],
            "at": iso(at),
        }
        self.write_event("survey_answered", args)

    def survey_comment(self, cid: str, metric: str = "csat", comment: str = "") -> None:
        """Attach a free-text comment, stored with e-mails, phones and card numbers redacted."""
        check(metric, tuple(vocab.METRIC_SCALES), "metric")
        self.write_event(
            "survey_comment", {"cid": cid, "metric": metric, "comment": redact(comment)}
        )

    def survey_ended(self, cid: str, status: str, at: datetime | None = None) -> None:
        """Every response of the conversation still ``asked`` gets ``status``."""
        check(status, vocab.END_STATUSES, "status")
        self.write_event("survey_ended", {"cid": cid, "status": status, "at": iso(at)})

    def survey_not_asked(self, cid: str, reason: str) -> None:
        """The conversation gets no survey, and why (``cooldown``, ``sampled_out``, ``staff``).
        The first reason counts; none is kept once a survey started."""
        check(reason, vocab.NOT_SURVEYED, "reason")
        self.write_event("survey_not_asked", {"cid": cid, "reason": reason})

    def last_surveyed_at(
        self, customer_key: str, metric: str | None = None, besides: str | None = None
    ) -> datetime | None:
        """When this customer (``ConversationInfo.customer_key``) was last asked a survey
        question (``metric``, or any), in a conversation other than ``besides``; None if never."""
        return self.run(lambda s: queries.last_surveyed_at(s, customer_key, metric, besides))

    def transcript(self, cid: str, last: int | None = None) -> list[tuple[str, str]]:
        """The conversation's stored turns, oldest first, as ``(by, redacted text)``; only the
        ``last`` newest when given. Empty when none is kept (or its retention has passed)."""
        return self.run(lambda s: queries.transcript(s, cid, last))

    # -- handoffs ---------------------------------------------------------------------------
    def handoff_requested(
        self, cid: str, reason: str = "customer_request", at: datetime | None = None
    ) -> str:
        """Id of the conversation's open handoff; requests one if none is open."""
        args = {"cid": cid, "id": uuid.uuid4().hex, "reason": reason, "at": iso(at)}
        return str(self.write_event("handoff_requested", args, fallback=args["id"]))

    def handoff_claimed(self, hid: str, agent: str, at: datetime | None = None) -> None:
        """First claim wins: sets the agent and the wait (claimed - requested)."""
        self.write_event("handoff_claimed", {"hid": hid, "agent": agent, "at": iso(at)})

    def handoff_agent_replied(self, hid: str, at: datetime | None = None) -> None:
        """Only the first agent reply is kept (first response = reply - requested)."""
        self.write_event("handoff_agent_replied", {"hid": hid, "at": iso(at)})

    def handoff_resolved(
        self,
        hid: str,
        agent: str | None = None,
        outcome: str = "resolved",
        at: datetime | None = None,
    ) -> None:
        """Close the handoff once (handle time = resolved - claimed)."""
        check(outcome, vocab.HANDOFF_OUTCOMES, "outcome")
        self.write_event(
            "handoff_resolved", {"hid": hid, "agent": agent, "outcome": outcome, "at": iso(at)}
        )

    def asked_survey(self, channel: str, customer_id: str, metric: str) -> str | None:
        """The customer's open conversation on ``channel`` whose ``metric`` question is asked
        and unanswered (for a tap the engine can no longer place), else None."""
        who = self.pseudonym(customer_id)
        return self.read(lambda s: queries.asked_survey(s, channel, who, metric))

    def open_handoff(self, cid: str) -> HandoffInfo | None:
        """The conversation's unresolved handoff, or None."""
        return self.run(lambda s: queries.open_handoff(s, cid))

    # -- customers: one customer across channels ---------------------------------------------
    def customer_key(self, shop_customer_id: str) -> str:
        """The pseudonymous key of a shop customer (HMAC of their shop id, never the id)."""
        return self.pseudonym(SHOP_CUSTOMER_PREFIX + shop_customer_id)

    def link_customer(
        self,
        cid: str | None,
        customer_id: str,
        shop_customer_id: str,
        until: datetime,
        at: datetime | None = None,
    ) -> None:
        """The chat ``customer_id`` (raw, ``telegram:42``) was verified for a shop customer
        until ``until``: conversation ``cid`` and every conversation the chat opens meanwhile
        carry the customer's key; re-contact is checked across their conversations."""
        key = self.customer_key(shop_customer_id)
        args = {"cid": cid, "customer": self.pseudonym(customer_id), "customer_key": key}
        self.write_event("link_customer", {**args, "until": iso(until), "at": iso(at)})

    def unlink_customer(self, customer_id: str, at: datetime | None = None) -> None:
        """The chat's link ends now ("log out"); its next conversations are the chat's own."""
        self.write_event(
            "unlink_customer", {"customer": self.pseudonym(customer_id), "at": iso(at)}
        )

    def note_order(self, cid: str, order_id: str, at: datetime | None = None) -> None:
        """The conversation is about this order (kept as a pseudonym): a topic for re-contact."""
        order = self.pseudonym(ORDER_PREFIX + order_id)
        self.write_event("note_order", {"cid": cid, "order": order, "at": iso(at)})

    def verification_attempt(
        self, cid: str, kind: str, outcome: str, at: datetime | None = None
    ) -> None:
        """Count one try at proving who the customer is (never the e-mail or code typed)."""
        check(kind, vocab.ATTEMPT_KINDS, "kind")
        check(outcome, vocab.ATTEMPT_OUTCOMES, "outcome")
        args = {"cid": cid, "kind": kind, "outcome": outcome, "at": iso(at)}
        self.write_event("verification_attempt", args)

    # -- clarifications ----------------------------------------------------------------------
    def clarification_offered(
        self,
        cid: str,
        offered: Sequence[str],
        confidences: Sequence[float],
        text: str = "",
        at: datetime | None = None,
    ) -> None:
        """The assistant was unsure what ``text`` (stored redacted) meant and offered these
        topics, likeliest first."""
        args = {"cid": cid, "offered": list(offered), "text": redact(text), "at": iso(at)}
        self.write_event("clarification_offered", {**args, "confidences": list(confidences)})

    def clarification_picked(self, cid: str, intent: str, at: datetime | None = None) -> None:
        """The customer went on with ``intent``: recorded as the pick of the conversation's
        open offer when it was one of the offered topics (or ``something_else``)."""
        self.write_event("clarification_picked", {"cid": cid, "intent": intent, "at": iso(at)})

    # -- administration (CLI) ----------------------------------------------------------------
    def forget(self, customer_id: str, also: Sequence[ErasureTarget] = ()) -> dict[str, int]:
        """Erase everything about one raw customer id (``telegram:42``): its conversations,
        their survey responses, handoffs and verification attempts, its customer links,
        waiting outbox events, and whatever the ``also`` targets keep about it
        (``erasure.load_targets``). Returns counts removed by table."""
        chat = self.pseudonym(customer_id)
        return forget_subject(self.run, self.outbox, (customer_id,), {chat}, None, (), also)

    def forget_shop_customer(
        self, shop_customer_id: str, also: Sequence[ErasureTarget] = ()
    ) -> dict[str, int]:
        """Erase everything about one shop customer: every chat ever linked to them (on any
        channel) as ``forget`` erases one chat, plus whatever the ``also`` targets keep about
        the customer. Returns counts removed by table."""
        key = self.customer_key(shop_customer_id)
        return forget_subject(self.run, self.outbox, (), set(), key, (shop_customer_id,), also)

    def purge(
        self,
        cutoff: datetime,
        also: Sequence[ErasureTarget] = (),
        transcripts_before: datetime | None = None,
    ) -> dict[str, int]:
        """Retention: delete telemetry (and the ``also`` targets' data) from before
        ``cutoff``, and transcript turns from before ``transcripts_before`` (their own,
        shorter retention). Returns counts removed by table."""
        return purge_all(self.run, cutoff, also, transcripts_before)

    def seed_demo(self, conversations: int, seed: int = 0, days: int = 90) -> dict[str, int]:
        """Insert synthetic demo telemetry (see ``cx_telemetry.seed``)."""
        from cx_telemetry.seed import seed_demo

        with outages_raise(StoreUnavailable, self.settings.db_url):
            return seed_demo(self.engine, conversations, seed=seed, days=days)
