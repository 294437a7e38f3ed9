"""Server-rendered pages: a recording's (`/r/{id}`), a share's (`/s/{secret}`), a person's (`/u/{id}`), the
embeddable player (`/embed/{id}`), and oEmbed (`/oembed`). Pages answer HTML, their errors too (a "not found"
page for anything the caller may not see); oEmbed answers JSON."""

from __future__ import annotations

import functools
from typing import Any
from collections.abc import Callable

from chalice import Blueprint, Response

from chalicelib.api.declared import route
from chalicelib.api.http import link_root
from chalicelib.errors import CloudSoundError

blueprint = Blueprint(__name__)
ID = {"type": "string", "pattern": "^[A-Za-z0-9-]{1,64}$"}
SECRET = {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}
USER = {"type": "string", "pattern": "^[0-9]{1,16}$"}
HTML = {"description": "HTML", "content": {"text/html": {"schema": {"type": "string"}}}}
# Pages answer their errors as pages too (a person or a crawler reads them, not a script).
PAGE_ERROR = {
    "description": "not found, or a malformed token (an HTML page)",
    "content": {"text/html": {"schema": {"type": "string"}}},
}


def html_errors(view: Callable[..., Response]) -> Callable[..., Response]:
    """A domain error as a small HTML page with its status (pages are read by people and crawlers, not scripts)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        try:
            return view(*args, **kwargs)
        except CloudSoundError as error:
            from chalicelib.api.http import status_of
            from chalicelib.pages.markup import headers
            from chalicelib.pages.recording_page import not_found_page
            from chalicelib.web import storage_origin

            return Response(
                body=not_found_page(link_root(blueprint.current_request)),
                status_code=status_of(error),
                headers=headers(storage_origin()),
            )

    return wrapper


def _page(html: str, *, embed: bool = False) -> Response:
    from chalicelib.pages.embed import EMBED_SCRIPT, EMBED_STYLE
    from chalicelib.pages.markup import headers
    from chalicelib.web import storage_origin

    options: dict[str, Any] = {"style": EMBED_STYLE, "script": EMBED_SCRIPT, "framed_by_anyone": True} if embed else {}
    return Response(body=html, status_code=200, headers=headers(storage_origin(), **options))


@route(
    blueprint,
    "GET",
    "/r/{recording_id}",
    summary="a recording's page (OpenGraph, Twitter card, oEmbed link)",
    auth="optional",
    path_params={"recording_id": ID},
    query="ShareParams",
    returns={200: None, 401: None, 404: None},
    media={200: HTML, 401: PAGE_ERROR, 404: PAGE_ERROR},
)
@html_errors
def recording_page(recording_id: str) -> Response:
    from chalicelib.api.shared_reads import access
    from chalicelib.pages.gather import shown
    from chalicelib.pages.recording_page import recording_page as render

    request = blueprint.current_request
    return _page(render(shown(access(request, recording_id), link_root(request))))


@route(
    blueprint,
    "GET",
    "/s/{secret}",
    summary="a share link's page",
    auth="open",
    path_params={"secret": SECRET},
    returns={200: None, 404: None},
    media={200: HTML, 404: PAGE_ERROR},
)
@html_errors
def share_page(secret: str) -> Response:
    from chalicelib.pages.gather import shown
    from chalicelib.pages.recording_page import recording_page as render
    from chalicelib.shares import shared

    return _page(render(shown(shared(secret), link_root(blueprint.current_request))))


@route(
    blueprint,
    "GET",
    "/embed/{recording_id}",
    summary="the player other sites frame",
    auth="optional",
    path_params={"recording_id": ID},
    query="ShareParams",
    returns={200: None, 401: None, 404: None},
    media={200: HTML, 401: PAGE_ERROR, 404: PAGE_ERROR},
)
@html_errors
def embed_page(recording_id: str) -> Response:
    from chalicelib.api.shared_reads import access
    from chalicelib.pages.embed import embed_page as render
    from chalicelib.pages.gather import shown

    request = blueprint.current_request
    return _page(render(shown(access(request, recording_id), link_root(request))), embed=True)


@route(
    blueprint,
    "GET",
    "/u/{user_id}",
    summary="a person's page: public recordings and feeds",
    auth="open",
    path_params={"user_id": USER},
    returns={200: None, 404: None},
    media={200: HTML, 404: PAGE_ERROR},
)
@html_errors
def person_page(user_id: str) -> Response:
    from chalicelib import wiring
    from chalicelib.errors import NotFound
    from chalicelib.listing import ListQuery
    from chalicelib.pages.person_page import person_page as render
    from chalicelib.users import parse_user_id

    parsed = parse_user_id(user_id)
    user = wiring.user_store().get(parsed) if parsed is not None else None
    if user is None:
        raise NotFound(f"no user {user_id}")
    recordings, _ = wiring.recording_service().list(ListQuery(owner=user.id, limit=100), None)
    return _page(render(user, recordings, link_root(blueprint.current_request)))
