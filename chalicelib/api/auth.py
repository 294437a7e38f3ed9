"""Who is calling: the one rule every route uses, primary and compatibility alike.

- No `Authorization` header: the route's anonymous caller (nobody, or the earlier specs' anonymous user), or 401
  where the route needs a user.
- `Authorization: Bearer <token>` with a token that belongs to a user: that user.
- Anything else — another scheme, a malformed header, an unknown, revoked or expired token — is 401, never quietly
  anonymous.
- A `read` key on a request that needs `write` (api/scopes.py: any method but GET, HEAD, OPTIONS) is 403
  `insufficient_scope`, whatever the route: the check is here, where every route learns who is calling.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib import wiring
from chalicelib.api.scopes import allows, current_need
from chalicelib.errors import InsufficientScope, Unauthenticated
from chalicelib.users import GUEST, User

_HOW = "Authorization: Bearer <token> (POST /users gives one)"


def caller(headers: Any, *, anonymous: User | None = None, required: bool = False) -> User | None:
    """The user the request's credentials name; `anonymous` when it sends none, or 401 if `required`."""
    token = bearer_token(headers)
    if token is None:
        if required and anonymous is None:
            raise Unauthenticated(f"a valid token is required: {_HOW}")
        return anonymous
    return user_for_token(token)


def bearer_token(headers: Mapping[str, str]) -> str | None:
    """The token of a well-formed `Authorization: Bearer <token>`; None without the header; 401 for any other."""
    header = headers.get("authorization")
    if header is None or not header.strip():
        return None
    scheme, space, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not space or not token.strip():
        raise Unauthenticated(f"the Authorization header is malformed: send {_HOW}")
    return token.strip()


def viewer_id(headers: Any) -> int | None:
    """Who is looking, for routes anybody may call: a signed-in user's id, or None."""
    viewer = caller(headers)
    return viewer.id if viewer else None


def caller_or_guest(headers: Any) -> User:
    """The caller for the earlier specs' calls that create or change things without a token: the anonymous user."""
    user = caller(headers, anonymous=GUEST)
    assert user is not None
    return user


def signed_in(headers: Any) -> User:
    """The caller, who must be a user."""
    user = caller(headers, required=True)
    assert user is not None
    return user


def user_for_token(token: Any, field: str | None = None) -> User:
    """The user a token belongs to (from a header, or a form field of the earlier specs), else 401."""
    user = wiring.user_store().authenticate(token.strip()) if isinstance(token, str) and token.strip() else None
    if user is None:
        details = {"field": field} if field else {}
        raise Unauthenticated(f"the token is not valid: {_HOW}", **details)
    if not allows(user.scope, current_need()):
        raise InsufficientScope(
            f"this key may only read: a key with scope {current_need()!r} is needed",
            needed_scope=current_need(),
            key_scope=user.scope,
        )
    return user
