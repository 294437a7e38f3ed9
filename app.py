"""Cloud Sound: routes and the converter's queue handlers. Each reads the request, calls one service, and answers;
the earlier specs' calls are blueprints of their own (chalicelib/api/compat/)."""

from __future__ import annotations

from chalice import Chalice, Response

from chalicelib import logs, wiring
from chalicelib.api.auth import signed_in, viewer_id
from chalicelib.api.compat import BLUEPRINTS
from chalicelib.api.limits import count_registration
from chalicelib.api.http import (
    BINARY_TYPES, BadRequest, access_log, is_json, json_errors, json_object, link_root, redirect, uniform_errors,
    wants_json,
)
from chalicelib.api.queries import list_query
from chalicelib.api.representation import recording_view
from chalicelib.api.uploads import metadata_from_params, upload_of
from chalicelib.config import conversions_queue_name, dead_letter_queue_name, settings
from chalicelib.errors import NotFound
from chalicelib.recording import FORMATS
from chalicelib.users import parse_user_id, validate_user_id, validate_user_name
from chalicelib.web import page_html

app = Chalice(app_name="cloudsound")
app.api.binary_types.extend(t for t in BINARY_TYPES if t not in app.api.binary_types)
app.register_middleware(uniform_errors, "http")
app.register_middleware(access_log, "http")
logs.configure()
for blueprint in BLUEPRINTS:
    app.register_blueprint(blueprint)


@app.route("/", methods=["GET"])
def web_page() -> Response:
    from chalicelib.web import page_headers  # its CSP, nosniff, Referrer-Policy and frame policy

    return Response(body=page_html(), status_code=200, headers=page_headers())


@app.route("/openapi.json", methods=["GET"])
def openapi() -> dict:
    from chalicelib.api.openapi import openapi_document  # built on the first request, not at the cold start

    return openapi_document()


@app.route("/health", methods=["GET"])
def health() -> dict:
    return {"status": "ok"}


@app.route("/users", methods=["POST"], content_types=["*/*"])
@json_errors
def register_user() -> Response:
    body = json_object(app.current_request.raw_body)
    user_id = validate_user_id(body["id"]) if body.get("id") is not None else None
    count_registration(app.current_request)
    user, token = wiring.user_store().register(validate_user_name(body.get("name")), user_id)
    return Response(body={**user.public(), "token": token}, status_code=201,
                    headers={"Location": f"{link_root(app.current_request)}/users/{user.id}"})


@app.route("/me", methods=["GET"])
@json_errors
def who_am_i() -> dict:
    user = signed_in(app.current_request.headers)
    usage, quota = wiring.recording_service().usage(user)
    return {**user.public(), "usage": {"bytes": usage.stored, "seconds": usage.seconds},
            "reserved": {"bytes": usage.reserved}, "quota": {"bytes": quota.bytes, "seconds": quota.seconds}}


@app.route("/users/{user_id}", methods=["GET"])
@json_errors
def get_user(user_id: str) -> dict:
    parsed = parse_user_id(user_id)
    if parsed is None:
        raise BadRequest("a user id is a positive integer", field="id")
    user = wiring.user_store().get(parsed)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user.public()


@app.route("/recordings", methods=["POST"], content_types=["*/*"])
@json_errors
def create_recording() -> Response:
    request = app.current_request
    user = signed_in(request.headers)
    service = wiring.recording_service()
    if is_json(request.headers.get("content-type")):
        recording, upload_slot = service.create_pending(user, json_object(request.raw_body))
        view = {**recording_view(recording, link_root(request)), "upload": upload_slot}
        return Response(body=view, status_code=201, headers={"Location": view["links"]["self"]})
    upload = upload_of(request)
    recording = service.upload(user, upload.body, filename=upload.filename,
                               metadata=metadata_from_params(request.query_params, upload.fields))
    view = recording_view(recording, link_root(request))
    return Response(body=view, status_code=202, headers={"Location": view["links"]["self"]})


@app.route("/recordings", methods=["GET"])
@json_errors
def list_recordings() -> dict:
    query = list_query(app.current_request.query_params or {})
    recordings, next_cursor = wiring.recording_service().list(query, viewer_id(app.current_request.headers))
    root = link_root(app.current_request)
    return {"items": [recording_view(recording, root) for recording in recordings], "next_cursor": next_cursor}


@app.route("/recordings/{recording_id}", methods=["GET"])
@json_errors
def get_recording(recording_id: str) -> dict:
    recording = wiring.recording_service().visible(recording_id, viewer_id(app.current_request.headers))
    return recording_view(recording, link_root(app.current_request))


@app.route("/recordings/{recording_id}", methods=["PATCH"], content_types=["*/*"])
@json_errors
def edit_recording(recording_id: str) -> dict:
    request = app.current_request
    changes = json_object(request.raw_body)
    recording = wiring.recording_service().update(recording_id, signed_in(request.headers), changes)
    return recording_view(recording, link_root(request))


@app.route("/recordings/{recording_id}", methods=["DELETE"])
@json_errors
def delete_recording(recording_id: str) -> Response:
    wiring.recording_service().delete(recording_id, signed_in(app.current_request.headers))
    return Response(body="", status_code=204)


@app.route("/recordings/{recording_id}/audio", methods=["GET"])
@json_errors
def recording_audio(recording_id: str) -> Response:
    audio_format = (app.current_request.query_params or {}).get("format", "mp3")
    if audio_format not in FORMATS:
        raise BadRequest(f"format must be one of: {', '.join(FORMATS)}", field="format")
    url = wiring.recording_service().audio_link(recording_id, viewer_id(app.current_request.headers), audio_format)
    if wants_json(app.current_request.headers):  # scripts and the page: the link itself, to use as they like
        return Response(body={"url": url, "expires_in": settings().link_ttl_seconds}, status_code=200)
    return redirect(url)


@app.route("/recordings/{recording_id}/peaks", methods=["GET"])
@json_errors
def recording_peaks(recording_id: str) -> dict:
    return wiring.recording_service().peaks(recording_id, viewer_id(app.current_request.headers))


@app.on_sqs_message(queue=conversions_queue_name(), batch_size=1)
def convert(event) -> None:
    wiring.converter().handle(record.body for record in event)


@app.on_sqs_message(queue=dead_letter_queue_name(), batch_size=1)
def dead_letters(event) -> None:
    wiring.converter().give_up(record.body for record in event)
