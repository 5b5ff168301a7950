"""Verified customers: proving in the chat who you are (order e-mail, one-time code), the
limits on guessing, and the chat <-> shop customer links. See ``service.Verification``."""

from actions.verification.errors import LockedOut, VerificationError, VerificationUnavailable
from actions.verification.service import Verification
from actions.verification.values import (
    Chat,
    CodeCheck,
    CodeOutcome,
    CodeRequest,
    EmailCheck,
    VerificationTelemetry,
)

__all__ = [
    "Chat",
    "CodeCheck",
    "CodeOutcome",
    "CodeRequest",
    "EmailCheck",
    "LockedOut",
    "Verification",
    "VerificationError",
    "VerificationTelemetry",
    "VerificationUnavailable",
]
