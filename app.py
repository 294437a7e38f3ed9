"""Cloud Sound: the recordings' routes and the converter's queue handlers. Each reads the request, calls one
service, and answers. The page, the OpenAPI document and liveness (chalicelib/api/page_routes.py), the users
(chalicelib/api/user_routes.py) and the earlier specs' calls (chalicelib/api/compat/) are blueprints of their own."""

from __future__ import annotations

from typing import Any

from chalice import Chalice, Response
from chalice.app import Request, SQSEvent

from chalicelib import logs, wiring
from chalicelib.api import page_routes, shared_reads, user_routes
from chalicelib.api.auth import signed_in, viewer_id
from chalicelib.api.account import ACCOUNT_BLUEPRINTS
from chalicelib.api.compat import BLUEPRINTS
from chalicelib.api.publishing import PUBLISHING
from chalicelib.api.declared import AUDIO_BODIES, route
from chalicelib.api.multipart_routes import announced_upload, bp as multipart_routes
from chalicelib.api.http import (
    BINARY_TYPES,
    access_log,
    is_json,
    json_errors,
    link_root,
    redirect,
    uniform_errors,
    wants_json,
)
from chalicelib.api.queries import list_query
from chalicelib.api.representation import recording_view
from chalicelib.api.uploads import metadata_from_params, upload_of
from chalicelib.api.scopes import request_scope
from chalicelib.config import conversions_queue_name, dead_letter_queue_name, settings, webhooks_queue_name

app = Chalice(app_name="cloudsound")
app.api.binary_types.extend(t for t in BINARY_TYPES if t not in app.api.binary_types)
app.register_middleware(uniform_errors, "http")
app.register_middleware(access_log, "http")
app.register_middleware(request_scope, "http")
logs.configure()
for blueprint in (
    *BLUEPRINTS,
    page_routes.blueprint,
    user_routes.blueprint,
    multipart_routes,
    *PUBLISHING,
    *ACCOUNT_BLUEPRINTS,
):
    app.register_blueprint(blueprint)


def current_request() -> Request:
    """The request a route is answering (Chalice sets it before it calls the route)."""
    request = app.current_request
    assert request is not None
    return request


ID = {"type": "string", "pattern": "^[A-Za-z0-9-]{1,64}$"}
RECORDING = {"recording_id": ID}


@route(
    app,
    "POST",
    "/recordings",
    auth="token",
    summary="upload audio (raw or multipart, ≤ 4 MiB), or announce a file of any size (JSON with its size) and "
    "get an upload link",
    body="UploadSlotRequest",
    required_body=True,
    other_bodies=AUDIO_BODIES,
    query="UploadParams",
    returns={201: "UploadSlot", 202: "Recording"},
    errors=(400, 401, 411, 413, 415, 422, 429),
)
@json_errors
def create_recording() -> Response:
    request = current_request()
    user = signed_in(request.headers)
    service = wiring.recording_service()
    if is_json(request.headers.get("content-type")):
        from chalicelib.api.contract import UploadSlotRequest, decode_body, fields_given

        announced = fields_given(decode_body(request.raw_body, UploadSlotRequest))
        recording, upload_slot = announced_upload(user, announced, link_root(request)) or service.create_pending(
            user, announced
        )
        view = {**recording_view(recording, link_root(request)), "upload": upload_slot}
        return Response(body=view, status_code=201, headers={"Location": view["links"]["self"]})
    upload = upload_of(request)
    recording = service.upload(
        user, upload.body, filename=upload.filename, metadata=metadata_from_params(request.query_params, upload.fields)
    )
    view = recording_view(recording, link_root(request))
    return Response(body=view, status_code=202, headers={"Location": view["links"]["self"]})


