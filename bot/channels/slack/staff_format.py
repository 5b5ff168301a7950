"""Pure translation for the Slack staff desk (no I/O here).

*To theirs*: :func:`card_blocks` renders a handoff case as a Block Kit card (status, customer,
reason, intents, who the customer is when verified (``staff_customer``), transcript, buttons) that is updated in place, :func:`thread_texts` the posts
in its thread, and the confirmation asked when someone resolves or returns a case another agent
claimed. Whatever the customer or a platform wrote is escaped (``bot.channels.slack.markup``),
and every budget is counted on the escaped text: no field over 2,000 characters, no section over
3,000, and the newest turns of a transcript always shown, shortened when long.
*To ours*: :func:`staff_message_to_ours` and :func:`staff_action_to_ours` turn thread replies
and card buttons into the router's typed values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.channels.slack.markup import escape, fit, staff_to_markdown
from bot.channels.slack.staff_customer import customer_section
from bot.handoff.values import Case, StaffAction, StaffMessage, agent_display

ACTION = re.compile(r"^handoff_(claim|resolve|return|dismiss|no_survey)(_confirmed)?$")
SECTION_CHARS = 3000  # Slack's limit for a section's text
FIELD_CHARS = 2000  # ... and for one of its fields
TRANSCRIPT_CHARS = 2800  # the transcript's section, with room for its heading
LINE_CHARS = 700  # one turn of the transcript, escaped; longer ones are shortened
NAME_CHARS = 120
CARD_BLOCK = "handoff_card_buttons"
_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,20}$")


# -- to theirs (pure) ----------------------------------------------------------------------


def mention(user: str | None, fallback: str | None = None) -> str:
    """A Slack user as a mention; anything that is not a Slack user id is shown as text."""
    if user and _SLACK_USER.match(user):
        return f"<@{user}>"
    return fit(fallback or user or "someone", NAME_CHARS)


def status_line(case: Case, now: datetime) -> str:
    """One line saying where the case stands, for the card's header and its notification."""
    if case.status == "claimed":
        return f":raising_hand: *Claimed by {mention(case.claimed_by, case.agent)}*"
    if case.status == "resolved":
        return f":white_check_mark: *Resolved by {mention(case.closed_by)}*"
    if case.status == "returned":
        return f":leftwards_arrow_with_hook: *Returned to the bot by {mention(case.closed_by)}*"
    if case.status == "follow_up":
        return (
            ":envelope_with_arrow: *Follow up* - the customer left a message and is back "
            "with the assistant"
        )
    if case.status == "cancelled":
        return ":heavy_multiplication_x: *Cancelled by the customer* (back with the bot)"
    line = f":hourglass_flowing_sand: *Waiting for a person* ({_waited(case, now)})"
    if case.follow_up_offered:
        line += " - no claim in time; customer offered to leave a message and an e-mail"
    return line


def card_text(case: Case, now: datetime) -> str:
    """Notification / fallback text of the card."""
    who = fit(case.customer_name, NAME_CHARS) if case.customer_name else _short(case.customer)
    return f"Handoff ({escape(case.channel)}, {who}): {status_line(case, now)}"


def card_blocks(case: Case, now: datetime) -> list[dict[str, Any]]:
    """The staff card of a case: buttons only while it is open."""
    who = _short(case.customer)
    if case.customer_name:
        who = f"{fit(case.customer_name, NAME_CHARS)} ({who})"
    fields = [
        f"*Channel*\n{escape(case.channel)}",
        f"*Customer*\n{who}",
        f"*Reason*\n{escape((case.reason or 'not given').replace('_', ' '))}",
        f"*Waiting since*\n<!date^{int(case.requested_at.timestamp())}^{{time}}|"
        f"{case.requested_at:%H:%M} UTC> ({_waited(case, now)})",
        f"*Intents so far*\n{fit(', '.join(case.intents) or '-', FIELD_CHARS - 20)}",
    ]
    if case.contact_email:
        email = fit(case.contact_email, 300)
        fields.append(f"*Contact e-mail*\n<mailto:{email}|{email}>")
    if case.no_survey:
        fields.append("*Survey*\nNone after this case (marked No survey)")
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": status_line(case, now)}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
        {"type": "section", "text": {"type": "mrkdwn", "text": customer_section(case)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _transcript(case)}},
    ]
    if case.is_open:
        buttons = []
        if case.status in ("waiting", "follow_up"):
            buttons.append(_button("Claim", "handoff_claim", case.handoff_id, "primary"))
        buttons.append(_button("Resolve", "handoff_resolve", case.handoff_id))
        if case.status != "follow_up":  # the customer is with the assistant already
            buttons.append(_button("Return to bot", "handoff_return", case.handoff_id))
        if not case.no_survey:
            buttons.append(_button("No survey", "handoff_no_survey", case.handoff_id))
        blocks.append({"type": "actions", "block_id": CARD_BLOCK, "elements": buttons})
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "Reply in the thread to answer the customer; "
                    "start with `//` for an internal note.",
                }
            ],
        }
    )
    return blocks


