"""seeds/000, the audio server: `curl -X POST --data-binary @myfile.wav http://host/post`, then `/list`, `/download`
and `/info`.

Names are not unique here: `/download?name=` and `/info?name=` select the newest listed (public) recording with that
exact name; `/info` also lists the ids of the older ones. `?id=` selects one recording, the caller's private ones
included.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib import wiring
from chalicelib.api.auth import caller_or_guest, viewer_id
from chalicelib.api.limits import count_upload
from chalicelib.api.compat.common import AUDIO_BODIES, COMPAT, DOWNLOAD_ANSWERS, query, serve
from chalicelib.api.declared import route
from chalicelib.api.http import BadRequest, json_errors, link_root
from chalicelib.api.queries import list_query, unknown_parameter
from chalicelib.api.representation import recording_view
from chalicelib.api.uploads import upload_of
from chalicelib.recording import Recording

blueprint = Blueprint(__name__)
_RENAMED = {"maxduration": "max_duration", "minduration": "min_duration"}


@route(
    blueprint,
    "POST",
    "/post",
    summary="seeds/000: store raw audio",
    auth="optional",
    tags=COMPAT,
    query="PostParams",
    other_bodies=AUDIO_BODIES,
    required_body=True,
    returns={200: "Recording"},
    errors=(400, 401, 411, 413, 415, 422, 429),
)
@json_errors
def post_audio() -> Response:
    request = blueprint.current_request
    user = caller_or_guest(request.headers)
    upload = upload_of(request)
    count_upload(request, user)
    recording = wiring.recording_service().upload(
        user,
        upload.body,
        filename=upload.filename,
        metadata={"name": query(request).get("name") or upload.fields.get("name")},
    )
    return Response(body=recording_view(recording, link_root(request)), status_code=200)


@route(
    blueprint,
    "GET",
    "/list",
    summary="seeds/000: list",
    auth="optional",
    tags=COMPAT,
    query="CompatListParams",
    returns={200: "Recording[]"},
    errors=(400, 401),
)
@json_errors
def list_audio() -> list[dict[str, Any]]:
    raw = query(blueprint.current_request)
    unknown_parameter(raw, tuple(_RENAMED))
    params = {_RENAMED.get(key, key): value for key, value in raw.items()}
    params.setdefault("limit", "200")
    recordings, _ = wiring.recording_service().list(list_query(params), viewer_id(blueprint.current_request.headers))
    root = link_root(blueprint.current_request)
    return [recording_view(recording, root) for recording in recordings]


def _by_name_or_id() -> list[Recording]:
    params = query(blueprint.current_request)
    service = wiring.recording_service()
    if params.get("id"):
        return [service.visible(params["id"], viewer_id(blueprint.current_request.headers))]
    if not params.get("name"):
        raise BadRequest("give the file's name: ?name=myfile.wav (or ?id=)", field="name")
    return service.named(params["name"], viewer_id(blueprint.current_request.headers))


@route(
    blueprint,
    "GET",
    "/download",
    summary="seeds/000: a file's content by name",
    auth="optional",
    tags=COMPAT,
    query="DownloadParams",
    returns={200: None, 302: None},
    media=DOWNLOAD_ANSWERS,
    errors=(400, 401, 404, 409),
)
@json_errors
def download_audio() -> Response:
    audio_format = query(blueprint.current_request).get("format", "original")
    if audio_format not in ("original", "mp3"):
        raise BadRequest("format must be original or mp3", field="format")
    newest = _by_name_or_id()[0]
    return serve(blueprint.current_request, wiring.recording_service().audio_file(newest, audio_format))


@route(
    blueprint,
    "GET",
    "/info",
    summary="seeds/000: metadata by name",
    auth="optional",
    tags=COMPAT,
    query="ByNameOrId",
    returns={200: "RecordingInfo"},
    errors=(400, 401, 404),
)
@json_errors
def audio_info() -> dict[str, Any]:
    newest, *older = _by_name_or_id()
    return {
        **recording_view(newest, link_root(blueprint.current_request)),
        "other_ids": [recording.id for recording in older],
    }
