"""A tracker store as Rasa's ``SQLTrackerStore`` leaves it: one ``events`` table (the columns
erasure does not read are kept, so the test fails if a delete touches the wrong rows)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, create_engine, select

EVENTS = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


def tracker_file(path: Path, events: list[tuple[str, datetime, str]]) -> str:
    """A SQLite tracker store at ``path`` holding ``(sender_id, at, text)`` user messages;
    returns its URL."""
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    EVENTS.metadata.create_all(engine)
    with engine.begin() as conn:
        for sender, at, text in events:
            conn.execute(EVENTS.insert().values(
                sender_id=sender, type_name="user", timestamp=at.timestamp(), intent_name="greet",
                data=json.dumps({"event": "user", "text": text, "timestamp": at.timestamp()}),
            ))  # fmt: skip
    engine.dispose()
    return url


def senders(url: str) -> list[str]:
    """Each remaining event's sender, in insertion order."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = list(conn.scalars(select(EVENTS.c.sender_id).order_by(EVENTS.c.id)))
    engine.dispose()
    return rows
