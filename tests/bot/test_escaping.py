"""The staff desk is safe and readable (issue #11, section 5), for any input: hostile and very
long customer text is shown literally on the card and in the thread, within Slack's limits, and
every button of every reply can be carried by Telegram and Slack without cutting a payload."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels.slack.format import BLOCKS_PER_MESSAGE, to_theirs, usable_buttons
from bot.channels.slack.markup import escape, slack_to_plain, unescape
from bot.channels.slack.staff_format import card_blocks, thread_texts
from bot.channels.telegram.format import CALLBACK_DATA_LIMIT, keyboard_for
from bot.handoff.values import Case
from bot.messages import BotReply, Button

HOSTILE = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U024BE7LH>",
    "<https://evil.example|Reset your password>",
    "<#C123|general>",
    "&amp; & < > &lt;",
    "*bold* _it_ `code`",
]
T0 = datetime(2026, 11, 22, 15, 0, tzinfo=timezone.utc)
CASE = Case(
    handoff_id="h" * 32, conversation_id="c" * 32, sender_id="telegram:42", channel="telegram",
    address={"channel": "telegram", "chat_id": "42", "user_id": "7"}, customer="abcdef0123456789",
    customer_name="Ann", reason="complaint", intents=("track_order",), transcript=(),
    status="waiting", requested_at=T0, claimed_at=None, claimed_by=None, agent=None,
    closed_at=None, closed_by=None, follow_up_offered=False, staff_channel="CSTAFF",
    card_ts="1.0001",
)  # fmt: skip

customer_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(min_size=0, max_size=400),
    st.lists(st.sampled_from([*HOSTILE, "&", "<", ">", "word", " ", "\n"]), max_size=900).map(
        "".join
    ),
)
# Our own tags on the card: a live date, a mailto link of a checked address, a staff mention.
_OURS = re.compile(r"<!date\^\d+\^\{(?:time|ago)\}\|[^<>]*>|<mailto:[^<>|]+\|[^<>]+>|<@U[A-Z0-9]+>")


def texts_of(blocks: list[dict]) -> list[str]:  # type: ignore[type-arg]
    out = []
    for block in blocks:
        if "text" in block and isinstance(block["text"], dict):
            out.append(block["text"]["text"])
        out += [f["text"] for f in block.get("fields", [])]
    return out


def assert_literal(rendered: str) -> None:
    """Nothing in ``rendered`` is a Slack tag but ours, and every ``&`` starts an entity."""
    rest = re.sub(r"(?m)^> ", "", _OURS.sub("", rendered))  # and our quote marks
    assert "<" not in rest and ">" not in rest, rest[:200]
    assert not re.search(r"&(?!amp;|lt;|gt;)", rest), rest[:200]


@settings(max_examples=150, deadline=None)
@given(
    name=customer_text,
    lines=st.lists(customer_text, max_size=30),
    intents=st.lists(customer_text, max_size=5),
)
def test_the_card_shows_customer_text_literally_within_slacks_limits(
    name: str, lines: list[str], intents: list[str]
) -> None:
    case = replace(
        CASE, customer_name=name or None, transcript=tuple(lines), intents=tuple(intents)
    )
    blocks = card_blocks(case, T0 + timedelta(minutes=3))
    assert len(blocks) <= BLOCKS_PER_MESSAGE
    for block in blocks:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= 3000
        for field in block.get("fields", []):
            assert len(field["text"]) <= 2000
    for text in texts_of(blocks):
        assert_literal(text)
    if any(line.strip() for line in lines):
        assert "Last 0 turns" not in json.dumps(blocks)  # the newest turn is always there


def test_a_newest_turn_of_any_length_is_shown_shortened() -> None:
    case = replace(CASE, transcript=("Customer: hi", "Customer: " + "x" * 5000 + " END"))
    transcript = card_blocks(case, T0)[3]["text"]["text"]
    assert transcript.startswith("*Last ") and "Last 0 turns" not in transcript
    assert "Customer: xxx" in transcript and "…" in transcript and len(transcript) <= 3000


@settings(max_examples=150, deadline=None)
@given(text=customer_text.filter(lambda t: t.strip() != ""))
def test_the_thread_shows_every_word_of_the_customer_literally(text: str) -> None:
    posts = thread_texts(text, customer=True)
    for post in posts:
        assert len(post) <= 3000
        assert_literal(post.split(":* ", 1)[1])
    shown = " ".join(unescape(p.split(":* ", 1)[1]) for p in posts)
    assert shown.split() == text.split()


def test_hostile_text_in_the_thread_never_pings_or_hides_a_link() -> None:
    [post] = thread_texts("hi <!channel> <@U1> <https://evil.example|Reset your password>", True)
    assert post == (
        "*Customer:* hi &lt;!channel&gt; &lt;@U1&gt; "
        "&lt;https://evil.example|Reset your password&gt;"
    )
    assert thread_texts("a note <!here>", customer=False) == ["_a note &lt;!here&gt;_"]


@given(text=st.text(max_size=300))
def test_slack_customer_text_reaches_the_engine_as_typed(text: str) -> None:
    assert slack_to_plain(escape(text)) == text


def test_slack_links_reach_the_engine_as_their_text() -> None:
    assert slack_to_plain("Tom &amp; Jerry <mailto:a@b.example|a@b.example>") == (
        "Tom & Jerry a@b.example"
    )
    assert slack_to_plain("see <https://ex.example/x|ex.example/x>") == "see ex.example/x"


payloads = st.one_of(
    st.just(""),
    st.text(max_size=80),
    st.dictionaries(st.text(max_size=20), st.text(max_size=60), max_size=4).map(
        lambda d: "/inform" + json.dumps(d)
    ),
    st.sampled_from(["csat:1", "csat:2", "ces:7", "/affirm"]),
)
buttons = st.lists(st.builds(Button, title=st.text(max_size=90), payload=payloads), max_size=70)


@settings(max_examples=200, deadline=None)
@given(buttons=buttons)
def test_telegram_callback_data_is_never_empty_repeated_or_a_cut_payload(
    buttons: list[Button],
) -> None:
    keyboard = keyboard_for(BotReply(text="Pick", buttons=tuple(buttons)))
    if keyboard is None:
        return
    data = [b.callback_data for row in keyboard.inline_keyboard for b in row]
    assert all(d and len(str(d).encode()) <= CALLBACK_DATA_LIMIT for d in data)
    assert len(data) == len(set(data))
    # Whatever reaches the engine as a command is one button's whole payload, never a cut one
    # (a complete "/" may still be the start of another button's "/inform{...}").
    payloads = {button.payload for button in buttons}
    for d in data:
        assert not str(d).startswith("/") or d in payloads, (d, sorted(payloads))


def test_a_title_that_reads_as_a_payload_is_not_sent_as_callback_data() -> None:
    # An empty payload falls back to the title; "/" would reach the engine as an intent.
    keyboard = keyboard_for(
        BotReply(text="Pick", buttons=(Button("/", ""), Button("Yes", '/inform{"a":1}')))
    )
    assert keyboard is not None
    assert [b.callback_data for row in keyboard.inline_keyboard for b in row] == ['/inform{"a":1}']


def test_a_survey_question_is_one_compact_row_on_telegram() -> None:
    for metric, top in (("csat", 5), ("ces", 7)):
        scale = tuple(Button(f"{n} · label", f"{metric}:{n}") for n in range(1, top + 1))
        keyboard = keyboard_for(BotReply(text="How ...?", buttons=scale))
        assert keyboard is not None
        assert [[b.text for b in row] for row in keyboard.inline_keyboard] == [
            [str(n) for n in range(1, top + 1)]
        ]


def test_the_nps_scale_is_two_rows_on_telegram_and_slack() -> None:
    titles = {0: "0 · Not at all likely", 10: "10 · Extremely likely"}
    scale = tuple(Button(titles.get(n, str(n)), f"nps:{n}") for n in range(11))
    keyboard = keyboard_for(BotReply(text="How likely ...?", buttons=scale))
    assert keyboard is not None
    assert [[b.text for b in row] for row in keyboard.inline_keyboard] == [
        ["0", "1", "2", "3", "4", "5"],
        ["6", "7", "8", "9", "10"],
    ]
    assert keyboard.inline_keyboard[1][4].callback_data == "nps:10"
    blocks = to_theirs(BotReply(text="How likely ...?", buttons=scale))[0]["blocks"]
    rows = [b["elements"] for b in blocks if b["type"] == "actions"]
    assert [[e["value"] for e in row] for row in rows] == [
        [f"nps:{n}" for n in range(6)],
        [f"nps:{n}" for n in range(6, 11)],
    ]
    assert rows[0][0]["text"]["text"] == "0 · Not at all likely"


@settings(max_examples=150, deadline=None)
@given(text=customer_text, buttons=buttons)
def test_slack_replies_keep_every_block_kit_limit(text: str, buttons: list[Button]) -> None:
    messages = to_theirs(BotReply(text=text * 20, buttons=tuple(buttons)))
    carried = usable_buttons(tuple(buttons))
    values = []
    for message in messages:
        assert len(message["blocks"]) <= BLOCKS_PER_MESSAGE
        for block in message["blocks"]:
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= 3000
                assert_literal(re.sub(r"<https?://[^<>|]+\|[^<>]*>", "", block["text"]["text"]))
            for element in block.get("elements", []):
                assert element["value"] and len(element["value"]) <= 2000
                values.append(element["value"])
    assert values == [value for _, value in carried]
    for value in values:
        assert any(value in (b.payload, b.title) for b in buttons)
