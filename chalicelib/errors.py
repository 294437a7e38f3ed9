"""Domain errors: each says what went wrong in the service's own terms. The HTTP edge (chalicelib/api/http.py) maps
every one of them to a status, in one table; nothing below the edge knows about HTTP."""

from __future__ import annotations

from typing import Any


class CloudSoundError(Exception):
    """Base of every error a client can cause. `code` is stable and machine-readable."""

    code = "error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class Unauthenticated(CloudSoundError):
    """No credentials where they are needed, or credentials that belong to nobody."""

    code = "unauthorized"


class NotOwner(CloudSoundError):
    """The caller may see the thing but not change it."""

    code = "forbidden"


class InsufficientScope(NotOwner):
    """A key that may only read, sent to change something (403 like NotOwner, with its own code)."""

    code = "insufficient_scope"


class NotFound(CloudSoundError):
    """Nothing there, or nothing the caller may see (the two are told apart to nobody)."""

    code = "not_found"


class RecordingGone(NotFound):
    """The recording was deleted while we were working on it."""


class Conflict(CloudSoundError):
    """The request is valid but the state of things refuses it (an id that is taken, a race that was lost)."""

    code = "conflict"


class LastWriteKey(Conflict):
    """Revoking this key would leave its owner no key that can write."""

    code = "last_write_key"


class NotReady(Conflict):
    """The recording exists but the asked-for rendition is not there (yet). `status` says where it is."""

    code = "not_ready"


class InvalidParameter(CloudSoundError):
    """A parameter the operation cannot take at all (a malformed filter, a foreign cursor); `field` names it."""

    code = "bad_request"


class Invalid(CloudSoundError):
    """Well-formed but invalid metadata; `field` names the culprit."""

    code = "invalid"


class TooLarge(CloudSoundError):
    """Over a size limit; `limit` says which."""

    code = "too_large"


class QuotaExceeded(CloudSoundError):
    """The owner's recordings already use what their quota allows; the details say the limits and the usage."""

    code = "quota_exceeded"


class NotAudio(CloudSoundError):
    """Not audio, or not audio of a format this call accepts."""

    code = "unsupported_media_type"


class ItemTooLarge(CloudSoundError):
    """A record would not fit the store's item size (DynamoDB's 400 KB)."""

    code = "too_large"


class TooManyRequests(CloudSoundError):
    """Over a rate limit for the caller's address; `retry_after` says when to try again."""

    code = "too_many_requests"
