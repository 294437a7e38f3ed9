"""The routes of uploads in parts (chalicelib/multipart_uploads.py): the upload's state with links for the parts
still missing, and its completion. `POST /recordings` announces one (app.py asks `announced_upload`), and
`DELETE /recordings/{id}` aborts one. Imports are made inside the handlers: the API's cold start loads none of it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response

from chalicelib import wiring
from chalicelib.api.auth import signed_in
from chalicelib.api.declared import route
from chalicelib.api.http import json_errors, link_root

if TYPE_CHECKING:
    from chalice.app import Request

    from chalicelib.recording import Recording
    from chalicelib.users import User

bp = Blueprint(__name__)
RECORDING = {"recording_id": {"type": "string", "pattern": "^[A-Za-z0-9-]{1,64}$"}}


def _request() -> Request:
    request = bp.current_request
    assert request is not None
    return request


def announced_upload(user: User, announced: dict[str, Any], root: str) -> tuple[Recording, dict[str, Any]] | None:
    """POST /recordings with a JSON body that announces a file in parts: the recording and its upload object; None
    for a file that takes one upload link."""
    uploads = wiring.multipart_uploads()
    if not uploads.wanted(announced):
        return None
    recording, upload = uploads.create(user, announced)
    return recording, {**upload, "url": f"{root}/recordings/{recording.id}/upload"}


@route(
    bp,
    "GET",
    "/recordings/{recording_id}/upload",
    auth="token",
    path_params=RECORDING,
    summary="an upload in parts (owner): every part, with S3's ETag where it has it and a fresh PUT link where not",
    query="UploadPartsParams",
    returns={200: "UploadState"},
    errors=(400, 401, 404, 409),
)
@json_errors
def upload_state(recording_id: str) -> dict[str, Any]:
    from chalicelib.api.decoding import decode_query
    from chalicelib.api.schemas.multipart import UploadPartsParams
    from chalicelib.multipart_uploads import PAGE_LIMIT

    request = _request()
    user = signed_in(request.headers)
    page = decode_query(request.query_params, UploadPartsParams)
    return wiring.multipart_uploads().state(recording_id, user, int(page.cursor or 1), page.limit or PAGE_LIMIT)


@route(
    bp,
    "POST",
    "/recordings/{recording_id}/upload/complete",
    auth="token",
    path_params=RECORDING,
    summary="complete an upload in parts (owner): S3's parts are checked and assembled, and the file converted",
    returns={202: "Recording"},
    errors=(401, 404, 409),
)
@json_errors
def complete_upload(recording_id: str) -> Response:
    from chalicelib.api.representation import recording_view

    request = _request()
    recording = wiring.multipart_uploads().complete(recording_id, signed_in(request.headers))
    view = recording_view(recording, link_root(request))
    return Response(body=view, status_code=202, headers={"Location": view["links"]["self"]})
