"""A new file for an existing recording, through an upload link (POST /recordings/{id}/upload): the primary API's way
to replace a recording's audio, as the earlier spec's `PUT /api/audio/<kind>/<id>` does with a body.

The link is the same kind as a new recording's slot (exactly the declared `size`, signed into it) and single-use:
it is signed with the condition that the recording's file is still the one there when it was made (`If-Match` its
ETag; `If-None-Match: *` while it has none), so once any file replaces it, this link and every older one are
refused by S3 (412). The file's S3 event converts it like any upload, and the newest upload wins as everywhere
(conversion_decisions.py: a conversion only counts while its file is still the current one).

The quota is checked when the link is made (the file it replaces gives its bytes back), not held: a link that is
never used costs nothing, and the converter's admission decides again on the file that arrives.
"""

from __future__ import annotations

import datetime
import time
from typing import Any

from chalicelib import aws
from chalicelib.quotas import check_room
from chalicelib.recording import Usage
from chalicelib.recording_service import RecordingService
from chalicelib.storage import original_key
from chalicelib.users import User


def replacement_slot(service: RecordingService, recording_id: str, user: User, size: int) -> tuple[Any, dict[str, Any]]:
    """The recording (the owner's: NotFound or NotOwner otherwise) and an upload link for its new file."""
    recording = service.owned(recording_id, user)
    freed = int(recording.original.get("size") or 0) + int(recording.reserved or 0)
    check_room(service.quotas.of(user.id), service.store.usage(user.id) - Usage(freed), size)
    current = service.storage.original_etag(recording_id)
    condition = {"IfMatch": f'"{current}"'} if current else {"IfNoneMatch": "*"}
    headers = {"If-Match": f'"{current}"'} if current else {"If-None-Match": "*"}
    ttl = service.links.upload_seconds
    now = time.time()
    url = aws.s3().generate_presigned_url(
        "put_object",
        Params={
            "Bucket": service.storage.bucket,
            "Key": original_key(recording_id),
            "ContentLength": size,
            **condition,
        },
        ExpiresIn=ttl,
    )
    expires_at = datetime.datetime.fromtimestamp(now + ttl, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    slot = {"url": url, "method": "PUT", "headers": headers, "expires_at": expires_at, "size": size, "max_bytes": size}
    return recording, slot