@route(
    app,
    "GET",
    "/recordings",
    summary="list, newest first",
    auth="optional",
    query="ListParams",
    returns={200: "Page"},
    errors=(400, 401),
)
@json_errors
def list_recordings() -> dict[str, Any]:
    query = list_query(current_request().query_params or {})
    recordings, next_cursor = wiring.recording_service().list(query, viewer_id(current_request().headers))
    root = link_root(current_request())
    return {"items": [recording_view(recording, root) for recording in recordings], "next_cursor": next_cursor}


@route(
    app,
    "GET",
    "/recordings/{recording_id}",
    summary="a recording",
    auth="optional",
    path_params=RECORDING,
    query="ShareParams",
    returns={200: "Recording"},
    errors=(401, 404),
)
@json_errors
def get_recording(recording_id: str) -> dict[str, Any]:
    return shared_reads.view(current_request(), recording_id, link_root(current_request()))


@route(
    app,
    "PATCH",
    "/recordings/{recording_id}",
    summary="edit (owner)",
    auth="token",
    path_params=RECORDING,
    body="RecordingFields",
    required_body=True,
    returns={200: "Recording"},
    errors=(400, 401, 403, 404, 409, 422),
)
@json_errors
def edit_recording(recording_id: str) -> dict[str, Any]:
    from chalicelib.api.contract import RecordingFields, decode_body, fields_given

    request = current_request()
    changes = fields_given(decode_body(request.raw_body, RecordingFields))
    recording = wiring.recording_service().update(recording_id, signed_in(request.headers), changes)
    return recording_view(recording, link_root(request))


@route(
    app,
    "DELETE",
    "/recordings/{recording_id}",
    summary="delete (owner)",
    auth="token",
    path_params=RECORDING,
    returns={204: None},
    errors=(401, 403, 404, 409),
    media={204: {"description": "deleted"}},
)
@json_errors
def delete_recording(recording_id: str) -> Response:
    wiring.multipart_uploads().delete(recording_id, signed_in(current_request().headers))  # aborts one in parts
    return Response(body="", status_code=204)


@route(
    app,
    "GET",
    "/recordings/{recording_id}/audio",
    summary="download: a presigned link",
    auth="optional",
    path_params=RECORDING,
    query="AudioParams",
    returns={200: "AudioLinkAnswer", 302: None},
    errors=(400, 401, 403, 404, 409),
    media={
        302: {
            "description": "a presigned S3 link to the file (Accept: application/json gets it as JSON)",
            "headers": {"Location": {"schema": {"type": "string"}}},
        }
    },
)
@json_errors
def recording_audio(recording_id: str) -> Response:
    from chalicelib.api.contract import AudioParams, decode_query

    audio_format = decode_query(current_request().query_params, AudioParams, unknown_ok=True).format
    url = shared_reads.audio_url(current_request(), recording_id, audio_format)
    if wants_json(current_request().headers):  # scripts and the page: the link itself, to use as they like
        return Response(body={"url": url, "expires_in": settings().link_ttl_seconds}, status_code=200)
    return redirect(url)


@route(
    app,
    "GET",
    "/recordings/{recording_id}/peaks",
    summary="waveform peaks",
    auth="optional",
    path_params=RECORDING,
    query="ShareParams",
    returns={200: "Peaks"},
    errors=(401, 404, 409),
)
@json_errors
def recording_peaks(recording_id: str) -> dict[str, Any]:
    return shared_reads.peaks(current_request(), recording_id)


@app.on_sqs_message(queue=conversions_queue_name(), batch_size=1)
def convert(event: SQSEvent) -> None:
    wiring.converter().handle(record.body for record in event)


@app.on_sqs_message(queue=dead_letter_queue_name(), batch_size=1)
def dead_letters(event: SQSEvent) -> None:
    wiring.converter().give_up(record.body for record in event)


@app.on_sqs_message(queue=webhooks_queue_name(), batch_size=1)
def deliver_webhooks(event: SQSEvent) -> None:
    wiring.webhook_deliverer().handle(record.body for record in event)
