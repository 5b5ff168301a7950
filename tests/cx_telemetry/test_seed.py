"""seed-demo: realistic, synthetic-flagged, reproducible."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import yaml
from sqlalchemy import func, select

from actions.context import SUPPORT_INTENTS
from cx_telemetry import TelemetryStore
from cx_telemetry.models import Conversation, Handoff, SurveyResponse
from cx_telemetry.report import build_report
from cx_telemetry.seed import seed_demo
from cx_telemetry.seed_rows import INTENTS

ROOT = Path(__file__).resolve().parents[2]

END = datetime(2026, 6, 1, tzinfo=timezone.utc)


def test_seed_demo_is_realistic_and_marked_synthetic(store: TelemetryStore) -> None:
    counts = seed_demo(store.engine, 2000, seed=3, end=END)
    assert (
        counts["conversations"] == 2000
        and counts["survey_responses"] > 1500
        and counts["handoffs"] > 100
    )
    with store.engine.connect() as conn:
        assert conn.scalar(select(func.count()).where(Conversation.synthetic.is_(False))) == 0
        assert conn.scalar(select(func.count()).where(SurveyResponse.synthetic.is_(False))) == 0
        assert conn.scalar(select(func.count()).where(Handoff.synthetic.is_(False))) == 0
        statuses = set(conn.scalars(select(SurveyResponse.status).distinct()))
        assert {"answered", "skipped", "expired"} <= statuses
        channels = set(conn.scalars(select(Conversation.channel).distinct()))
        assert channels == {"telegram", "slack"}  # the gateway's channels
        intents = set(conn.scalars(select(Conversation.last_support_intent).distinct()))
        assert intents - {None} <= SUPPORT_INTENTS and len(intents) > 20
        comments = list(
            conn.scalars(select(SurveyResponse.comment).where(SurveyResponse.comment.is_not(None)))
        )
        assert comments and not any("@" in c or "4111" in c for c in comments)
        assert conn.scalar(select(func.max(Conversation.closed_at))) <= END  # type: ignore[operator]
    overall = build_report(store.engine)["overall"]
    assert 40 < overall["csat_pct"]["value"] < 95 and 60 < overall["containment_pct"]["value"] < 98


def test_seed_is_reproducible(store: TelemetryStore) -> None:
    def dump() -> list[tuple[object, ...]]:
        rows: list[tuple[object, ...]] = []
        with store.engine.connect() as conn:
            for t in (Conversation, SurveyResponse, Handoff):
                # survey_responses.id is the database's autoincrement counter: leave it out
                cols = [
                    c for c in t.__table__.columns if not (t is SurveyResponse and c.name == "id")
                ]
                rows += [tuple(r) for r in conn.execute(select(*cols).order_by(*cols[:2]))]
        return rows

    seed_demo(store.engine, 50, seed=9, end=END)
    first = dump()
    with store.engine.begin() as conn:
        for t in (Conversation, SurveyResponse, Handoff):
            conn.execute(t.__table__.delete())
    seed_demo(store.engine, 50, seed=9, end=END)
    assert len(first) > 50 and dump() == first


def test_seeded_customers_come_back_and_some_are_one_customer_on_several_channels(
    store: TelemetryStore,
) -> None:
    seed_demo(store.engine, 2000, seed=3, end=END)
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(
                Conversation.customer_key,
                Conversation.channel,
                Conversation.outcome,
                Conversation.recontacted,
                Conversation.verified_at,
            )
        ).all()
    contained = [r for r in rows if r.outcome == "contained"]
    assert 0.05 < sum(r.recontacted for r in contained) / len(contained) < 0.2
    channels: dict[str, set[str]] = {}
    for r in rows:
        if r.verified_at is not None:
            channels.setdefault(r.customer_key, set()).add(r.channel)
    assert any(len(c) > 1 for c in channels.values())


def test_seed_uses_the_bots_support_intents() -> None:
    seeded = {i for i, *_ in INTENTS if i is not None}
    domain = set(yaml.safe_load((ROOT / "domain.yml").read_text())["intents"])
    assert seeded == SUPPORT_INTENTS and seeded <= domain and len(seeded) == 27
    assert abs(sum(w for _, w, _, _ in INTENTS) - 1.0) < 1e-9
