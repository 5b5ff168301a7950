"""The review queue: low-score conversations with their redacted transcripts, in the terminal
and as an export; transcripts purged after their own retention and erased with the customer."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cx_telemetry import TelemetryStore
from cx_telemetry.cli import main
from cx_telemetry.models import Conversation, TranscriptTurn

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def _env(monkeypatch: pytest.MonkeyPatch, store: TelemetryStore) -> None:
    monkeypatch.setenv("CX_TELEMETRY_DB_URL", store.settings.db_url)
    monkeypatch.setenv("CX_TELEMETRY_OUTBOX", str(store.settings.outbox_dir))
    monkeypatch.setenv("CX_PSEUDONYM_KEY", str(store.settings.pseudonym_key))


def chat(
    store: TelemetryStore,
    who: str,
    intent: str,
    turns: list[tuple[str, str]],
    scores: dict[str, int],
    at: datetime,
    agent: str | None = None,
    comment: str | None = None,
) -> str:
    channel = who.split(":", 1)[0]
    cid = store.open_conversation(channel=channel, customer_id=who, at=at)
    store.note_intent(cid, intent, at=at)
    for n, (by, text) in enumerate(turns):
        store.note_turn(cid, by, at=at + timedelta(seconds=n), text=text)
    segment = "agent" if agent else "bot"
    for metric, score in scores.items():
        asked = at + timedelta(minutes=5)
        store.survey_asked(cid, metric, segment=segment, agent=agent, at=asked)
        store.survey_answered(cid, metric, score, at=asked + timedelta(seconds=10))
    if comment:
        store.survey_comment(cid, "csat", comment)
    store.close_conversation(cid, at=at + timedelta(minutes=6))
    return cid


def world(store: TelemetryStore) -> dict[str, str]:
    return {
        "angry": chat(
            store, "telegram:1", "track_order",
            [("customer", "where is order #58213? mail me at ann.lee@example.org"),
             ("bot", "It is on its way. [Thanks | Talk to a person]"),
             ("customer", "refund to DE89 3704 0044 0532 0130 00 or call +44 20 7946 0958"),
             ("customer", "ship to 221B Baker Street instead, card 4111 1111 1111 1111")],
            {"csat": 1, "ces": 2}, NOW - timedelta(days=2),
            comment="useless, my card 4111 1111 1111 1111 was charged twice",
        ),
        "agent": chat(
            store, "slack:D1:U1", "payment_issue",
            [("customer", "I was charged twice"), ("agent", "Ana: sorry, refunding now")],
            {"csat": 4, "ces": 3}, NOW - timedelta(days=1), agent="Ana (U1)",
        ),
        "happy": chat(
            store, "telegram:2", "track_order", [("customer", "thanks!")],
            {"csat": 5, "ces": 7}, NOW - timedelta(hours=3),
        ),
    }  # fmt: skip


def test_transcripts_are_stored_redacted(store: TelemetryStore) -> None:
    ids = world(store)
    texts = store.run(
        lambda s: list(
            s.scalars(
                select(TranscriptTurn.text)
                .where(TranscriptTurn.conversation_id == ids["angry"])
                .order_by(TranscriptTurn.id)
            )
        )
    )
    assert texts == [
        "where is [order]? mail me at [email]",
        "It is on its way. [Thanks | Talk to a person]",
        "refund to [iban] or call [phone]",
        "ship to [address] instead, card [card]",
    ]
    assert store.run(lambda s: s.scalar(select(func.count()).select_from(TranscriptTurn))) == 7


def test_review_lists_low_scores_with_the_redacted_transcript(
    store: TelemetryStore, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = world(store)
    _env(monkeypatch, store)
    assert main(["review"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2 conversations with CSAT <= 2 or CES <= 3, newest first")
    # newest first: the agent case (CES 3) before the angry one (CSAT 1, CES 2)
    assert out.index(ids["agent"]) < out.index(ids["angry"])
    assert ids["happy"] not in out
    assert "CES 3, CSAT 4 · payment_issue · slack · agent Ana (U1)" in out
    assert "CES 2, CSAT 1 · track_order · telegram · bot" in out
    assert 'CSAT comment: "useless, my card [card] was charged twice"' in out
    assert "   Customer: where is [order]? mail me at [email]" in out
    assert "   Agent: Ana: sorry, refunding now" in out
    for secret in ("58213", "ann.lee", "DE89", "7946", "Baker", "4111"):
        assert secret not in out

    assert main(["review", "--max-csat", "1", "--max-ces", "1"]) == 0
    out = capsys.readouterr().out
    assert ids["angry"] in out and ids["agent"] not in out
    assert main(["review", "--intent", "payment_issue"]) == 0
    out = capsys.readouterr().out
    assert ids["agent"] in out and ids["angry"] not in out
    assert main(["review", "--agent", "Ana (U1)", "--since", "2000-01-01"]) == 0
    assert ids["angry"] not in capsys.readouterr().out
    assert main(["review", "--intent", "delete_account"]) == 0
    assert "No conversations with CSAT <= 2 or CES <= 3" in capsys.readouterr().out
    assert main(["review", "--limit", "1"]) == 0
    assert capsys.readouterr().out.startswith("1 conversation with")
    assert main(["review", "--max-csat", "9"]) == 2
    assert "--max-csat must be 1 to 5" in capsys.readouterr().err


def test_export_reviews_csv_jsonl_parquet(
    store: TelemetryStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ids = world(store)
    _env(monkeypatch, store)
    out = tmp_path / "reviews.csv"
    assert main(["export", "--what", "reviews", "--out", str(out)]) == 0
    with open(out, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["conversation_id"] for r in rows] == [ids["agent"], ids["angry"]]
    angry = rows[1]
    assert (angry["csat"], angry["ces"], angry["nps"], angry["segment"]) == ("1", "2", "", "bot")
    assert angry["transcript"].splitlines()[0] == "Customer: where is [order]? mail me at [email]"
    assert angry["asked_at"].endswith("Z") and "T" in angry["asked_at"]
    meta = json.loads((tmp_path / "reviews.csv.meta.json").read_text())
    assert meta["what"] == "reviews" and meta["rows"] == 2
    assert [c["name"] for c in meta["columns"]][-1] == "transcript"

    jsonl = tmp_path / "reviews.jsonl"
    assert main(["export", "--what", "reviews", "--format", "jsonl", "--out", str(jsonl),
                 "--channel", "telegram"]) == 0  # fmt: skip
    recs = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert [r["conversation_id"] for r in recs] == [ids["angry"]]
    assert recs[0]["csat_comment"] == "useless, my card [card] was charged twice"

    import pyarrow.parquet as pq

    parquet = tmp_path / "reviews.parquet"
    assert main(["export", "--what", "reviews", "--format", "parquet", "--out", str(parquet)]) == 0
    table = pq.read_table(parquet)
    assert table.num_rows == 2 and table.column("csat").to_pylist() == [4, 1]


def test_transcripts_have_their_own_retention_and_go_with_the_customer(
    store: TelemetryStore, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = world(store)
    old = chat(store, "telegram:3", "get_invoice", [("customer", "old words")], {"csat": 2},
               NOW - timedelta(days=40))  # fmt: skip
    _env(monkeypatch, store)
    monkeypatch.setenv("CX_TRANSCRIPT_RETENTION_DAYS", "30")
    assert main(["purge", "--older-than", "365d"]) == 0
    assert "transcripts=1" in capsys.readouterr().out

    def turns(cid: str) -> int:
        return int(
            store.run(
                lambda s: s.scalar(
                    select(func.count()).where(TranscriptTurn.conversation_id == cid)
                )
            )
        )

    assert turns(old) == 0 and turns(ids["angry"]) == 4
    # the figures stay: the conversation and its answers are within their retention
    assert store.run(lambda s: s.get(Conversation, old)) is not None
    assert main(["review"]) == 0
    assert "(no transcript: none was kept, or its retention has passed)" in capsys.readouterr().out

    store.forget("telegram:1")
    assert turns(ids["angry"]) == 0

    monkeypatch.setenv("CX_TRANSCRIPT_RETENTION_DAYS", "soon")
    assert main(["review"]) == 1
    assert "CX_TRANSCRIPT_RETENTION_DAYS must be a whole number" in capsys.readouterr().err


def test_seeded_demo_data_fills_the_review_queue(store: TelemetryStore) -> None:
    from cx_telemetry.review import ReviewFilter, reviews
    from cx_telemetry.seed import seed_demo

    counts = seed_demo(store.engine, 400, seed=3, days=30)
    assert counts["transcripts"] > 0
    queue = list(reviews(store.engine, ReviewFilter()))
    assert queue and all(e.transcript for e in queue)
    assert all(e.scores.get("csat", 5) <= 2 or e.scores.get("ces", 7) <= 3 for e in queue)
    assert queue[0].transcript_text().startswith("Customer: hi, I need help with ")
