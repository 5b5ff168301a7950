"""Plain-text helpers shared by the channel renderers."""

from __future__ import annotations

import re

_BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s\"<>]+)\)")


def split_text(text: str, limit: int) -> list[str]:
    """Split ``text`` into chunks of at most ``limit`` characters, preferring paragraph, line
    and word boundaries, so a long answer arrives as several readable messages."""
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = -1
        for sep in ("\n\n", "\n", " "):
            cut = window.rfind(sep)
            if cut > limit // 2:
                break
        if cut <= limit // 2:
            cut = limit
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not chunks:
        chunks.append(rest)
    return chunks


def markdown_to_telegram_html(text: str) -> str:
    """Escape ``text`` for Telegram's HTML parse mode, keeping ``**bold**`` and ``[t](url)``.

    Everything else (``<``, ``&``, ``_``, ``*``) is shown literally, as the bot author wrote it.
    """
    from html import escape

    out = escape(text, quote=False)
    out = _BOLD.sub(r"<b>\1</b>", out)
    return _LINK.sub(lambda m: f'<a href="{m.group(2)}">{m.group(1)}</a>', out)


def markdown_to_slack_mrkdwn(text: str) -> str:
    """Escape ``&``, ``<``, ``>`` as Slack requires; ``**bold**`` -> ``*bold*``, links -> ``<url|t>``."""
    out = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    out = _BOLD.sub(r"*\1*", out)
    return _LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1)}>", out)
