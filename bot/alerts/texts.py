"""What the customer and the staff are told by a follow-up (one place to reword it)."""

from __future__ import annotations

FOLLOW_UP_TEXT = (
    "Hi, this is {name} from our support team. Thank you for your feedback, and we're sorry "
    "we didn't get it right this time. Could you tell me a little more? Just reply here."
)
NO_CHAT_TEXT = (
    "This customer's chat is not on file any more, so they can't be reached from here. "
    "Follow up another way."
)
NO_DESK_TEXT = "No staff desk is configured (SLACK_STAFF_CHANNEL), so no case can be opened."
ALREADY_TEXT = "A follow-up for this alert is already open: see its case in the staff channel."
OPEN_CASE_TEXT = "This customer already has an open case; your follow-up was noted in its thread."
FAILED_TEXT = "The follow-up case could not be opened. Please try again in a minute."
UNREACHED_TEXT = "⚠️ The customer could not be reached in their chat."
