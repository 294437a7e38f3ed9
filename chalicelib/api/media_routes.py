"""A recording's stable media addresses, which never expire: its MP3 (`/recordings/{id}/audio.mp3`, what feeds,
pages and the embed point at) and its cover; each answers with a fresh presigned link. And oEmbed."""

from __future__ import annotations

import functools
from typing import Any
from collections.abc import Callable

from chalice import Response

from chalice import Blueprint

from chalicelib.api.declared import route
from chalicelib.api.http import error_body, json_errors, link_root, redirect

blueprint = Blueprint(__name__)
ID = {"recording_id": {"type": "string", "pattern": "^[A-Za-z0-9-]{1,64}$"}}
REDIRECT = {302: {"description": "to a fresh presigned link", "headers": {"Location": {"schema": {"type": "string"}}}}}


def headless(view: Callable[..., Response]) -> Callable[..., Response]:
    """A HEAD answer carries no body, its errors' neither (a local server that wrote one would break the
    connection's framing)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        response = view(*args, **kwargs)
        response.body = ""
        return response

    return wrapper


def _enclosure(recording_id: str) -> Any:
    """The recording as this request may play it: public, the caller's, or opened by a share or a private feed."""
    from chalicelib.api.contract import decode_query
    from chalicelib.api.schemas.publishing import EnclosureParams
    from chalicelib.api.shared_reads import access
    from chalicelib.feeds import feed_access

    request = blueprint.current_request
    params = decode_query(request.query_params, EnclosureParams, unknown_ok=True)  # apps add their own
    if params.feed is not None:
        return feed_access(params.feed, recording_id)
    return access(request, recording_id)


@route(
    blueprint,
    "GET",
    "/recordings/{recording_id}/audio.mp3",
    summary="the MP3 at a stable address (feeds, pages): a redirect to a fresh presigned link (Range is sent on to it)",
    auth="optional",
    path_params=ID,
    query="EnclosureParams",
    returns={302: None},
    errors=(400, 401, 404, 409),
    media=REDIRECT,
)
@json_errors
def stable_audio(recording_id: str) -> Response:
    from chalicelib import wiring

    service = wiring.recording_service()
    return redirect(service.presigned(service.audio_file(_enclosure(recording_id).recording, "mp3")))


@route(
    blueprint,
    "HEAD",
    "/recordings/{recording_id}/audio.mp3",
    summary="the MP3's headers: a redirect to a fresh presigned HEAD (length, type, Accept-Ranges)",
    auth="optional",
    path_params=ID,
    query="EnclosureParams",
    returns={302: None},
    errors=(400, 401, 404, 409),
    media=REDIRECT,
)
@headless
@json_errors
def stable_audio_head(recording_id: str) -> Response:
    from chalicelib import aws, wiring
    from chalicelib.config import settings

    audio = wiring.recording_service().audio_file(_enclosure(recording_id).recording, "mp3")
    url = aws.s3().generate_presigned_url(
        "head_object", Params={"Bucket": settings().bucket, "Key": audio.key}, ExpiresIn=settings().link_ttl_seconds
    )
    return redirect(url)


@route(
    blueprint,
    "GET",
    "/recordings/{recording_id}/cover",
    summary="the picture carried in the original",
    auth="optional",
    path_params=ID,
    query="ShareParams",
    returns={302: None},
    errors=(401, 404),
    media=REDIRECT,
)
@json_errors
def cover(recording_id: str) -> Response:
    from chalicelib.api.shared_reads import access
    from chalicelib.covers import cover_link, cover_of
    from chalicelib.errors import NotFound

    found = cover_of(access(blueprint.current_request, recording_id).recording)
    if found is None:
        raise NotFound("this recording has no cover picture")
    return redirect(cover_link(found))


@route(
    blueprint,
    "GET",
    "/oembed",
    summary="oEmbed 1.0 (rich: the embed's iframe) for a /r/ or /s/ URL",
    auth="open",
    query="OEmbedParams",
    returns={200: "OEmbed"},
    errors=(400, 404, 501),
)
@json_errors
def oembed() -> Response:
    from chalicelib import oembed as rules
    from chalicelib.api.contract import decode_query
    from chalicelib.api.schemas.publishing import OEmbedParams
    from chalicelib.covers import cover_of
    from chalicelib.errors import InvalidParameter, NotFound
    from chalicelib.pages.addresses import Addresses
    from chalicelib.shares import readable, shared

    request = blueprint.current_request
    params = decode_query(request.query_params, OEmbedParams, unknown_ok=True)
    if params.format == "xml":  # oEmbed: 501 for a format the provider does not serve
        return Response(body=error_body("not_implemented", "only format=json is served"), status_code=501)
    if params.format != "json":
        raise InvalidParameter("format is json (or xml, which is not served)", field="format")
    named = rules.named(params.url)
    if named is None:
        raise NotFound("not the URL of a recording here: /r/{id} or /s/{secret}")
    seen = shared(named.value) if named.kind == "s" else readable(named.value, None, named.share)
    base = link_root(request)
    found = cover_of(seen.recording) if seen.recording.status == "ready" else None
    thumbnail = (
        (f"{Addresses(base, seen.recording.id, seen.share).cover}", found.width, found.height)
        if found and found.width
        else None
    )
    width, height = rules.size(params.maxwidth, params.maxheight)
    body = rules.answer(seen.recording, Addresses(base, seen.recording.id, seen.share), width, height, thumbnail)
    return Response(
        body=body, status_code=200, headers={"Cache-Control": "no-store" if seen.share else "public, max-age=300"}
    )
