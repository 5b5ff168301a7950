"""Customer pseudonyms and comment redaction: no raw ids, e-mails, phones or cards are stored."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# 13-19 digits, optionally grouped by spaces or dashes: payment card numbers.
_CARD = re.compile(r"(?<![\w])(?:\d[ -]?){12,18}\d(?![\w])")
# 7+ digits with the usual separators, optionally a leading +: phone numbers.
_PHONE = re.compile(r"(?<![\w+])\+?(?:[(]?\d[)]?[ .-]?){6,14}\d(?![\w])")

MAX_COMMENT_CHARS = 2000
# Pseudonyms of things other than platform ids are keyed apart from them: no channel is named so.
SHOP_CUSTOMER_PREFIX = "shop-customer:"
ORDER_PREFIX = "order:"


def redact(text: str) -> str:
    """Return ``text`` with e-mail addresses, card numbers and phone numbers replaced by
    ``[email]``, ``[card]`` and ``[phone]``; trimmed to 2000 characters.

    Any run of 7 or more digits counts as a phone number, so long order numbers are redacted
    too: over-redacting a comment is cheaper than storing a phone number."""
    text = _EMAIL.sub("[email]", text)
    text = _CARD.sub("[card]", text)
    text = _PHONE.sub("[phone]", text)
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
