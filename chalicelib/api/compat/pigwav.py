"""seeds/003, PigWav: a user by name (POST /user, in `user_calls`), a WAV upload with the user's id and token that
answers with a link `/record?id=<uuid>&user=<id>`, and that link, which downloads the MP3.

The link works for whoever may see the recording: anyone for a public one, only the owner's token for a private one.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.api.auth import bearer_token
from chalicelib.api.compat.common import download_mp3, query, upload_wav, uploader
from chalicelib.api.http import json_errors, link_root
from chalicelib.api.uploads import upload_of

blueprint = Blueprint(__name__)


@blueprint.route("/record", methods=["POST"], content_types=["*/*"])
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


@blueprint.route("/record", methods=["GET"])
@json_errors
def pigwav_download() -> Response:
    params = query(blueprint.current_request)
    return download_mp3(blueprint.current_request, params.get("id"), params.get("user"), "id", "user")
