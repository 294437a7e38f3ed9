"""The earlier specs' calls, unchanged for their clients (seeds/000, 001, 003, 004; 002 is the primary API).

This blueprint only translates: each route reads the spec's parameters and names, calls the same services as the
primary API, and answers in the spec's shape. Calls those specs make without a token act as the anonymous user
(`GUEST`, id 0); with `Authorization: Bearer`, as the token's user.

Names are not unique here: `/download?name=` and `/info?name=` select the newest listed recording with that exact
name; `/info` also lists the ids of the older ones. Downloads answer with the file's bytes when it fits a Lambda
response (4 MiB) and the client accepts binary (curl and requests do), else with a 302 to a presigned link.
"""

from __future__ import annotations

import datetime
import functools
import time
import uuid
from typing import Any, Callable

from chalice import Blueprint, Response

from chalicelib.api.http import bearer_token, base_url, json_errors, json_object, redirect
from chalicelib.api.representation import recording_view
from chalicelib.config import settings
from chalicelib.errors import BadRequest, Forbidden, Invalid, NotFound, Unauthorized, UnsupportedMedia
from chalicelib.listing import ListQuery
from chalicelib.metadata import KIND_FIELDS
from chalicelib.service import AudioFile, RecordingService
from chalicelib.storage import content_disposition
from chalicelib.uploads import Upload, read_upload
from chalicelib.users import GUEST, User, UserStore, validate_user_id, validate_user_name

compat = Blueprint(__name__)

INLINE_BYTES = 4 * 1024 * 1024
_BINARY_ACCEPT = ("*/*", "audio/")
_KIND_ALIASES = {"song": "song", "podcast": "podcast", "audiobook": "audiobook", "audio_book": "audiobook",
                 "audio-book": "audiobook", "audiobooks": "audiobook", "songs": "song", "podcasts": "podcast"}


# ---- shared translation helpers -------------------------------------------------------------------------------

def _request() -> Any:
    return compat.current_request


def _root() -> str:
    return base_url(_request(), settings().public_url)


def _service() -> RecordingService:
    return RecordingService.from_settings()


def _caller(token: str | None = None) -> User:
    """The token's user (401 for a token that is not one), else the anonymous user."""
    token = token or bearer_token(_request().headers)
    if not token:
        return GUEST
    user = UserStore.from_settings().authenticate(token)
    if user is None:
        raise Unauthorized("the token is not valid")
    return user


def _params() -> dict[str, str]:
    return dict(_request().query_params or {})


def _read_upload(file_field: str = "file") -> Upload:
    """The body's audio: raw, or the multipart part `file_field` (else the first part that carries a file)."""
    request = _request()
    return read_upload(
        request.headers.get("content-type"), request.raw_body, max_bytes=settings().max_body_bytes,
        declared_length=request.headers.get("content-length"),
        chunked="chunked" in request.headers.get("transfer-encoding", "").lower(), file_field=file_field,
    )


def _serve(audio: AudioFile, service: RecordingService) -> Response:
    """The file's bytes in the response when small and the client takes binary; a presigned redirect otherwise."""
    accept = (_request().headers.get("accept") or "").lower()
    if audio.size is not None and audio.size <= INLINE_BYTES and any(t in accept for t in _BINARY_ACCEPT):
        return Response(body=service.storage.read(audio.key), status_code=200, headers={
            "Content-Type": audio.content_type, "Content-Disposition": content_disposition(audio.filename)})
    return redirect(service.presigned(audio))


