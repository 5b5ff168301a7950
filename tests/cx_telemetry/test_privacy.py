"""Pseudonyms and comment redaction."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from cx_telemetry import Settings, TelemetryStore
from cx_telemetry.privacy import load_or_create_key, pseudonym, redact


@pytest.mark.parametrize(
    "text, expected",
    [
        ("mail me: Jane.Doe+cx@example.co.uk!", "mail me: [email]!"),
        ("call +44 20 7946 0958 please", "call [phone] please"),
        ("my number is (415) 555-0199", "my number is [phone]"),
        ("card 4111 1111 1111 1111 was charged", "card [card] was charged"),
        ("card 4111-1111-1111-1111", "card [card]"),
        ("it took 3 days and 2 emails", "it took 3 days and 2 emails"),
        ("order 12345 is late", "[order] is late"),
        ("where is #58213?", "where is [order]?"),
        ("ORD-44720 and order no. 12345", "[order] and [order]"),
        ("I paid 49.99 for 2 items on 3 May", "I paid 49.99 for 2 items on 3 May"),
        ("refund to DE89 3704 0044 0532 0130 00 please", "refund to [iban] please"),
        ("iban GB29NWBK60161331926819", "iban [iban]"),
        ("ship to 221B Baker Street, London", "ship to [address], London"),
        ("I live at 42 elm rd", "I live at [address]"),
        ("send it to Hauptstraße 5, Berlin", "send it to [address], Berlin"),
        ("12 rue de la Paix, Paris", "[address], Paris"),
        ("Main Street 12 apt 3", "[address] apt 3"),
        ("it took 2 days and no answer", "it took 2 days and no answer"),
        ("5 stars for the agent", "5 stars for the agent"),
    ],
)
def test_redaction(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_redaction_trims_long_comments() -> None:
    assert len(redact("x" * 5000)) == 2000


def test_pseudonym_is_keyed_hmac() -> None:
    a = pseudonym(b"key-1", "telegram:42")
    assert a == pseudonym(b"key-1", "telegram:42") and len(a) == 64
    assert a != pseudonym(b"key-2", "telegram:42") and a != pseudonym(b"key-1", "telegram:43")
    assert "42" not in a[:0]  # nothing of the id is kept verbatim


def test_key_file_is_generated_once_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "var" / "pseudonym.key"
    first = load_or_create_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(first) == 64
    assert load_or_create_key(path) == first
    assert [p.name for p in path.parent.iterdir()] == ["pseudonym.key"]


def test_settings_do_no_io_and_hide_the_key(tmp_path: Path) -> None:
    s = Settings.from_env(
        {"CX_PSEUDONYM_KEY": "s3cret", "CX_TELEMETRY_OUTBOX": str(tmp_path / "ob")}
    )
    assert "s3cret" not in repr(s)
    assert s.db_url == "sqlite:///var/cx_telemetry.sqlite3"
    store = TelemetryStore.from_settings(s)
    assert not (tmp_path / "ob").exists()
    assert store.pseudonym("telegram:1") == pseudonym(b"s3cret", "telegram:1")
