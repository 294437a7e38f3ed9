"""Cloud Sound: routes and the converter's queue handler. Each parses, calls one service, and answers."""

from __future__ import annotations

from chalice import Chalice, Response

from chalicelib import logs
from chalicelib.api.compat import compat
from chalicelib.api.openapi import openapi_document
from chalicelib.api.http import (
    BINARY_TYPES, access_log, base_url, bearer_token, is_json, json_errors, json_object, metadata_from_params,
    redirect, uniform_errors, wants_json,
)
from chalicelib.api.representation import recording_view
from chalicelib.config import conversions_queue_name, dead_letter_queue_name, settings
from chalicelib.errors import BadRequest, NotFound, Unauthorized
from chalicelib.listing import ListQuery
from chalicelib.service import FORMATS, RecordingService
from chalicelib.web import page_html
from chalicelib.uploads import read_upload
from chalicelib.users import User, UserStore, validate_user_id, validate_user_name

app = Chalice(app_name="cloudsound")
app.api.binary_types.extend(t for t in BINARY_TYPES if t not in app.api.binary_types)
app.register_middleware(uniform_errors, "http")
app.register_middleware(access_log, "http")
logs.configure()
app.register_blueprint(compat)


def current_user(required: bool = True) -> User | None:
    token = bearer_token(app.current_request.headers)
    user = UserStore.from_settings().authenticate(token) if token else None
    if user is None and (required or token):
        raise Unauthorized("a valid token is required: Authorization: Bearer <token> (POST /users gives one)")
    return user


def link_root() -> str:
    return base_url(app.current_request, settings().public_url)


@app.route("/", methods=["GET"])
def web_page() -> Response:
    return Response(body=page_html(), status_code=200, headers={"Content-Type": "text/html; charset=utf-8",
                                                               "Cache-Control": "no-cache"})


@app.route("/openapi.json", methods=["GET"])
def openapi() -> dict:
    return openapi_document()


@app.route("/health", methods=["GET"])
def health() -> dict:
    return {"status": "ok"}


@app.route("/users", methods=["POST"], content_types=["*/*"])
@json_errors
def register_user() -> Response:
    body = json_object(app.current_request.raw_body)
    user_id = validate_user_id(body["id"]) if body.get("id") is not None else None
    user, token = UserStore.from_settings().register(validate_user_name(body.get("name")), user_id)
    return Response(body={**user.public(), "token": token}, status_code=201,
                    headers={"Location": f"{link_root()}/users/{user.id}"})


@app.route("/me", methods=["GET"])
@json_errors
def who_am_i() -> dict:
    return current_user().public()


@app.route("/users/{user_id}", methods=["GET"])
@json_errors
def get_user(user_id: str) -> dict:
    if not user_id.isdigit():
        raise BadRequest("a user id is a positive integer", field="id")
    user = UserStore.from_settings().get(int(user_id))
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user.public()


@app.route("/recordings", methods=["POST"], content_types=["*/*"])
@json_errors
def create_recording() -> Response:
    request = app.current_request
    user = current_user()
    service = RecordingService.from_settings()
    if is_json(request.headers.get("content-type")):
        item, upload_slot = service.create_pending(user, json_object(request.raw_body))
        view = {**recording_view(item, link_root()), "upload": upload_slot}
        return Response(body=view, status_code=201, headers={"Location": view["links"]["self"]})
    upload = read_upload(
        request.headers.get("content-type"), request.raw_body, max_bytes=settings().max_body_bytes,
        declared_length=request.headers.get("content-length"),
        chunked="chunked" in request.headers.get("transfer-encoding", "").lower(),
    )
    item = service.upload(user, upload, metadata_from_params(request.query_params, upload.fields))
    view = recording_view(item, link_root())
    return Response(body=view, status_code=202, headers={"Location": view["links"]["self"]})


@app.route("/recordings", methods=["GET"])
@json_errors
def list_recordings() -> dict:
    query = ListQuery.from_params(app.current_request.query_params or {})
    viewer = current_user(required=False)
    items, next_cursor = RecordingService.from_settings().list(query, viewer.id if viewer else None)
    root = link_root()
    return {"items": [recording_view(item, root) for item in items], "next_cursor": next_cursor}


@app.route("/recordings/{recording_id}", methods=["GET"])
@json_errors
def get_recording(recording_id: str) -> dict:
    viewer = current_user(required=False)
    item = RecordingService.from_settings().visible(recording_id, viewer.id if viewer else None)
    return recording_view(item, link_root())


@app.route("/recordings/{recording_id}", methods=["PATCH"], content_types=["*/*"])
@json_errors
def edit_recording(recording_id: str) -> dict:
    changes = json_object(app.current_request.raw_body)
    item = RecordingService.from_settings().update(recording_id, current_user(), changes)
    return recording_view(item, link_root())


@app.route("/recordings/{recording_id}", methods=["DELETE"])
@json_errors
def delete_recording(recording_id: str) -> Response:
    RecordingService.from_settings().delete(recording_id, current_user())
    return Response(body="", status_code=204)


@app.route("/recordings/{recording_id}/audio", methods=["GET"])
@json_errors
def recording_audio(recording_id: str) -> Response:
    audio_format = (app.current_request.query_params or {}).get("format", "mp3")
    if audio_format not in FORMATS:
        raise BadRequest(f"format must be one of: {', '.join(FORMATS)}", field="format")
    viewer = current_user(required=False)
    url = RecordingService.from_settings().audio_link(recording_id, viewer.id if viewer else None, audio_format)
    if wants_json(app.current_request.headers):  # scripts and the page: the link itself, to use as they like
        return Response(body={"url": url, "expires_in": settings().link_ttl_seconds}, status_code=200)
    return redirect(url)


@app.route("/recordings/{recording_id}/peaks", methods=["GET"])
@json_errors
def recording_peaks(recording_id: str) -> dict:
    viewer = current_user(required=False)
    return RecordingService.from_settings().peaks(recording_id, viewer.id if viewer else None)


@app.on_sqs_message(queue=conversions_queue_name(), batch_size=1)
def convert(event) -> None:
    from chalicelib.pipeline import Converter  # here, not at the top: the API's cold start never loads it

    Converter.from_settings().handle(record.body for record in event)


@app.on_sqs_message(queue=dead_letter_queue_name(), batch_size=1)
def dead_letters(event) -> None:
    from chalicelib.pipeline import Converter

    Converter.from_settings().give_up(record.body for record in event)
