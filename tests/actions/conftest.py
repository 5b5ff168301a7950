"""Actions run against the real telemetry store (SQLite in a temp dir), the verification tables in
the same database, mail into a maildir, and the seeded demo shop."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions import context
from actions.verification import CodeOutcome
from actions.verification.codes import read_code
from cx_telemetry import TelemetryStore
from cx_telemetry.models import SurveyResponse

ROOT = Path(__file__).resolve().parents[2]
SLOTS = {
    "order_id": None,
    "email": None,
    "survey_active": False,
    "survey_step": None,
    "survey_retry": False,
    "survey_segment": None,
    "survey_low_metric": None,
    "requested_slot": None,
    "last_order_id": None,
    "offered_order": None,
    "order_attempts": 0,
    "order_help": None,
    "confirmed": None,
    "return_items": None,
    "customer_email": None,
    "verification_code": None,
    "unlocked_order": None,
}


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TelemetryStore]:
    monkeypatch.setenv("CX_TELEMETRY_DB_URL", f"sqlite:///{tmp_path / 'telemetry.sqlite3'}")
    monkeypatch.setenv("CX_PSEUDONYM_KEY", "test-key")
    monkeypatch.setenv("CX_TELEMETRY_OUTBOX", str(tmp_path / "outbox"))
    monkeypatch.setenv("SHOP_DEMO_DB", str(tmp_path / "shop.sqlite3"))
    monkeypatch.setenv("CX_SURVEY_CONFIG", str(ROOT / "survey.yml"))
    monkeypatch.setenv("SHOP_MAILDIR", str(tmp_path / "mail"))
    context.reset_caches()
    telemetry = context.telemetry()
    telemetry.migrate()
    context.verification().db.migrate()  # same database: CX_TELEMETRY_DB_URL
    yield telemetry
    context.verification().db.dispose()
    context.reset_caches()
    telemetry.dispose()


def mailed_codes() -> list[tuple[str, str]]:
    """(to, code) of every code mail the shop sent in this test, oldest first."""
    maildir = context.settings().maildir
    found = []
    for path in sorted((maildir / "new").glob("*"), key=lambda p: p.stat().st_mtime_ns):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        found.append((str(message["To"]), read_code(str(message["Subject"])) or ""))
    return found


class Conversation:
    """A customer's side of a chat: builds the trackers rasa would send to the action server."""

    def __init__(self, store: TelemetryStore, channel: str = "telegram") -> None:
        self.store = store
        self.sender = f"{channel}:{uuid.uuid4().int % 10**9}"
        self.cid = store.open_conversation(channel=channel, customer_id=self.sender)
        self.channel = channel
        self.slots = dict(SLOTS)
        self.events: list[dict[str, Any]] = []

    def tracker(
        self,
        text: str,
        intent: str,
        confidence: float = 0.95,
        entities: list[dict[str, Any]] | None = None,
        **slots: Any,
    ) -> Tracker:
        self.slots.update(slots)
        message = {
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "entities": entities or [],
        }
        self.events.append(
            {
                "event": "user",
                "text": text,
                "parse_data": message,
                "metadata": {"channel": self.channel, "conversation_id": self.cid, "locale": "en"},
                "input_channel": "rest",
            }
        )
        return Tracker(
            self.sender,
            dict(self.slots),
            message,
            list(self.events),
            False,
            None,
            {},
            "action_listen",
        )

    def form_turn(
        self,
        form: str,
        text: str,
        intent: str,
        confidence: float = 0.95,
        entities: list[dict[str, Any]] | None = None,
        first: bool = False,
        **slots: Any,
    ) -> Tracker:
        """The tracker a form's validation gets, as Rasa builds it: the customer's message, then
        the form's own execution, the form already active; on its ``first`` turn it has asked
        for nothing yet."""
        for entity in entities or []:
            if entity.get("entity") == "order_id":
                slots.setdefault("order_id", entity["value"])  # Rasa's from_entity mapping
        tracker = self.tracker(text, intent, confidence, entities, **slots)
        tracker.events.append({"event": "action", "name": form})
        tracker.active_loop = {"name": form}
        if first:
            tracker.slots["requested_slot"] = None
        return tracker

    def verify(self, email: str) -> None:
        """Link this chat to the customer with ``email``, as typing a mailed code does."""
        chat = context.chat_of(self.tracker("verify me", "greet"))
        context.verification().request_code(chat, email)
        check = context.verification().check_code(chat, mailed_codes()[-1][1])
        assert check.outcome is CodeOutcome.VERIFIED

    def apply(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            if event["event"] == "slot":
                self.slots[event["name"]] = event["value"]


async def run(action: Any, tracker: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, {})
    return dispatcher.messages, events


def responses(store: TelemetryStore, cid: str) -> dict[str, dict[str, Any]]:
    """The survey rows of one conversation, by metric, as a CX lead's export would show them."""

    def read(session: Any) -> dict[str, dict[str, Any]]:
        rows = session.scalars(select(SurveyResponse).where(SurveyResponse.conversation_id == cid))
        return {
            row.metric: {
                "score": row.score,
                "status": row.status,
                "scale_max": row.scale_max,
                "segment": row.segment,
                "intent": row.intent,
                "comment": row.comment,
            }
            for row in rows
        }

    return store.run(read)
