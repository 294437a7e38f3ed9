"""DELETE /me: the account and everything it owns (account_deletion.py)."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.api.auth import signed_in
from chalicelib.api.declared import route
from chalicelib.api.http import json_errors

blueprint = Blueprint(__name__)


@route(
    blueprint,
    "DELETE",
    "/me",
    auth="token",
    returns={204: None},
    errors=(401, 403),
    summary="delete your account and everything it owns: recordings and their files, keys, webhooks, shares, "
    "feeds, usage (a write key); the id is never given out again",
    media={204: {"description": "deleted"}},
)
@json_errors
def delete_me() -> Response:
    from chalicelib.account_deletion import delete_account

    delete_account(signed_in(blueprint.current_request.headers))
    return Response(body="", status_code=204)