def confirmation_blocks(case: Case, kind: str) -> list[dict[str, Any]]:
    """The second step of a Resolve/Return on a case someone else claimed (server-side, so it
    holds whatever Slack client pressed the button)."""
    verb = "Resolve" if kind == "resolve" else "Return to bot"
    owner = fit(agent_display(case.agent), NAME_CHARS)
    return [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"{owner} ({mention(case.claimed_by)}) claimed this case. {verb} anyway?",
            },
        },
        {
            "type": "actions",
            "block_id": "handoff_confirm",
            "elements": [
                _button(f"{verb} anyway", f"handoff_{kind}_confirmed", case.handoff_id, "danger"),
                _button("Cancel", "handoff_dismiss", case.handoff_id),
            ],
        },
    ]


def _button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def _transcript(case: Case) -> str:
    """The newest turns that fit, each shortened when long; never none while there is one."""
    if not case.transcript:
        return "_No transcript._"
    lines: list[str] = []
    size = 0
    for line in reversed(case.transcript):
        shown = "> " + fit(" ".join(line.split()), LINE_CHARS)
        if lines and size + len(shown) + 1 > TRANSCRIPT_CHARS:
            break
        lines.append(shown)
        size += len(shown) + 1
    return f"*Last {len(lines)} turns*\n" + "\n".join(reversed(lines))


def thread_texts(text: str, customer: bool) -> list[str]:
    """The posts for one line of a case's thread: the customer's words (escaped, in parts of at
    most 3,000 characters, split between words where it can) or a note of ours in italics."""
    if not customer:
        return [f"_{fit(text, SECTION_CHARS - 2)}_"]
    parts: list[str] = []
    rest = text.strip() or text
    head = "*Customer:* "
    while rest:
        cut = _fitting_prefix(rest, SECTION_CHARS - len(head))
        space = rest.rfind(" ", 0, cut)
        if cut < len(rest) and space > cut // 2:
            cut = space
        parts.append(head + escape(rest[:cut]))
        rest = rest[cut:].lstrip()
        head = "*Customer (continued):* "
    return parts or [head]


def _fitting_prefix(raw: str, budget: int) -> int:
    """The length of the longest start of ``raw`` whose escaped form fits ``budget``."""
    low, high = 1, len(raw)
    while low < high:
        mid = (low + high + 1) // 2
        if len(escape(raw[:mid])) <= budget:
            low = mid
        else:
            high = mid - 1
    return low


def _short(pseudonym: str | None) -> str:
    return f"#{pseudonym[:8]}" if pseudonym else "unknown"


def _waited(case: Case, now: datetime) -> str:
    """How long the customer has waited, kept current by Slack's clients (``{ago}``: "5
    minutes ago") between card updates; the minutes as of ``now`` where dates do not render."""
    minutes = max(0, int((now - case.requested_at).total_seconds() // 60))
    return f"<!date^{int(case.requested_at.timestamp())}^{{ago}}|{minutes} min ago>"


# -- to ours (pure) ------------------------------------------------------------------------


def staff_message_to_ours(
    event: Mapping[str, Any],
    staff_channel: str,
    bot_user_id: str | None,
    event_id: str,
    names: Mapping[str, str] | None = None,
) -> StaffMessage | None:
    """A human's reply in a thread of the staff channel, as our markdown for the customer
    (``names`` of the people it mentions); None for anything else (bots, edits, joins,
    top-level chatter)."""
    if event.get("type") != "message" or event.get("channel") != staff_channel:
        return None
    # "thread_broadcast": a reply also sent to the channel is still a reply
    if event.get("bot_id") or event.get("subtype") not in (None, "thread_broadcast"):
        return None
    if not event.get("user"):
        return None
    if bot_user_id and event.get("user") == bot_user_id:
        return None
    thread_ts = event.get("thread_ts")
    text = str(event.get("text") or "").strip()
    if not thread_ts or thread_ts == event.get("ts") or not text:
        return None
    return StaffMessage(
        staff_channel=staff_channel,
        thread_ts=str(thread_ts),
        user_id=str(event["user"]),
        text=staff_to_markdown(text, names),
        delivery_key=f"slack:event:{event_id}",
    )


def staff_action_to_ours(body: Mapping[str, Any], action: Mapping[str, Any]) -> StaffAction | None:
    match = ACTION.match(str(action.get("action_id") or ""))
    user = str((body.get("user") or {}).get("id") or "")
    if match is None or not user or not action.get("value"):
        return None
    return StaffAction(
        kind=match.group(1),
        handoff_id=str(action["value"]),
        user_id=user,
        confirmed=bool(match.group(2)),
        delivery_key=f"slack:action:{user}:{action.get('action_ts') or body.get('trigger_id')}",
    )
