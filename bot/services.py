"""The composition root: :class:`Services` builds the gateway's object graph in one place, in
dependency order (stores, platform clients, delivery, handoff desk, pipeline, channels, timers),
and starts and stops what runs in the background. ``bot.app.build_app`` puts it behind the ASGI
routes."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from bot.alerts.follow_up import FollowUps
from bot.alerts.store import AlertStore
from bot.alerts.transcript import EngineTranscripts, StoredTranscripts
from bot.alerts.trigger import DetractorAlerts
from bot.channels.console.adapter import ConsoleChannel
from bot.channels.console.mailbox import MAILBOX_TIMER_PREFIX
from bot.channels.platforms import Platforms
from bot.channels.plumbing import Dedupe
from bot.channels.slack.adapter import SlackChannel, make_bolt_app
from bot.channels.slack.alert_desk import SlackAlertDesk, SlackAlertListener
from bot.channels.slack.staff_desk import SlackStaffListener
from bot.channels.telegram.adapter import TelegramChannel
from bot.counters import GatewayCounters
from bot.delivery import Delivery
from bot.engine_client import EngineClient
from bot.handoff.cases import CaseRepository
from bot.handoff.lifecycle import CaseLifecycle
from bot.handoff.router import HandoffRouter
from bot.handoff.staff import StaffSide
from bot.handoff.staff_desk import StaffNotices
from bot.health import Health
from bot.idle import IdleTimers
from bot.inbox import Inbox, InboxHandler, InboxWorker
from bot.kept import DrainWhenReady, KeptMessages
from bot.metrics import GatewayMetrics
from bot.pipeline import Pipeline
from bot.settings import Settings
from bot.state.database import GatewayDatabase
from bot.state.deliveries import DeliveryKeys
from bot.state.inbox_store import InboxStore
from bot.state.timer_store import TimerStore
from bot.survey_taps import SurveyTaps
from bot.telemetry import Telemetry
from bot.threads import DbThreads
from bot.timer_outbox import DurableTimers
from bot.timers import TimerWorker
from contract import HANDOFF_TIMEOUT_TIMER, IDLE_TIMER, REPLAY_TIMER_PREFIX, utcnow
from cx_telemetry import TelemetryStore
from cx_telemetry.detractors import low_scores_since
from cx_telemetry.outbox import Outbox

log = logging.getLogger(__name__)


class Services:
    """Everything one gateway process runs. Construction does no I/O; ``start``/``stop`` do.
    ``telemetry_store``, ``state_db`` and ``engine`` may be given (tests, the CLI). The terminal
    processes: ``console`` is `python -m bot chat`'s channel (it also prints what the terminal
    desk sends it); ``terminal_desk`` is `python -m bot staff`, whose console replies go through
    the database to the chat's process. Both use the terminal staff desk."""

    def __init__(
        self,
        settings: Settings,
        *,
        telemetry_store: TelemetryStore | None = None,
        state_db: GatewayDatabase | None = None,
        engine: EngineClient | None = None,
        console: ConsoleChannel | None = None,
        terminal_desk: bool = False,
    ) -> None:
        s = self.settings = settings
        self.stats = GatewayCounters()
        self.clock = clock = utcnow
        # -- stores ------------------------------------------------------------------------
        self.telemetry_store = telemetry_store or TelemetryStore.from_settings(s.telemetry)
        self.state_db = state_db or GatewayDatabase(s.state_db_url)
        self.threads = DbThreads(sqlite=self.state_db.is_sqlite)
        self.timer_store = TimerStore(self.state_db)
        self.cases = CaseRepository(self.state_db)
        self.telemetry = Telemetry(self.telemetry_store, self.threads)
        self.engine = engine or EngineClient(s.engines, s.rasa_token, s.rasa_timeout_seconds)
        # -- platforms and delivery --------------------------------------------------------
        platforms = Platforms.from_settings(
            s, self.timer_store, self.cases, clock, console, terminal_desk
        )
        slack_client, slack_desk = platforms.slack_client, platforms.slack_desk
        self.delivery = Delivery(platforms.outbounds, self.stats)
        staff = StaffNotices(platforms.desk)
        # -- conversations, the handoff desk and the pipeline ------------------------------
        self.durable_timers = DurableTimers(
            self.timer_store, self.threads, Outbox(s.timer_outbox_dir), self.stats
        )
        self.idle = IdleTimers(
            self.durable_timers,
            self.engine,
            self.delivery,
            self.telemetry,
            self.stats,
            clock,
            s.idle_timeout,
            retry_after=timedelta(seconds=s.replay_delay_seconds),
        )
        kept = KeptMessages(
            self.durable_timers,
            self.stats,
            clock,
            s.replay_delay_seconds,
            s.replay_max_delay_seconds,
        )
        self.drain_kept = DrainWhenReady(
            self.timer_store, self.threads, self.engine, clock, self.stats
        )
        lifecycle = CaseLifecycle(
            self.engine, self.telemetry, staff, self.timer_store, self.threads
        )
        self.router = HandoffRouter(
            self.cases,
            lifecycle,
            staff,
            self.engine,
            self.delivery,
            self.telemetry,
            self.timer_store,
            self.threads,
            self.stats,
            clock,
            s.handoff_timeout,
        )
        self.staff_side = StaffSide(
            self.cases,
            lifecycle,
            staff,
            self.engine,
            self.delivery,
            self.telemetry,
            self.idle,
            self.threads,
            self.stats,
            clock,
        )
        # -- detractor alerts (Slack only: the card and its button live there) -------------
        self.alerts: DetractorAlerts | None = None
        follow_ups: FollowUps | None = None
        alert_channel = s.alerts.channel or s.slack_staff_channel
        if slack_client is not None and alert_channel and not platforms.in_terminal:
            alert_desk = SlackAlertDesk(slack_client, alert_channel)
            alert_store = AlertStore(self.state_db)
            self.alerts = DetractorAlerts(
                lambda since, top: low_scores_since(self.telemetry_store.engine, since, top),
                alert_store, alert_desk,
                StoredTranscripts(self.telemetry_store, self.threads, EngineTranscripts(self.engine)),
                self.threads,
                s.alerts, self.stats, clock,
            )  # fmt: skip
            follow_ups = FollowUps(alert_store, alert_desk, self.cases, staff, self.delivery,
                                   self.telemetry, self.threads, clock)  # fmt: skip
        self.pipeline = Pipeline(
            self.engine,
            self.delivery,
            self.telemetry,
            self.router,
            self.idle,
            kept,
            self.stats,
            SurveyTaps(self.engine, self.delivery, self.telemetry),
        )
        handlers = {
            IDLE_TIMER: self.idle.fire,
            HANDOFF_TIMEOUT_TIMER: self.router.on_timeout,
            REPLAY_TIMER_PREFIX: self.pipeline.replay,
        }
        if console is not None:
            handlers[MAILBOX_TIMER_PREFIX] = console.from_mailbox
        self.timers = TimerWorker(
            self.timer_store,
            self.durable_timers,
            self.threads,
            handlers,
            owner=s.instance_id,
            clock=clock,
            stats=self.stats,
        )
        # -- channels (inbound) ------------------------------------------------------------
        self.deliveries = DeliveryKeys(self.state_db)
        dedupe = Dedupe(self.deliveries, self.threads)
        lease = timedelta(seconds=s.inbox_lease_seconds)
        self.inbox = Inbox(
            InboxStore(self.state_db, s.instance_id, lease), self.threads, clock, self.stats
        )
        self.telegram: TelegramChannel | None = None
        if platforms.telegram_out is not None:
            self.telegram = TelegramChannel(
                platforms.telegram_out,
                self.pipeline.receive,
                self.delivery,
                dedupe,
                self.inbox,
                s.telegram_webhook_secret,
                s.telegram_mode,
                s.start_text,
                s.max_body_bytes,
            )
        self.slack: SlackChannel | None = None
        self.staff: SlackStaffListener | None = None
        self.alert_listener: SlackAlertListener | None = None
        if slack_client is not None:
            bolt = make_bolt_app(slack_client, s.slack_signing_secret)
            if slack_desk is not None:
                self.staff = SlackStaffListener(bolt, slack_desk.channel, self.staff_side, dedupe)
            if follow_ups is not None:
                self.alert_listener = SlackAlertListener(bolt, follow_ups, dedupe)
            self.slack = SlackChannel(
                bolt,
                self.pipeline.receive,
                dedupe,
                self.inbox,
                s.slack_signing_secret,
                s.slack_app_token,
                s.start_text,
                s.max_body_bytes,
                slack_desk.channel if slack_desk is not None else None,
            )
        inbox_handlers: dict[str, InboxHandler] = {}
        if self.telegram is not None:
            inbox_handlers["telegram"] = self.telegram.handle
        if self.slack is not None:
            inbox_handlers["slack"] = self.slack.handle
        self.inbox_worker = InboxWorker(self.inbox, inbox_handlers)
        self.health = Health(
            self.engine,
            self.inbox,
            self.timer_store,
            self.threads,
            self.telemetry_store.outbox,
            self.durable_timers,
            clock,
        )
        self.metrics = GatewayMetrics(self.stats, self.health)
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        if self.telegram is not None:
            await self.telegram.start()
        if self.slack is not None:
            await self.slack.start()
        if self.settings.timer_poll_seconds > 0:
            self._tasks.append(
                asyncio.create_task(self.timers.run(self.settings.timer_poll_seconds))
            )
        if self.settings.timer_poll_seconds > 0 and self.settings.engine_probe_seconds > 0:
            self._tasks.append(
                asyncio.create_task(self.drain_kept.run(self.settings.engine_probe_seconds))
            )
        if self.settings.inbox_poll_seconds > 0:
            self._tasks.append(
                asyncio.create_task(self.inbox_worker.run(self.settings.inbox_poll_seconds))
            )
        if self.alerts is not None and self.settings.alerts.poll_seconds > 0:
            self._tasks.append(asyncio.create_task(self.alerts.run()))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for channel in (self.telegram, self.staff, self.alert_listener, self.slack):
            if channel is not None:
                try:
                    await channel.stop()
                except Exception:
                    log.exception("could not stop a channel cleanly")
        await self.inbox.drain(timeout=10)
        await self.engine.aclose()
        self.threads.close()

    def migrate(self) -> None:
        """Bring the gateway's and the telemetry's tables up to date (idempotent)."""
        self.state_db.migrate()
        self.telemetry_store.migrate()

    async def ready(self) -> tuple[bool, dict[str, object]]:
        """``/readyz``: ready when the database and at least one engine answer (a conversation
        whose engine is down goes to the next one); each engine is reported by URL."""
        engines = await self.engine.readiness()
        try:
            await self.threads.read(self.cases.case, "readyz-probe")
            state = True
        except Exception:
            state = False
        database = state and await self.telemetry.reachable()
        engine = any(engines.values())
        return engine and database, {"engine": engine, "database": database, "engines": engines}
