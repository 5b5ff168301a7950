"""How each support topic is named on a button when the assistant asks "Did you mean…?"."""

from __future__ import annotations

CLARIFY_ACTION = "action_clarify"  # actions/clarify.py; its offer is answered by the next message

TOPICS: dict[str, str] = {
    "track_order": "📍 Where is my order now?",
    "delivery_period": "📦 When will my order arrive?",
    "delivery_options": "🚚 Delivery options and costs",
    "cancel_order": "✖️ Cancel an order",
    "change_order": "✏️ Change an order",
    "change_shipping_address": "🏠 Change the delivery address of an order",
    "set_up_shipping_address": "🏠 Save an address to my account",
    "place_order": "🛒 How to place an order",
    "get_refund": "💶 Get my money back",
    "track_refund": "⏳ Where is my refund?",
    "check_refund_policy": "📜 Refund and return rules",
    "check_cancellation_fee": "💸 What cancelling costs",
    "check_invoice": "🧾 Find an invoice",
    "get_invoice": "📄 Get a copy of an invoice",
    "check_payment_methods": "💳 Ways to pay",
    "payment_issue": "⚠️ A problem with a payment",
    "create_account": "👤 Open an account",
    "delete_account": "🗑️ Close my account",
    "edit_account": "⚙️ Change my account details",
    "switch_account": "🔁 Change my plan or account type",
    "recover_password": "🔑 I lost my password or PIN",
    "registration_problems": "🚧 Signing up doesn't work",
    "newsletter_subscription": "✉️ Newsletter and marketing e-mails",
    "contact_customer_service": "☎️ How to reach customer service",
    "contact_human_agent": "🙋 Talk to a person",
    "complaint": "😠 Make a complaint",
    "review": "⭐ Leave a review",
    "my_orders": "🗂️ List my orders",
    "forget_me": "🚪 Log out of this chat",
}
