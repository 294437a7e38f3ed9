"""The HTTP edge: domain errors to statuses and JSON bodies (the one table of them), absolute links, JSON bodies."""

from __future__ import annotations

import functools
import json
import time
from typing import Any
from collections.abc import Callable

from chalice import Response

from chalicelib import logs
from chalicelib.config import settings
from chalicelib.errors import (
    CloudSoundError,
    Conflict,
    Invalid,
    InvalidParameter,
    ItemTooLarge,
    NotAudio,
    NotFound,
    NotOwner,
    NotReady,
    QuotaExceeded,
    TooLarge,
    TooManyRequests,
    Unauthenticated,
)


class BadRequest(CloudSoundError):
    """A request the edge cannot read: a body that is not JSON, a multipart body without its file."""

    code = "bad_request"


class LengthRequired(CloudSoundError):
    """A body that arrived without a length (chunked), which the API cannot read."""

    code = "length_required"


# Every error a client can cause, and its status. Subclasses take their parent's (RecordingGone is a NotFound,
# NotReady a Conflict); tests/unit/test_error_statuses.py checks that every error class has a row.
STATUSES: dict[type[CloudSoundError], int] = {
    BadRequest: 400,
    InvalidParameter: 400,
    Unauthenticated: 401,
    NotOwner: 403,
    NotFound: 404,
    Conflict: 409,
    LengthRequired: 411,
    TooLarge: 413,
    QuotaExceeded: 413,
    ItemTooLarge: 413,
    NotAudio: 415,
    Invalid: 422,
    TooManyRequests: 429,
}
_CHALICE_CODES = {
    "BadRequestError": "bad_request",
    "BadRequest": "bad_request",
    "UnauthorizedError": "unauthorized",
    "ForbiddenError": "forbidden",
    "NotFoundError": "not_found",
    "MethodNotAllowedError": "method_not_allowed",
    "UnsupportedMediaType": "unsupported_media_type",
    "TooManyRequestsError": "too_many_requests",
    "InternalServerError": "internal_error",
}

# Binary bodies (API Gateway base64-encodes these on the way in); Chalice's defaults lack several audio spellings,
# multipart/form-data, and curl's default for --data-binary.
BINARY_TYPES = [
    "audio/wav",
    "audio/x-wav",
    "audio/wave",
    "audio/vnd.wave",
    "audio/mpeg",
    "audio/mp3",
    "audio/flac",
    "audio/x-flac",
    "audio/ogg",
    "audio/mp4",
    "audio/x-m4a",
    "audio/aac",
    "audio/aiff",
    "audio/x-aiff",
    "audio/webm",
    "audio/x-ms-wma",
    "audio/wavpack",
    "audio/ape",
    "audio/tta",
    "multipart/form-data",
    "application/x-www-form-urlencoded",
]


def status_of(error: CloudSoundError) -> int:
    for error_type in type(error).__mro__:
        if error_type in STATUSES:
            return STATUSES[error_type]
    raise TypeError(f"{type(error).__name__} has no status: add it to STATUSES")


def error_body(code: str, message: str, **details: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **details}}


def error_response(error: CloudSoundError) -> Response:
    headers: dict[str, str | list[str]] = {"Content-Type": "application/json"}
    body = error_body(error.code, error.message, **error.details)
    if isinstance(error, NotReady):  # where the recording is, and when to ask again
        headers["Retry-After"] = str(error.details.get("retry_after", 2))
        body["status"] = error.details.get("status")
    if isinstance(error, TooManyRequests):
        headers["Retry-After"] = str(error.details.get("retry_after", 60))
    return Response(body=body, status_code=status_of(error), headers=headers)


def json_errors(view: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the domain errors a view raises into their status and the JSON error body."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except CloudSoundError as error:
            return error_response(error)

    return wrapper


def uniform_errors(event: Any, get_response: Callable[[Any], Response]) -> Response:
    """HTTP middleware: Chalice's own error bodies (405, its 415, 500) in the same shape as ours."""
    response = get_response(event)
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and "Code" in body and "Message" in body:
        response.body = error_body(_CHALICE_CODES.get(body["Code"], "error"), body["Message"])
        response.headers["Content-Type"] = "application/json"
    return response


def access_log(request: Any, get_response: Callable[[Any], Response]) -> Response:
    """HTTP middleware: one JSON line per request (method, path, status, milliseconds, request id)."""
    started = time.perf_counter()
    response = get_response(request)
    context = getattr(request, "context", None) or {}
    logs.event(
        "request",
        method=getattr(request, "method", None),
        path=context.get("resourcePath"),
        status=response.status_code,
        ms=round((time.perf_counter() - started) * 1000, 1),
        request_id=context.get("requestId"),
    )
    return response


def link_root(request: Any) -> str:
    """Where the links in answers point: the service's public root."""
    return base_url(request, settings().public_url)


def base_url(request: Any, configured: str | None) -> str:
    """The service's public root: the configured one, else what the client called (with API Gateway's stage)."""
    if configured:
        return configured
    headers = request.headers
    host = headers.get("host") or "localhost"
    scheme = (headers.get("x-forwarded-proto") or "http").split(",")[0].strip()
    stage = (request.context or {}).get("stage")
    prefix = f"/{stage}" if stage and ".execute-api." in host else ""
    return f"{scheme}://{host}{prefix}"


def json_object(raw_body: str | bytes) -> dict[str, Any]:
    """The request body as a JSON object; an empty body is an empty object."""
    if not raw_body or not raw_body.strip():
        return {}
    try:
        value = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the body is not valid JSON") from None
    except RecursionError:  # JSON nested deeper than Python's parser goes: no body of ours is nested like that
        raise BadRequest("the body is nested too deeply") from None
    if not isinstance(value, dict):
        raise BadRequest("the body must be a JSON object")
    return value


def wants_json(headers: Any) -> bool:
    """The client asked for JSON first (`Accept: application/json`), not for whatever a redirect leads to."""
    accept = (headers.get("accept") or "").split(",")[0].split(";")[0].strip().lower()
    return accept == "application/json"


def is_json(content_type: str | None) -> bool:
    media_type = (content_type or "").split(";")[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def redirect(location: str) -> Response:
    return Response(body="", status_code=302, headers={"Location": location, "Cache-Control": "no-store"})
