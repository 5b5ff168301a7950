"""The answers about one order, as pure functions of the order and the shop, so tests read like
the conversation: tracking, cancelling (after a Yes), changing, the delivery date, returns and
refunds (after a Yes), and what to say when the order dialogue ended without a number."""

from __future__ import annotations

import json
from datetime import date

from actions.backend import Order, OrderStatus, Refund, RefundStatus, ShopBackend

Button = dict[str, str]
Reply = tuple[str, list[Button]]

PERSON: Button = {"title": "Talk to a person", "payload": "/contact_human_agent"}
RETURNS: Button = {"title": "How returns work", "payload": "/check_refund_policy"}
YES_NO = ("/affirm", "/deny")
DELIVERY_GENERAL = (
    "Within the EU and the UK, Standard delivery takes 2-4 working days and Express arrives the "
    "next working day when you order before 2 pm. Pickup-point delivery takes 3-5 working days."
)
FIND_THE_NUMBER = (
    'You\'ll find the order number in your confirmation e-mail or under "My orders" in your '
    "account. Send it to me whenever you have it, or someone from our team can look the order "
    "up for you."
)


def day(value: date | None) -> str:
    return value.strftime("%a %d %b") if value else "soon"


def money(cents: int, currency: str) -> str:
    return f"{cents / 100:.2f} {currency}"


def describe(order: Order) -> str:
    return f"order #{order.order_id} ({', '.join(order.items)}, placed {day(order.placed_on)})"


def items_phrase(items: tuple[str, ...]) -> str:
    return f"{len(items)} item{'s' if len(items) != 1 else ''} ({', '.join(items)})"


def order_button(title: str, intent: str, order_id: str) -> Button:
    """A button that asks ``intent`` about this order (the payload names it, so no form asks)."""
    return {"title": title, "payload": f"/{intent}{json.dumps({'order_id': order_id})}"}


def yes_no(yes: str, no: str) -> list[Button]:
    return [{"title": yes, "payload": YES_NO[0]}, {"title": no, "payload": YES_NO[1]}]


# --- without an order -------------------------------------------------------------------------
def without_an_order(intent: str, reason: str | None) -> Reply:
    """The order dialogue ended without a number: ``pre_purchase`` ("I haven't ordered yet"),
    ``not_found`` (two numbers in a row did not match), ``no_number``, ``no_proof`` (no e-mail
    or code given) or ``unverified`` (locked out or unavailable, said already: no text)."""
    if reason == "unverified":  # the lockout or the outage was explained as it happened
        return ("", [])
    if reason == "no_proof":
        return (
            "No problem. For your privacy I can only show or change an order once you've "
            "confirmed its e-mail address, but someone from our team can help you after they've "
            "checked who you are.",
            [PERSON],
        )
    if reason == "not_found":
        return (
            "I still can't match that to an order, sorry. Someone from our team can find it "
            "for you with your name and e-mail address.",
            [PERSON],
        )
    if intent == "delivery_period" or (reason == "pre_purchase" and intent == "track_order"):
        return (DELIVERY_GENERAL, [])
    if reason == "pre_purchase" and intent in ("cancel_order", "change_order"):
        return (
            "Good to know before you buy: you can cancel an order free of charge until it "
            "ships, and change its delivery address under My orders until then. After that "
            "you can return it within 30 days of delivery, free of charge.",
            [],
        )
    if reason == "pre_purchase":
        return (
            "You can return most items within 30 days of delivery, free of charge; once the "
            "return reaches us, the money goes back to your original payment method within 5-7 "
            "working days.",
            [],
        )
    return ("No problem. " + FIND_THE_NUMBER, [PERSON])


# --- one order --------------------------------------------------------------------------------
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


def cancel_question(order: Order) -> Reply:
    """What cancelling will do, asked before anything happens."""
    return (
        f"Cancel order #{order.order_id}: {items_phrase(order.items)}, "
        f"{money(order.total_cents, order.currency)}, paid by {order.payment_method}? "
        "It's free, and the money goes back within 5-7 working days.",
        yes_no("Yes, cancel it", "No, keep it"),
    )


