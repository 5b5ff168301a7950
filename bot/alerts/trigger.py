"""The trigger: every few seconds the gateway reads the new low CSAT answers from telemetry and
posts a card for each, once (``AlertStore.claim``), at most one per customer in the window.

Why a poll and not a call from the action that records the answer: the answer reaches the
database from the action server, possibly later through its outbox, and any of several
gateways may be running; polling the database sees every answer whichever process wrote it,
and survives a restart. A card waits up to ``comment_grace`` for the comment the survey asks
for right after a low score, so with a 10 s poll and 30 s grace it is out within 40 s.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from bot.alerts.desk import AlertDesk
from bot.alerts.settings import AlertSettings
from bot.alerts.store import AlertStore
from bot.alerts.transcript import TranscriptSource
from bot.alerts.values import Alert
from bot.counters import GatewayCounters
from bot.errors import StateUnavailable
from bot.threads import DbThreads
from cx_telemetry import StoreUnavailable
from cx_telemetry.detractors import LowScore

log = logging.getLogger(__name__)

LowScores = Callable[[datetime, int], list[LowScore]]  # (answered since, threshold) -> answers


@dataclass(eq=False)
class DetractorAlerts:
    low_scores: LowScores
    store: AlertStore
    desk: AlertDesk
    transcripts: TranscriptSource
    threads: DbThreads
    settings: AlertSettings
    stats: GatewayCounters
    clock: Callable[[], datetime]

    async def run(self) -> None:
        """Poll until cancelled; a failed poll is logged and the next one tries again."""
        while True:
            await asyncio.sleep(self.settings.poll_seconds)
            try:
                await self.poll_once()
            except (StoreUnavailable, StateUnavailable) as exc:  # an outage: one line a poll
                log.warning("detractor alerts: %s", exc)
                self.stats.alert_poll_failed.inc()
            except Exception:
                log.exception("detractor alerts: poll failed")
                self.stats.alert_poll_failed.inc()

    async def poll_once(self) -> int:
        """Post the cards that are due; returns how many were posted."""
        now = self.clock()
        since = now - self.settings.lookback
        found = await self.threads.read(self.low_scores, since, self.settings.csat_threshold)
        found = [low for low in found if not low.synthetic]  # seeded demo data alerts no one
        known = await self.threads.read(self.store.known, [low.key for low in found])
        await self._late_comments([low for low in found if low.key in known and low.comment])
        posted = 0
        for low in found:
            if low.key in known:
                continue
            if low.comment is None and now - low.answered_at < self.settings.comment_grace:
                continue  # the comment is asked right after the score: wait a little for it
            posted += await self._alert(low, now)
        return posted

    async def _late_comments(self, lows: list[LowScore]) -> None:
        """A comment typed after the card went out is added to the card."""
        if not lows:
            return
        comments = {low.key: low.comment for low in lows}
        records = await self.threads.read(self.store.posted_records, list(comments))
        for record in records:
            if record.alert is None or record.alert.comment or not record.alert_channel:
                continue
            alert = replace(
                record.alert, comment=comments[record.key], followed_up_by=record.followed_up_by
            )
            try:
                await self.desk.update_alert(record.alert_channel, str(record.card_ts), alert)
            except Exception:
                log.exception("could not add the comment to alert %s", record.key)
                continue
            await self.threads.write(self.store.set_details, record.key, alert)

    async def _alert(self, low: LowScore, now: datetime) -> int:
        cooldown = self.settings.customer_cooldown
        status = await self.threads.write(self.store.claim, low, now, cooldown)
        if status == "suppressed":
            self.stats.alerts_rate_limited.inc()
            return 0
        if status != "claimed":
            return 0  # another gateway has it
        chat = await self.threads.read(self.store.chat_of, low.conversation_id)
        lines = await self.transcripts.recent(low.conversation_id, chat[0] if chat else None)
        alert = Alert.of(low, lines, reachable=chat is not None)
        try:
            ts = await self.desk.post_alert(alert)
        except Exception:
            log.exception("could not post the detractor alert %s; trying again", low.key)
            self.stats.alerts_failed.inc()
            await self.threads.write(self.store.release, low.key)
            return 0
        await self.threads.write(
            self.store.posted, low.key, alert, self.desk.channel, ts, chat, now
        )
        self.stats.alerts_posted.inc()
        return 1
