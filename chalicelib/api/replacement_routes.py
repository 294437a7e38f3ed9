"""POST /recordings/{id}/upload: an upload link for a new file of an existing recording (the owner's)."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import wiring
from chalicelib.api.auth import signed_in
from chalicelib.api.declared import route
from chalicelib.api.http import json_errors, link_root

blueprint = Blueprint(__name__)
RECORDING = {"recording_id": {"type": "string", "pattern": "^[A-Za-z0-9-]{1,64}$"}}


@route(
    blueprint,
    "POST",
    "/recordings/{recording_id}/upload",
    auth="token",
    path_params=RECORDING,
    summary="a new upload link for a recording's file (owner): PUT the file there to replace it; the newest "
    "upload wins",
    body="ReplacementRequest",
    required_body=True,
    returns={201: "UploadSlot"},
    errors=(400, 401, 403, 404, 413, 422),
)
@json_errors
def replace_recording_file(recording_id: str) -> Response:
    from chalicelib.api.contract import decode_body
    from chalicelib.api.representation import recording_view
    from chalicelib.api.schemas.replacement import ReplacementRequest
    from chalicelib.replacement import replacement_slot

    request = blueprint.current_request
    user = signed_in(request.headers)
    size = decode_body(request.raw_body, ReplacementRequest).size
    recording, slot = replacement_slot(wiring.recording_service(), recording_id, user, size)
    view = {**recording_view(recording, link_root(request)), "upload": slot}
    return Response(body=view, status_code=201, headers={"Location": view["links"]["self"]})
