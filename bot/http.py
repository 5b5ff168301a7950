"""Small HTTP helpers shared by the webhook endpoints."""

from __future__ import annotations

import hmac
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response


class BadRequestBody(Exception):
    """The request body cannot be used; ``response`` is the 4xx to answer."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refusing more than ``limit`` bytes (413) without reading it all into memory."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BadRequestBody(PlainTextResponse("payload too large", status_code=413))
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadRequestBody(PlainTextResponse("payload too large", status_code=413))
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or a 400."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequestBody(PlainTextResponse("malformed JSON", status_code=400)) from exc
    if not isinstance(data, dict):
        raise BadRequestBody(PlainTextResponse("expected a JSON object", status_code=400))
    return data


def same_secret(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison; an unset expected secret never matches."""
    if not expected or given is None:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def ok() -> Response:
    return JSONResponse({"ok": True})
