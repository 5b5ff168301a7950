"""The one failure policy of every telemetry call made from a conversation (gateway and
actions): telemetry never breaks a conversation. A failure of any kind is logged and the call
gives None; the customer still gets their answer. (Writes do not even fail on an outage: the
store keeps them in its outbox.)"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import ParamSpec, TypeVar

log = logging.getLogger("cx_telemetry")
P = ParamSpec("P")
T = TypeVar("T")


def best_effort(what: str, call: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T | None:
    """``call(*args, **kwargs)``, or None (logged as ``telemetry <what> failed``)."""
    try:
        return call(*args, **kwargs)
    except Exception:
        log.exception("telemetry %s failed", what)
        return None
