"""The edge's side of rate limits: who the client is (the address API Gateway saw) and which requests count.
Registrations count for everyone; uploads count when they are anonymous (the earlier specs' calls without a token),
since a user's own uploads are bounded by their quota."""

from __future__ import annotations

from typing import Any

from chalicelib import wiring
from chalicelib.config import settings
from chalicelib.users import GUEST, User


def client_address(request: Any) -> str:
    """The caller's address as API Gateway (or chalice local) saw it; never a header the client can set."""
    identity = (getattr(request, "context", None) or {}).get("identity") or {}
    return str(identity.get("sourceIp") or "unknown")


def count_registration(request: Any) -> None:
    current = settings()
    wiring.rate_limiter().hit(
        "registrations", client_address(request), current.registrations_per_window, current.rate_window_seconds
    )


def count_upload(request: Any, user: User) -> None:
    if user.id != GUEST.id:
        return
    current = settings()
    wiring.rate_limiter().hit(
        "anonymous uploads", client_address(request), current.anonymous_uploads_per_window, current.rate_window_seconds
    )
