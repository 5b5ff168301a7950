"""Who the customer of a handoff is, when their chat is verified for a shop customer: what
``action_handoff`` sends in the request's ``customer`` (``actions/handoff_customer.py``; null
for a chat not verified) and the case keeps for its card. A case the bot did not open (a
detractor follow-up) does not know, and says nothing either way. Pure: no I/O. Read defensively: a field that is missing or of the
wrong type is left out, never a reason to lose the handoff."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

MAX_ORDERS = 5
MAX_VISITS = 10


@dataclass(frozen=True)
class PastVisit:
    """One earlier conversation of the customer, on any channel: ``outcome`` contained |
    escalated | abandoned (None while open); ``scores`` (metric, score) answered."""

    channel: str
    opened_at: datetime
    intent: str | None
    outcome: str | None
    scores: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class VerifiedCustomer:
    """The shop customer a chat is verified for, as staff see them on the card."""

    first_name: str
    since: date
    orders: int
    recent_orders: tuple[tuple[str, str], ...]  # (order number, status), newest first
    history: tuple[PastVisit, ...]  # newest first, last 30 days

    def to_payload(self) -> dict[str, Any]:
        return {
            "verified": True,
            "first_name": self.first_name,
            "since": self.since.isoformat(),
            "orders": self.orders,
            "recent_orders": [{"id": i, "status": s} for i, s in self.recent_orders],
            "history": [
                {"channel": v.channel, "opened_at": v.opened_at.isoformat(), "intent": v.intent,
                 "outcome": v.outcome, "scores": dict(v.scores)}
                for v in self.history
            ],
        }  # fmt: skip


@dataclass(frozen=True)
class NotVerified:
    """The chat has not proved which shop customer it is."""

    def to_payload(self) -> dict[str, Any]:
        return {"verified": False}


NOT_VERIFIED = NotVerified()
# what a case knows of who is asking; None: not known (a case action_handoff did not open)
Identity = VerifiedCustomer | NotVerified | None


def identity_of_request(data: Mapping[str, Any]) -> Identity:
    """From the handoff request: its ``customer`` (null: not verified; absent: not known)."""
    if "customer" not in data:
        return None
    return NOT_VERIFIED if data["customer"] is None else verified_customer(data["customer"])


def identity_of_row(data: Any) -> Identity:
    """From the case row's JSON (``to_payload`` of either kind, or NULL)."""
    if isinstance(data, Mapping) and data.get("verified") is False:
        return NOT_VERIFIED
    return verified_customer(data)


def describe(who: Identity, name: str | None = None) -> str:
    """``Verified: Ana (customer since 2024, 7 orders)``, ``Not verified`` or ``Not known
    whether the chat is verified``, in plain text; ``name`` the first name as a platform
    renders it (escaped)."""
    if who is None:
        return "Not known whether the chat is verified"
    if isinstance(who, NotVerified):
        return "Not verified"
    orders = f"{who.orders} order{'s' if who.orders != 1 else ''}"
    return f"Verified: {name or who.first_name} (customer since {who.since.year}, {orders})"


def verified_customer(data: Any) -> VerifiedCustomer | None:
    """The request's (or the case row's) ``customer``; None for an unverified chat."""
    if not isinstance(data, Mapping) or not isinstance(data.get("first_name"), str):
        return None
    try:
        since = date.fromisoformat(str(data.get("since")))
    except ValueError:
        return None
    orders = data.get("orders")
    recent = [
        (str(o["id"]), str(o.get("status") or "?"))
        for o in _list(data.get("recent_orders"))
        if isinstance(o, Mapping) and o.get("id")
    ]
    visits = [v for v in map(_visit, _list(data.get("history"))) if v is not None]
    return VerifiedCustomer(
        first_name=data["first_name"],
        since=since,
        orders=orders if isinstance(orders, int) else len(recent),
        recent_orders=tuple(recent[:MAX_ORDERS]),
        history=tuple(visits[:MAX_VISITS]),
    )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _visit(data: Any) -> PastVisit | None:
    if not isinstance(data, Mapping):
        return None
    try:
        opened = datetime.fromisoformat(str(data.get("opened_at")))
    except ValueError:
        return None
    raw = data.get("scores")
    scores: Mapping[Any, Any] = raw if isinstance(raw, Mapping) else {}
    return PastVisit(
        channel=str(data.get("channel") or "?"),
        opened_at=opened,
        intent=str(data["intent"]) if data.get("intent") else None,
        outcome=str(data["outcome"]) if data.get("outcome") else None,
        scores=tuple((str(k), v) for k, v in scores.items() if isinstance(v, int)),
    )
