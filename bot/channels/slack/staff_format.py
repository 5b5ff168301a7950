"""Pure translation for the Slack staff desk (no I/O here).

*To theirs*: :func:`card_blocks` renders a handoff case as a Block Kit card (status, customer,
reason, intents, transcript, buttons) that is updated in place, and the confirmation asked
when someone resolves or returns a case another agent claimed. *To ours*:
:func:`staff_message_to_ours` and :func:`staff_action_to_ours` turn thread replies and card
buttons into the router's typed values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.handoff.cases import Case
from bot.handoff.values import StaffAction, StaffMessage, agent_display

ACTION = re.compile(r"^handoff_(claim|resolve|return|dismiss)(_confirmed)?$")
TRANSCRIPT_CHARS = 2800  # a section holds 3000 characters
CARD_BLOCK = "handoff_card_buttons"


# -- to theirs (pure) ----------------------------------------------------------------------


def status_line(case: Case, now: datetime) -> str:
    """One line saying where the case stands, for the card's header and its notification."""
    if case.status == "claimed":
        return f":raising_hand: *Claimed by <@{case.claimed_by}>*"
    if case.status == "resolved":
        return f":white_check_mark: *Resolved by <@{case.closed_by}>*"
    if case.status == "returned":
        return f":leftwards_arrow_with_hook: *Returned to the bot by <@{case.closed_by}>*"
    if case.status == "cancelled":
        return ":heavy_multiplication_x: *Cancelled by the customer* (back with the bot)"
    line = f":hourglass_flowing_sand: *Waiting for a person* ({_waited(case, now)})"
    if case.follow_up_offered:
        line += " - no claim in time; customer offered to leave a message and an e-mail"
    return line


def card_text(case: Case, now: datetime) -> str:
    """Notification / fallback text of the card."""
    who = case.customer_name or _short(case.customer)
    return f"Handoff ({case.channel}, {who}): {status_line(case, now)}"


def card_blocks(case: Case, now: datetime) -> list[dict[str, Any]]:
    """The staff card of a case: buttons only while it is open."""
    who = _short(case.customer)
    if case.customer_name:
        who = f"{case.customer_name} ({who})"
    fields = [
        f"*Channel*\n{case.channel}",
        f"*Customer*\n{who}",
        f"*Reason*\n{(case.reason or 'not given').replace('_', ' ')}",
        f"*Waiting since*\n<!date^{int(case.requested_at.timestamp())}^{{time}}|"
        f"{case.requested_at:%H:%M} UTC> ({_waited(case, now)})",
        f"*Intents so far*\n{', '.join(case.intents) or '-'}",
    ]
    if case.contact_email:
        fields.append(f"*Contact e-mail*\n<mailto:{case.contact_email}|{case.contact_email}>")
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": status_line(case, now)}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
        {"type": "section", "text": {"type": "mrkdwn", "text": _transcript(case)}},
    ]
    if case.is_open:
        buttons = []
        if case.status == "waiting":
            buttons.append(_button("Claim", "handoff_claim", case.handoff_id, "primary"))
        buttons.append(_button("Resolve", "handoff_resolve", case.handoff_id))
        buttons.append(_button("Return to bot", "handoff_return", case.handoff_id))
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
    owner = agent_display(case.agent)
    return [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"{owner} (<@{case.claimed_by}>) claimed this case. {verb} anyway?",
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
    if not case.transcript:
        return "_No transcript._"
    lines: list[str] = []
    size = 0
    for line in reversed(case.transcript):  # keep the newest turns when it is too long
        size += len(line) + 1
        if size > TRANSCRIPT_CHARS:
            break
        lines.append("> " + line.replace("\n", " "))
    return f"*Last {len(lines)} turns*\n" + "\n".join(reversed(lines))


def _short(pseudonym: str | None) -> str:
    return f"#{pseudonym[:8]}" if pseudonym else "unknown"


def _waited(case: Case, now: datetime) -> str:
    """How long the customer has waited, kept current by Slack's clients (``{ago}``: "5
    minutes ago") between card updates; the minutes as of ``now`` where dates do not render."""
    minutes = max(0, int((now - case.requested_at).total_seconds() // 60))
    return f"<!date^{int(case.requested_at.timestamp())}^{{ago}}|{minutes} min ago>"


# -- to ours (pure) ------------------------------------------------------------------------

_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")


def slack_to_plain(text: str) -> str:
    """Slack's message markup as a customer on another app should read it: links become
    ``label (url)``, ``mailto:`` links their address, mentions ``@name``; entities unescaped."""

    def link(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("mailto:"):
            return label or target[len("mailto:") :]
        if target.startswith(("@", "#", "!")):  # user, channel, special mentions
            return "@" + (label or target[1:]) if target.startswith("@") else (label or "")
        return f"{label} ({target})" if label and label != target else target

    plain = _LINK.sub(link, text)
    return plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def staff_message_to_ours(
    event: Mapping[str, Any], staff_channel: str, bot_user_id: str | None, event_id: str
) -> StaffMessage | None:
    """A human's reply in a thread of the staff channel; None for anything else (bots, edits,
    joins, top-level chatter)."""
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
        text=slack_to_plain(text),
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
