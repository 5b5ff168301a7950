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
# No staff desk at all: nobody could pick the chat up, so no queue is promised.
NO_DESK_TEXT = (
    "Nobody from our team can take this chat right now. Leave your message here together with "
    "an e-mail address, and we'll get back to you by e-mail. Or carry on with the assistant."
)
# A message left after the follow-up offer.
LEFT_WITH_EMAIL_TEXT = "Thanks, we have your message and will reply to {email}."
LEFT_NO_EMAIL_TEXT = (
    "Thanks, we have your message. Please add the e-mail address we should reply to."
)
# Back to the assistant after leaving a message: the case stays open for the follow-up.
KEPT_TEXT = (
    "You're back with the assistant. We've kept your message and will reply to {email}. "
    "What else can I help you with?"
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
