"""A tap on a survey question after the survey is over (an old keyboard, a double tap that
lost the race): acknowledged here, so it opens no new conversation and never reaches the engine
as a message it cannot read. The engine is asked whether the survey still runs (its
``survey_active`` slot); that costs one request, and only for survey taps. When the engine no
longer knows the survey but telemetry still waits for that answer (the engine lost its state),
the tap is recorded here, so no rating is lost."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from bot.delivery import Delivery
from bot.engine_client import EngineClient
from bot.errors import EngineError
from bot.messages import ALREADY_ANSWERED, IncomingMessage, text_reply
from bot.telemetry import Telemetry
from contract import parse_survey_payload

log = logging.getLogger(__name__)


@dataclass(eq=False)
class SurveyTaps:
    engine: EngineClient
    delivery: Delivery
    telemetry: Telemetry

    async def late(self, msg: IncomingMessage) -> bool:
        """True when ``msg`` answers a survey the engine is not running; the customer has been
        told, and an answer telemetry still waits for is recorded."""
        answer = parse_survey_payload(msg.text)
        if answer is None:
            return False
        try:
            tracker = await self.engine.tracker(msg.address.sender_id)
        except EngineError as exc:  # the engine decides then; it reads the tap as best it can
            log.info("no tracker for a survey tap: %s", exc)
            return False
        slots = tracker.get("slots") if isinstance(tracker, Mapping) else None
        if isinstance(slots, Mapping) and slots.get("survey_active"):
            return False
        metric, score = answer
        cid = await self.telemetry.asked_survey(msg.address, metric)
        if cid is not None:  # asked, never answered: the engine forgot, the customer did not
            log.warning("recording a %s tap the engine could not place", metric)
            await self.telemetry.survey_answered(cid, metric, score)
        await self.delivery.deliver(msg.address, [text_reply(ALREADY_ANSWERED)])
        return True
