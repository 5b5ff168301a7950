"""One-time codes and e-mail comparison: pure functions, no I/O.

A code is 6 random digits (``secrets``). It is stored only as a salted scrypt hash: a copy of
the database does not give the code back faster than guessing a million codes at ~50 ms each,
and the code expires after 10 minutes anyway.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from actions.backend import Customer, normalise_email

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=10)
# scrypt cost: 16 MiB and ~50 ms per hash, so checking a typed code stays cheap and a stolen
# hash stays expensive.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
_TYPED_CODE = re.compile(r"(?<!\d)(\d{3})[\s-]?(\d{3})(?!\d)")
# Compared against when an order has no owner, so "no such order" costs what a wrong e-mail does.
_NOBODY = hashlib.sha256(b"nobody@invalid").digest()


def new_code() -> str:
    """Six uniformly random digits, leading zeros kept (``"004217"``)."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def new_salt() -> str:
    return secrets.token_hex(16)


def hash_code(code: str, salt: str) -> str:
    return hashlib.scrypt(code.encode("utf-8"), salt=bytes.fromhex(salt), **_SCRYPT).hex()


def code_matches(code: str, salt: str, expected_hash: str) -> bool:
    """Constant-time comparison of a typed code with a stored hash."""
    return hmac.compare_digest(hash_code(code, salt), expected_hash)


def read_code(text: str) -> str | None:
    """The 6-digit code in what a customer typed: ``123456``, ``123 456``, ``123-456``, ``my
    code is 123456``; None when there is none (or more than one)."""
    found = _TYPED_CODE.findall(text)
    return "".join(found[0]) if len(found) == 1 else None


def email_matches(typed: str, on_file: str | None) -> bool:
    """Whether the typed address is the one on file, in time that depends on neither: both
    are hashed to 32 bytes and compared in constant time; no address on file compares against
    a placeholder that matches nothing."""
    typed_digest = hashlib.sha256(normalise_email(typed).encode("utf-8")).digest()
    if on_file is None:
        hmac.compare_digest(typed_digest, _NOBODY)
        return False
    file_digest = hashlib.sha256(normalise_email(on_file).encode("utf-8")).digest()
    return hmac.compare_digest(typed_digest, file_digest)


def code_message(customer: Customer, code: str, expires_at: datetime, sender: str) -> EmailMessage:
    """The e-mail that carries a code to the address on file."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = customer.email
    message["Subject"] = f"Your Brightcart verification code: {code}"
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="brightcart.example")
    message.set_content(
        f"Hi {customer.first_name},\n\n"
        f"your verification code is {code}\n\n"
        f"Type it in the chat to confirm it's you. It expires in "
        f"{int(CODE_TTL.total_seconds() // 60)} minutes (at {expires_at:%H:%M} UTC) and works "
        "once.\n\n"
        "If you didn't ask for it, ignore this e-mail: nobody can see or change your orders "
        "without the code. We will never ask you for it by phone.\n\n"
        "Brightcart support\n"
    )
    return message
