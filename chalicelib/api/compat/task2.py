"""seeds/004, task 2: `POST /api/registration/` {"username"} → {id_user, user_token}; `POST /api/upload_audiorecord/`
(form `user_token`, `id_user`, `file_wav`) → {"URL for download": …/api/download?id_record=&id_user=}; that link
downloads the MP3 (a private recording's only with its owner's token)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib import wiring
from chalicelib.api.auth import bearer_token
from chalicelib.api.compat.common import COMPAT, DOWNLOAD_ANSWERS, download_mp3, fields_of, query, upload_wav, uploader
from chalicelib.api.declared import route
from chalicelib.api.http import BadRequest, json_errors, link_root
from chalicelib.api.limits import count_registration
from chalicelib.api.uploads import upload_of
from chalicelib.text import clean_text
from chalicelib.users import MAX_NAME_LENGTH

blueprint = Blueprint(__name__)


@route(
    blueprint,
    "POST",
    "/api/registration",
    summary="seeds/004: register",
    auth="open",
    tags=COMPAT,
    body="Task2Registration",
    required_body=True,
    returns={200: "Task2Registered"},
    errors=(400, 409, 422, 429),
)
@json_errors
def task2_register() -> dict[str, Any]:
    body = fields_of(blueprint.current_request)
    name = clean_text(body.get("username") or body.get("name"), "username", MAX_NAME_LENGTH)
    if name is None:
        raise BadRequest("username is required", field="username")
    count_registration(blueprint.current_request)
    user, token = wiring.user_store().register(name)
    return {"id_user": user.id, "user_token": token}


@route(
    blueprint,
    "POST",
    "/api/upload_audiorecord",
    auth="open",
    tags=COMPAT,
    required_body=True,
    summary="seeds/004: upload a WAV (form: user_token, id_user, file_wav)",
    other_bodies=("multipart/form-data",),
    returns={200: "Task2Uploaded"},
    errors=(400, 401, 403, 404, 411, 413, 415, 422),
)
@json_errors
def task2_upload() -> dict[str, Any]:
    request = blueprint.current_request
    upload = upload_of(request, "file_wav")
    fields = {**query(request), **upload.fields}
    user = uploader(
        fields.get("id_user"), fields.get("user_token") or bearer_token(request.headers), "id_user", "user_token"
    )
    recording = upload_wav(user, upload, query(request).get("name"))
    return {"URL for download": f"{link_root(request)}/api/download?id_record={recording.id}&id_user={user.id}"}


@route(
    blueprint,
    "GET",
    "/api/download",
    summary="seeds/004: download the MP3",
    auth="open",
    tags=COMPAT,
    query="Task2DownloadParams",
    returns={200: None, 302: None},
    media=DOWNLOAD_ANSWERS,
    errors=(400, 401, 404, 409),
)
@json_errors
def task2_download() -> Response:
    params = query(blueprint.current_request)
    return download_mp3(
        blueprint.current_request, params.get("id_record"), params.get("id_user"), "id_record", "id_user"
    )
