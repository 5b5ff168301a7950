"""The shop's systems as the assistant sees them: customers, orders and refunds.

`ShopBackend` is the interface a real deployment implements against its order system; the
seeded stand-in that makes the assistant work out of the box is `actions.demo_shop`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Protocol

__all__ = [
    "BackendError",
    "CancelOutcome",
    "Customer",
    "DeletionRequest",
    "Order",
    "OrderStatus",
    "Refund",
    "ShopBackend",
    "normalise_email",
    "normalise_order_id",
]

RETURN_WINDOW_DAYS = 30

_ORDER_ID = re.compile(r"^(?:ord(?:er)?[\s#:-]*|#|no\.?\s*)?(\d{5})$", re.IGNORECASE)


class BackendError(Exception):
    """The shop's systems could not answer (down, timed out, refused)."""


class OrderStatus(str, Enum):
    PROCESSING = "processing"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


class RefundStatus(str, Enum):
    AWAITING_RETURN = "awaiting_return"
    PROCESSING = "processing"
    PAID = "paid"


@dataclass(frozen=True)
class Refund:
    order_id: str
    amount_cents: int
    currency: str
    status: RefundStatus
    requested_on: date
    expected_by: date | None
    paid_on: date | None


@dataclass(frozen=True)
class Order:
    order_id: str
    status: OrderStatus
    placed_on: date
    items: tuple[str, ...]
    total_cents: int
    currency: str
    payment_method: str
    carrier: str | None
    tracking_number: str | None
    estimated_delivery: date | None
    delivered_on: date | None
    cancelled_on: date | None
    # each item's price, in the order of `items` (empty when the shop does not say)
    item_cents: tuple[int, ...] = ()

    def price_of(self, items: tuple[str, ...]) -> int:
        """What the given items cost; the whole total when they are all of the order's."""
        if set(items) >= set(self.items) or len(self.item_cents) != len(self.items):
            return self.total_cents
        return sum(c for name, c in zip(self.items, self.item_cents, strict=True) if name in items)

    def within_return_window(self, today: date) -> bool:
        return (
            self.delivered_on is not None and (today - self.delivered_on).days <= RETURN_WINDOW_DAYS
        )


@dataclass(frozen=True)
class Customer:
    """A shop customer: who owns orders and where their mail goes (``email`` normalised)."""

    customer_id: str
    first_name: str
    email: str
    phone: str | None
    created_on: date


@dataclass(frozen=True)
class CancelOutcome:
    cancelled: bool
    order: Order


@dataclass(frozen=True)
class DeletionRequest:
    """An account deletion asked for in a chat: the shop e-mails the account's address a link
    that confirms it (the chat itself proves no identity)."""

    reference: str
    requested_on: date


class ShopBackend(Protocol):
    """Every call raises ``BackendError`` when the shop's systems cannot answer."""

    def get_order(self, order_id: str) -> Order | None: ...
    def get_customer(self, customer_id: str) -> Customer | None: ...
    def customer_by_email(self, email: str) -> Customer | None:
        """The customer whose address is ``email`` (compared after ``normalise_email``)."""
        ...

    def customer_of_order(self, order_id: str) -> Customer | None:
        """The order's owner; None when there is no such order."""
        ...

    def orders_of_customer(self, customer_id: str, limit: int | None = None) -> list[Order]:
        """The customer's orders, newest first (at most ``limit``)."""
        ...

    def cancel_order(self, order_id: str) -> CancelOutcome: ...
    def get_refund(self, order_id: str) -> Refund | None: ...
    def request_refund(self, order_id: str, items: tuple[str, ...] = ()) -> Refund:
        """Start a return of ``items`` (all of the order's when empty)."""

    def request_account_deletion(self, customer_ref: str) -> DeletionRequest: ...
    def today(self) -> date: ...


def normalise_order_id(text: str) -> str | None:
    """'#10234', 'ORD-10234', 'order 10234' and '10234' all mean order 10234; else None."""
    match = _ORDER_ID.match(text.strip().rstrip(".!?"))
    if not match or not 10000 <= int(match.group(1)) <= 99999:
        return None
    return match.group(1)


def normalise_email(text: str) -> str:
    """An e-mail address as the shop keeps it: trimmed and lower-cased ("Ana@Example.com " and
    "ana@example.com" are one address, as every mail provider treats them)."""
    return text.strip().lower()
