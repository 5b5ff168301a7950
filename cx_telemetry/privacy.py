"""Customer pseudonyms and the redaction of what customers write (comments, transcripts): no raw
ids, e-mails, phones, cards, IBANs, street addresses or order numbers are stored."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Two letters, two check digits, then 11-30 letters or digits in fours, spaced or not:
# an IBAN (DE89 3704 0044 0532 0130 00). Checked for enough digits in ``_iban`` so that words
# never pass for one.
_IBAN = re.compile(
    r"(?<![\w])[A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]{4}){2,7}(?:[ ]?[A-Za-z0-9]{1,3})?(?![\w])"
)
# The shop's order numbers: "#12345", "ORD-12345", "order 12345", "order no. 12345", and any
# bare five-digit number (a postcode redacted with it costs nothing).
_ORDER = re.compile(
    r"(?:#|\bord(?:er)?\b[ \t]*(?:-|no\.?|nr\.?|number|#)?[ \t]*|\bord-)\d{4,}\b"
    r"|(?<![\w.,])\d{5}(?![\w.,]|,\d)",
    re.IGNORECASE,
)
# Street addresses: "221B Baker Street", "12 rue de la Paix", "Hauptstraße 5", "Via Roma 10".
_STREET_WORDS = (
    r"street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|terrace|crescent|square|"
    r"highway|hwy|parkway|pkwy|way|close|court|ct|place|pl|row|walk|gardens|grove|hill|mews"
)
_ADDRESS = re.compile(
    rf"\b\d{{1,5}}[A-Za-z]?,?[ \t]+(?:[A-Za-z][\w'.-]*[ \t]+){{0,3}}(?:{_STREET_WORDS})\b\.?"
    rf"|\b(?:[A-Za-z][\w'.-]*[ \t]+){{1,3}}(?:{_STREET_WORDS})\.?,?[ \t]+\d{{1,5}}[A-Za-z]?\b"
    r"|\b[\w'-]*(?:straße|strasse|str\.|weg|gasse|allee|platz|straat|gracht|laan|vej|gatan)"
    r"[ \t]+\d{1,5}[A-Za-z]?\b"
    r"|\b(?:\d{1,5}[A-Za-z]?,?[ \t]+)?(?:rue|via|calle|avenida|viale|piazza|rua|avenue)[ \t]+"
    r"(?:[\w'-]+[ \t]+){0,4}?\d{1,5}[A-Za-z]?\b"
    r"|\b\d{1,5}[A-Za-z]?,?[ \t]+(?:rue|via|calle|avenida|viale|piazza|rua)[ \t]+"
    r"(?:[\w'-]+)(?:[ \t]+(?:de|du|des|la|le|del|della|di)[ \t]+[\w'-]+)?",
    re.IGNORECASE,
)
# 13-19 digits, optionally grouped by spaces or dashes: payment card numbers.
_CARD = re.compile(r"(?<![\w])(?:\d[ -]?){12,18}\d(?![\w])")
# 7+ digits with the usual separators, optionally a leading +: phone numbers.
_PHONE = re.compile(r"(?<![\w+])\+?(?:[(]?\d[)]?[ .-]?){6,14}\d(?![\w])")

MAX_COMMENT_CHARS = 2000
# Pseudonyms of things other than platform ids are keyed apart from them: no channel is named so.
SHOP_CUSTOMER_PREFIX = "shop-customer:"
ORDER_PREFIX = "order:"


def _iban(match: re.Match[str]) -> str:
    digits = sum(ch.isdigit() for ch in match.group(0))
    return "[iban]" if digits >= 8 else match.group(0)


def redact(text: str) -> str:
    """Return ``text`` with e-mail addresses, IBANs, card numbers, phone numbers, order numbers
    and street addresses replaced by ``[email]``, ``[iban]``, ``[card]``, ``[phone]``,
    ``[order]`` and ``[address]``; trimmed to 2000 characters.

    Any run of 7 or more digits counts as a phone number and any five-digit number as an order
    number: over-redacting a comment is cheaper than storing a phone number."""
    text = _EMAIL.sub("[email]", text)
    text = _IBAN.sub(_iban, text)
    text = _CARD.sub("[card]", text)
    text = _PHONE.sub("[phone]", text)
    text = _ORDER.sub("[order]", text)
    text = _ADDRESS.sub("[address]", text)
    return text.strip()[:MAX_COMMENT_CHARS]


def pseudonym(key: bytes, customer_id: str) -> str:
    """HMAC-SHA256 of the raw customer id (e.g. ``telegram:42``) under ``key``, as 64 hex chars.

    The same customer always maps to the same pseudonym under one key, and the raw id cannot be
    recovered from it without the key."""
    return hmac.new(key, customer_id.encode("utf-8"), hashlib.sha256).hexdigest()


def load_or_create_key(path: Path) -> bytes:
    """Read the pseudonym key from ``path``; create it (32 random bytes, hex, mode 0600) if it
    does not exist. Safe when several processes race to create it: exactly one file wins."""
    try:
        return path.read_text(encoding="ascii").strip().encode("ascii")
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(32) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)  # atomic: fails if another process created the key first
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_text(encoding="ascii").strip().encode("ascii")