def _as_400(view: Callable[..., Any]) -> Callable[..., Any]:
    """The audio file server spec answers every client error with 400."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except (Invalid, UnsupportedMedia) as error:
            raise BadRequest(error.message, **error.details) from None

    return wrapper


def _user_id(value: Any, field: str) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise BadRequest(f"{field} must be a user id (an integer)", field=field) from None


def _legacy_uploader(user_id: Any, token: Any, id_field: str, token_field: str) -> User:
    """Who uploads, for the specs that send a user id and a token side by side."""
    if not token:
        raise Unauthorized(f"{token_field} is required", field=token_field)
    if user_id in (None, ""):
        raise BadRequest(f"{id_field} is required", field=id_field)
    claimed = _user_id(user_id, id_field)
    user = UserStore.from_settings().authenticate(str(token).strip())
    if user is None:
        raise Unauthorized("the token is not valid", field=token_field)
    if user.id != claimed:
        raise Forbidden(f"the token does not belong to user {claimed}", field=id_field)
    return user


def _legacy_upload(user: User, upload: Upload) -> dict[str, Any]:
    """A WAV upload from the PigWav and task-2 clients (WAV only, as those specs say)."""
    return _service().upload(user, upload, {"name": upload.fields.get("name") or _params().get("name")},
                             formats=("wav",))


def _legacy_download(record_id: str | None, user_id: str | None, id_field: str, user_field: str) -> Response:
    """The MP3 of a user's record, waiting a little for a conversion under way (those specs converted before
    answering); still converting after that: 409 with the status and Retry-After."""
    if not record_id:
        raise BadRequest(f"{id_field} is required", field=id_field)
    if not user_id:
        raise BadRequest(f"{user_field} is required", field=user_field)
    owner = _user_id(user_id, user_field)
    try:
        uuid.UUID(record_id)
    except ValueError:
        raise BadRequest(f"{id_field} must be a record id (a UUID)", field=id_field) from None
    token = bearer_token(_request().headers)
    viewer = _caller(token).id if token else owner  # the link names its owner, as those specs' links do
    service = _service()
    deadline = time.monotonic() + float(settings().compat_wait_seconds)
    while True:
        item = service.visible(record_id, viewer)
        if item["owner"] != owner:
            raise NotFound(f"user {owner} has no record {record_id}")
        if item["status"] != "processing" or time.monotonic() >= deadline:
            return _serve(service.audio_file(item, "mp3"), service)
        time.sleep(0.25)


# ---- seeds/000: the audio server -------------------------------------------------------------------------------

@compat.route("/post", methods=["POST"], content_types=["*/*"])
@json_errors
def post_audio() -> Response:
    upload = _read_upload()
    item = _service().upload(_caller(), upload, {"name": _params().get("name") or upload.fields.get("name")})
    return Response(body=recording_view(item, _root()), status_code=200)


def _audio_server_query(params: dict[str, str], limit: str | None = None) -> ListQuery:
    renamed = {"maxduration": "max_duration", "minduration": "min_duration", "max_duration": "max_duration",
               "min_duration": "min_duration"}
    translated = {renamed.get(key, key): value for key, value in params.items()}
    translated.setdefault("limit", limit or "200")
    return ListQuery.from_params(translated)


@compat.route("/list", methods=["GET"])
@json_errors
def list_audio() -> list:
    viewer = _caller() if bearer_token(_request().headers) else None
    items, _ = _service().list(_audio_server_query(_params()), viewer.id if viewer else None)
    root = _root()
    return [recording_view(item, root) for item in items]


def _by_name_or_id(params: dict[str, str]) -> tuple[list[dict[str, Any]], RecordingService]:
    service = _service()
    viewer = _caller().id if bearer_token(_request().headers) else None
    if params.get("id"):
        return [service.visible(params["id"], viewer)], service
    if not params.get("name"):
        raise BadRequest("give the file's name: ?name=myfile.wav (or ?id=)", field="name")
    return service.newest_named(params["name"], viewer), service


@compat.route("/download", methods=["GET"])
@json_errors
def download_audio() -> Response:
    params = _params()
    audio_format = params.get("format", "original")
    if audio_format not in ("original", "mp3"):
        raise BadRequest("format must be original or mp3", field="format")
    matches, service = _by_name_or_id(params)
    return _serve(service.audio_file(matches[0], audio_format), service)


@compat.route("/info", methods=["GET"])
@json_errors
def audio_info() -> dict:
    matches, _ = _by_name_or_id(_params())
    return {**recording_view(matches[0], _root()), "other_ids": [item["id"] for item in matches[1:]]}


# ---- seeds/001: the audio file server --------------------------------------------------------------------------

def _kind(raw: Any) -> str:
    kind = _KIND_ALIASES.get(str(raw or "").strip().lower().replace(" ", ""))
    if kind is None:
        raise BadRequest("the audio file type must be song, podcast or audiobook", field="audioFileType")
    return kind


def _file_server_metadata(kind: str, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(metadata our services take, extra attributes) from the spec's body; fields of other kinds are dropped."""
    fields = body.get("audioFileMetadata") or body.get("metadata") or body
    if not isinstance(fields, dict):
        raise BadRequest("the metadata must be a JSON object", field="audioFileMetadata")
    wanted = KIND_FIELDS[kind] if kind == "audiobook" else ("name", *KIND_FIELDS[kind])
    metadata = {key: fields[key] for key in wanted if key in fields}
    extra: dict[str, Any] = {}
    if "duration" in fields and fields["duration"] is not None:
        duration = fields["duration"]
        if (isinstance(duration, bool) or not isinstance(duration, (int, float)) or not 0 < duration <= 1e9
                or round(duration, 6) == 0):
            raise BadRequest("duration must be a positive number of seconds", field="duration")
        extra["declared_duration"] = round(duration, 6)
    if fields.get("uploaded_time") is not None:
        extra["uploaded_time"] = _uploaded_time(fields["uploaded_time"])
    return {**metadata, "kind": kind}, extra


