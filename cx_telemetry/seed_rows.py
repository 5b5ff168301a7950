"""One synthetic demo conversation as table rows: the conversation, its survey responses, its
handoff and (for a low score) a short transcript, drawn from seeded random generators.

Several channels and intents, handoffs with skewed wait and handle times, skipped and expired
surveys, low scores with (redacted) comments; ``cx_telemetry.seed`` writes the rows in batches.
"""

from __future__ import annotations

import hashlib
import math
import random
from datetime import datetime, timedelta
from typing import Any

from cx_telemetry.privacy import redact

# the gateway's channels (bot/channels/)
CHANNELS = (("telegram", 0.65), ("slack", 0.35))
# The 27 support intents of domain.yml (tests/cx_telemetry/test_seed.py checks they match):
# intent, weight, handoff probability, CSAT bias (added to the score). Weights add up to 0.9;
# the rest are conversations without a support intent (greetings, out of scope).
INTENTS = (
    ("track_order", 0.150, 0.04, 0.3), ("delivery_period", 0.070, 0.05, 0.1),
    ("get_refund", 0.070, 0.25, -0.3), ("track_refund", 0.060, 0.15, -0.2),
    ("cancel_order", 0.060, 0.12, -0.1), ("change_order", 0.050, 0.15, -0.1),
    ("payment_issue", 0.050, 0.45, -0.6), ("change_shipping_address", 0.040, 0.10, 0.0),
    ("check_invoice", 0.030, 0.05, 0.2), ("get_invoice", 0.030, 0.03, 0.3),
    ("delivery_options", 0.030, 0.03, 0.3), ("check_refund_policy", 0.030, 0.05, 0.1),
    ("check_payment_methods", 0.020, 0.03, 0.3), ("check_cancellation_fee", 0.020, 0.08, -0.1),
    ("complaint", 0.030, 0.60, -0.9), ("contact_human_agent", 0.030, 0.95, -0.2),
    ("contact_customer_service", 0.020, 0.70, -0.1), ("place_order", 0.020, 0.05, 0.2),
    ("recover_password", 0.020, 0.10, 0.0), ("registration_problems", 0.010, 0.30, -0.4),
    ("create_account", 0.010, 0.02, 0.3), ("edit_account", 0.010, 0.05, 0.1),
    ("delete_account", 0.008, 0.20, -0.2), ("switch_account", 0.005, 0.10, 0.0),
    ("set_up_shipping_address", 0.012, 0.03, 0.2), ("newsletter_subscription", 0.007, 0.01, 0.4),
    ("review", 0.008, 0.10, 0.0),
    (None, 0.100, 0.03, 0.0),
)  # fmt: skip
_INTENT_WEIGHTS = tuple((i, i[1]) for i in INTENTS)
DRIFT = 0.6  # CSAT bias gained from the first to the last day
AGENTS = ("Ana (U01)", "Ben (U02)", "Chen (U03)", "Dara (U04)", "Emil (U05)", "Fay (U06)")
MODELS = (("2026.11.1", 0.7), ("2026.10.3", 0.3))
VERIFIED_SHARE = 0.4
NPS_SHARE = 0.2  # answered surveys that also carried the NPS question (it is asked rarely)
RECONTACT_SHARE = {"contained": 0.12, "escalated": 0.2}  # came back about the same topic
FOLLOW_UPS = (
    "that doesn't answer my question",
    "I already tried that and it didn't work",
    "can I talk to a person please",
    "this is taking far too long",
)
COMMENTS = (
    "took far too long to get an answer",
    "the bot did not understand my question",
    "still no refund, call me on +44 7700 900123",
    "please write to jane.doe@example.com, I gave up",
    "I was charged twice on card 4111 1111 1111 1111",
    "had to repeat myself to the agent",
)


def _pick(rng: random.Random, options: tuple[tuple[Any, float], ...]) -> Any:
    x, acc = rng.random(), 0.0
    for value, weight in options:
        acc += weight
        if x < acc:
            return value
    return options[-1][0]


