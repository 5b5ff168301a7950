"""The survey as a customer lives it, with every answer checked in the telemetry store."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from actions import context
from actions.handoff import ActionHandoff
from actions.support import ActionNoteAnswer
from actions.survey import ActionStartSurvey
from actions.survey_answer import ActionSurveyAnswer
from actions.survey_hygiene import sampled_in
from cx_telemetry import TelemetryStore
from cx_telemetry.models import SurveyResponse

from .conftest import ROOT, Conversation, responses, run

CES_QUESTION = (
    "How much do you agree: Brightcart made it easy to handle my issue?\n"
    "1 = Strongly disagree · 7 = Strongly agree"
)


async def finished_support_chat(store: TelemetryStore) -> Conversation:
    chat = Conversation(store)
    await run(ActionNoteAnswer(), chat.tracker("how do I get an invoice", "get_invoice"))
    return chat


async def start(
    chat: Conversation, text: str = "bye", intent: str = "goodbye"
) -> list[dict[str, Any]]:
    messages, events = await run(ActionStartSurvey(), chat.tracker(text, intent))
    chat.apply(events)
    return messages


async def answer(
    chat: Conversation, text: str, intent: str = "nlu_fallback", confidence: float = 0.4
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    messages, events = await run(ActionSurveyAnswer(), chat.tracker(text, intent, confidence))
    chat.apply(events)
    return messages, events


async def test_csat_then_ces_with_one_tap_buttons_and_each_answer_stored(
    store: TelemetryStore,
) -> None:
    chat = await finished_support_chat(store)
    messages = await start(chat)
    assert messages[1]["text"] == (
        "How satisfied are you with the help you got today?\n"
        "1 = Very dissatisfied · 5 = Very satisfied"
    )
    assert [b["payload"] for b in messages[1]["buttons"]] == [f"csat:{n}" for n in range(1, 6)]
    assert all(len(b["payload"].encode()) <= 64 for b in messages[1]["buttons"])
    assert responses(store, chat.cid)["csat"]["status"] == "asked"

    messages, _ = await answer(chat, "csat:4")
    assert messages[0]["text"] == CES_QUESTION
    assert [b["payload"] for b in messages[0]["buttons"]] == [f"ces:{n}" for n in range(1, 8)]
    assert messages[0]["buttons"][0]["title"] == "1 · Strongly disagree"
    csat = responses(store, chat.cid)["csat"]
    assert (csat["score"], csat["status"], csat["intent"]) == (4, "answered", "get_invoice")

    messages, _ = await answer(chat, "super easy")
    assert messages[0]["text"] == (
        "Thank you for your feedback, it really helps us improve. "
        "Thanks for contacting Brightcart. Have a good day!"
    )
    rows = responses(store, chat.cid)
    assert (rows["ces"]["score"], rows["ces"]["scale_max"], rows["ces"]["segment"]) == (7, 7, "bot")
    assert chat.slots["survey_active"] is False
    info = store.get_conversation(chat.cid)
    assert info is not None and info.closed_at is not None and info.outcome == "contained"


async def test_no_survey_after_a_bare_greeting(store: TelemetryStore) -> None:
    chat = Conversation(store)
    assert await start(chat, "hi", "greet") == []
    assert responses(store, chat.cid) == {}


async def test_never_asked_twice_in_one_conversation(store: TelemetryStore) -> None:
    chat = await finished_support_chat(store)
    await start(chat)
    await answer(chat, "skip")
    assert await start(chat, "thanks", "thank_you") == []


async def test_skip_ends_the_survey_politely_and_is_recorded(store: TelemetryStore) -> None:
    chat = await finished_support_chat(store)
    await start(chat)
    messages, _ = await answer(chat, "no thanks", "deny", 0.98)
    assert messages[0]["text"] == "No problem. Thanks for contacting us!"
    assert responses(store, chat.cid)["csat"]["status"] == "skipped"


async def test_unreadable_answer_is_asked_again_once_then_the_survey_ends(
    store: TelemetryStore,
) -> None:
    chat = await finished_support_chat(store)
    await start(chat)
    messages, _ = await answer(chat, "banana")
    assert messages[0]["text"].startswith("Sorry, I didn't catch that")
    assert "1 to 5" in messages[0]["text"] and len(messages[0]["buttons"]) == 5
    messages, _ = await answer(chat, "purple")
    assert messages[0]["text"].startswith("No worries")
    assert responses(store, chat.cid)["csat"]["status"] == "abandoned"


async def test_unreadable_then_valid_answer_is_stored(store: TelemetryStore) -> None:
    chat = await finished_support_chat(store)
    await start(chat)
    await answer(chat, "hmm what")
    await answer(chat, "⭐⭐⭐⭐⭐")
    assert responses(store, chat.cid)["csat"]["score"] == 5


async def test_the_comment_is_asked_right_after_the_low_score(store: TelemetryStore) -> None:
    chat = await finished_support_chat(store)
    await start(chat)
    messages, _ = await answer(chat, "1")
    assert messages[0]["text"].startswith("Sorry we fell short")
    messages, _ = await answer(
        chat, "Nobody replied to jane.doe@example.com, call me on +44 7700 900123"
    )
    assert messages[0]["text"] == CES_QUESTION  # then the next question
    comment = responses(store, chat.cid)["csat"]["comment"]
    assert "jane.doe" not in comment and "7700" not in comment and "Nobody replied" in comment
    messages, _ = await answer(chat, "2")  # a second low score asks no second comment
    assert messages[0]["text"].startswith("Thank you for your feedback")


async def test_typed_feedback_is_never_thrown_away(store: TelemetryStore) -> None:
    chat = await finished_support_chat(store)
    await start(chat)
    await answer(chat, "⭐⭐")
    messages, _ = await answer(chat, "meh")  # the comment prompt's answer
    assert messages[0]["text"] == CES_QUESTION
    messages, _ = await answer(chat, "the bot kept talking about the wrong order", "complaint", 0.8)
    assert messages[0]["text"].startswith("Thanks, I've passed that on to the team.")
    rows = responses(store, chat.cid)
    assert rows["csat"]["comment"] == "meh"
    assert rows["ces"]["comment"] == "the bot kept talking about the wrong order"
    messages, _ = await answer(chat, "no idea honestly, whatever")
    assert "passed that on" in messages[0]["text"] and "Have a good day" in messages[0]["text"]
    assert responses(store, chat.cid)["ces"]["status"] == "abandoned"


async def test_a_payload_is_never_a_comment_and_a_second_tap_changes_nothing(
    store: TelemetryStore,
) -> None:
    chat = await finished_support_chat(store)
    await start(chat)
    await answer(chat, "csat:2")
    messages, events = await answer(chat, "csat:2")  # the same button, tapped twice
    assert messages[0]["text"] == "Already got it, thanks!" and events == []
    messages, _ = await answer(chat, "ces:2")  # a CES tap while the comment is asked
    assert messages[0]["text"] == "Already got it, thanks!"
    assert responses(store, chat.cid)["csat"]["comment"] is None
    await answer(chat, "skip")  # no comment
    messages, _ = await answer(chat, "csat:1")  # an old keyboard under the CES question
    assert messages[0]["text"] == "Already got it, thanks!"
    assert responses(store, chat.cid)["csat"]["score"] == 2


async def test_a_leftover_button_is_not_an_unreadable_answer(store: TelemetryStore) -> None:
    chat = await finished_support_chat(store)
    await start(chat)
    messages, events = await answer(chat, "/deny", "deny", 1.0)  # "No, that's all", tapped late
    assert messages[0]["text"].startswith("How satisfied are you")
    assert events == [] and chat.slots["survey_retry"] is False
    assert responses(store, chat.cid)["csat"]["status"] == "asked"


async def test_goodbye_comes_after_the_survey_or_at_once_without_one(
    store: TelemetryStore,
) -> None:
    chat = await finished_support_chat(store)
    messages = await start(chat)
    assert [m["text"].split("\n")[0] for m in messages] == [
        "Before you go: two quick questions, one tap each.",
        "How satisfied are you with the help you got today?",
    ]
    bare = Conversation(store)
    messages = await start(bare, "bye", "goodbye")
    assert [m["text"] for m in messages] == ["Thanks for contacting Brightcart. Have a good day!"]


async def test_a_new_question_mid_survey_is_handed_back_and_the_survey_abandoned(
    store: TelemetryStore,
) -> None:
    chat = await finished_support_chat(store)
    await start(chat)
    entities = [{"entity": "order_id", "value": "10002"}]
    messages, events = await run(
        ActionSurveyAnswer(),
        chat.tracker("where is my order 10002", "track_order", 0.97, entities),
    )
    assert messages == []
    assert [e["event"] for e in events][-3:] == ["action", "user", "slot"]
    replayed = events[-2]
    assert replayed["text"] == "where is my order 10002"
    assert replayed["parse_data"]["intent"]["name"] == "track_order"
    assert {"event": "slot", "name": "order_id", "value": "10002", "timestamp": None} in events
    assert responses(store, chat.cid)["csat"]["status"] == "abandoned"


async def test_idle_expires_an_unanswered_survey(store: TelemetryStore) -> None:
    chat = await finished_support_chat(store)
    await start(chat)
    assert await start(chat, "EXTERNAL_conversation_idle", "EXTERNAL_conversation_idle") == []
    assert responses(store, chat.cid)["csat"]["status"] == "expired"
    assert chat.slots["survey_active"] is False


async def test_after_a_resolved_handoff_the_survey_is_about_the_agent(
    store: TelemetryStore,
) -> None:
    chat = Conversation(store)
    await run(ActionHandoff(), chat.tracker("let me talk to a person", "contact_human_agent"))
    handoff = store.open_handoff(chat.cid)
    assert handoff is not None
    store.handoff_claimed(handoff.id, agent="Ana")
    messages = await start(chat, "resolved", "EXTERNAL_handoff_resolved")
    assert messages == [] or "satisfied" not in messages[-1]["text"]  # still open: no survey
    store.handoff_resolved(handoff.id, agent="Ana", outcome="resolved")
    tracker = chat.tracker(
        "EXTERNAL_handoff_resolved",
        "EXTERNAL_handoff_resolved",
        1.0,
        [{"entity": "agent", "value": "Ana"}],
    )
    messages, events = await run(ActionStartSurvey(), tracker)
    assert messages[1]["text"].startswith("How satisfied")
    row = responses(store, chat.cid)["csat"]
    assert row["segment"] == "agent"


# -- survey hygiene: cooldown, sampling, staff's "No survey" ------------------------------------


def hygiene(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **values: object) -> None:
    """The shipped survey file with ``cooldown_days`` / ``sample_rate`` set."""
    text = (ROOT / "survey.yml").read_text(encoding="utf-8")
    for key, value in values.items():
        text = re.sub(rf"(?m)^{key}: .*$", f"{key}: {value}", text)
    path = tmp_path / "survey-hygiene.yml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("CX_SURVEY_CONFIG", str(path))
    context.survey_config.cache_clear()


def not_surveyed(store: TelemetryStore, cid: str) -> str | None:
    info = store.get_conversation(cid)
    assert info is not None
    return info.not_surveyed


async def next_conversation(store: TelemetryStore, chat: Conversation) -> Conversation:
    """The same customer, back later with a new question (a new conversation)."""
    store.close_conversation(chat.cid)
    again = Conversation(store)
    again.sender = chat.sender
    again.cid = store.open_conversation(channel=chat.channel, customer_id=chat.sender)
    assert again.cid != chat.cid
    await run(ActionNoteAnswer(), again.tracker("where is my refund", "track_refund"))
    return again


async def test_cooldown_no_second_survey_for_a_customer_surveyed_lately(
    store: TelemetryStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    hygiene(monkeypatch, tmp_path, cooldown_days=30)
    first = await finished_support_chat(store)
    assert "two quick questions" in (await start(first))[0]["text"]
    await answer(first, "csat:5")
    await answer(first, "ces:7")

    second = await next_conversation(store, first)
    messages = await start(second)
    assert [m["text"] for m in messages] == ["Thanks for contacting Brightcart. Have a good day!"]
    assert responses(store, second.cid) == {}
    assert not_surveyed(store, second.cid) == "cooldown"
    assert not_surveyed(store, first.cid) is None

    # another customer is not held back by it, and neither is this one once it has passed
    other = await finished_support_chat(store)
    assert "two quick questions" in (await start(other))[0]["text"]
    hygiene(monkeypatch, tmp_path, cooldown_days=0)
    third = await next_conversation(store, second)
    assert "two quick questions" in (await start(third))[0]["text"]


async def test_cooldown_counts_from_when_the_survey_was_asked(
    store: TelemetryStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    hygiene(monkeypatch, tmp_path, cooldown_days=7)
    first = await finished_support_chat(store)
    long_ago = datetime.now(timezone.utc) - timedelta(days=8)
    store.survey_asked(first.cid, "csat", at=long_ago)
    second = await next_conversation(store, first)
    assert "two quick questions" in (await start(second))[0]["text"]


async def test_sampling_is_decided_by_the_conversation_and_agrees_on_retries(
    store: TelemetryStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    hygiene(monkeypatch, tmp_path, sample_rate=0.5)
    surveyed = skipped = 0
    for _ in range(40):
        chat = await finished_support_chat(store)
        messages = await start(chat)
        asked = bool(messages) and "two quick questions" in messages[0]["text"]
        assert asked == sampled_in(chat.cid, 0.5)  # the same answer the next time
        if asked:
            surveyed += 1
            assert responses(store, chat.cid)["csat"]["status"] == "asked"
        else:
            skipped += 1
            assert responses(store, chat.cid) == {}
            assert not_surveyed(store, chat.cid) == "sampled_out"
            # a replayed end of conversation asks nothing either
            assert await start(chat, "thanks", "thank_you") == []
    assert surveyed and skipped  # 40 draws at 0.5: both kinds, and neither is everything
    assert [sampled_in(f"{n:032x}", 0.25) for n in range(2000)].count(True) in range(400, 600)
    hygiene(monkeypatch, tmp_path, sample_rate=0)
    chat = await finished_support_chat(store)
    await start(chat)
    assert not_surveyed(store, chat.cid) == "sampled_out"


async def test_staff_no_survey_on_the_case_means_no_survey_after_it(
    store: TelemetryStore,
) -> None:
    chat = Conversation(store)
    await run(ActionNoteAnswer(), chat.tracker("my parcel is broken", "complaint"))
    store.survey_not_asked(chat.cid, "staff")  # what the gateway records on "No survey"
    entities = [{"entity": "agent", "value": "Ana (U1)"}]
    messages, _ = await run(
        ActionStartSurvey(),
        chat.tracker("/EXTERNAL_handoff_resolved", "EXTERNAL_handoff_resolved", entities=entities),
    )
    assert messages == []
    assert responses(store, chat.cid) == {}
    assert not_surveyed(store, chat.cid) == "staff"
    info = store.get_conversation(chat.cid)
    assert info is not None and info.closed_at is not None


# -- NPS: the relationship question, at most once per customer per interval -------------------


def nps_on(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, interval_days: int = 90) -> None:
    text = (ROOT / "survey.yml").read_text(encoding="utf-8")
    text = text.replace("  enabled: false", "  enabled: true")
    text = text.replace("  interval_days: 90", f"  interval_days: {interval_days}")
    path = tmp_path / "survey-nps.yml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("CX_SURVEY_CONFIG", str(path))
    context.survey_config.cache_clear()


NPS_QUESTION = (
    "How likely are you to recommend Brightcart to a friend?\n"
    "0 = Not at all likely · 10 = Extremely likely"
)


async def test_nps_when_on_follows_ces_with_buttons_0_to_10(
    store: TelemetryStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    nps_on(monkeypatch, tmp_path)
    chat = await finished_support_chat(store)
    messages = await start(chat)
    assert messages[0]["text"] == "Before you go: three quick questions, one tap each."
    await answer(chat, "csat:4")
    messages, _ = await answer(chat, "ces:6")
    assert messages[0]["text"] == NPS_QUESTION
    buttons = messages[0]["buttons"]
    assert [b["payload"] for b in buttons] == [f"nps:{n}" for n in range(11)]
    assert [b["title"] for b in buttons][:2] == ["0 · Not at all likely", "1"]
    assert buttons[10]["title"] == "10 · Extremely likely"
    assert responses(store, chat.cid)["nps"]["status"] == "asked"

    messages, _ = await answer(chat, "nps:9")
    assert messages[0]["text"].startswith("Thank you for your feedback")
    nps = responses(store, chat.cid)["nps"]
    assert (nps["score"], nps["scale_max"], nps["status"]) == (9, 10, "answered")
    assert chat.slots["survey_active"] is False

    # typed, and zero is a score
    typed = await finished_support_chat(store)
    await start(typed)
    await answer(typed, "csat:2")
    await answer(typed, "skip")  # the comment
    await answer(typed, "ces:3")
    messages, _ = await answer(typed, "0")
    assert responses(store, typed.cid)["nps"]["score"] == 0
    assert messages[0]["text"].startswith("Thank you for your feedback")  # no second comment


async def test_nps_at_most_once_per_customer_per_interval(
    store: TelemetryStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    nps_on(monkeypatch, tmp_path, interval_days=90)
    first = await finished_support_chat(store)
    await start(first)
    await answer(first, "csat:5")
    await answer(first, "ces:7")
    await answer(first, "nps:10")

    second = await next_conversation(store, first)
    messages = await start(second)
    assert messages[0]["text"] == "Before you go: two quick questions, one tap each."
    await answer(second, "csat:5")
    messages, _ = await answer(second, "ces:7")
    assert messages[0]["text"].startswith("Thank you for your feedback")
    assert set(responses(store, second.cid)) == {"csat", "ces"}

    # long after the interval it is asked again
    third = await next_conversation(store, second)
    old = datetime.now(timezone.utc) - timedelta(days=91)
    store.run(
        lambda s: s.execute(
            update(SurveyResponse).where(SurveyResponse.metric == "nps").values(asked_at=old)
        )
    )
    await start(third)
    await answer(third, "csat:4")
    messages, _ = await answer(third, "ces:5")
    assert messages[0]["text"] == NPS_QUESTION
