"""Telegram webhook: the real telegram.Bot against a fake Bot API on 127.0.0.1."""

from __future__ import annotations

import itertools
import json
from typing import Any

from tests.bot.conftest import TG_SECRET, Running
from tests.bot.fakes import FakeRasa, FakeTelegram

_ids = itertools.count(1)
HDR = {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}


def message(
    text: str | None = "hello", chat_id: int = 42, chat_type: str = "private", **extra: Any
) -> dict[str, Any]:
    msg: dict[str, Any] = {
        "message_id": next(_ids),
        "date": 1700000000,
        "chat": {"id": chat_id, "type": chat_type},
        "from": {"id": 7, "is_bot": False, "first_name": "Ann", "language_code": "en"},
        **extra,
    }
    if text is not None:
        msg["text"] = text
    return {"update_id": next(_ids), "message": msg}


async def post(gw: Running, update: dict[str, Any], headers: dict[str, str] | None = None) -> int:
    r = await gw.client.post(
        "/webhooks/telegram", json=update, headers=HDR if headers is None else headers
    )
    if gw.services.telegram is not None:
        await gw.services.telegram.drain()  # the update is worked on after the 200
    return r.status_code


def sent_texts(tg: FakeTelegram) -> list[str]:
    return [c.params["text"] for c in tg.of("sendMessage")]


async def test_text_message_is_answered(
    gw: Running, fake_tg: FakeTelegram, fake_rasa: FakeRasa
) -> None:
    assert await post(gw, message("where is my order?")) == 200
    assert sent_texts(fake_tg) == ["You said: where is my order?"]
    rest = fake_rasa.of("rest")[0].params
    assert rest["sender"] == "telegram:42"
    assert rest["metadata"]["channel"] == "telegram"
    assert rest["metadata"]["customer_id"] == "7"
    assert rest["metadata"]["locale"] == "en"
    assert len(rest["metadata"]["conversation_id"]) == 32
    assert fake_tg.of("sendMessage")[0].params["chat_id"] == 42


async def test_wrong_or_missing_secret_is_403(gw: Running, fake_rasa: FakeRasa) -> None:
    assert await post(gw, message(), headers={"X-Telegram-Bot-Api-Secret-Token": "nope"}) == 403
    assert await post(gw, message(), headers={}) == 403
    assert fake_rasa.calls == []


async def test_malformed_json_400_and_oversized_413(gw: Running) -> None:
    r = await gw.client.post("/webhooks/telegram", content=b"{not json", headers=HDR)
    assert r.status_code == 400
    r = await gw.client.post("/webhooks/telegram", content=b"[1, 2]", headers=HDR)
    assert r.status_code == 400
    r = await gw.client.post(
        "/webhooks/telegram", content=json.dumps({"no": "update"}), headers=HDR
    )
    assert r.status_code == 400
    big = b'{"update_id": 1, "x": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    r = await gw.client.post("/webhooks/telegram", content=big, headers=HDR)
    assert r.status_code == 413


async def test_redelivered_update_is_processed_once(
    gw: Running, fake_tg: FakeTelegram, fake_rasa: FakeRasa
) -> None:
    update = message("hi there")
    assert await post(gw, update) == 200
    assert await post(gw, update) == 200
    assert len(fake_rasa.of("rest")) == 1
    assert len(fake_tg.of("sendMessage")) == 1


async def test_start_greets_and_help_answers_locally(
    gw: Running, fake_tg: FakeTelegram, fake_rasa: FakeRasa
) -> None:
    await post(gw, message("/start"))
    assert fake_rasa.of("rest")[0].params["message"] == "/greet"
    assert sent_texts(fake_tg) == ["Hi! How can I help?"]
    await post(gw, message("/help"))
    assert len(fake_rasa.of("rest")) == 1
    assert "orders" in sent_texts(fake_tg)[1]


async def test_buttons_become_inline_keyboard(gw: Running, fake_tg: FakeTelegram) -> None:
    await post(gw, message("buttons"))
    call = fake_tg.of("sendMessage")[0].params
    rows = call["reply_markup"]["inline_keyboard"]
    assert [row[0]["text"] for row in rows] == ["Order A-1", "Order B-2"]
    assert rows[0][0]["callback_data"] == '/inform{"order":"A-1"}'


async def test_long_button_payload_falls_back_to_title(gw: Running, fake_tg: FakeTelegram) -> None:
    from bot.channels.telegram.format import callback_data

    assert callback_data("/x" + "y" * 100, "Yes please") == "Yes please"
    assert len(callback_data("/x" + "y" * 100, "é" * 60).encode()) <= 64


