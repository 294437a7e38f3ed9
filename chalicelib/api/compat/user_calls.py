"""seeds/002 (Cloud Sound) and seeds/003 (PigWav): `POST /user` creates a user — by name with a generated id
(PigWav), or with a chosen numeric id (Cloud Sound) — and `GET /user/<id>` tells whether one exists."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib import wiring
from chalicelib.api.compat.common import COMPAT, fields_of
from chalicelib.api.declared import route
from chalicelib.api.http import BadRequest, json_errors
from chalicelib.api.limits import count_registration
from chalicelib.errors import NotFound
from chalicelib.users import parse_user_id, validate_user_id, validate_user_name

blueprint = Blueprint(__name__)


@route(
    blueprint,
    "POST",
    "/user",
    summary="seeds/003 (PigWav): a user by name; seeds/002: by id",
    auth="open",
    tags=COMPAT,
    body="LegacyNewUser",
    required_body=True,
    returns={200: "LegacyUser"},
    errors=(400, 409, 422, 429),
)
@json_errors
def create_user() -> dict[str, Any]:
    body = fields_of(blueprint.current_request)
    name = validate_user_name(body.get("name") or body.get("username") or body.get("user"))
    user_id = validate_user_id(body["id"]) if body.get("id") is not None else None
    if name is None and user_id is None:
        raise BadRequest("the user's name is required", field="name")
    count_registration(blueprint.current_request)
    user, token = wiring.user_store().register(name, user_id)
    return {"id": user.id, "user_id": user.id, "name": user.name, "token": token}


@route(
    blueprint,
    "GET",
    "/user/{user_id}",
    summary="seeds/002: does the user exist",
    auth="open",
    tags=COMPAT,
    path_params={"user_id": {"type": "string", "pattern": "^[0-9]{1,16}$"}},
    returns={200: "User"},
    errors=(400, 404),
)
@json_errors
def user_exists(user_id: str) -> dict[str, Any]:
    """200 with the user if it exists, else 404."""
    parsed = parse_user_id(user_id)
    user = wiring.user_store().get(parsed) if parsed is not None else None
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user.public()
