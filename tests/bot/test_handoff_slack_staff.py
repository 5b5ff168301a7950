"""The staff desk's pure translations: the card for every state, staff events and buttons."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

from bot.channels.slack.markup import staff_to_markdown
from bot.channels.slack.staff_format import (
    card_blocks,
    confirmation_blocks,
    staff_action_to_ours,
    staff_message_to_ours,
)
from bot.handoff.customer import NOT_VERIFIED, PastVisit, VerifiedCustomer
from bot.handoff.values import Case

T0 = datetime(2026, 11, 22, 15, 0, tzinfo=timezone.utc)
CASE = Case(
    handoff_id="h" * 32, conversation_id="c" * 32, sender_id="telegram:42", channel="telegram",
    address={"channel": "telegram", "chat_id": "42", "user_id": "7"}, customer="abcdef0123456789",
    customer_name="Ann Example", reason="complaint", intents=("track_order", "complaint"),
    transcript=tuple(f"Customer: message {i}" for i in range(20)), status="waiting",
    requested_at=T0, claimed_at=None, claimed_by=None, agent=None, closed_at=None,
    closed_by=None, follow_up_offered=False, staff_channel="CSTAFF", card_ts="1.0001",
)  # fmt: skip


def _text(blocks: list[dict]) -> str:  # type: ignore[type-arg]
    return json.dumps(blocks)


def _buttons(blocks: list[dict]) -> list[str]:  # type: ignore[type-arg]
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_card_follows_the_case() -> None:
    waiting = card_blocks(CASE, T0 + timedelta(minutes=7))
    text = _text(waiting)
    # the wait is rendered live by Slack ({ago}), with the minutes as of the update as fallback
    since = int(T0.timestamp())
    assert f"Waiting for a person* (<!date^{since}^{{ago}}|7 min ago>)" in text
    assert "Ann Example (#abcdef01)" in text and "complaint" in text
    assert "track_order, complaint" in text and "Customer: message 19" in text
    assert _buttons(waiting) == [
        "handoff_claim", "handoff_resolve", "handoff_return", "handoff_no_survey"
    ]  # fmt: skip
    marked = card_blocks(replace(CASE, no_survey=True), T0)
    assert "None after this case (marked No survey)" in _text(marked)
    assert "handoff_no_survey" not in _buttons(marked)

    offered = _text(card_blocks(replace(CASE, follow_up_offered=True), T0))
    assert "customer offered to leave a message" in offered

    claimed = replace(CASE, status="claimed", claimed_by="UANA", agent="Ana (UANA)")
    assert "Claimed by <@UANA>" in _text(card_blocks(claimed, T0))
    assert _buttons(card_blocks(claimed, T0)) == [
        "handoff_resolve", "handoff_return", "handoff_no_survey"
    ]  # fmt: skip

    for status, words in (
        ("resolved", "Resolved by <@UBO>"),
        ("returned", "Returned to the bot by <@UBO>"),
        ("cancelled", "Cancelled by the customer"),
    ):
        closed = replace(claimed, status=status, closed_by="UBO", closed_at=T0)
        blocks = card_blocks(closed, T0)
        assert words in _text(blocks) and _buttons(blocks) == []


def test_long_transcripts_keep_the_newest_turns() -> None:
    long = replace(CASE, transcript=tuple(f"Customer: {'x' * 300} {i}" for i in range(20)))
    text = _text(card_blocks(long, T0))
    assert "x 19" in text and 'x 0"' not in text
    section = card_blocks(long, T0)[3]["text"]["text"]
    assert len(section) <= 3000


def test_confirmation_is_a_second_server_side_step() -> None:
    claimed = replace(CASE, status="claimed", claimed_by="UANA", agent="Ana (UANA)")
    blocks = confirmation_blocks(claimed, "return")
    assert "Ana (<@UANA>) claimed this case. Return to bot anyway?" in _text(blocks)
    assert _buttons(blocks) == ["handoff_return_confirmed", "handoff_dismiss"]


def test_staff_messages_to_ours() -> None:
    base = {"type": "message", "channel": "CSTAFF", "user": "UANA", "text": "hi", "ts": "2.0",
            "thread_ts": "1.0001"}  # fmt: skip
    msg = staff_message_to_ours(base, "CSTAFF", "UBOT", "Ev1")
    assert msg is not None and (msg.thread_ts, msg.user_id, msg.text) == ("1.0001", "UANA", "hi")
    assert msg.delivery_key == "slack:event:Ev1"
    broadcast = staff_message_to_ours({**base, "subtype": "thread_broadcast"}, "CSTAFF", None, "E")
    assert broadcast is not None
    for ignored in (
        {**base, "bot_id": "B1"},
        {**base, "user": "UBOT"},
        {**base, "subtype": "message_changed"},
        {**base, "thread_ts": None},  # top-level chatter in the staff channel
        {**base, "thread_ts": "2.0"},  # a thread's parent
        {**base, "channel": "COTHER"},
        {**base, "text": "  "},
    ):
        assert staff_message_to_ours(ignored, "CSTAFF", "UBOT", "E") is None


def test_staff_buttons_to_ours() -> None:
    body = {"user": {"id": "UBO"}, "trigger_id": "t1"}
    action = {"action_id": "handoff_resolve_confirmed", "value": "h" * 32, "action_ts": "9.1"}
    parsed = staff_action_to_ours(body, action)
    assert parsed is not None
    assert (parsed.kind, parsed.confirmed, parsed.user_id) == ("resolve", True, "UBO")
    assert parsed.delivery_key == "slack:action:UBO:9.1"
    claim = staff_action_to_ours(body, {"action_id": "handoff_claim", "value": "h"})
    assert claim is not None and claim.kind == "claim" and not claim.confirmed
    no_survey = staff_action_to_ours(body, {"action_id": "handoff_no_survey", "value": "h"})
    assert no_survey is not None and no_survey.kind == "no_survey"
    assert staff_action_to_ours(body, {"action_id": "rasa_button_0", "value": "x"}) is None
    assert staff_action_to_ours({}, action) is None


def test_slack_markup_becomes_our_markdown_for_customers() -> None:
    text = (
        "*Good news*: see <https://shop.example/returns|our returns page> or "
        "<https://shop.example/faq>, write to <mailto:help@shop.example|help@shop.example>, "
        "ask <@U123> &amp; co &lt;3 _soon_ :slightly_smiling_face:"
    )
    assert staff_to_markdown(text, {"U123": "Ana"}) == (
        "**Good news**: see [our returns page](https://shop.example/returns) or "
        "https://shop.example/faq, write to help@shop.example, ask @Ana & co <3 soon 🙂"
    )


def test_card_of_a_verified_customer_shows_who_with_orders_and_history_escaped() -> None:
    who = VerifiedCustomer(
        first_name="Ana <@U1> & co",
        since=date(2024, 3, 1),
        orders=7,
        recent_orders=(("10002", "shipped"), ("10007", "<processing>")),
        history=(
            PastVisit("slack", T0 - timedelta(days=3), "track_order", "contained",
                      (("csat", 4), ("ces", 6))),
            PastVisit("telegram", T0 - timedelta(days=20), "<!channel>", "escalated", ()),
        ),
    )  # fmt: skip
    text = json.dumps(card_blocks(replace(CASE, identity=who), T0), ensure_ascii=False)
    assert "Verified: Ana &lt;@U1&gt; &amp; co (customer since 2024, 7 orders)" in text
    assert "<@U1>" not in text and "<!channel>" not in text
    assert "#10002 · shipped, #10007 · &lt;processing&gt;" in text
    assert "19 Nov, slack: track order, solved by the bot; CSAT 4, CES 6" in text
    assert "02 Nov, telegram: &lt;!channel&gt;, handed to a person; no survey answer" in text
    assert "Not verified" not in text


def test_card_of_an_unverified_customer_says_so_and_nothing_personal() -> None:
    text = _text(card_blocks(replace(CASE, identity=NOT_VERIFIED), T0))
    assert "*Not verified*" in text
    assert "Verified:" not in text and "Recent orders" not in text and "last 30 days" not in text


def test_a_case_the_bot_did_not_open_does_not_claim_either_way() -> None:
    text = _text(card_blocks(CASE, T0))  # e.g. a detractor follow-up: no handoff request
    assert "Not known whether the chat is verified" in text
    assert "*Not verified*" not in text and "Verified:" not in text
