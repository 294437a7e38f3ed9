"""The reads of one recording that a share link opens (`?share=<secret>`): its metadata, its audio, its peaks.
app.py's routes call these; the rule itself is chalicelib/shares.py's `readable`."""

from __future__ import annotations

import json
import urllib.parse
from typing import TYPE_CHECKING, Any

from chalicelib import wiring
from chalicelib.api.auth import viewer_id

if TYPE_CHECKING:
    from chalicelib.shares import Access


def access(request: Any, recording_id: str) -> Access:
    """The recording as this request may read it: through its `share` if it gives one, else as the caller."""
    from chalicelib.shares import readable  # not on the cold start

    secret = (request.query_params or {}).get("share") or None
    return readable(recording_id, None if secret else viewer_id(request.headers), secret)


def view(request: Any, recording_id: str, root: str) -> dict[str, Any]:
    """The recording's representation; seen through a share, its links carry the share."""
    from chalicelib.api.representation import recording_view

    seen = access(request, recording_id)
    shown = recording_view(seen.recording, root)
    if seen.share:
        share = urllib.parse.quote(seen.share)
        links = shown["links"]
        for name, link in links.items():
            links[name] = f"{link}{'&' if '?' in link else '?'}share={share}"
        if not seen.download:
            links.pop("original")
    return shown


def audio_url(request: Any, recording_id: str, audio_format: str) -> str:
    """A presigned link to the recording's MP3 or original (the original through a share only if it allows)."""
    seen = access(request, recording_id)
    if audio_format == "original" and seen.share:
        from chalicelib.shares import original_allowed

        original_allowed(seen)
    service = wiring.recording_service()
    return service.presigned(service.audio_file(seen.recording, audio_format))


def peaks(request: Any, recording_id: str) -> dict[str, Any]:
    seen = access(request, recording_id)
    return peaks_of(seen)


def peaks_of(seen: Access) -> dict[str, Any]:
    from chalicelib.storage import peaks_key

    service = wiring.recording_service()
    service.audio_file(seen.recording, "mp3")  # the same 409 while there is no conversion yet
    key = peaks_key(seen.recording.id, seen.recording.source_etag or "")
    found: dict[str, Any] = json.loads(service.storage.read(key))
    return found
