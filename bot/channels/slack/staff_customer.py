"""The staff card's "who is asking" section (pure): for a chat verified for a shop customer,
"Verified: Ana (customer since 2024, 7 orders)", their newest orders and their conversations of
the last 30 days on any channel with outcome and scores; "Not verified" and nothing personal
otherwise. Everything from the customer or the shop is escaped."""

from __future__ import annotations

from bot.channels.slack.markup import escape, fit
from bot.handoff.customer import Identity, NotVerified, PastVisit, VerifiedCustomer, describe
from bot.handoff.values import Case

SECTION_CHARS = 3000
NAME_CHARS = 80
OUTCOMES = {"contained": "solved by the bot", "escalated": "handed to a person",
            "abandoned": "abandoned"}  # fmt: skip


def headline(who: Identity) -> str:
    """``Verified: Ana (customer since 2024, 7 orders)``, ``Not verified`` or not known."""
    name = fit(who.first_name, NAME_CHARS) if isinstance(who, VerifiedCustomer) else None
    return describe(who, name)


def visit_line(v: PastVisit) -> str:
    """``• 28 Nov, telegram: track order, solved by the bot; CSAT 4, CES 6``."""
    about = escape((v.intent or "no topic").replace("_", " "))
    outcome = OUTCOMES.get(v.outcome, escape(v.outcome)) if v.outcome else "still open"
    scores = ", ".join(f"{escape(m.upper())} {s}" for m, s in v.scores) or "no survey answer"
    return f"• {v.opened_at:%d %b}, {escape(v.channel)}: {about}, {outcome}; {scores}"


def customer_section(case: Case) -> str:
    """The section's mrkdwn, within Slack's 3,000 characters."""
    who = case.identity
    if isinstance(who, NotVerified):
        return ":grey_question: *Not verified* (the chat has not proved which shop customer it is)"
    if who is None:
        return f"_{headline(who)}._"
    lines = [f":white_check_mark: *{headline(who)}*"]
    if who.recent_orders:
        orders = ", ".join(f"#{escape(n)} · {escape(s)}" for n, s in who.recent_orders)
        lines.append(f"*Recent orders:* {orders}")
    if who.history:
        lines.append("*Conversations in the last 30 days (any channel):*")
        lines += [visit_line(v) for v in who.history]
    else:
        lines.append("_No other conversation in the last 30 days._")
    text = ""
    for line in lines:  # whole lines only, the newest first
        if len(text) + len(line) + 1 > SECTION_CHARS:
            break
        text += ("\n" if text else "") + line
    return text
