"""The primary API's users: registering (a token, shown once), the token's own user with their usage and quota
(`/me`), and a user by id (a blueprint, registered in app.py)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib import wiring
from chalicelib.api.auth import signed_in
from chalicelib.api.declared import route
from chalicelib.api.http import BadRequest, json_errors, link_root
from chalicelib.api.limits import count_registration
from chalicelib.errors import NotFound
from chalicelib.users import parse_user_id, validate_user_id, validate_user_name

blueprint = Blueprint(__name__)


@route(
    blueprint,
    "POST",
    "/users",
    summary="register: a token, shown once",
    auth="open",
    body="NewUser",
    returns={201: "RegisteredUser"},
    errors=(400, 409, 422, 429),
)
@json_errors
def register_user() -> Response:
    from chalicelib.api.contract import NewUser, decode_body

    request = blueprint.current_request
    body = decode_body(request.raw_body, NewUser)
    user_id = validate_user_id(body.id) if body.id is not None else None
    count_registration(request)
    user, token = wiring.user_store().register(validate_user_name(body.name), user_id)
    return Response(
        body={**user.public(), "token": token},
        status_code=201,
        headers={"Location": f"{link_root(request)}/users/{user.id}"},
    )


@route(
    blueprint,
    "GET",
    "/me",
    summary="the token's user, with what their recordings use of their quota",
    auth="token",
    returns={200: "Me"},
    errors=(401,),
)
@json_errors
def who_am_i() -> dict[str, Any]:
    user = signed_in(blueprint.current_request.headers)
    usage, quota = wiring.recording_service().usage(user)
    return {
        **user.public(),
        "usage": {"bytes": usage.stored, "seconds": usage.seconds},
        "reserved": {"bytes": usage.reserved},
        "quota": {"bytes": quota.bytes, "seconds": quota.seconds},
    }


@route(
    blueprint,
    "GET",
    "/users/{user_id}",
    summary="a user",
    auth="open",
    returns={200: "User"},
    errors=(400, 404),
    path_params={"user_id": {"type": "string", "pattern": "^[0-9]{1,16}$"}},
)
@json_errors
def get_user(user_id: str) -> dict[str, Any]:
    parsed = parse_user_id(user_id)
    if parsed is None:
        raise BadRequest("a user id is a positive integer", field="id")
    user = wiring.user_store().get(parsed)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user.public()
