"""seeds/003, PigWav: a user by name (POST /user, in `user_calls`), a WAV upload with the user's id and token that
answers with a link `/record?id=<uuid>&user=<id>`, and that link, which downloads the MP3.

The link works for whoever may see the recording: anyone for a public one, only the owner's token for a private one.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.api.auth import bearer_token
from chalicelib.api.compat.common import COMPAT, DOWNLOAD_ANSWERS, download_mp3, query, upload_wav, uploader
from chalicelib.api.declared import route
from chalicelib.api.http import json_errors, link_root
from chalicelib.api.uploads import upload_of

blueprint = Blueprint(__name__)


@route(
    blueprint,
    "POST",
    "/record",
    summary="seeds/003 (PigWav): upload a WAV with user_id and token",
    auth="open",
    tags=COMPAT,
    query="PigwavUploadFields",
    other_bodies=("multipart/form-data",),
    required_body=True,
    returns={200: "PigwavUploaded"},
    errors=(400, 401, 403, 404, 411, 413, 415, 422),
)
@json_errors
def pigwav_upload() -> dict[str, Any]:
    request = blueprint.current_request
    upload = upload_of(request)
    fields = {**query(request), **upload.fields}
    token = fields.get("token") or bearer_token(request.headers)
    user = uploader(fields.get("user_id") or fields.get("user") or fields.get("id"), token, "user_id", "token")
    recording = upload_wav(user, upload, query(request).get("name"))
    url = f"{link_root(request)}/record?id={recording.id}&user={user.id}"
    return {"url": url, "id": recording.id, "user": user.id, "status": recording.status}


@route(
    blueprint,
    "GET",
    "/record",
    summary="seeds/003 (PigWav): download the MP3",
    auth="open",
    tags=COMPAT,
    query="PigwavDownloadParams",
    returns={200: None, 302: None},
    media=DOWNLOAD_ANSWERS,
    errors=(400, 401, 404, 409),
)
@json_errors
def pigwav_download() -> Response:
    params = query(blueprint.current_request)
    return download_mp3(blueprint.current_request, params.get("id"), params.get("user"), "id", "user")
