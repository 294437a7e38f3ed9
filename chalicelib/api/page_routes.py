"""The service's own pages: the web page, the OpenAPI document, liveness (a blueprint, registered in app.py)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.api.declared import route
from chalicelib.web import page_html

blueprint = Blueprint(__name__)


@route(
    blueprint,
    "GET",
    "/",
    summary="the web page",
    auth="open",
    returns={200: None},
    media={200: {"description": "HTML", "content": {"text/html": {"schema": {"type": "string"}}}}},
)
def web_page() -> Response:
    from chalicelib.web import page_headers  # its CSP, nosniff, Referrer-Policy and frame policy

    return Response(body=page_html(), status_code=200, headers=page_headers())


@route(
    blueprint,
    "GET",
    "/openapi.json",
    summary="this document (OpenAPI 3.1)",
    auth="open",
    returns={200: None},
    media={200: {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}},
)
def openapi() -> dict[str, Any]:
    from chalicelib.api.openapi import openapi_document  # built on the first request, not at the cold start

    return openapi_document()


@route(blueprint, "GET", "/health", summary="liveness", auth="open", returns={200: "Health"})
def health() -> dict[str, Any]:
    return {"status": "ok"}
