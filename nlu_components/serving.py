"""Serving-time savings in the engine (the same results, less CPU), installed when our
components are loaded.

Rasa 3.6's ``RemoteAction._validate_action_result`` checks every action server response with
``jsonschema.validate(response, schema)``, which rebuilds the response schema (all of Rasa's
event schemas), checks that schema against its meta-schema and compiles a validator, on every
action call: ~16 ms of the engine's CPU per call, several calls per customer message
(``benchmarks/profile_engine.py`` shows it). The schema never changes, so one validator compiled
on first use does the same check (same draft, same errors, same message) for ~0.4 ms.

Rasa also looks up an event's class by its type name (``Event.resolve_by_type``) by walking every
``Event`` subclass, with an ``inspect.isabstract`` per class, for each event it reads: a stored
tracker and every action response are hundreds of events per message. The classes are all
defined when Rasa is imported, so the first class per type name is looked up once.

``install()`` is called by ``LinearIntentClassifier.load`` so it is active in every process that
serves our model (``rasa run``, ``rasa test``, ``benchmarks/profile_engine.py``).
``CX_ENGINE_FAST_PATHS=0`` leaves Rasa's own code in place (for measuring).
"""

from __future__ import annotations

import functools
import os
from typing import Any

SWITCH = "CX_ENGINE_FAST_PATHS"


@functools.lru_cache(maxsize=1)
def response_validator() -> Any:
    """The validator of action server responses, compiled once per process."""
    import jsonschema
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    """``RemoteAction._validate_action_result`` with the compiled validator: raises the same
    ``ValidationError`` (the best match, with Rasa's hint appended) as ``jsonschema.validate``."""
    import jsonschema
    from rasa.shared.constants import DOCS_BASE_URL

    error = jsonschema.exceptions.best_match(response_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, "
        "make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


@functools.lru_cache(maxsize=1)
def _event_classes(subclass_count: int) -> dict[str, Any]:
    """The first non-abstract ``Event`` subclass per type name, in Rasa's own search order
    (rebuilt if a new direct subclass appears)."""
    import rasa.shared.utils.common
    from rasa.shared.core.events import Event

    classes: dict[str, Any] = {}
    for cls in rasa.shared.utils.common.all_subclasses(Event):
        classes.setdefault(cls.type_name, cls)
    return classes


def _resolve_by_type(type_name: str, default: Any = None) -> Any:
    """``Event.resolve_by_type`` from the table: same class, same fallbacks and errors."""
    from rasa.shared.core.events import Event

    found = _event_classes(len(Event.__subclasses__())).get(type_name)
    if found is not None:
        return found
    return _rasa_resolve_by_type(type_name, default)


_rasa_validate_action_result: Any = None
_rasa_resolve_by_type: Any = None


def install() -> bool:
    """Validate action server responses with the compiled validator and look event classes up
    in a table (idempotent). Returns whether it is active: ``CX_ENGINE_FAST_PATHS=0``
    keeps Rasa's own code."""
    global _rasa_validate_action_result, _rasa_resolve_by_type
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event

    if os.environ.get(SWITCH, "1").strip() == "0":
        uninstall()
        return False
    if _rasa_validate_action_result is None:
        _rasa_validate_action_result = RemoteAction._validate_action_result
        _rasa_resolve_by_type = Event.resolve_by_type
    RemoteAction._validate_action_result = _validate_action_result
    Event.resolve_by_type = staticmethod(_resolve_by_type)
    return True


def uninstall() -> None:
    """Put Rasa's own code back (for before/after measurements in one process)."""
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event

    if _rasa_validate_action_result is not None:
        RemoteAction._validate_action_result = _rasa_validate_action_result
        Event.resolve_by_type = staticmethod(_rasa_resolve_by_type)
