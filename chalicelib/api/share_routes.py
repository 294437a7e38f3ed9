"""Share links: make one, list them, revoke one (the owner's). Reads through a share are the recording routes'
own, with `?share=<secret>` (chalicelib/shares.py holds the rule)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.api.auth import signed_in
from chalicelib.api.declared import route
from chalicelib.api.http import json_errors, link_root

blueprint = Blueprint(__name__)
ID = {"type": "string", "pattern": "^[A-Za-z0-9-]{1,64}$"}
SHARE = {"recording_id": ID, "share_id": {"type": "string", "pattern": "^[0-9a-f]{1,32}$"}}


@route(
    blueprint,
    "POST",
    "/recordings/{recording_id}/shares",
    summary="make a share link (owner)",
    auth="token",
    path_params={"recording_id": ID},
    body="NewShare",
    returns={201: "Share"},
    errors=(400, 401, 403, 404, 409, 422),
)
@json_errors
def create_share(recording_id: str) -> Response:
    from chalicelib import shares
    from chalicelib.api.contract import decode_body
    from chalicelib.api.schemas.shares import NewShare

    request = blueprint.current_request
    user = signed_in(request.headers)
    body = decode_body(request.raw_body, NewShare)
    share, secret = shares.create(recording_id, user, body.expires_in, body.download)
    view = shares.share_view(share, secret, link_root(request))
    return Response(body=view, status_code=201, headers={"Location": view["url"], "Cache-Control": "no-store"})


@route(
    blueprint,
    "GET",
    "/recordings/{recording_id}/shares",
    summary="the share links of a recording (owner)",
    auth="token",
    path_params={"recording_id": ID},
    returns={200: "ShareList"},
    errors=(401, 403, 404),
)
@json_errors
def list_shares(recording_id: str) -> dict[str, Any]:
    from chalicelib import shares

    request = blueprint.current_request
    found = shares.listed(recording_id, signed_in(request.headers))
    return {"items": [shares.share_view(share, None, link_root(request)) for share in found]}


@route(
    blueprint,
    "DELETE",
    "/recordings/{recording_id}/shares/{share_id}",
    summary="revoke a share link (owner)",
    auth="token",
    path_params=SHARE,
    returns={204: None},
    errors=(401, 403, 404),
    media={204: {"description": "revoked: the link is dead everywhere at once"}},
)
@json_errors
def revoke_share(recording_id: str, share_id: str) -> Response:
    from chalicelib import shares

    shares.revoke(recording_id, share_id, signed_in(blueprint.current_request.headers))
    return Response(body="", status_code=204)
