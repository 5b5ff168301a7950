"""Logging set-up: secrets never appear in a log line."""

from __future__ import annotations

import logging
from pathlib import Path

from bot.settings import Settings


class RedactSecrets(logging.Filter):
    """Replaces every configured secret (tokens, signing secrets) in a record with ``***``."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if len(s) >= 4)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        redacted = message
        for secret in self.secrets:
            redacted = redacted.replace(secret, "***")
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and record.exc_text is None:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            for secret in self.secrets:
                record.exc_text = record.exc_text.replace(secret, "***")
        return True


def configure_logging(
    settings: Settings, level: int = logging.INFO, path: Path | None = None
) -> None:
    """Log lines to stderr, or to ``path`` (the terminal chat and desk: their screen is the
    conversation, never a place for the gateway's warnings)."""
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        filename=str(path) if path is not None else None,
    )
    redact = RedactSecrets(settings.secrets())
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
    # httpx logs full request URLs at INFO; Bot API URLs contain the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("telegram").setLevel(logging.WARNING)
