"""Settings of the action server, read from the environment once (``Settings.from_env()``),
then passed to the factories that build the shop backend, the mail transport and verification."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from cx_telemetry import Settings as TelemetrySettings

DEFAULT_SHOP_DB = "var/demo_shop.sqlite3"
DEFAULT_MAILDIR = "var/mail"
DEFAULT_MAIL_FROM = "Brightcart support <support@brightcart.example>"
DEFAULT_LINK_DAYS = 30
DEFAULT_SMTP_TIMEOUT_S = 10.0
N = TypeVar("N", int, float)


class ConfigError(ValueError):
    """A setting has a value the action server cannot use (raised at start, never later)."""


@dataclass(frozen=True)
class Settings:
    """Everything the actions read from the environment. Secrets are left out of ``repr``.

    Mail goes through ``smtp_url`` when it is set, else into the local maildir ``maildir``.
    """

    shop_demo_db: Path = Path(DEFAULT_SHOP_DB)
    verification_db_url: str = TelemetrySettings().db_url
    verified_link_days: int = DEFAULT_LINK_DAYS
    smtp_url: str | None = field(default=None, repr=False)  # may carry a password
    smtp_username: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_ca_file: Path | None = None
    smtp_timeout_seconds: float = DEFAULT_SMTP_TIMEOUT_S
    mail_from: str = DEFAULT_MAIL_FROM
    maildir: Path = Path(DEFAULT_MAILDIR)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """``SHOP_DEMO_DB``, ``VERIFICATION_DB_URL`` (default: the telemetry database),
        ``VERIFIED_LINK_DAYS``, ``SMTP_URL``, ``SMTP_USERNAME``, ``SMTP_PASSWORD``,
        ``SMTP_CA_FILE``, ``SMTP_TIMEOUT_SECONDS``, ``MAIL_FROM`` and ``SHOP_MAILDIR``; unset or
        empty variables take the defaults. Raises ``ConfigError`` for unusable values."""
        env = os.environ if env is None else env
        ca_file = env.get("SMTP_CA_FILE")
        return cls(
            shop_demo_db=Path(env.get("SHOP_DEMO_DB") or DEFAULT_SHOP_DB),
            verification_db_url=env.get("VERIFICATION_DB_URL")
            or TelemetrySettings.from_env(env).db_url,
            verified_link_days=_positive(env, "VERIFIED_LINK_DAYS", DEFAULT_LINK_DAYS, int),
            smtp_url=env.get("SMTP_URL") or None,
            smtp_username=env.get("SMTP_USERNAME") or None,
            smtp_password=env.get("SMTP_PASSWORD") or None,
            smtp_ca_file=Path(ca_file) if ca_file else None,
            smtp_timeout_seconds=_positive(
                env, "SMTP_TIMEOUT_SECONDS", DEFAULT_SMTP_TIMEOUT_S, float
            ),
            mail_from=env.get("MAIL_FROM") or DEFAULT_MAIL_FROM,
            maildir=Path(env.get("SHOP_MAILDIR") or DEFAULT_MAILDIR),
        )


def _positive(env: Mapping[str, str], name: str, default: N, kind: Callable[[str], N]) -> N:
    text = env.get(name)
    if not text:
        return default
    try:
        value = kind(text)
    except ValueError:
        raise ConfigError(f"{name} must be a positive number, not {text!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be a positive number, not {text!r}")
    return value
