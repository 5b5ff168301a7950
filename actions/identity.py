"""Who is asking, inside the forms (issue #13): the steps that prove it and what they say.

- Look-ups of an order need a chat verified for its owner (``Access.OWNER``) or the order's
  e-mail typed in this chat (``Access.EMAIL``, remembered in ``unlocked_order``). Otherwise the
  form asks for the e-mail, for an order that exists and one that does not alike, and a wrong
  e-mail gets the answer a missing order gets.
- Actions need ``Access.OWNER``: a 6-digit code is mailed to the address on file, and the chat is
  verified once the customer types it back.
- Too many wrong e-mails or codes: the lockout, with the time it lifts and a person.

The verification calls block (database, shop, mail, scrypt), so they run in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from datetime import datetime
from enum import Enum
from typing import TypeVar

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.backend import BackendError, Customer
from actions.context import chat_of, verification
from actions.form_turns import REQUESTED_SLOT, entity_values
from actions.order_answers import PERSON, Button, Reply
from actions.verification import CodeOutcome, LockedOut, VerificationError
from actions.verification.codes import CODE_TTL, read_code

logger = logging.getLogger(__name__)
T = TypeVar("T")

CUSTOMER_EMAIL = "customer_email"  # the e-mail the customer typed: the order's or the account's
VERIFICATION_CODE = "verification_code"  # requested while the form waits for the mailed code
UNLOCKED_ORDER = "unlocked_order"  # the order whose e-mail was typed right in this chat
NO_EMAIL: Button = {"title": "I don't know it", "payload": "/deny"}
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
UNAVAILABLE = (
    "Sorry, I can't check who you are right now, so I can't show or change orders. Please try "
    "again in a few minutes, or talk to someone from our team."
)


class Access(str, Enum):
    OWNER = "owner"  # the chat is verified for the order's owner: look-ups and actions
    EMAIL = "email"  # the order's e-mail was typed in this chat: look-ups only
    NONE = "none"


async def blocking(fn: Callable[..., T], *args: object) -> T:
    return await asyncio.to_thread(fn, *args)


async def access(tracker: Tracker, order_id: str) -> Access:
    """What this chat may do with ``order_id``. Raises ``VerificationError``/``BackendError``."""
    if await blocking(verification().may_view_order, chat_of(tracker), order_id) is not None:
        return Access.OWNER
    if tracker.get_slot(UNLOCKED_ORDER) == order_id:
        return Access.EMAIL
    return Access.NONE


async def locked_until(tracker: Tracker, order_id: str | None) -> datetime | None:
    """When this chat (and order) may try an e-mail or a code again; None if now. Raises
    ``VerificationError``."""
    return await blocking(verification().locked_until, chat_of(tracker), order_id)


async def linked_customer(tracker: Tracker) -> Customer | None:
    """The shop customer this chat is verified for; None when not (or when that can't be told)."""
    try:
        return await blocking(verification().linked_customer, chat_of(tracker))
    except (VerificationError, BackendError):
        logger.exception("could not tell whether chat %s is verified", tracker.sender_id[:12])
        return None


def typed_email(tracker: Tracker) -> str | None:
    found = entity_values(tracker, "email")
    if found:
        return found[0]
    match = _EMAIL.search(str(tracker.latest_message.get("text") or ""))
    return match.group(0) if match else None


def typed_code(tracker: Tracker) -> str | None:
    return read_code(str(tracker.latest_message.get("text") or ""))


def mask(email: str) -> str:
    """``ana.lopez@example.com`` -> ``a***@example.com``."""
    local, _, domain = email.strip().lower().partition("@")
    return f"{local[:1]}***@{domain}"


# --- what the steps say -------------------------------------------------------------------------
def email_question(order_id: str | None) -> Reply:
    if order_id:
        return (f"For your privacy, what's the e-mail address on order #{order_id}?", [NO_EMAIL])
    return (
        "To keep your account safe, I'll e-mail you a 6-digit code first. What's the e-mail "
        "address of your Brightcart account?",
        [NO_EMAIL],
    )


def no_match(order_id: str) -> Reply:
    """A wrong e-mail and an order that does not exist get this same answer."""
    return (
        f"I couldn't find order #{order_id} with that e-mail address. Please check the order "
        "number and the address in your confirmation e-mail, and type the address again.",
        [NO_EMAIL, PERSON],
    )


def not_an_email(order_id: str | None) -> Reply:
    about = f"on order #{order_id}" if order_id else "of your account"
    return (
        f"That doesn't look like an e-mail address. What's the address {about}? (like \"ana@example.com\")",
        [NO_EMAIL],
    )


def code_sent(email: str, known: bool) -> Reply:
    """``known``: the address was checked against the order; for an account e-mail the answer
    must not say whether it is one."""
    minutes = int(CODE_TTL.total_seconds() // 60)
    where = (
        f"I've sent a 6-digit code to {mask(email)}."
        if known
        else f"If {mask(email)} is the address of a Brightcart account, I've sent a 6-digit code "
        "to it."
    )
    return (
        f"{where} Please type it here to confirm it's you; it expires in {minutes} minutes.",
        [PERSON],
    )


def wrong_code() -> Reply:
    return (
        "That code isn't right. Please check the newest e-mail from us and type the 6 digits "
        "again.",
        [PERSON],
    )


def code_please(email: str | None) -> Reply:
    where = f" we sent to {mask(email)}" if email else ""
    return (f"Please type the 6-digit code from the e-mail{where}.", [PERSON])


def lockout(until: datetime) -> Reply:
    return (
        "For your security I can't check any more e-mail addresses or codes in this chat for "
        f"now: there were too many wrong tries. You can try again after {until:%H:%M} UTC "
        f"({until:%a %d %b}), or someone from our team can help you right away.",
        [PERSON],
    )


def say(dispatcher: CollectingDispatcher, reply: Reply) -> None:
    text, buttons = reply
    dispatcher.utter_message(text=text, buttons=buttons or None)


# --- the steps ----------------------------------------------------------------------------------
async def send_code(
    dispatcher: CollectingDispatcher, tracker: Tracker, email: str, order_id: str | None
) -> list[EventType] | None:
    """Mail a code and say so; the events wait for it. None (and the reason said) when no code
    can be sent: locked out, mail or verification down."""
    try:
        await blocking(verification().request_code, chat_of(tracker), email, order_id)
    except LockedOut as locked:
        say(dispatcher, lockout(locked.until))
        return None
    except (VerificationError, BackendError):  # MailUnavailable is a BackendError
        logger.exception("no verification code sent on chat %s", tracker.sender_id[:12])
        say(dispatcher, (UNAVAILABLE, [PERSON]))
        return None
    say(dispatcher, code_sent(email, known=order_id is not None))
    return [SlotSet(CUSTOMER_EMAIL, email), SlotSet(REQUESTED_SLOT, VERIFICATION_CODE)]


class CodeStep(Enum):
    VERIFIED = "verified"  # the chat is verified: the form goes on
    AGAIN = "again"  # asked again (wrong, expired and resent)
    STOP = "stop"  # locked out or unavailable, already said: the form ends


async def check_code(
    dispatcher: CollectingDispatcher, tracker: Tracker, code: str, order_id: str | None
) -> tuple[CodeStep, Customer | None]:
    """Check a typed code. Verified: "Thanks, Ana" is said and the customer returned."""
    chat = chat_of(tracker)
    try:
        check = await blocking(verification().check_code, chat, code)
    except LockedOut as locked:
        say(dispatcher, lockout(locked.until))
        return CodeStep.STOP, None
    except (VerificationError, BackendError):
        logger.exception("verification code not checked on chat %s", tracker.sender_id[:12])
        say(dispatcher, (UNAVAILABLE, [PERSON]))
        return CodeStep.STOP, None
    if check.outcome is CodeOutcome.VERIFIED and check.customer is not None:
        dispatcher.utter_message(text=f"Thanks, {check.customer.first_name}: that's you.")
        return CodeStep.VERIFIED, check.customer
    if check.outcome is CodeOutcome.EXPIRED:
        email = tracker.get_slot(CUSTOMER_EMAIL)
        if not email:
            say(dispatcher, wrong_code())
            return CodeStep.AGAIN, None
        dispatcher.utter_message(text="That code has expired, so here's a new one.")
        events = await send_code(dispatcher, tracker, str(email), order_id)
        return (CodeStep.AGAIN if events is not None else CodeStep.STOP), None
    if check.locked_until is not None:
        say(dispatcher, lockout(check.locked_until))
        return CodeStep.STOP, None
    say(dispatcher, wrong_code())  # WRONG, and NO_CODE after an e-mail that matched nothing
    return CodeStep.AGAIN, None
