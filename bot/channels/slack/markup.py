"""Slack's message markup (mrkdwn) in both directions, pure.

*Out*: text we did not write (a customer's message, a name, a transcript) is escaped, so
``<!channel>``, ``<@U123>`` or ``<https://evil.example|Reset your password>`` show literally and
never ping, mention or disguise a link; length budgets are counted on the escaped text.
*In*: a Slack customer's message reaches the engine as typed (``&amp;`` -> ``&``, links as their
text), and a staff reply reaches a customer on another app as our markdown (``**bold**``,
``[label](url)``), with emoji and names instead of codes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import emoji

ELLIPSIS = "…"
_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])")
_CODE = re.compile(r"`([^`\n]+)`")
_SHORTCODE = re.compile(r":[a-z0-9_+\-']+:")


def escape(text: str) -> str:
    """Text shown as written: the three characters Slack's markup uses for its tags."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def fit(text: str, limit: int) -> str:
    """``text`` escaped, at most ``limit`` characters once escaped: shortened with an ellipsis
    when longer, never in the middle of an escape."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    room = limit - len(ELLIPSIS)
    low, high = 0, min(len(text), room)
    while low < high:  # the longest start of the text whose escaped form fits
        mid = (low + high + 1) // 2
        if len(escape(text[:mid])) <= room:
            low = mid
        else:
            high = mid - 1
    return escape(text[:low].rstrip()) + ELLIPSIS


def slack_to_plain(text: str) -> str:
    """A Slack customer's message as they typed it: links as their label (or address),
    ``mailto:`` links as the address, mentions as ``@name``, entities unescaped."""

    def link(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("mailto:"):
            return label or target[len("mailto:") :]
        if target.startswith("@"):
            return "@" + (label or target[1:])
        if target.startswith(("#", "!")):
            return label or ("@" + target[1:].split("^")[0] if target.startswith("!") else "")
        return label or target

    return unescape(_LINK.sub(link, text))


def staff_to_markdown(text: str, names: Mapping[str, str] | None = None) -> str:
    """A staff reply, written in Slack, as our markdown for the customer's app: ``*bold*`` ->
    ``**bold**``, ``<url|label>`` -> ``[label](url)``, ``<@U123>`` -> ``@Ana``, ``:wave:`` -> 👋;
    italics, strikes and code become plain text."""
    names = names or {}

    def link(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("mailto:"):
            return label or target[len("mailto:") :]
        if target.startswith("@"):
            user = target[1:]
            return "@" + (names.get(user) or label or user)
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            return "@" + (label or target[1:].split("^")[0])
        if target.startswith(("http://", "https://")):
            return f"[{unescape(label)}]({target})" if label and label != target else target
        return label or target

    out = _LINK.sub(link, text)
    out = _BOLD.sub(r"**\1**", out)
    out = _ITALIC.sub(r"\1", out)
    out = _STRIKE.sub(r"\1", out)
    out = _CODE.sub(r"\1", out)
    out = _SHORTCODE.sub(_emoji, out)
    return unescape(out)


def _emoji(match: re.Match[str]) -> str:
    code = match.group(0)
    shown = emoji.emojize(code, language="alias")
    return shown if shown != code else code.strip(":").replace("_", " ")


def mentioned_users(text: str) -> list[str]:
    """Slack user ids mentioned in a message (``<@U123>``), for name lookups."""
    return re.findall(r"<@([A-Z0-9]+)(?:\|[^<>]*)?>", text)
