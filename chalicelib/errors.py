"""Domain exceptions. They say what went wrong; the HTTP edge (chalicelib/api/http.py) maps each to a status."""

from __future__ import annotations

from typing import Any


class CloudSoundError(Exception):
    """Base of every error a client can cause. `code` is stable and machine-readable."""

    code = "error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class BadRequest(CloudSoundError):
    code = "bad_request"


class Unauthorized(CloudSoundError):
    code = "unauthorized"


class Forbidden(CloudSoundError):
    code = "forbidden"


class NotFound(CloudSoundError):
    code = "not_found"


class Conflict(CloudSoundError):
    code = "conflict"


class NotReady(Conflict):
    """The recording exists but the asked-for rendition is not there (yet)."""

    code = "not_ready"


class LengthRequired(CloudSoundError):
    code = "length_required"


class TooLarge(CloudSoundError):
    code = "too_large"


class UnsupportedMedia(CloudSoundError):
    code = "unsupported_media_type"


class Invalid(CloudSoundError):
    """Well-formed but invalid metadata; `field` names the culprit."""

    code = "invalid"
