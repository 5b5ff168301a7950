"""Settings of ``cx_telemetry``, read from the environment once, then passed around."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DB_URL = "sqlite:///var/cx_telemetry.sqlite3"
DEFAULT_KEY_FILE = "var/pseudonym.key"
DEFAULT_OUTBOX = "var/telemetry-outbox"


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

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read ``CX_TELEMETRY_DB_URL``, ``CX_PSEUDONYM_KEY``, ``CX_PSEUDONYM_KEY_FILE`` and
        ``CX_TELEMETRY_OUTBOX``; unset or empty variables take the defaults. No other I/O."""
        env = os.environ if env is None else env
        return cls(
            db_url=env.get("CX_TELEMETRY_DB_URL") or DEFAULT_DB_URL,
            pseudonym_key=env.get("CX_PSEUDONYM_KEY") or None,
            pseudonym_key_file=Path(env.get("CX_PSEUDONYM_KEY_FILE") or DEFAULT_KEY_FILE),
            outbox_dir=Path(env.get("CX_TELEMETRY_OUTBOX") or DEFAULT_OUTBOX),
        )
