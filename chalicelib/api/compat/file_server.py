"""seeds/001, the audio file server: `POST /api/audio/create` with a kind and its metadata (the file comes later),
`GET|PUT|DELETE /api/audio/<kind>/<id>` and `GET /api/audio/<kind>`. The spec answers every client error with 400.

Its records are metadata first: created without a file (and without expiry), a file PUT later converts like any
upload. Its clients send no token: they act as the anonymous user, whose records only anonymous calls can see
while they wait for a file.
"""

from __future__ import annotations

import datetime
import functools
from typing import Any
from collections.abc import Callable

from chalice import Blueprint

from chalicelib import wiring
from chalicelib.api.auth import caller_or_guest
from chalicelib.api.limits import count_upload
from chalicelib.api.declared import route
from chalicelib.api.compat.common import COMPAT
from chalicelib.api.http import BadRequest, is_json, json_errors, json_object, link_root
from chalicelib.api.representation import recording_view
from chalicelib.api.uploads import upload_of
from chalicelib.errors import Invalid, NotAudio, NotFound
from chalicelib.listing import ListQuery
from chalicelib.recording import KIND_FIELDS, Recording
from chalicelib.users import User

blueprint = Blueprint(__name__)
KIND = {"kind": {"type": "string", "maxLength": 32}}
KIND_AND_ID = {**KIND, "audio_id": {"type": "string", "pattern": "^[A-Za-z0-9-]{1,64}$"}}
_KIND_ALIASES = {
    "song": "song",
    "podcast": "podcast",
    "audiobook": "audiobook",
    "audio_book": "audiobook",
    "audio-book": "audiobook",
    "audiobooks": "audiobook",
    "songs": "song",
    "podcasts": "podcast",
}


def _as_400(view: Callable[..., Any]) -> Callable[..., Any]:
    """The spec answers invalid metadata and files that are not audio with 400, like every other client error."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except (Invalid, NotAudio) as error:
            raise BadRequest(error.message, **error.details) from None

    return wrapper


def _user() -> User:
    return caller_or_guest(blueprint.current_request.headers)


def _kind(raw: Any) -> str:
    kind = _KIND_ALIASES.get(str(raw or "").strip().lower().replace(" ", ""))
    if kind is None:
        raise BadRequest("the audio file type must be song, podcast or audiobook", field="audioFileType")
    return kind


def _metadata(kind: str, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(metadata our services take, extra attributes) from the spec's body; fields of other kinds are dropped."""
    fields = body.get("audioFileMetadata") or body.get("metadata") or body
    if not isinstance(fields, dict):
        raise BadRequest("the metadata must be a JSON object", field="audioFileMetadata")
    wanted = KIND_FIELDS[kind] if kind == "audiobook" else ("name", *KIND_FIELDS[kind])
    metadata = {key: fields[key] for key in wanted if key in fields}
    extra: dict[str, Any] = {}
    if "duration" in fields and fields["duration"] is not None:
        duration = fields["duration"]
        if (
            isinstance(duration, bool)
            or not isinstance(duration, (int, float))
            or not 0 < duration <= 1e9
            or round(duration, 6) == 0
        ):
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
        moment = moment.replace(tzinfo=datetime.UTC)
    if moment < datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5):
        raise BadRequest("uploaded_time cannot be in the past", field="uploaded_time")
    return moment.isoformat()


def _view(recording: Recording) -> dict[str, Any]:
    view = recording_view(recording, link_root(blueprint.current_request))
    duration = view["duration"] if view["duration"] is not None else recording.declared_duration
    return {
        **view,
        "audioFileType": view["kind"],
        "duration": duration,
        "uploaded_time": recording.uploaded_time or recording.created_at,
    }


def _find(kind: str, audio_id: str, user: User) -> Recording:
    recording = wiring.recording_service().visible(audio_id, user.id)
    if recording.kind != _kind(kind):
        raise NotFound(f"no {kind} {audio_id}")
    return recording


@route(
    blueprint,
    "POST",
    "/api/audio/create",
    summary="seeds/001: create audio file metadata",
    auth="optional",
    tags=COMPAT,
    body="AudioFileMetadata",
    required_body=True,
    returns={200: "AudioFileCreated"},
    errors=(400, 401, 403, 404, 409, 413, 429),
)
@json_errors
@_as_400
def create_audio_file() -> dict[str, Any]:
    body = json_object(blueprint.current_request.raw_body)
    nested = given if isinstance(given := body.get("audioFileMetadata"), dict) else {}
    kind = _kind(
        body.get("audioFileType") or body.get("filetype") or body.get("audio_file_type") or nested.get("audioFileType")
    )
    metadata, extra = _metadata(kind, body)
    user = _user()
    count_upload(blueprint.current_request, user)
    recording, upload = wiring.recording_service().create_pending(user, metadata, expires=False, extra=extra)
    return {**_view(recording), "upload": upload}


@route(
    blueprint,
    "GET",
    "/api/audio/{kind}",
    summary="seeds/001: list a kind",
    auth="optional",
    tags=COMPAT,
    path_params=KIND,
    returns={200: "AudioFile[]"},
    errors=(400, 401, 403, 404, 409, 413),
)
@json_errors
@_as_400
def list_audio_files(kind: str) -> list[dict[str, Any]]:
    user = _user()
    recordings, _ = wiring.recording_service().list(ListQuery(owner=user.id, kind=_kind(kind), limit=200), user.id)
    return [_view(recording) for recording in recordings]


@route(
    blueprint,
    "GET",
    "/api/audio/{kind}/{audio_id}",
    summary="seeds/001: one",
    auth="optional",
    tags=COMPAT,
    path_params=KIND_AND_ID,
    returns={200: "AudioFile"},
    errors=(400, 401, 403, 404, 409, 413),
)
@json_errors
@_as_400
def get_audio_file(kind: str, audio_id: str) -> dict[str, Any]:
    return _view(_find(kind, audio_id, _user()))


@route(
    blueprint,
    "PUT",
    "/api/audio/{kind}/{audio_id}",
    auth="optional",
    tags=COMPAT,
    path_params=KIND_AND_ID,
    summary="seeds/001: attach the audio (multipart) or change metadata (JSON)",
    body="AudioFileMetadata",
    other_bodies=("multipart/form-data",),
    required_body=True,
    returns={200: "AudioFile"},
    errors=(400, 401, 403, 404, 409, 413, 411, 415, 429),
)
@json_errors
@_as_400
def put_audio_file(kind: str, audio_id: str) -> dict[str, Any]:
    request = blueprint.current_request
    user = _user()
    recording = _find(kind, audio_id, user)
    service = wiring.recording_service()
    if is_json(request.headers.get("content-type")):
        # The declared duration and uploaded_time are the record's creation facts: a JSON PUT changes the metadata.
        metadata, _ = _metadata(recording.kind, json_object(request.raw_body))
        return _view(service.update(audio_id, user, metadata))
    body = upload_of(request).body
    count_upload(request, user)
    return _view(service.attach_original(audio_id, user, body))


@route(
    blueprint,
    "DELETE",
    "/api/audio/{kind}/{audio_id}",
    summary="seeds/001: delete",
    auth="optional",
    tags=COMPAT,
    path_params=KIND_AND_ID,
    returns={200: "AudioFileDeleted"},
    errors=(400, 401, 403, 404, 409, 413),
)
@json_errors
@_as_400
def delete_audio_file(kind: str, audio_id: str) -> dict[str, Any]:
    user = _user()
    _find(kind, audio_id, user)
    wiring.recording_service().delete(audio_id, user)
    return {"id": audio_id, "deleted": True}
