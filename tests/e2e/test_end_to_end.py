"""Customers on Telegram and Slack against the real engine, actions and telemetry store."""

from __future__ import annotations

import csv
import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.bot.conftest import Running, wait_for
from tests.bot.fakes import FakeSlack, FakeTelegram
from tests.bot.test_slack import dm, event, posts, send
from tests.bot.test_telegram import message, post, sent_texts

from .conftest import ROOT, Stack

pytestmark = pytest.mark.engine
_ids = itertools.count(9000)


def keyboard(call_params: dict[str, Any]) -> list[dict[str, str]]:
    markup = call_params.get("reply_markup")
    markup = json.loads(markup) if isinstance(markup, str) else markup or {}
    return [button for row in markup.get("inline_keyboard", []) for button in row]


def markup_rows(call_params: dict[str, Any]) -> list[list[dict[str, str]]]:
    markup = call_params.get("reply_markup")
    markup = json.loads(markup) if isinstance(markup, str) else markup or {}
    return list(markup.get("inline_keyboard", []))


def press(fake_tg: FakeTelegram, chat_id: int, user_id: int, title_part: str) -> dict[str, Any]:
    """The customer taps the button whose title starts with `title_part` on the newest
    keyboard."""
    with_keyboard = [c.params for c in fake_tg.of("sendMessage") if keyboard(c.params)]
    params = with_keyboard[-1]
    button = next(b for b in keyboard(params) if b["text"].startswith(title_part))
    return {
        "update_id": next(_ids),
        "callback_query": {
            "id": f"cb-{next(_ids)}",
            "from": {"id": user_id, "is_bot": False, "first_name": "Ann"},
            "chat_instance": "ci",
            "data": button["callback_data"],
            "message": {
                "message_id": next(_ids),
                "date": 1700000000,
                "chat": {"id": chat_id, "type": "private"},
                "text": params["text"],
                "reply_markup": {"inline_keyboard": [[b] for b in keyboard(params)]},
            },
        },
    }


def export(stack: Stack, tmp_path: Path, what: str = "responses") -> list[dict[str, str]]:
    out = tmp_path / f"{what}.csv"
    subprocess.run(
        [sys.executable, "-m", "cx_telemetry.cli", "export", "--what", what, "--format", "csv", "--out", str(out)],
        cwd=ROOT, env=stack.env, check=True, capture_output=True,
    )  # fmt: skip
    lines = [line for line in out.read_text().splitlines() if not line.startswith("#")]
    return list(csv.DictReader(lines))


async def test_telegram_customer_tracks_an_order_and_rates_with_buttons(
    gateway: Running, fake_tg: FakeTelegram, stack: Stack, tmp_path: Path
) -> None:
    chat = 4242
    assert await post(gateway, message("hi, where is my order 10002?", chat_id=chat)) == 200
    assert sent_texts(fake_tg)[-1].endswith("e-mail address on order #10002?")
    assert await post(gateway, message("ben.okafor@example.com", chat_id=chat)) == 200
    texts = sent_texts(fake_tg)
    assert any("is on its way with" in t and "#10002" in t for t in texts), texts
    assert texts[-1] == "Anything else I can help with?"
    assert [b["callback_data"] for b in keyboard(fake_tg.of("sendMessage")[-1].params)] == [
        "/affirm",
        "/deny",
    ]

    assert await post(gateway, press(fake_tg, chat, 7, "No")) == 200
    question = fake_tg.of("sendMessage")[-1].params
    assert question["text"].startswith("How satisfied are you with the help you got today?")
    assert [b["callback_data"] for b in keyboard(question)] == [f"csat:{n}" for n in range(1, 6)]
    assert len(markup_rows(question)) == 1  # one compact row of numbers

    assert await post(gateway, press(fake_tg, chat, 7, "4")) == 200
    assert sent_texts(fake_tg)[-1].startswith(
        "How much do you agree: Brightcart made it easy to handle my issue?"
    )
    assert await post(gateway, press(fake_tg, chat, 7, "6")) == 200
    assert sent_texts(fake_tg)[-1].startswith("Thank you for your feedback")
    assert sent_texts(fake_tg)[-1].endswith("Have a good day!")  # the goodbye comes last

    rows = [r for r in export(stack, tmp_path) if r["channel"] == "telegram"]
    got = {
        r["metric"]: (r["score"], r["scale_max"], r["status"], r["segment"], r["intent"])
        for r in rows
    }
    assert got == {
        "csat": ("4", "5", "answered", "bot", "track_order"),
        "ces": ("6", "7", "answered", "bot", "track_order"),
    }


async def test_slack_customer_asks_for_a_refund_in_a_dm(
    gateway: Running, fake_slack: FakeSlack, stack: Stack
) -> None:
    def said(words: str) -> bool:
        return any(words in (p.get("text") or "") for p in posts(fake_slack))

    response = await send(gateway, event(dm("I want a refund for order 10003", user="UCUST")))
    assert response.status_code == 200
    # a return changes the order: the order's e-mail, then the code mailed to it
    await wait_for(lambda: said("e-mail address on order #10003?"), 60)
    await send(gateway, event(dm("chloe.martin@example.com", user="UCUST")))
    await wait_for(lambda: said("sent a 6-digit code to c***@example.com"), 60)
    await send(gateway, event(dm(stack.code_for("chloe.martin@example.com"), user="UCUST")))
    # several items: which ones, then what will happen, and only a Yes starts the return
    await wait_for(lambda: said("Which items from order #10003 do you want to return?"), 60)
    assert not said("started a return")
    await send(gateway, event(dm("all of them", user="UCUST")))
    await wait_for(lambda: said("Start a return for order #10003:"), 60)
    assert not said("started a return")
    await send(gateway, event(dm("yes", user="UCUST")))
    await wait_for(lambda: said("started a return"), 60)
    refund = next(p for p in posts(fake_slack) if "started a return" in (p.get("text") or ""))
    assert "order #10003" in refund["text"] and refund["channel"] == "D1"
    await wait_for(
        lambda: posts(fake_slack)[-1].get("text") == "Anything else I can help with?", 30
    )
    blocks = json.dumps(posts(fake_slack)[-1].get("blocks"))
    assert "/affirm" in blocks and "/deny" in blocks
    # the code made this Slack chat Chloe's: her orders come as buttons, no e-mail asked
    await send(gateway, event(dm("my orders", user="UCUST")))
    await wait_for(lambda: said("Your latest orders:"), 60)
    listing = next(p for p in posts(fake_slack) if "Your latest orders:" in (p.get("text") or ""))
    values = [
        element["value"]
        for block in listing["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert '/track_order{"order_id": "10003"}' in values, listing
