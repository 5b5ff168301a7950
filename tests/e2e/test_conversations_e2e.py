"""Issue #11's conversations against the real engine, action server and telemetry store, as a
Telegram customer lives them. Each test keeps its transcript in ``var/transcripts/``."""

from __future__ import annotations

import html
import itertools
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from cx_telemetry import TelemetryStore
from cx_telemetry.models import SurveyResponse
from tests.bot.conftest import Running, running
from tests.bot.fakes import FakeTelegram
from tests.bot.handoff_fakes import StaffSlack
from tests.bot.test_handoff import STAFF, _card_ts, buttons, cards, press, thread
from tests.bot.test_telegram import message, post

from .conftest import ROOT, Stack, gateway_settings
from .test_end_to_end import keyboard

pytestmark = pytest.mark.engine
_ids = itertools.count(70_000)


class Customer:
    """A Telegram customer: what they send, and everything the bot sends back, as a transcript."""

    def __init__(self, gw: Running, tg: FakeTelegram, chat: int) -> None:
        self.gw, self.tg, self.chat = gw, tg, chat
        self.lines: list[str] = []
        self.seen = 0

    async def says(self, text: str) -> list[dict[str, Any]]:
        self.lines.append(f"Customer: {text}")
        assert await post(self.gw, message(text, chat_id=self.chat)) == 200
        return self._bot()

    async def taps(self, title: str) -> list[dict[str, Any]]:
        """Tap the button starting with ``title`` on the newest keyboard that has one (an order
        list is followed by "Anything else?", whose buttons are newer)."""
        params, button = next(
            (c.params, b)
            for c in reversed(self.tg.of("sendMessage"))
            for b in keyboard(c.params)
            if b["text"].startswith(title)
        )
        self.lines.append(f"Customer: [taps {button['text']}]")
        update = {
            "update_id": next(_ids),
            "callback_query": {
                "id": f"cb-{next(_ids)}", "chat_instance": "ci", "data": button["callback_data"],
                "from": {"id": 7, "is_bot": False, "first_name": "Ann"},
                "message": {"message_id": next(_ids), "date": 1700000000, "text": params["text"],
                            "chat": {"id": self.chat, "type": "private"},
                            "reply_markup": {"inline_keyboard": [[b] for b in keyboard(params)]}},
            },
        }  # fmt: skip
        assert await post(self.gw, update) == 200
        return self._bot()

    def _bot(self) -> list[dict[str, Any]]:
        sent = [c.params for c in self.tg.of("sendMessage")][self.seen :]
        self.seen += len(sent)
        for params in sent:
            text = html.unescape(str(params.get("text", "")).replace("<b>", "").replace("</b>", ""))
            self.lines.append("Bot: " + text.replace("\n", "\n     "))
            if keyboard(params):
                self.lines.append("     " + " ".join(f"[{b['text']}]" for b in keyboard(params)))
        return sent

    def texts(self) -> list[str]:
        return [str(c.params.get("text", "")) for c in self.tg.of("sendMessage")]

    def keep(self, name: str) -> None:
        folder = ROOT / "var" / "transcripts"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.txt").write_text("\n".join(self.lines) + "\n", encoding="utf-8")


@pytest.fixture
async def fake_slack() -> AsyncIterator[StaffSlack]:
    server = await StaffSlack().start()
    yield server
    await server.stop()


@pytest.fixture
async def desk(
    stack: Stack, fake_tg: FakeTelegram, fake_slack: StaffSlack
) -> AsyncIterator[Running]:
    settings = gateway_settings(
        stack, fake_tg, fake_slack, slack_staff_channel=STAFF,
        handoff_timeout=timedelta(minutes=10), instance_id="gw-e2e-conv",
    )  # fmt: skip
    async with running(settings, TelemetryStore.from_settings(stack.telemetry)) as gw:
        yield gw


async def test_a_customer_who_cannot_find_their_order_number(
    gateway: Running, fake_tg: FakeTelegram
) -> None:
    ann = Customer(gateway, fake_tg, chat=6101)
    await ann.says("where has my order 1O0O2 got to?")
    assert ann.texts()[-1].startswith(
        "&quot;1O0O2&quot; doesn&#x27;t look like an order number"
    ) or ("1O0O2" in ann.texts()[-1] and "doesn" in ann.texts()[-1])
    asked = sum("order number" in t for t in ann.texts())
    await ann.says("I honestly can't find the number anywhere")
    assert sum("order number" in t and "?" in t for t in ann.texts()) <= asked + 1
    assert not ann.texts()[-2].startswith("That doesn")  # no loop of refusals
    assert "confirmation e-mail" in " ".join(ann.texts()[-2:]), "\n".join(ann.lines)
    assert ann.texts()[-1] == "Anything else I can help with?", "\n".join(ann.lines)
    await ann.taps("No")
    ann.keep("cannot_find_the_order_number")


