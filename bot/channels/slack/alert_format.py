"""Pure translation for detractor alerts in Slack (no I/O here).

*To theirs*: :func:`alert_blocks` renders an alert as a Block Kit card: the score, the
customer's comment, intent, segment, agent and channel, the redacted recent transcript, and the
Follow up button (or who followed up). Everything telemetry or the customer wrote is escaped
and fitted to Slack's budgets (``bot.channels.slack.markup``).
*To ours*: :func:`follow_up_to_ours` turns a press of the button into a typed value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.alerts.values import Alert, FollowUpPress
from bot.channels.slack.markup import escape, fit
from bot.channels.slack.staff_format import FIELD_CHARS, LINE_CHARS, TRANSCRIPT_CHARS, mention

FOLLOW_UP_ACTION = "cx_alert_follow_up"
COMMENT_CHARS = 2900
METRIC_NAMES = {"csat": "CSAT", "ces": "CES", "nps": "NPS"}


def alert_text(alert: Alert) -> str:
    """Notification / fallback text."""
    return (
        f"Detractor: {_score(alert)} ({escape(alert.channel or 'unknown channel')}, "
        f"{escape(_label(alert.intent, 'no intent'))})"
    )


def alert_blocks(alert: Alert) -> list[dict[str, Any]]:
    comment = (
        f"*Comment*\n> {fit(' '.join(alert.comment.split()), COMMENT_CHARS)}"
        if alert.comment
        else "*Comment*\n_No comment given._"
    )
    fields = [
        f"*Score*\n{_score(alert)}",
        f"*Intent*\n{fit(_label(alert.intent, 'unknown'), FIELD_CHARS - 20)}",
        f"*Segment*\n{'agent (resolved by a person)' if alert.segment == 'agent' else 'bot'}",
        f"*Agent*\n{fit(alert.agent or '-', 300)}",
        f"*Channel*\n{escape(alert.channel or 'unknown')}",
        f"*Customer*\n#{escape(alert.customer[:8])}",
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f":rotating_light: *Detractor: {_score(alert)}*"}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
        {"type": "section", "text": {"type": "mrkdwn", "text": comment}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _transcript(alert.transcript)}},
    ]  # fmt: skip
    if alert.followed_up_by:
        status = f":telephone_receiver: Followed up by {mention(alert.followed_up_by)}: see the case in the staff channel."
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": status}]})
    elif alert.reachable:
        blocks.append({"type": "actions", "block_id": "cx_alert_buttons", "elements": [{
            "type": "button", "style": "primary", "action_id": FOLLOW_UP_ACTION, "value": alert.key,
            "text": {"type": "plain_text", "text": "Follow up"},
        }]})  # fmt: skip
    else:
        note = "The customer's chat is not on file: follow up another way."
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": note}]})
    return blocks


def _score(alert: Alert) -> str:
    return f"{METRIC_NAMES.get(alert.metric, alert.metric)} {alert.score}/{alert.scale_max}"


def _label(name: str | None, missing: str) -> str:
    return (name or missing).replace("_", " ")


def _transcript(lines: tuple[str, ...]) -> str:
    """The newest turns that fit (already redacted); "no transcript" when there is none."""
    if not lines:
        return "*Recent transcript*\n_No transcript available._"
    shown: list[str] = []
    size = 0
    for line in reversed(lines):
        text = "> " + fit(" ".join(line.split()), LINE_CHARS)
        if shown and size + len(text) + 1 > TRANSCRIPT_CHARS:
            break
        shown.append(text)
        size += len(text) + 1
    return "*Recent transcript*\n" + "\n".join(reversed(shown))


def follow_up_to_ours(body: Mapping[str, Any], action: Mapping[str, Any]) -> FollowUpPress | None:
    user = str((body.get("user") or {}).get("id") or "")
    if action.get("action_id") != FOLLOW_UP_ACTION or not user or not action.get("value"):
        return None
    return FollowUpPress(
        key=str(action["value"]),
        user_id=user,
        delivery_key=f"slack:action:{user}:{action.get('action_ts') or body.get('trigger_id')}",
    )
