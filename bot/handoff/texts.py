"""What the customer and the staff are told during a handoff (one place to reword it)."""

from __future__ import annotations

from bot.messages import Button
from contract import HANDOFF_CANCEL_PAYLOAD

BACK_BUTTON = Button(title="Back to the assistant", payload=HANDOFF_CANCEL_PAYLOAD)
CANCELLED_TEXT = "No problem, you're back with the assistant. What can I help you with?"
NO_CASE_TEXT = "You're talking with the assistant. What can I help you with?"
JOINED_TEXT = "{name} from our support team has joined the chat."
CLOSED_TEXT = "{name} from our support team has closed this chat. Thank you for your patience!"
RETURNED_TEXT = (
    "{name} has handed you back to the assistant. Is there anything else I can help with?"
)
TIMEOUT_TEXT = (
    "Sorry, everyone on our team is still busy. You can leave your message here together with "
    "an e-mail address, and we'll get back to you by e-mail. Or carry on with the assistant."
)
FAILED_TEXT = (
    "Sorry, I can't reach our support team right now. You're back with the assistant; "
    "please ask for a person again in a few minutes."
)
ENGINE_DOWN_TEXT = "The assistant is not reachable right now; nothing was changed. Try again."
