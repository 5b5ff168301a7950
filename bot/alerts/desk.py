"""What an alerts desk offers (Slack: ``bot/channels/slack/alert_desk.py``). Every text handed
to it is plain text; the adapter renders and escapes it."""

from __future__ import annotations

from typing import Protocol

from bot.alerts.values import Alert


class AlertDesk(Protocol):
    @property
    def channel(self) -> str: ...

    async def post_alert(self, alert: Alert) -> str:
        """Post the alert's card; returns its ts."""

    async def update_alert(self, channel: str, card_ts: str, alert: Alert) -> None:
        """Show the card again as ``alert`` is now (followed up, by whom)."""

    async def tell(self, channel: str, user_id: str, text: str) -> None:
        """A message only ``user_id`` sees."""
