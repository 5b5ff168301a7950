"""Names the gateway (``bot``), the action server (``actions``) and the engine's training data
share. Each is defined here once and imported, never copied; ``domain.yml`` and
``data/rules/*.yml`` spell the intent names, and ``tests/test_contract.py`` checks they agree.

Standard library only: importable from the app environment and the engine's environment.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Final

# -- external intents the gateway triggers through the engine's HTTP API -----------------------
IDLE_INTENT: Final = "EXTERNAL_conversation_idle"
HANDOFF_RESOLVED_INTENT: Final = "EXTERNAL_handoff_resolved"
EXTERNAL_INTENT_PREFIX: Final = "EXTERNAL_"

# -- payloads of buttons that cross the two processes ------------------------------------------
HANDOFF_CANCEL_PAYLOAD: Final = "/handoff_cancel"  # "Never mind" on action_handoff's message
# Key of the custom payload action_handoff adds to its reply: {"handoff": {"id": ..., ...}}.
HANDOFF_CUSTOM_KEY: Final = "handoff"

# Survey buttons carry "<metric>:<score>" (``csat:4``): the actions read them, and the gateway
# recognises a tap on a survey that is already over and lays survey keyboards out compactly.
SURVEY_METRICS: Final = ("csat", "ces", "nps")
_SURVEY_PAYLOAD: Final = re.compile(r"^(?P<metric>csat|ces|nps):(?P<score>\d{1,2})$")


def survey_payload(metric: str, score: int) -> str:
    """The payload of the button that answers ``metric`` with ``score``."""
    return f"{metric}:{score}"


def parse_survey_payload(text: str) -> tuple[str, int] | None:
    """``(metric, score)`` when ``text`` is a survey button's payload, else None."""
    match = _SURVEY_PAYLOAD.match(text.strip())
    return (match["metric"], int(match["score"])) if match else None


# -- metadata the gateway sends with every customer message (REST channel) ---------------------
META_CHANNEL: Final = "channel"
META_CONVERSATION_ID: Final = "conversation_id"
META_LOCALE: Final = "locale"
META_CUSTOMER_ID: Final = "customer_id"

# -- durable timer kinds (gateway) -------------------------------------------------------------
IDLE_TIMER: Final = "idle"
HANDOFF_TIMEOUT_TIMER: Final = "handoff_timeout"
REPLAY_TIMER_PREFIX: Final = "replay:"  # kind = f"replay:{key}", one per kept message


def sender_id(channel: str, chat_id: str, user_id: str, shared_chat: bool = False) -> str:
    """The engine's ``sender_id`` of a customer: ``<channel>:<chat id>``, or
    ``<channel>:<chat id>:<user id>`` where several customers share one chat (Slack always)."""
    if channel == "slack" or shared_chat:
        return f"{channel}:{chat_id}:{user_id}"
    return f"{channel}:{chat_id}"


def utcnow() -> datetime:
    """Now, timezone-aware UTC: the one clock every package uses."""
    return datetime.now(timezone.utc)
