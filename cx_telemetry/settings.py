"""Settings of ``cx_telemetry``, read from the environment once, then passed around."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cx_telemetry.errors import InvalidTelemetry

DEFAULT_DB_URL = "sqlite:///var/cx_telemetry.sqlite3"
DEFAULT_KEY_FILE = "var/pseudonym.key"
DEFAULT_OUTBOX = "var/telemetry-outbox"
DEFAULT_TRANSCRIPT_RETENTION_DAYS = 90


@dataclass(frozen=True)
class Settings:
    """Where telemetry lives and how customers are pseudonymised.

    ``pseudonym_key`` is the HMAC key (``CX_PSEUDONYM_KEY``); when it is empty the key is read
    from ``pseudonym_key_file``, which is generated (mode 0600) on first use.
    """

    db_url: str = DEFAULT_DB_URL
    pseudonym_key: str | None = field(default=None, repr=False)
    pseudonym_key_file: Path = Path(DEFAULT_KEY_FILE)
    outbox_dir: Path = Path(DEFAULT_OUTBOX)
    # transcripts are purged sooner than the figures (``cx-telemetry purge``)
    transcript_retention_days: int = DEFAULT_TRANSCRIPT_RETENTION_DAYS

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read ``CX_TELEMETRY_DB_URL``, ``CX_PSEUDONYM_KEY``, ``CX_PSEUDONYM_KEY_FILE``,
        ``CX_TELEMETRY_OUTBOX`` and ``CX_TRANSCRIPT_RETENTION_DAYS``; unset or empty variables
        take the defaults. No other I/O."""
        env = os.environ if env is None else env
        days = env.get("CX_TRANSCRIPT_RETENTION_DAYS") or str(DEFAULT_TRANSCRIPT_RETENTION_DAYS)
        if not days.strip().isdigit() or int(days) < 1:
            raise InvalidTelemetry(
                f"CX_TRANSCRIPT_RETENTION_DAYS must be a whole number of days >= 1, not {days!r}"
            )
        return cls(
            db_url=env.get("CX_TELEMETRY_DB_URL") or DEFAULT_DB_URL,
            pseudonym_key=env.get("CX_PSEUDONYM_KEY") or None,
            pseudonym_key_file=Path(env.get("CX_PSEUDONYM_KEY_FILE") or DEFAULT_KEY_FILE),
            outbox_dir=Path(env.get("CX_TELEMETRY_OUTBOX") or DEFAULT_OUTBOX),
            transcript_retention_days=int(days),
        )
