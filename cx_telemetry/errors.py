"""Exceptions of ``cx_telemetry``.

Every exception raised on purpose by this package derives from :class:`TelemetryError`::

    TelemetryError
    ├── StoreUnavailable      the database cannot be reached (gateway-state calls, readers, CLI)
    ├── InvalidTelemetry      a caller passed a value the store refuses (unknown metric, bad score)
    └── UsageError            the CLI got input it cannot use (a date it cannot read, ...)

Telemetry *writes* never raise ``StoreUnavailable``: they go to the outbox instead.
"""

from __future__ import annotations


class TelemetryError(Exception):
    """Root of every error raised by ``cx_telemetry``."""


class StoreUnavailable(TelemetryError):
    """The telemetry database cannot be reached right now."""


class InvalidTelemetry(TelemetryError, ValueError):
    """An argument is outside what the store accepts (programming error of the caller)."""


class UsageError(TelemetryError):
    """Bad command-line input: a date, a duration or an option value the CLI cannot use."""
