"""A message about another company's order, account or product is out of scope: the names
that count (nlu_components/other_companies.py) and the component that turns the intent into
out_of_scope (nlu_components/other_company_classifier.py, run in the engine's environment)."""

from __future__ import annotations

from typing import Any

import pytest

from nlu_components.other_companies import about_another_company, other_companies
from tests.nlu.engine_probe import run_probe


@pytest.mark.parametrize(
    ("text", "company"),
    [
        ("cancel my Just Eat order, it's taking ages", "just eat"),
        ("close my Revolut account please", "revolut"),
        ("where's the parcel I ordered from Temu last week?", "temu"),
        ("my Vinted sale still hasn't been picked up", "vinted"),
        ("when will my IKEA wardrobe be delivered", "ikea"),
        ("Ryanair still hasn't paid back my cancelled flight", "ryanair"),
        ("Amazon's refund never arrived", "amazon"),
        ("I want a refund from amazon\u2019s marketplace seller", "amazon"),
        ("the Tesco's delivery came without the milk", "tesco"),
        ("my Sainsbury's order is missing", "sainsbury"),
        ("cancel my netflix subscription", "netflix"),
        ("change my email on my Twitter account", "twitter"),
        ("I had to take my Amazon parcel back to the post office", "amazon"),
        ("delete my Snapchat account", "snapchat"),
        ("my H&M order never came", "h&m"),
        ("my AT&T bill is wrong", "at&t"),
        ("Disney+ charged me twice", "disney+"),
        ("has my  uber   eats order left yet", "uber eats"),
        ("the FedEx driver left my parcel outside", "fedex"),
        ("I ordered food on Booking.com", "booking.com"),
    ],
)
def test_another_company_is_recognised(text: str, company: str) -> None:
    assert company in other_companies(text)
    assert about_another_company(text)


@pytest.mark.parametrize(
    "text",
    [
        # the carriers we deliver with, the payment methods we accept
        "DHL says my parcel was delivered but it isn't here",
        "where is my UPS parcel for order 10002",
        "the DPD driver never turned up",
        "Royal Mail returned my order to you",
        "my PayPal payment was taken twice",
        "can I pay with Visa or Mastercard?",
        "Apple Pay keeps failing at checkout",
        "does Google Pay work on your site",
        "Klarna says I owe you money but I returned it",
        "American Express declined",
        # paying us with a bank's card
        "can I pay with Revolut?",
        "do you accept Monzo cards",
        "I paid with my Revolut card and the order vanished",
        # our own pages
        "I saw a board game in your Instagram ad and want to order it",
        # ordinary support messages and names of people
        "cancel my order please",
        "close my account",
        "where is order #10002?",
        "I spoke to Ms. Smith yesterday about my refund",
        "my husband John ordered it for me",
        "Mr Hermesson said it would ship today",
        "can I get the next delivery slot",
        "I wish to return the scarf",
        "my amazonite bracelet arrived broken",
        "email me at jo@ebayer.example.com",
    ],
)
def test_ours_and_ordinary_messages_are_not(text: str) -> None:
    assert other_companies(text) == []
    assert not about_another_company(text)


def test_naming_brightcart_keeps_it_ours() -> None:
    text = "I bought it on Amazon but Brightcart's price was lower, can I cancel my order?"
    assert other_companies(text) == ["amazon"]
    assert not about_another_company(text)
    assert not about_another_company("is BRIGHTCART on eBay too?")


PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1])
from rasa.shared.nlu.training_data.message import Message
from nlu_components.other_company_classifier import OtherCompanyClassifier

c = OtherCompanyClassifier(OtherCompanyClassifier.get_default_config())

def parse(text, ranking):
    ranking = [{"name": n, "confidence": p} for n, p in ranking]
    m = Message(data={"text": text, "intent": dict(ranking[0]), "intent_ranking": ranking})
    c.process([m])
    return [m.get("intent"), m.get("intent_ranking")]

cancel = [("cancel_order", 0.8), ("out_of_scope", 0.15), ("change_order", 0.05)]
print(json.dumps({
    "just_eat": parse("cancel my Just Eat order", cancel),
    "ours": parse("cancel my order", cancel),
    "brightcart": parse("cancel my Brightcart order, not the Just Eat one", cancel),
    "dhl": parse("cancel my order, DHL is too slow", cancel),
    "payment": parse("do you accept Revolut?", [("check_payment_methods", 0.9),
                                                 ("out_of_scope", 0.1)]),
}))
"""


@pytest.fixture(scope="module")
def probe() -> dict[str, Any]:
    return run_probe(PROBE, "the classifier")


def test_another_companys_order_becomes_out_of_scope(probe: dict[str, Any]) -> None:
    intent, ranking = probe["just_eat"]
    assert intent == {"name": "out_of_scope", "confidence": 0.95}
    assert [r["name"] for r in ranking] == ["out_of_scope", "cancel_order", "change_order"]
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0)
    assert ranking[1]["confidence"] == pytest.approx(0.05 * 0.8 / 0.85)


@pytest.mark.parametrize("case", ["ours", "brightcart", "dhl"])
def test_our_orders_keep_their_intent(probe: dict[str, Any], case: str) -> None:
    intent, ranking = probe[case]
    assert intent == {"name": "cancel_order", "confidence": 0.8}
    assert [r["name"] for r in ranking] == ["cancel_order", "out_of_scope", "change_order"]


def test_asking_whether_we_accept_a_bank_keeps_the_payment_answer(
    probe: dict[str, Any],
) -> None:
    assert probe["payment"][0]["name"] == "check_payment_methods"
