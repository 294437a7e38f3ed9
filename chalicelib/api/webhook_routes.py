"""Webhooks: register, list and delete the URLs told when your recordings are ready, failed or deleted, and see
their recent deliveries (webhooks.py, webhook_delivery.py)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib import wiring
from chalicelib.api.auth import signed_in
from chalicelib.api.declared import route
from chalicelib.api.http import json_errors, link_root

blueprint = Blueprint(__name__)
HOOK = {"hook_id": {"type": "string", "pattern": "^[A-Za-z0-9-]{1,64}$"}}


@route(
    blueprint,
    "POST",
    "/me/webhooks",
    summary="register a webhook: its secret is shown this once",
    auth="token",
    body="NewWebhook",
    required_body=True,
    returns={201: "CreatedWebhook"},
    errors=(400, 401, 403, 409, 422),
)
@json_errors
def create_webhook() -> Response:
    from chalicelib.api.contract import decode_body
    from chalicelib.api.schemas.webhooks import NewWebhook
    from chalicelib.config import settings
    from chalicelib.hook_targets import check_hook_url
    from chalicelib.webhooks import public_hook

    request = blueprint.current_request
    user = signed_in(request.headers)
    body = decode_body(request.raw_body, NewWebhook)
    url = check_hook_url(body.url, settings().webhooks_allow_loopback)
    hook_id, hook = wiring.hook_store().create(user.id, url, list(body.events), link_root(request))
    return Response(body={**public_hook(hook_id, hook), "secret": hook["secret"]}, status_code=201)


@route(
    blueprint,
    "GET",
    "/me/webhooks",
    summary="your webhooks (never their secrets)",
    auth="token",
    returns={200: "WebhookList"},
    errors=(401,),
)
@json_errors
def list_webhooks() -> dict[str, Any]:
    from chalicelib.webhooks import public_hook

    user = signed_in(blueprint.current_request.headers)
    hooks = wiring.hook_store().hooks(user.id)
    ordered = sorted(hooks.items(), key=lambda item: (item[1]["created_at"], item[0]))
    return {"items": [public_hook(hook_id, hook) for hook_id, hook in ordered]}


@route(
    blueprint,
    "DELETE",
    "/me/webhooks/{hook_id}",
    summary="delete a webhook",
    auth="token",
    path_params=HOOK,
    returns={204: None},
    errors=(401, 403, 404, 409),
    media={204: {"description": "deleted"}},
)
@json_errors
def delete_webhook(hook_id: str) -> Response:
    user = signed_in(blueprint.current_request.headers)
    wiring.hook_store().delete(user.id, hook_id)
    return Response(body="", status_code=204)


@route(
    blueprint,
    "GET",
    "/me/webhooks/{hook_id}/deliveries",
    summary="a webhook's recent deliveries, newest first",
    auth="token",
    path_params=HOOK,
    returns={200: "DeliveryList"},
    errors=(401, 404),
)
@json_errors
def webhook_deliveries(hook_id: str) -> dict[str, Any]:
    user = signed_in(blueprint.current_request.headers)
    return {"items": wiring.hook_store().deliveries(user.id, hook_id)}
