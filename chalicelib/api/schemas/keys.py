"""API keys: POST /me/keys, GET /me/keys (docs/keys-and-webhooks.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

from chalicelib.api_keys import MAX_EXPIRES_IN, MIN_EXPIRES_IN
from chalicelib.users import MAX_NAME_LENGTH

Scope = Literal["read", "write"]


class NewKey(Struct, kw_only=True):
    """A key to make: `read` reads everything its owner may (private recordings too) and changes nothing."""

    name: Annotated[str, Meta(min_length=1, max_length=MAX_NAME_LENGTH)]
    scope: Scope
    expires_in: (
        Annotated[
            int,
            Meta(ge=MIN_EXPIRES_IN, le=MAX_EXPIRES_IN, description="seconds until the key stops working; none: never"),
        ]
        | None
    ) = None


class ApiKey(Struct, kw_only=True):
    id: str
    name: str
    scope: Scope
    created_at: str
    expires_at: str | None
    last_used_at: Annotated[str | None, Meta(description="to the minute")]


class CreatedKey(ApiKey, kw_only=True):
    token: Annotated[str, Meta(description="shown this once: only its hash is kept")]


class KeyList(Struct):
    items: list[ApiKey]
