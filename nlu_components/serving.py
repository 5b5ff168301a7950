"""Serving-time savings in the engine, installed when our components are loaded.

Rasa 3.6's ``RemoteAction._validate_action_result`` checks every action server response with
``jsonschema.validate(response, schema)``, which rebuilds the response schema (all of Rasa's
event schemas), checks that schema against its meta-schema and compiles a validator, on every
action call: ~16 ms of the engine's CPU per call, several calls per customer message
(``benchmarks/profile_engine.py`` shows it). The schema never changes, so one validator compiled
on first use does the same check (same draft, same errors, same message) for ~0.4 ms.

``install()`` is called by ``LinearIntentClassifier.load`` so it is active in every process that
serves our model (``rasa run``, ``rasa test``, ``benchmarks/profile_engine.py``).
``CX_ENGINE_COMPILED_VALIDATION=0`` leaves Rasa's own validation in place (for measuring).
"""

from __future__ import annotations

import functools
import os
from typing import Any

SWITCH = "CX_ENGINE_COMPILED_VALIDATION"


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


_rasa_validate_action_result: Any = None


def install() -> bool:
    """Validate action server responses with the compiled validator (idempotent). Returns
    whether it is active: ``CX_ENGINE_COMPILED_VALIDATION=0`` keeps Rasa's validation."""
    global _rasa_validate_action_result
    from rasa.core.actions.action import RemoteAction

    if os.environ.get(SWITCH, "1").strip() == "0":
        uninstall()
        return False
    if _rasa_validate_action_result is None:
        _rasa_validate_action_result = RemoteAction._validate_action_result
    RemoteAction._validate_action_result = _validate_action_result
    return True


def uninstall() -> None:
    """Put Rasa's own validation back (for before/after measurements in one process)."""
    from rasa.core.actions.action import RemoteAction

    if _rasa_validate_action_result is not None:
        RemoteAction._validate_action_result = _rasa_validate_action_result
