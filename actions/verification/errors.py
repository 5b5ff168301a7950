"""Exceptions of ``actions.verification``::

    VerificationError
    ├── LockedOut                too many wrong e-mails or codes: no more tries until ``until``
    └── VerificationUnavailable  the verification database cannot be reached

Wrong answers are not exceptions: they are results (``EmailCheck``, ``CodeCheck``). The shop's
own failures keep their type: ``actions.backend.BackendError``, and ``actions.mail.MailUnavailable``
(a ``BackendError``) when the code mail could not be sent.
"""

from __future__ import annotations

from datetime import datetime


class VerificationError(Exception):
    """Root of every error raised by ``actions.verification``."""


class LockedOut(VerificationError):
    """At most 5 wrong e-mails or codes per chat and per order per hour; this chat or order
    had them. ``until`` is when the next try is allowed (UTC)."""

    def __init__(self, until: datetime) -> None:
        super().__init__(f"locked out until {until.isoformat()}")
        self.until = until


class VerificationUnavailable(VerificationError):
    """The verification database cannot be reached right now. Nothing is deferred: the
    customer is asked to try again (or offered a person)."""