async def test_button_press_answers_edits_and_forwards(
    gw: Running, fake_tg: FakeTelegram, fake_rasa: FakeRasa
) -> None:
    press = {
        "update_id": next(_ids),
        "callback_query": {
            "id": "cbq-1",
            "from": {"id": 7, "is_bot": False, "first_name": "Ann"},
            "chat_instance": "ci",
            "data": '/inform{"order":"B-2"}',
            "message": {
                "message_id": 555,
                "date": 1700000000,
                "chat": {"id": 42, "type": "private"},
                "text": "Which order?",
                "reply_markup": {"inline_keyboard": [
                    [{"text": "Order A-1", "callback_data": '/inform{"order":"A-1"}'}],
                    [{"text": "Order B-2", "callback_data": '/inform{"order":"B-2"}'}],
                ]},
            },
        },
    }  # fmt: skip
    assert await post(gw, press) == 200
    assert fake_tg.of("answerCallbackQuery")[0].params["callback_query_id"] == "cbq-1"
    markup = fake_tg.of("editMessageReplyMarkup")[0].params
    assert (
        markup["message_id"] == 555
        and "reply_markup" not in markup
        or not markup.get("reply_markup")
    )
    edited = fake_tg.of("editMessageText")[0].params["text"]
    assert "Order B-2" in edited and "Which order?" in edited
    assert fake_rasa.of("rest")[0].params["message"] == '/inform{"order":"B-2"}'
    assert sent_texts(fake_tg) == ['You said: /inform{"order":"B-2"}']
    # the spinner is stopped before anything else happens
    assert fake_tg.calls.index(fake_tg.of("answerCallbackQuery")[0]) < fake_tg.calls.index(
        fake_tg.of("sendMessage")[0]
    )


async def test_long_reply_is_split(gw: Running, fake_tg: FakeTelegram) -> None:
    await post(gw, message("long"))
    texts = sent_texts(fake_tg)
    assert len(texts) == 3
    assert all(len(t) <= 4096 for t in texts)
    assert " ".join(texts) == ("word " * 2000).strip()


async def test_markup_in_bot_text_is_escaped(gw: Running, fake_tg: FakeTelegram) -> None:
    await post(gw, message("markup"))
    call = fake_tg.of("sendMessage")[0].params
    assert call["parse_mode"] == "HTML"
    assert call["text"] == (
        'Use &lt;b&gt; &amp; <b>bold</b> _x_ *y* <a href="https://ex.com/a?b=1&amp;c=2">docs</a>'
    )


async def test_image_is_sent_as_photo_and_custom_passes_through(
    gw: Running, fake_tg: FakeTelegram
) -> None:
    await post(gw, message("image"))
    assert fake_tg.of("sendPhoto")[0].params["photo"] == "https://ex.com/cat.png"
    await post(gw, message("custom"))
    custom = fake_tg.of("sendMessage")[-1].params
    assert custom["text"] == "custom!" and custom["chat_id"] == 42


async def test_non_text_gets_friendly_answer(
    gw: Running, fake_tg: FakeTelegram, fake_rasa: FakeRasa
) -> None:
    photo = [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}]
    await post(gw, message(None, photo=photo))
    await post(
        gw,
        message(
            None,
            sticker={
                "file_id": "s",
                "file_unique_id": "s",
                "width": 1,
                "height": 1,
                "is_animated": False,
                "is_video": False,
                "type": "regular",
            },
        ),
    )
    await post(gw, message(None, location={"latitude": 1.0, "longitude": 2.0}))
    await post(gw, message(None, voice={"file_id": "v", "file_unique_id": "v", "duration": 1}))
    assert sent_texts(fake_tg) == ["I can only read text for now. Please type your question."] * 4
    assert fake_rasa.calls == []


async def test_edited_message_is_answered(gw: Running, fake_tg: FakeTelegram) -> None:
    update = message("typo")
    update["edited_message"] = update.pop("message")
    update["edited_message"]["edit_date"] = 1700000001
    await post(gw, update)
    assert sent_texts(fake_tg) == ["You said: typo"]


async def test_group_chat_answers_only_when_addressed(
    gw: Running, fake_tg: FakeTelegram, fake_rasa: FakeRasa
) -> None:
    await post(gw, message("chatting among ourselves", chat_id=-100, chat_type="supergroup"))
    assert fake_rasa.calls == [] and fake_tg.of("sendMessage") == []
    text = "@shop_bot where is my parcel?"
    await post(gw, message(text, chat_id=-100, chat_type="supergroup",
                           entities=[{"type": "mention", "offset": 0, "length": 9}]))  # fmt: skip
    rest = fake_rasa.of("rest")[0].params
    assert rest["message"] == "where is my parcel?"
    assert rest["sender"] == "telegram:-100:7"
    assert fake_tg.of("sendMessage")[0].params["chat_id"] == -100


async def test_strange_messages_never_500(gw: Running) -> None:
    weird = message("\u0000\udcff" if False else "\u202e\u0000 ðŸ’¥" * 500)
    assert await post(gw, weird) == 200
    assert await post(gw, {"update_id": next(_ids)}) == 200  # an update type we do not handle
    empty = message("")
    assert await post(gw, empty) == 200