def _uploaded_time(value: Any) -> str:
    try:
        moment = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest("uploaded_time must be an ISO 8601 date and time", field="uploaded_time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    if moment < datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5):
        raise BadRequest("uploaded_time cannot be in the past", field="uploaded_time")
    return moment.isoformat()


def _file_server_view(item: dict[str, Any]) -> dict[str, Any]:
    view = recording_view(item, _root())
    duration = view["duration"] if view["duration"] is not None else item.get("declared_duration")
    return {**view, "audioFileType": view["kind"], "duration": duration,
            "uploaded_time": item.get("uploaded_time") or item["created_at"]}


def _file_server_item(kind: str, audio_id: str, user: User) -> tuple[dict[str, Any], RecordingService]:
    service = _service()
    item = service.visible(audio_id, user.id)
    if item.get("kind") != _kind(kind):
        raise NotFound(f"no {kind} {audio_id}")
    return item, service


@compat.route("/api/audio/create", methods=["POST"], content_types=["*/*"])
@json_errors
@_as_400
def create_audio_file() -> dict:
    body = json_object(_request().raw_body)
    nested = body.get("audioFileMetadata") if isinstance(body.get("audioFileMetadata"), dict) else {}
    kind = _kind(body.get("audioFileType") or body.get("filetype") or body.get("audio_file_type")
                 or nested.get("audioFileType"))
    metadata, extra = _file_server_metadata(kind, body)
    item, upload = _service().create_pending(_caller(), metadata, expires=False, extra=extra)
    return {**_file_server_view(item), "upload": upload}


@compat.route("/api/audio/{kind}", methods=["GET"])
@json_errors
@_as_400
def list_audio_files(kind: str) -> list:
    user = _caller()
    items, _ = _service().list(ListQuery(owner=user.id, kind=_kind(kind), limit=200), user.id)
    return [_file_server_view(item) for item in items]


@compat.route("/api/audio/{kind}/{audio_id}", methods=["GET"])
@json_errors
@_as_400
def get_audio_file(kind: str, audio_id: str) -> dict:
    item, _ = _file_server_item(kind, audio_id, _caller())
    return _file_server_view(item)


@compat.route("/api/audio/{kind}/{audio_id}", methods=["PUT"], content_types=["*/*"])
@json_errors
@_as_400
def put_audio_file(kind: str, audio_id: str) -> dict:
    user = _caller()
    item, service = _file_server_item(kind, audio_id, user)
    content_type = (_request().headers.get("content-type") or "").lower()
    if content_type.startswith("application/json"):
        metadata, extra = _file_server_metadata(item["kind"], json_object(_request().raw_body))
        updated = service.update(audio_id, user, {**metadata, **extra})
    else:
        updated = service.attach_original(audio_id, user, _read_upload())
    return _file_server_view(updated)


@compat.route("/api/audio/{kind}/{audio_id}", methods=["DELETE"])
@json_errors
@_as_400
def delete_audio_file(kind: str, audio_id: str) -> dict:
    user = _caller()
    _, service = _file_server_item(kind, audio_id, user)
    service.delete(audio_id, user)
    return {"id": audio_id, "deleted": True}


# ---- seeds/003: PigWav -----------------------------------------------------------------------------------------

@compat.route("/user", methods=["POST"], content_types=["*/*"])
@json_errors
def pigwav_create_user() -> dict:
    """PigWav: a user by name, with a generated id. Also the Cloud Sound spec's user API: `{"id": 42}`."""
    body = json_object(_request().raw_body) if _request().raw_body.strip().startswith(b"{") else _form_or_query()
    name = validate_user_name(body.get("name") or body.get("username") or body.get("user"))
    user_id = validate_user_id(body["id"]) if body.get("id") is not None else None
    if name is None and user_id is None:
        raise BadRequest("the user's name is required", field="name")
    user, token = UserStore.from_settings().register(name, user_id)
    return {"id": user.id, "user_id": user.id, "name": user.name, "token": token}


@compat.route("/user/{user_id}", methods=["GET"])
@json_errors
def user_exists(user_id: str) -> dict:
    """The Cloud Sound spec's user API: 200 if the user exists, else 404."""
    user = UserStore.from_settings().get(_user_id(user_id, "id")) if user_id.isdigit() else None
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user.public()


def _form_or_query() -> dict[str, Any]:
    request = _request()
    fields: dict[str, Any] = dict(request.query_params or {})
    content_type = (request.headers.get("content-type") or "").lower()
    if content_type.startswith("application/x-www-form-urlencoded") and request.raw_body:
        import urllib.parse

        fields.update(dict(urllib.parse.parse_qsl(request.raw_body.decode("utf-8", "replace"))))
    return fields


@compat.route("/record", methods=["POST"], content_types=["*/*"])
@json_errors
def pigwav_upload() -> dict:
    request = _request()
    params = _params()
    upload = _read_upload()
    fields = {**params, **upload.fields}
    token = fields.get("token") or bearer_token(request.headers)
    user = _legacy_uploader(fields.get("user_id") or fields.get("user") or fields.get("id"), token, "user_id",
                            "token")
    item = _legacy_upload(user, upload)
    url = f"{_root()}/record?id={item['id']}&user={user.id}"
    return {"url": url, "id": item["id"], "user": user.id, "status": item["status"]}


@compat.route("/record", methods=["GET"])
@json_errors
def pigwav_download() -> Response:
    params = _params()
    return _legacy_download(params.get("id"), params.get("user"), "id", "user")


# ---- seeds/004: task 2 ----------------------------------------------------------------------------------------

@compat.route("/api/registration", methods=["POST"], content_types=["*/*"])
@json_errors
def task2_register() -> dict:
    body = json_object(_request().raw_body) if _request().raw_body.strip().startswith(b"{") else _form_or_query()
    name = validate_user_name(body.get("username") or body.get("name"))
    if name is None:
        raise BadRequest("username is required", field="username")
    user, token = UserStore.from_settings().register(name)
    return {"id_user": user.id, "user_token": token}


@compat.route("/api/upload_audiorecord", methods=["POST"], content_types=["*/*"])
@json_errors
def task2_upload() -> dict:
    upload = _read_upload("file_wav")
    fields = {**_params(), **upload.fields}
    user = _legacy_uploader(fields.get("id_user"), fields.get("user_token") or bearer_token(_request().headers),
                            "id_user", "user_token")
    item = _legacy_upload(user, upload)
    return {"URL for download": f"{_root()}/api/download?id_record={item['id']}&id_user={user.id}"}


@compat.route("/api/download", methods=["GET"])
@json_errors
def task2_download() -> Response:
    params = _params()
    return _legacy_download(params.get("id_record"), params.get("id_user"), "id_record", "id_user")
