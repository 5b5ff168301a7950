"""Customer events: a chat verified for a shop customer (linked, unlinked), an order mentioned,
a verification attempt; and re-contact, which they and new support intents reveal.

**Re-contact.** Two conversations are the same customer when they share the customer key (the
shop customer's HMAC on verified chats, on any channel) or the chat. The earlier one is marked
``recontacted`` when the later one opens no more than 7 days after the earlier closed (or while
it is still open) and they share a topic: a support intent or an order. It is checked whenever
a conversation gains a topic or a customer key, so the order events arrive in does not matter.
Durable containment = ``outcome == "contained"`` and not ``recontacted``, for conversations
closed at least 7 days ago.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from cx_telemetry.events.common import Args, as_time, insert_for
from cx_telemetry.models import Conversation, CustomerLink, VerificationAttempt

RECONTACT_WINDOW = timedelta(days=7)


def active_link(s: Session, chat: str, at: datetime) -> CustomerLink | None:
    """The chat's link at ``at``, if it has one that has not ended."""
    return s.scalar(
        select(CustomerLink).where(
            CustomerLink.chat == chat, CustomerLink.linked_at <= at, CustomerLink.expires_at > at
        )
    )


def mark_recontacts(
    s: Session, conv: Conversation, intents: Iterable[str], orders: Iterable[str]
) -> None:
    """Mark whichever of ``conv`` and the customer's other conversations came first as
    recontacted, for the new topics ``intents`` and ``orders`` of ``conv``."""
    topics, order_topics = set(intents), set(orders)
    if not topics and not order_topics:
        return
    others = s.scalars(
        select(Conversation).where(
            or_(
                Conversation.customer_key == conv.customer_key,
                Conversation.customer == conv.customer,
            ),
            Conversation.id != conv.id,
            or_(
                Conversation.closed_at.is_(None),
                Conversation.closed_at >= conv.opened_at - RECONTACT_WINDOW,
            ),
        )
    )
    for other in others:
        if not (topics & set(other.support_intents) or order_topics & set(other.order_keys)):
            continue
        first, later = sorted((conv, other), key=lambda c: (c.opened_at, c.id))
        ended = first.closed_at or later.opened_at
        if later.opened_at - ended > RECONTACT_WINDOW:
            continue
        if not first.recontacted or (first.recontacted_at or later.opened_at) > later.opened_at:
            first.recontacted, first.recontacted_at = True, later.opened_at


def _conversation(s: Session, cid: str | None) -> Conversation | None:
    if cid is None:
        return None
    return s.scalar(select(Conversation).where(Conversation.id == cid).with_for_update())


def link_customer(s: Session, a: Args) -> None:
    at = as_time(a["at"])
    values = {
        "chat": a["customer"],
        "customer_key": a["customer_key"],
        "linked_at": at,
        "expires_at": as_time(a["until"]),
    }
    s.execute(
        insert_for(s, CustomerLink)
        .values(**values)
        .on_conflict_do_update(  # a link replayed late never replaces a newer one
            index_elements=["chat"], set_=values, where=CustomerLink.linked_at <= at
        )
    )
    conv = _conversation(s, a.get("cid"))
    if conv is None:
        return
    conv.customer_key = a["customer_key"]
    conv.verified_at = conv.verified_at or at
    mark_recontacts(s, conv, conv.support_intents, conv.order_keys)


def unlink_customer(s: Session, a: Args) -> None:
    at = as_time(a["at"])
    s.execute(
        update(CustomerLink)
        .where(CustomerLink.chat == a["customer"], CustomerLink.expires_at > at)
        .values(expires_at=at)
    )


def note_order(s: Session, a: Args) -> None:
    conv = _conversation(s, a["cid"])
    if conv is None or a["order"] in conv.order_keys:
        return
    conv.order_keys = [*conv.order_keys, a["order"]]
    conv.last_activity_at = as_time(a["at"])
    mark_recontacts(s, conv, (), [a["order"]])


def verification_attempt(s: Session, a: Args) -> None:
    conv = s.get(Conversation, a["cid"])
    s.execute(
        insert_for(s, VerificationAttempt).values(
            conversation_id=a["cid"],
            channel=conv.channel if conv else None,
            kind=a["kind"],
            outcome=a["outcome"],
            at=as_time(a["at"]),
            synthetic=conv.synthetic if conv else False,
        )
    )
