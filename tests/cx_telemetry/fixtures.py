"""A small hand-computed world used by the report and export tests.

Week of 2026-03-02 (Monday, T0):
  A telegram, order_status, no handoff, closed         CSAT 5, CES 6
  B slack, payment_issue, handoff claimed after 60 s,
    first agent reply after 90 s, resolved 600 s after the claim    CSAT 2 + comment, CES 3
  C telegram, no support intent, closed                CSAT skipped
  D telegram, return_item, closed, no handoff          CSAT asked -> expired on close
Week of 2026-03-09:
  E telegram, order_status, closed                     CSAT 4

Expected overall: CSAT 2/3 answered 4-5 (A, E), CES mean 4.5 (n=2), CES easy 1/2,
response rate 3/5, containment 3/4 (A, D, E of A, B, D, E), escalation 1/4,
wait 60 s, first response 90 s, handle 600 s (each n=1).
"""

from __future__ import annotations

from datetime import timedelta

from cx_telemetry import TelemetryStore

from .conftest import T0

WEEK2 = T0 + timedelta(days=7)


def build_world(store: TelemetryStore) -> dict[str, str]:
    s, t = store, T0
    a = s.open_conversation(channel="telegram", customer_id="telegram:1", at=t)
    s.note_intent(a, "order_status", at=t)
    s.survey_asked(a, metric="csat", at=t + timedelta(minutes=1))
    s.survey_answered(a, metric="csat", score=5, at=t + timedelta(minutes=2))
    s.survey_asked(a, metric="ces", at=t + timedelta(minutes=2))
    s.survey_answered(a, metric="ces", score=6, at=t + timedelta(minutes=3))
    s.close_conversation(a, at=t + timedelta(minutes=4))

    b = s.open_conversation(channel="slack", customer_id="slack:D1:U1", at=t)
    s.note_intent(b, "payment_issue", at=t)
    h = s.handoff_requested(b, at=t + timedelta(seconds=10))
    s.handoff_claimed(h, agent="Ana (U1)", at=t + timedelta(seconds=70))
    s.handoff_agent_replied(h, at=t + timedelta(seconds=100))
    s.handoff_resolved(h, at=t + timedelta(seconds=670))
    s.survey_asked(
        b, metric="csat", segment="agent", agent="Ana (U1)", at=t + timedelta(seconds=700)
    )
    s.survey_answered(b, metric="csat", score=2, at=t + timedelta(seconds=710))
    s.survey_comment(b, metric="csat", comment="slow; write to me at bob@example.com")
    s.survey_asked(
        b, metric="ces", segment="agent", agent="Ana (U1)", at=t + timedelta(seconds=711)
    )
    s.survey_answered(b, metric="ces", score=3, at=t + timedelta(seconds=720))
    s.close_conversation(b, at=t + timedelta(seconds=800))

    c = s.open_conversation(channel="telegram", customer_id="telegram:3", at=t + timedelta(hours=1))
    s.note_intent(c, "greet", support=False)
    s.survey_asked(c, metric="csat", at=t + timedelta(hours=1, minutes=1))
    s.survey_ended(c, status="skipped")
    s.close_conversation(c, at=t + timedelta(hours=1, minutes=2))

    d = s.open_conversation(channel="telegram", customer_id="telegram:4", at=t + timedelta(hours=2))
    s.note_intent(d, "return_item")
    s.survey_asked(d, metric="csat", at=t + timedelta(hours=2, minutes=1))
    s.close_conversation(d, at=t + timedelta(hours=2, minutes=30))

    e = s.open_conversation(channel="telegram", customer_id="telegram:1", at=WEEK2)
    s.note_intent(e, "order_status")
    s.survey_asked(e, metric="csat", at=WEEK2 + timedelta(minutes=1))
    s.survey_answered(e, metric="csat", score=4, at=WEEK2 + timedelta(minutes=2))
    s.close_conversation(e, at=WEEK2 + timedelta(minutes=3))
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "h": h}
