"""What a customer's message says about an order while the assistant asks for one: a number, a
number typed wrong, "I haven't ordered yet", or none of these. Pure functions of the text, so
every phrasing is testable without Rasa.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from actions.backend import normalise_order_id

__all__ = [
    "ORDER_FORMS",
    "OrderReading",
    "chosen_items",
    "is_pre_purchase",
    "read_order_message",
]

# The order questions, each asked through its form (`<intent>_form`).
ORDER_FORMS = {
    intent: f"{intent}_form"
    for intent in (
        "track_order",
        "cancel_order",
        "change_order",
        "delivery_period",
        "get_refund",
        "track_refund",
    )
}

# A token that is probably an order number typed wrong: digits mixed with look-alike letters
# ("1O0O2", "1OOO2"), too few or too many digits ("1234", "123456"), a prefix with a short
# number ("#123", "ORD-99"). Prices, dates, e-mails and phone numbers have other characters.
_TOKEN = re.compile(r"[#A-Za-z0-9-]+")
_PREFIX = re.compile(r"^(?:ord(?:er)?-?|#|no)", re.IGNORECASE)
_LOOKALIKE = str.maketrans("OoIlSB", "001158")
_ORDERISH = frozenset({"order", "number", "no", "nr", "ord", "is", "it's", "its", "was"})

_PRE_PURCHASE = re.compile(
    r"\b(?:"
    r"(?:have ?n[o']t|have not|never) (?:yet )?(?:ordered|bought|purchased)"
    r"|not (?:ordered|bought|purchased) (?:anything )?yet"
    r"|(?:have ?n[o']t|have not|did ?n[o']t|did not) (?:yet )?(?:made|placed|got) (?:an?y? )?order"
    r"|(?:do ?n[o']t|do not) have an? order(?: yet)?"
    r"|no order yet|not (?:a )?customer yet"
    r"|before (?:i|we) (?:order|buy|purchase)"
    r"|(?:thinking|planning|going) (?:of|about|to) (?:order|buy|purchas)\w*"
    r"|asking in general"
    r")\b",
    re.IGNORECASE,
)


# "I can't find the number", "I lost the confirmation e-mail": the customer has no number to give.
_NO_NUMBER = re.compile(
    r"\b(?:"
    r"(?:can ?not|can'?t|could ?n'?t|could not|do ?n'?t|do not) (?:\w+ )?(?:find|see|locate|remember)"
    r" (?:the |my |an? |any )?(?:order )?(?:number|it|confirmation|receipt|e-?mail)"
    r"|lost (?:the |my )?(?:order )?(?:number|confirmation|receipt|e-?mail)"
    r"|(?:no|without an?|don'?t have an?|do not have an?) order number"
    r")",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class OrderReading:
    """``order_id`` when the message names a valid order number; ``malformed`` when it holds
    something that looks like a mistyped one; ``pre_purchase`` when the customer says they
    have not ordered; ``no_number`` when they say they can't find it. All empty: the message is
    about something else."""

    order_id: str | None = None
    malformed: str | None = None
    pre_purchase: bool = False
    no_number: bool = False


def read_order_message(text: str, entities: Iterable[Mapping[str, Any]] = ()) -> OrderReading:
    """The order number in a message: an ``order_id`` entity first, then the text itself."""
    for entity in entities:
        if entity.get("entity") == "order_id" and entity.get("value"):
            found = normalise_order_id(str(entity["value"]))
            if found:
                return OrderReading(order_id=found)
    whole = normalise_order_id(text)
    if whole:
        return OrderReading(order_id=whole)
    tokens = _TOKEN.findall(text or "")
    for token in tokens:
        found = normalise_order_id(token)
        if found:
            return OrderReading(order_id=found)
    short = len(tokens) <= 3  # "12ab", "it's 1234": the message is the attempt
    for before, token in zip(["", *tokens], tokens, strict=False):
        meant = short or before.lower() in _ORDERISH or _lookalike(token)
        if meant and _looks_like_a_number(token):
            return OrderReading(malformed=token)
    clean = " ".join((text or "").replace("’", "'").split())
    return OrderReading(
        pre_purchase=is_pre_purchase(text), no_number=bool(_NO_NUMBER.search(clean))
    )


def is_pre_purchase(text: str) -> bool:
    """ "I haven't ordered yet, just asking": a question before buying, about no order."""
    return bool(_PRE_PURCHASE.search(" ".join((text or "").replace("’", "'").split())))


def _lookalike(token: str) -> bool:
    """Like "1O0O2": five characters that are digits once look-alike letters are read as digits."""
    return len(token) == 5 and token.translate(_LOOKALIKE).isdigit() and not token.isdigit()


def _looks_like_a_number(token: str) -> bool:
    body = _PREFIX.sub("", token).strip("-")
    digits = sum(c.isdigit() for c in body)
    if digits < 2 or len(body) > 12 or ("-" in body):
        return False
    return bool(_PREFIX.match(token)) or _lookalike(token) or digits >= len(body) - 2


def chosen_items(text: str, items: tuple[str, ...]) -> tuple[str, ...] | None:
    """Which of an order's items a message picks: ``all`` / ``everything`` / ``both``, an item's
    number in the list (``2``), or words of its name ("the phone case"). None when unclear."""
    clean = " ".join(re.sub(r"[^\w\s]", " ", (text or "").lower()).split())
    if not clean:
        return None
    if clean in {"all", "everything", "both", "all of them", "all items", "the whole order"}:
        return items
    if clean.isdigit() and 1 <= int(clean) <= len(items):
        return (items[int(clean) - 1],)
    picked = tuple(item for item in items if _names(item, clean))
    return picked or None


def _names(item: str, text: str) -> bool:
    words = [w for w in re.sub(r"[^\w\s]", " ", item.lower()).split() if len(w) > 2]
    return bool(words) and all(re.search(rf"\b{re.escape(w)}s?\b", text) for w in words)
