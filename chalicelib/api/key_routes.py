"""API keys: make, list and revoke the keys that act for you (api_keys.py holds them)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib import wiring
from chalicelib.api.auth import signed_in
from chalicelib.api.declared import route
from chalicelib.api.http import json_errors

blueprint = Blueprint(__name__)
KEY = {"key_id": {"type": "string", "pattern": "^[A-Za-z0-9-]{1,64}$"}}


@route(
    blueprint,
    "POST",
    "/me/keys",
    summary="make an API key: its token is shown this once",
    auth="token",
    body="NewKey",
    required_body=True,
    returns={201: "CreatedKey"},
    errors=(400, 401, 403, 409, 422),
)
@json_errors
def create_key() -> Response:
    from chalicelib.api.schemas.keys import NewKey
    from chalicelib.api.contract import decode_body
    from chalicelib.text import clean_text

    request = blueprint.current_request
    user = signed_in(request.headers)
    body = decode_body(request.raw_body, NewKey)
    name = clean_text(body.name, "name", 100)
    if name is None:
        from chalicelib.errors import Invalid

        raise Invalid("name must not be empty", field="name")
    key, token = wiring.key_store().create(user, name, body.scope, body.expires_in)
    return Response(body={**key.public(), "token": token}, status_code=201)


@route(
    blueprint,
    "GET",
    "/me/keys",
    summary="your API keys (never their tokens)",
    auth="token",
    returns={200: "KeyList"},
    errors=(401,),
)
@json_errors
def list_keys() -> dict[str, Any]:
    user = signed_in(blueprint.current_request.headers)
    return {"items": [key.public() for key in wiring.key_store().of(user)]}


@route(
    blueprint,
    "DELETE",
    "/me/keys/{key_id}",
    summary="revoke an API key at once (not your last write key)",
    auth="token",
    path_params=KEY,
    returns={204: None},
    errors=(401, 403, 404, 409),
    media={204: {"description": "revoked"}},
)
@json_errors
def revoke_key(key_id: str) -> Response:
    user = signed_in(blueprint.current_request.headers)
    wiring.key_store().revoke(user, key_id)
    return Response(body="", status_code=204)