def cancel(order: Order, shop: ShopBackend, confirmed: bool | None) -> Reply:
    """Cancels only after a Yes; explains why not when the order is past cancelling."""
    if order.status is OrderStatus.PROCESSING:
        if not confirmed:
            return (
                f"Okay, I haven't cancelled anything: order #{order.order_id} stays as it is.",
                [],
            )
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
            f"Order #{order.order_id} is already on its way with {order.carrier}, so it can't be "
            "cancelled any more. You can refuse the parcel at the door and it comes back to us, "
            "or return it within 30 days of delivery, free of charge: either way you get a "
            "full refund.",
            [order_button("Track this order", "track_order", order.order_id), RETURNS, PERSON],
        )
    if order.status is OrderStatus.DELIVERED:
        return (
            f"Order #{order.order_id} was already delivered on {day(order.delivered_on)}, so "
            "it can't be cancelled, but you can return it within 30 days for a full refund.",
            [order_button("Return it", "get_refund", order.order_id)],
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
            f"{order.tracking_number}), or you can refuse it at the door or return it after "
            "delivery.",
            [RETURNS, PERSON],
        )
    if order.status is OrderStatus.DELIVERED:
        return (
            f"Order #{order.order_id} has been delivered, so it can't be changed. If "
            "something isn't right, you can return it within 30 days.",
            [order_button("Return it", "get_refund", order.order_id), PERSON],
        )
    return (
        f"Order #{order.order_id} is {order.status.value}, so there's nothing left to change.",
        [],
    )


def delivery_date(order: Order, shop: ShopBackend) -> Reply:
    if order.status in (OrderStatus.PROCESSING, OrderStatus.SHIPPED):
        return (
            f"Order #{order.order_id} should arrive by {day(order.estimated_delivery)}.",
            [order_button("Track this order", "track_order", order.order_id)],
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


def needs_a_return(order: Order, shop: ShopBackend) -> bool:
    """Whether a refund request for this order means starting a return (after a Yes)."""
    return (
        order.status is OrderStatus.DELIVERED
        and order.within_return_window(shop.today())
        and shop.get_refund(order.order_id) is None
    )


def items_question(order: Order) -> Reply:
    buttons = [
        {"title": name, "payload": f"/get_refund{json.dumps({'item': str(i)})}"}
        for i, name in enumerate(order.items, start=1)
    ]
    buttons.append({"title": "All of them", "payload": '/get_refund{"item": "all"}'})
    return (f"Which items from order #{order.order_id} do you want to return?", buttons)


def return_question(order: Order, items: tuple[str, ...]) -> Reply:
    amount = money(order.price_of(items), order.currency)
    return (
        f"Start a return for order #{order.order_id}: {', '.join(items)}, {amount} back to your "
        f"{order.payment_method}? We'll e-mail you a free return label.",
        yes_no("Yes, start the return", "No, not now"),
    )


def get_refund(
    order: Order, shop: ShopBackend, confirmed: bool | None, items: tuple[str, ...]
) -> Reply:
    existing = shop.get_refund(order.order_id)
    if existing is not None:
        return (refund_status(existing), [])
    if order.status is OrderStatus.PROCESSING:
        return (
            f"Order #{order.order_id} hasn't shipped yet, so the quickest way to get your money "
            "back is to cancel it, which is free.",
            [order_button("Cancel the order", "cancel_order", order.order_id)],
        )
    if order.status is OrderStatus.SHIPPED:
        return (
            f"Order #{order.order_id} is on its way. You can refuse the parcel at the door, or "
            "return it within 30 days once it arrives, and we'll refund you in full.",
            [RETURNS],
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
    if not confirmed:
        return (f"Okay, I haven't started a return for order #{order.order_id}.", [])
    chosen = items or order.items
    refund = shop.request_refund(order.order_id, chosen)
    return (
        f"I've started a return for {', '.join(chosen)} from order #{order.order_id}. We've "
        "e-mailed you a free return label; once the parcel reaches us, "
        f"{money(refund.amount_cents, refund.currency)} goes back to your "
        f"{order.payment_method} within 5-7 working days.",
        [],
    )


def track_refund(order: Order, shop: ShopBackend) -> Reply:
    refund = shop.get_refund(order.order_id)
    if refund is not None:
        return (refund_status(refund), [])
    return (
        f"There's no refund for order #{order.order_id} yet. You can request one below.",
        [order_button("Request a refund", "get_refund", order.order_id)],
    )
