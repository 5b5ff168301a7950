"""Answers about one order, once its number is known: track, cancel, change, delivery date,
refund and refund status. Each answer comes from the shop backend, never from a guess."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from datetime import date

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import BackendError, Order, OrderStatus, Refund, RefundStatus, ShopBackend
from actions.context import backend, note_support_intent

logger = logging.getLogger(__name__)

PERSON = {"title": "Talk to a person", "payload": "/contact_human_agent"}
REFUND = {"title": "Request a refund", "payload": "/get_refund"}
TRACK = {"title": "Track this order", "payload": "/track_order"}
OUTAGE = (
    "Sorry, I can't reach our order system right now. Please try again in a few minutes, "
    "or talk to someone from our team."
)

Reply = tuple[str, list[dict[str, str]]]


def day(value: date | None) -> str:
    return value.strftime("%a %d %b") if value else "soon"


def money(cents: int, currency: str) -> str:
    return f"{cents / 100:.2f} {currency}"


def describe(order: Order) -> str:
    items = ", ".join(order.items)
    return f"order #{order.order_id} ({items}, placed {day(order.placed_on)})"


# --- the answers: pure functions of the order, so tests read like the conversation ----------
def track(order: Order, shop: ShopBackend) -> Reply:
    if order.status is OrderStatus.PROCESSING:
        return (
            f"Your {describe(order)} is being prepared in our warehouse. It should ship within "
            f"1 working day and arrive by {day(order.estimated_delivery)}.",
            [],
        )
    if order.status is OrderStatus.SHIPPED:
        return (
            f"Your {describe(order)} is on its way with {order.carrier}, tracking number "
            f"{order.tracking_number}. Expected delivery: {day(order.estimated_delivery)}.",
            [],
        )
    if order.status is OrderStatus.DELIVERED:
        return (
            f"Your {describe(order)} was delivered on {day(order.delivered_on)}. If it hasn't "
            "reached you, someone from our team will look into it with the carrier.",
            [PERSON],
        )
    if order.status is OrderStatus.CANCELLED:
        return (
            f"Your {describe(order)} was cancelled on {day(order.cancelled_on)}, so nothing "
            "will be delivered. Any payment is refunded to your original payment method.",
            [],
        )
    return (f"Your {describe(order)} was returned and refunded in full.", [])


def cancel(order: Order, shop: ShopBackend) -> Reply:
    if order.status is OrderStatus.PROCESSING:
        outcome = shop.cancel_order(order.order_id)
        if outcome.cancelled:
            return (
                f"Done: order #{order.order_id} is cancelled, free of charge. You'll get a "
                f"confirmation e-mail, and the {money(order.total_cents, order.currency)} goes "
                f"back to your {order.payment_method} within 5-7 working days.",
                [],
            )
        order = outcome.order  # it shipped in the meantime
    if order.status is OrderStatus.SHIPPED:
        return (
            f"Order #{order.order_id} has already shipped, so it can't be cancelled any more. "
            "Once it arrives you can return it within 30 days, free of charge, and we'll "
            "refund you in full. You can also refuse the parcel at the door.",
            [REFUND, PERSON],
        )
    if order.status is OrderStatus.DELIVERED:
        return (
            f"Order #{order.order_id} was already delivered on {day(order.delivered_on)}, so "
            "it can't be cancelled, but you can return it within 30 days for a full refund.",
            [REFUND],
        )
    if order.status is OrderStatus.CANCELLED:
        return (f"Order #{order.order_id} is already cancelled; there's nothing else to do.", [])
    return (f"Order #{order.order_id} was already returned and refunded.", [])


def change(order: Order, shop: ShopBackend) -> Reply:
    if order.status is OrderStatus.PROCESSING:
        return (
            f"Order #{order.order_id} hasn't shipped yet, so it can still be changed. You can "
            "change the delivery address under My orders > Change address; to add, remove "
            "or swap items, someone from our team will do it for you.",
            [PERSON, {"title": "Change the address", "payload": "/change_shipping_address"}],
        )
    if order.status is OrderStatus.SHIPPED:
        return (
            f"Order #{order.order_id} has already shipped with {order.carrier}, so it can't be "
            "changed. The carrier can sometimes redirect it (tracking number "
            f"{order.tracking_number}), or you can return it after delivery.",
            [REFUND, PERSON],
        )
    if order.status is OrderStatus.DELIVERED:
        return (
            f"Order #{order.order_id} has been delivered, so it can't be changed. If "
            "something isn't right, you can return it within 30 days.",
            [REFUND, PERSON],
        )
    return (
        f"Order #{order.order_id} is {order.status.value}, so there's nothing left to change.",
        [],
    )


def delivery_date(order: Order, shop: ShopBackend) -> Reply:
    if order.status in (OrderStatus.PROCESSING, OrderStatus.SHIPPED):
        return (
            f"Order #{order.order_id} should arrive by {day(order.estimated_delivery)}.",
            [TRACK],
        )
    if order.status is OrderStatus.DELIVERED:
        return (f"Order #{order.order_id} was already delivered, on {day(order.delivered_on)}.", [])
    return (f"Order #{order.order_id} is {order.status.value}, so it won't be delivered.", [])


def refund_status(refund: Refund) -> str:
    amount = money(refund.amount_cents, refund.currency)
    if refund.status is RefundStatus.PAID:
        return (
            f"Your refund of {amount} for order #{refund.order_id} was paid on "
            f"{day(refund.paid_on)}. Banks can take 2-3 more days to show it."
        )
    if refund.status is RefundStatus.PROCESSING:
        return (
            f"We've received your return for order #{refund.order_id}. Your refund of {amount} "
            f"is being processed and should reach you by {day(refund.expected_by)}."
        )
    return (
        f"The return for order #{refund.order_id} was registered on {day(refund.requested_on)}; "
        f"we're waiting for the parcel. Once it arrives, {amount} is refunded within 5-7 "
        "working days."
    )


def get_refund(order: Order, shop: ShopBackend) -> Reply:
    existing = shop.get_refund(order.order_id)
    if existing is not None:
        return (refund_status(existing), [])
    if order.status is OrderStatus.PROCESSING:
        return (
            f"Order #{order.order_id} hasn't shipped yet, so the quickest way to get your money "
            "back is to cancel it, which is free.",
            [{"title": "Cancel the order", "payload": "/cancel_order"}],
        )
    if order.status is OrderStatus.SHIPPED:
        return (
            f"Order #{order.order_id} is on its way. Once it arrives you can return it within "
            "30 days, or simply refuse the parcel, and we'll refund you in full.",
            [],
        )
    if order.status is OrderStatus.CANCELLED:
        return (
            f"Order #{order.order_id} was cancelled, and any payment goes back automatically "
            "to your original payment method within 5-7 working days.",
            [],
        )
    if not order.within_return_window(shop.today()):
        return (
            f"Order #{order.order_id} was delivered more than 30 days ago, so it's outside our "
            "return window. Someone from our team can still look at your case.",
            [PERSON],
        )
    refund = shop.request_refund(order.order_id)
    return (
        f"I've started a return for order #{order.order_id}. We've e-mailed you a free return "
        f"label; once the parcel reaches us, {money(refund.amount_cents, refund.currency)} "
        f"goes back to your {order.payment_method} within 5-7 working days.",
        [],
    )


def track_refund(order: Order, shop: ShopBackend) -> Reply:
    refund = shop.get_refund(order.order_id)
    if refund is not None:
        return (refund_status(refund), [])
    return (
        f"There's no refund for order #{order.order_id} yet. You can request one below.",
        [REFUND],
    )


class _OrderAnswer(Action, ABC):
    """Answers from the backend once the form has a valid order number. Abstract, so rasa-sdk
    registers only the concrete answers below."""

    intent: str = ""

    @staticmethod
    @abstractmethod
    def answer(order: Order, shop: ShopBackend) -> Reply: ...

    def name(self) -> str:
        return f"action_{self.intent}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        note_support_intent(tracker, self.intent)
        order_id = tracker.get_slot("order_id")
        shop = backend()
        try:
            order = shop.get_order(order_id) if order_id else None
            if order is None:
                dispatcher.utter_message(
                    text="I couldn't find that order. Please check the number "
                    "in your confirmation e-mail."
                )
                return [SlotSet("order_id", None)]
            text, buttons = type(self).answer(order, shop)
        except BackendError:
            logger.exception("backend failed answering %s for order %s", self.intent, order_id)
            dispatcher.utter_message(text=OUTAGE, buttons=[PERSON])
            return []
        dispatcher.utter_message(text=text, buttons=buttons or None)
        return []


class ActionTrackOrder(_OrderAnswer):
    intent, answer = "track_order", staticmethod(track)


class ActionCancelOrder(_OrderAnswer):
    intent, answer = "cancel_order", staticmethod(cancel)


class ActionChangeOrder(_OrderAnswer):
    intent, answer = "change_order", staticmethod(change)


class ActionDeliveryPeriod(_OrderAnswer):
    intent, answer = "delivery_period", staticmethod(delivery_date)


class ActionGetRefund(_OrderAnswer):
    intent, answer = "get_refund", staticmethod(get_refund)


class ActionTrackRefund(_OrderAnswer):
    intent, answer = "track_refund", staticmethod(track_refund)