async def test_another_companys_order_gets_what_i_can_do_and_no_form(
    gateway: Running, fake_tg: FakeTelegram
) -> None:
    """Issue #10 item 5: another company's order or account is off-topic, then ours still works."""
    ann = Customer(gateway, fake_tg, chat=6108)
    for text in ("cancel my Just Eat order, it's taking ages", "close my Revolut account please"):
        await ann.says(text)
        reply = html.unescape(ann.texts()[-1])
        assert reply.startswith("I'm afraid I can't help with that"), "\n".join(ann.lines)
        assert not any("order number" in t or "e-mail" in t for t in ann.texts()), ann.lines
    await ann.says("cancel order 10001")
    assert html.unescape(ann.texts()[-1]) == (
        "For your privacy, what's the e-mail address on order #10001?"
    ), ann.lines
    ann.keep("another_companys_order")


async def test_a_cancel_with_confirmation(
    gateway: Running, fake_tg: FakeTelegram, stack: Stack
) -> None:
    """Issue #13's e2e: an unverified chat proves who it is before anything changes."""
    ann = Customer(gateway, fake_tg, chat=6102)
    await ann.says("cancel order 10001")
    asked = html.unescape(ann.texts()[-1])
    assert asked == "For your privacy, what's the e-mail address on order #10001?", ann.lines
    await ann.says("Ana.Lopez@example.com")
    assert html.unescape(ann.texts()[-1]).startswith("I've sent a 6-digit code to a***@example.com")
    code = stack.code_for("ana.lopez@example.com")  # through the real SMTP server
    assert stack.code_for("ana.lopez@example.com") == code and len(code) == 6
    await ann.says("000000" if code != "000000" else "111111")  # a wrong one first
    assert html.unescape(ann.texts()[-1]).startswith("That code isn't right.")
    assert not any("Cancel order #10001:" in t for t in ann.texts())
    await ann.says(f"{code[:3]} {code[3:]}")
    assert any(t.startswith("Thanks, Ana") for t in ann.texts()[-2:]), ann.lines
    question = ann.texts()[-1]
    assert question.startswith("Cancel order #10001:") and "paid by" in question
    assert [b["callback_data"] for b in keyboard(fake_tg.of("sendMessage")[-1].params)] == [
        "/affirm",
        "/deny",
    ]
    await ann.taps("Yes, cancel it")
    assert any(t.startswith("Done: order #10001 is cancelled") for t in ann.texts()[-2:])
    await ann.says("where is my order")  # the order just discussed is offered, not assumed
    assert ann.texts()[-1] == "Is this about order #10001, or another one?", "\n".join(ann.lines)
    await ann.taps("Yes, order #10001")
    assert any("#10001" in t and "cancelled" in t for t in ann.texts()[-2:])
    ann.keep("cancel_with_confirmation")


async def test_a_low_score_with_a_comment(
    gateway: Running, fake_tg: FakeTelegram, stack: Stack
) -> None:
    ann = Customer(gateway, fake_tg, chat=6103)
    await ann.says("where is my order 10002?")
    await ann.says("ben.okafor@example.com")  # the order's e-mail: a look-up needs no code
    assert any("#10002" in t and "on its way" in t for t in ann.texts()[-2:]), ann.lines
    await ann.taps("No")
    assert ann.texts()[-2] == "Before you go: two quick questions, one tap each."
    assert "Have a good day" not in " ".join(ann.texts()[-3:])  # the goodbye comes last
    await ann.taps("2")
    assert ann.texts()[-1].startswith("Sorry we fell short")  # right after the low score
    await ann.says("the bot kept talking about the wrong order")
    assert ann.texts()[-1].startswith("How much do you agree: Brightcart made it easy")
    rows = [len(r) for r in json.loads(json.dumps(fake_tg.of("sendMessage")[-1].params))
            ["reply_markup"]["inline_keyboard"]]  # fmt: skip
    assert rows == [7]  # CES 1-7 in one compact row
    await ann.taps("3")
    assert ann.texts()[-1].endswith("Have a good day!")
    await ann.taps("3")  # a late tap on an old CES keyboard: acknowledged, nothing else
    assert ann.texts()[-1] == "Already got it, thanks!"
    assert not any("didn't quite get that" in t for t in ann.texts())
    store = TelemetryStore.from_settings(stack.telemetry)
    rows_ = store.run(
        lambda s: s.scalars(select(SurveyResponse).where(SurveyResponse.comment.is_not(None))).all()
    )
    assert any(r.comment == "the bot kept talking about the wrong order" for r in rows_)
    ann.keep("low_score_with_a_comment")