def _score(rng: random.Random, top: int, bias: float) -> int:
    """A left-skewed score on 1..top: most customers are satisfied, some are not."""
    x = top - abs(rng.gauss(0.0, top / 3.2)) + bias
    return max(1, min(top, int(round(x))))


class Ids:
    """Sequential 32-hex ids per seed: demo rows are appended to the primary-key B-trees
    instead of scattered over them (random uuid4s make a million-row seed ~2x slower)."""

    def __init__(self, seed: int) -> None:
        self.prefix = f"{seed & 0xFFFFFFFF:08x}"
        self.n = 0

    def __call__(self, kind: int) -> str:
        self.n += 1
        return f"{self.prefix}{kind:08x}{self.n:016x}"


def _secs(rng: random.Random, median: float) -> float:
    return median * math.exp(rng.gauss(0.0, 0.8))


Seeded = tuple[
    dict[str, Any], list[dict[str, Any]], dict[str, Any] | None, list[dict[str, Any]]
]  # conversation, survey responses, handoff, transcript turns


def conversation(
    rng: random.Random,
    extra: random.Random,
    later: random.Random,
    ids: Ids,
    n: int,
    start: datetime,
    span_s: float,
) -> Seeded:
    cid = ids(1)
    channel = _pick(rng, CHANNELS)
    intent, _, p_handoff, bias = _pick(rng, _INTENT_WEIGHTS)
    at = rng.random()
    opened = start + timedelta(seconds=at * span_s)
    # a gentle drift over the period, so the demo report has changes to find: answers improve
    # and agents get busier (longer waits) towards the end
    bias += DRIFT * (at - 0.5)
    turns = rng.randint(1, 8)
    model = _pick(rng, MODELS)
    t = opened + timedelta(seconds=20 * turns + rng.random() * 60)
    handoff = None
    agent = None
    if rng.random() < p_handoff:
        agent = rng.choice(AGENTS)
        wait = _secs(rng, 90 * (1 + at))
        first = wait + _secs(rng, 40)
        handle = first - wait + _secs(rng, 600)
        claimed = rng.random() < 0.95
        handoff = {
            "id": ids(2), "conversation_id": cid,
            "channel": channel, "intent": intent, "reason": "customer_request", "requested_at": t,
            "claimed_at": t + timedelta(seconds=wait) if claimed else None,
            "agent": agent if claimed else None,
            "first_reply_at": t + timedelta(seconds=first) if claimed else None,
            "resolved_at": t + timedelta(seconds=(wait + handle) if claimed else 1800),
            "outcome": "resolved" if claimed else "timed_out",
            "wait_s": wait if claimed else None, "first_response_s": first if claimed else None,
            "handle_s": handle if claimed else None, "synthetic": True,
        }  # fmt: skip
        t = handoff["resolved_at"]
        agent = handoff["agent"]
    closed = t + timedelta(seconds=rng.random() * 300)
    who = rng.randrange(max(1, n // 3))
    customer = hashlib.sha256(f"demo:{channel}:{who}".encode()).hexdigest()
    outcome = "escalated" if handoff else ("contained" if intent else "abandoned")
    verified = extra.random() < VERIFIED_SHARE  # then one key for the customer on every channel
    back = extra.random() < RECONTACT_SHARE.get(outcome, 0.0)
    conv = {
        "id": cid, "channel": channel, "customer": customer,
        "customer_key": hashlib.sha256(f"demo:shop:{who}".encode()).hexdigest() if verified else customer,
        "verified_at": opened if verified else None, "order_keys": [],
        "recontacted": back, "recontacted_at": closed + timedelta(days=extra.random() * 7) if back else None,
        "opened_at": opened, "closed_at": closed, "last_activity_at": closed, "last_bot_at": closed,
        "outcome": outcome, "locale": "en", "model_version": model,
        "intents_seen": ["greet", intent] if intent else ["greet"],
        "support_intents": [intent] if intent else [], "last_support_intent": intent,
        "fallback_count": int(rng.random() < 0.2) + int(rng.random() < 0.05),
        "clarification_count": int(rng.random() < 0.1),
        "customer_turns": turns, "bot_turns": turns + 1,
        "agent_turns": rng.randint(1, 6) if handoff else 0,
        "has_handoff": handoff is not None, "agent": agent, "survey_started": False, "not_surveyed": None,
        "synthetic": True,
    }  # fmt: skip
    responses: list[dict[str, Any]] = []
    if intent and rng.random() < 0.85:
        conv["survey_started"] = True
        segment = "agent" if handoff else "bot"
        base = {"conversation_id": cid, "channel": channel, "segment": segment, "agent": agent,
                "intent": intent, "model_version": model, "synthetic": True, "comment": None}  # fmt: skip
        x = rng.random()
        csat = dict(base, metric="csat", scale_max=5, asked_at=closed, score=None, answered_at=None)
        csat["status"] = "answered" if x < 0.62 else ("skipped" if x < 0.72 else "expired")
        responses.append(csat)
        if csat["status"] == "answered":
            csat["score"] = _score(rng, 5, bias + (0.3 if segment == "agent" else 0.0))
            csat["answered_at"] = closed + timedelta(seconds=5 + rng.random() * 60)
            if csat["score"] <= 2 and rng.random() < 0.5:
                csat["comment"] = redact(rng.choice(COMMENTS))
            if rng.random() < 0.9:
                asked = csat["answered_at"] + timedelta(seconds=1)
                ces = dict(
                    base, metric="ces", scale_max=7, asked_at=asked, score=None, answered_at=None
                )
                y = rng.random()
                ces["status"] = "answered" if y < 0.85 else ("skipped" if y < 0.93 else "abandoned")
                if ces["status"] == "answered":
                    ces["score"] = _score(rng, 7, bias * 1.4)
                    ces["answered_at"] = asked + timedelta(seconds=3 + rng.random() * 30)
                responses.append(ces)
                if ces["status"] == "answered" and later.random() < NPS_SHARE:
                    responses.append(_nps(later, base, ces["answered_at"], bias))
    low = any(
        r["status"] == "answered" and r["score"] <= {"csat": 2, "ces": 3}.get(r["metric"], -1)
        for r in responses
    )
    said = _transcript(later, cid, intent, agent, opened) if low else []
    return conv, responses, handoff, said


def _transcript(
    later: random.Random, cid: str, intent: str, agent: str | None, opened: datetime
) -> list[dict[str, Any]]:
    """A short demo transcript for a low-score conversation (the review queue's)."""
    topic = intent.replace("_", " ")
    said = [
        ("customer", f"hi, I need help with {topic}"),
        ("bot", f"Here is how {topic} works at Brightcart. Anything else I can help with? "
                "[Yes | No, that's all]"),
        ("customer", later.choice(FOLLOW_UPS)),
    ]  # fmt: skip
    if agent:
        said += [("agent", f"{agent.split(' (')[0]}: Sorry about that, let me look into it.")]
    return [
        {"conversation_id": cid, "at": opened + timedelta(seconds=20 * i), "by": by, "text": text}
        for i, (by, text) in enumerate(said)
    ]


def _nps(
    extra: random.Random, base: dict[str, Any], after: datetime, bias: float
) -> dict[str, Any]:
    """The NPS question, as survey.yml adds it once per customer per interval (when on)."""
    asked = after + timedelta(seconds=1)
    score = max(0, min(10, int(round(10 - abs(extra.gauss(0.0, 3.4)) + 2 * bias))))
    answered = extra.random() < 0.9
    return dict(
        base, metric="nps", scale_max=10, asked_at=asked,
        status="answered" if answered else "skipped", score=score if answered else None,
        answered_at=asked + timedelta(seconds=2 + extra.random() * 20) if answered else None,
    )  # fmt: skip
