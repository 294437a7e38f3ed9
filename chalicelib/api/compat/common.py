"""What more than one earlier spec needs: serving a file the way their clients expect, the uploads and downloads
of the specs that send a user id beside a token, and reading their loosely typed bodies."""

from __future__ import annotations

import urllib.parse
import uuid
from typing import TYPE_CHECKING, Any

from chalice import Response

from chalicelib import wiring
from chalicelib.api.auth import caller_or_guest, user_for_token
from chalicelib.api.declared import AUDIO_BODIES as AUDIO_BODIES  # the compat modules take it from here
from chalicelib.api.http import BadRequest, json_object, redirect
from chalicelib.api.uploads import Upload
from chalicelib.config import settings
from chalicelib.errors import NotFound, NotOwner, Unauthenticated
from chalicelib.recording import Recording
from chalicelib.storage import content_disposition
from chalicelib.users import User

if TYPE_CHECKING:  # loaded with the service by the first request that needs it, not by the cold start
    from chalicelib.downloads import AudioFile

COMPAT = ("compat",)  # the OpenAPI tag of the earlier specs' calls
BINARY = {"type": "string", "format": "binary"}
DOWNLOAD_ANSWERS = {
    200: {
        "description": "the file's bytes (small files, binary Accept)",
        "content": {"audio/*": {"schema": BINARY}, "application/octet-stream": {"schema": BINARY}},
    },
    302: {"description": "a presigned S3 link to the file", "headers": {"Location": {"schema": {"type": "string"}}}},
}
INLINE_BYTES = 4 * 1024 * 1024  # what fits a Lambda response
_BINARY_ACCEPT = ("*/*", "audio/")


def serve(request: Any, audio: AudioFile) -> Response:
    """The file's bytes in the answer when it is small and the client takes binary (curl and requests do), as
    those specs' servers answered; a presigned redirect otherwise."""
    service = wiring.recording_service()
    accept = (request.headers.get("accept") or "").lower()
    if audio.size is not None and audio.size <= INLINE_BYTES and any(kind in accept for kind in _BINARY_ACCEPT):
        return Response(
            body=service.read(audio),
            status_code=200,
            headers={"Content-Type": audio.content_type, "Content-Disposition": content_disposition(audio.filename)},
        )
    return redirect(service.presigned(audio))


def user_id(value: Any, field: str) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise BadRequest(f"{field} must be a user id (an integer)", field=field) from None


def uploader(claimed_id: Any, token: Any, id_field: str, token_field: str) -> User:
    """Who uploads, for the specs that send a user id and a token side by side (the token must be that user's)."""
    if not token:
        raise Unauthenticated(f"{token_field} is required", field=token_field)
    if claimed_id in (None, ""):
        raise BadRequest(f"{id_field} is required", field=id_field)
    claimed = user_id(claimed_id, id_field)
    user = user_for_token(token, token_field)
    if user.id != claimed:
        raise NotOwner(f"the token does not belong to user {claimed}", field=id_field)
    return user


def upload_wav(user: User, upload: Upload, name: str | None) -> Recording:
    """A WAV upload from the PigWav and task-2 clients (WAV only, as those specs say)."""
    return wiring.recording_service().upload(
        user,
        upload.body,
        filename=upload.filename,
        metadata={"name": upload.fields.get("name") or name},
        formats=("wav",),
    )


def download_mp3(
    request: Any, record_id: str | None, owner_id: str | None, id_field: str, owner_field: str
) -> Response:
    """The MP3 of the recording a PigWav or task-2 link names, for whoever may see it (a private one: its owner's
    token). A conversion under way is waited for a little, as those specs converted before answering; still
    converting after that: 409 with the status and Retry-After."""
    if not record_id:
        raise BadRequest(f"{id_field} is required", field=id_field)
    if not owner_id:
        raise BadRequest(f"{owner_field} is required", field=owner_field)
    owner = user_id(owner_id, owner_field)
    try:
        uuid.UUID(record_id)
    except ValueError:
        raise BadRequest(f"{id_field} must be a record id (a UUID)", field=id_field) from None
    viewer = caller_or_guest(request.headers)
    service = wiring.recording_service()
    recording = service.visible(record_id, viewer.id)
    if recording.owner != owner:
        raise NotFound(f"no recording {record_id}")
    recording = service.converted(record_id, viewer.id, settings().compat_wait_seconds)
    return serve(request, service.audio_file(recording, "mp3"))


def fields_of(request: Any) -> dict[str, Any]:
    """A loosely typed body: a JSON object, or a form, merged over the query string."""
    if request.raw_body.strip().startswith(b"{"):
        return json_object(request.raw_body)
    fields: dict[str, Any] = dict(request.query_params or {})
    content_type = (request.headers.get("content-type") or "").lower()
    if content_type.startswith("application/x-www-form-urlencoded") and request.raw_body:
        fields.update(dict(urllib.parse.parse_qsl(request.raw_body.decode("utf-8", "replace"))))
    return fields


def query(request: Any) -> dict[str, str]:
    return dict(request.query_params or {})