async def test_a_telegram_customers_channel_ping_reaches_the_staff_thread_literally(
    desk: Running, fake_tg: FakeTelegram, fake_slack: StaffSlack
) -> None:
    ann = Customer(desk, fake_tg, chat=6104)
    await ann.says("I want to talk to a human")
    hid = buttons(cards(fake_slack)[-1])["handoff_claim"]
    ts = _card_ts(desk, hid)
    await ann.says(
        "<!channel> my parcel never came, see <https://evil.example|Reset your password>"
    )
    posted = thread(fake_slack, ts)[-1]
    assert posted == (
        "*Customer:* &lt;!channel&gt; my parcel never came, see "
        "&lt;https://evil.example|Reset your password&gt;"
    )
    lines = [*ann.lines, "", "Staff thread in Slack (as posted, mrkdwn):"]
    lines += [f"  {t}" for t in thread(fake_slack, ts)]
    ann.lines = lines
    card = json.dumps(cards(fake_slack)[-1]["blocks"], indent=1, ensure_ascii=False)
    ann.lines += ["", "The staff card's blocks:", card]
    ann.keep("channel_ping_in_the_staff_thread")
    # close the case: the fake Slack numbers cards alike in every test, so an open case would
    # own the next test's thread
    await press(desk, "handoff_resolve", hid, "UANA", ts)


async def test_order_context_is_never_assumed_and_numbers_are_used(
    gateway: Running, fake_tg: FakeTelegram
) -> None:
    ann = Customer(gateway, fake_tg, chat=6105)
    await ann.says("can I get an invoice for 10003")
    said = [html.unescape(t) for t in ann.texts()[-3:]]
    assert any("once you've confirmed its e-mail" in t for t in said), ann.lines
    await ann.taps("Yes")
    await ann.says("how long does delivery take?")
    general = " ".join(ann.texts()[-2:])
    assert "Standard delivery takes 2-4 working days" in general
    assert "Order #10003" not in general and "already delivered" not in general
    await ann.says("I haven't ordered yet, just asking")
    after = " ".join(ann.texts()[-2:])
    assert "#10003" not in after and "Standard delivery takes 2-4 working days" in after
    assert not any("What's your order number" in t for t in ann.texts())
    assert ann.texts()[-1] == "Anything else I can help with?"
    ann.keep("order_context")


async def test_a_verified_customer_gets_their_orders_as_buttons_until_logging_out(
    gateway: Running, fake_tg: FakeTelegram, stack: Stack
) -> None:
    """Issue #13: verified once (a code to the account's address), a customer is greeted by
    name, lists their orders, taps one without giving its e-mail, and "log out" ends that."""
    ben = Customer(gateway, fake_tg, chat=6106)
    await ben.says("my orders")
    assert "only list orders in a chat linked to your" in html.unescape(ben.texts()[-2])
    await ben.says("I want to delete my account")
    assert "e-mail address of your Brightcart account" in html.unescape(ben.texts()[-1])
    await ben.says("ben.okafor@example.com")
    await ben.says(stack.code_for("ben.okafor@example.com"))
    assert any(t.startswith("Thanks, Ben") for t in ben.texts()[-2:]), ben.lines
    await ben.taps("No, keep it")
    assert any("stays as it is" in t for t in ben.texts()[-2:]), ben.lines
    await ben.says("hi")
    assert ben.texts()[-1].startswith("Hi Ben, good to see you!"), ben.lines
    await ben.says("my orders")
    listed = html.unescape(ben.texts()[-2])
    assert listed.startswith("Your latest orders:") and "#10002 · shipped" in listed, ben.lines
    await ben.taps("#10002")
    assert any("#10002" in t and "on its way" in t for t in ben.texts()[-2:]), ben.lines
    await ben.says("log out")
    assert any(t.startswith("Done: this chat is no longer linked") for t in ben.texts()[-2:])
    await ben.says("where is my order 10002?")
    asked = html.unescape(ben.texts()[-1])
    assert asked == "For your privacy, what's the e-mail address on order #10002?", ben.lines
    ben.keep("verified_customer_orders_and_log_out")
