"""Cloud Sound: routes and the converter's queue handlers. Each reads the request, calls one service, and answers;
the earlier specs' calls are blueprints of their own (chalicelib/api/compat/)."""

from __future__ import annotations

from typing import Any

from chalice import Chalice, Response
from chalice.app import Request, SQSEvent

from chalicelib import logs, wiring
from chalicelib.api.auth import signed_in, viewer_id
from chalicelib.api.account import ACCOUNT_BLUEPRINTS
from chalicelib.api.compat import BLUEPRINTS
from chalicelib.api.scopes import request_scope
from chalicelib.api.declared import route
from chalicelib.api.limits import count_registration
from chalicelib.api.http import (
    BINARY_TYPES,
    BadRequest,
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
from chalicelib.config import conversions_queue_name, dead_letter_queue_name, settings, webhooks_queue_name
from chalicelib.errors import NotFound
from chalicelib.users import parse_user_id, validate_user_id, validate_user_name
from chalicelib.web import page_html

app = Chalice(app_name="cloudsound")
app.api.binary_types.extend(t for t in BINARY_TYPES if t not in app.api.binary_types)
app.register_middleware(uniform_errors, "http")
app.register_middleware(access_log, "http")
app.register_middleware(request_scope, "http")
logs.configure()
for blueprint in (*BLUEPRINTS, *ACCOUNT_BLUEPRINTS):
    app.register_blueprint(blueprint)


def current_request() -> Request:
    """The request a route is answering (Chalice sets it before it calls the route)."""
    request = app.current_request
    assert request is not None
    return request


ID = {"type": "string", "pattern": "^[A-Za-z0-9-]{1,64}$"}
RECORDING = {"recording_id": ID}
AUDIO_BODIES = ("application/octet-stream", "audio/wav", "multipart/form-data")


@route(
    app,
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
    app,
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


@route(app, "GET", "/health", summary="liveness", auth="open", returns={200: "Health"})
def health() -> dict[str, Any]:
    return {"status": "ok"}


@route(
    app,
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

    body = decode_body(current_request().raw_body, NewUser)
    user_id = validate_user_id(body.id) if body.id is not None else None
    count_registration(current_request())
    user, token = wiring.user_store().register(validate_user_name(body.name), user_id)
    return Response(
        body={**user.public(), "token": token},
        status_code=201,
        headers={"Location": f"{link_root(current_request())}/users/{user.id}"},
    )


@route(
    app,
    "GET",
    "/me",
    summary="the token's user, with what their recordings use of their quota",
    auth="token",
    returns={200: "Me"},
    errors=(401,),
)
@json_errors
def who_am_i() -> dict[str, Any]:
    user = signed_in(current_request().headers)
    usage, quota = wiring.recording_service().usage(user)
    return {
        **user.public(),
        "usage": {"bytes": usage.stored, "seconds": usage.seconds},
        "reserved": {"bytes": usage.reserved},
        "quota": {"bytes": quota.bytes, "seconds": quota.seconds},
    }


@route(
    app,
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
        recording, upload_slot = service.create_pending(user, announced)
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
    returns={200: "Recording"},
    errors=(401, 404),
)
@json_errors
def get_recording(recording_id: str) -> dict[str, Any]:
    recording = wiring.recording_service().visible(recording_id, viewer_id(current_request().headers))
    return recording_view(recording, link_root(current_request()))


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
    wiring.recording_service().delete(recording_id, signed_in(current_request().headers))
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
    errors=(400, 401, 404, 409),
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
    url = wiring.recording_service().audio_link(recording_id, viewer_id(current_request().headers), audio_format)
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
    returns={200: "Peaks"},
    errors=(401, 404, 409),
)
@json_errors
def recording_peaks(recording_id: str) -> dict[str, Any]:
    return wiring.recording_service().peaks(recording_id, viewer_id(current_request().headers))


@app.on_sqs_message(queue=conversions_queue_name(), batch_size=1)
def convert(event: SQSEvent) -> None:
    wiring.converter().handle(record.body for record in event)


@app.on_sqs_message(queue=dead_letter_queue_name(), batch_size=1)
def dead_letters(event: SQSEvent) -> None:
    wiring.converter().give_up(record.body for record in event)


@app.on_sqs_message(queue=webhooks_queue_name(), batch_size=1)
def deliver_webhooks(event: SQSEvent) -> None:
    wiring.webhook_deliverer().handle(record.body for record in event)
