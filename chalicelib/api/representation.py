"""How a recording looks in the API: its fields, without the store's bookkeeping, plus absolute links."""

from __future__ import annotations

from typing import Any

from chalicelib.recording import Recording

_ORIGINAL_FIELDS = (
    "content_type",
    "size",
    "format",
    "codec",
    "sample_rate",
    "channels",
    "bits_per_sample",
    "duration",
    "filename",
    "tags",
    "cover",
)


def recording_view(recording: Recording, base_url: str) -> dict[str, Any]:
    self_url = f"{base_url}/recordings/{recording.id}"
    kind_fields = recording.kind_fields()
    if "participants" in kind_fields:
        kind_fields["participants"] = list(kind_fields["participants"])
    links = {
        "self": self_url,
        "audio": f"{self_url}/audio",
        "original": f"{self_url}/audio?format=original",
        "peaks": f"{self_url}/peaks",
    }
    if recording.original.get("cover"):
        links["cover"] = f"{self_url}/cover"  # only where there is one: a list asks for no picture that is not there
    return {
        "id": recording.id,
        "name": recording.name,
        "owner": recording.owner,
        "owner_name": recording.owner_name,
        "kind": recording.kind,
        **kind_fields,
        "visibility": recording.visibility,
        "status": recording.status,
        "error": recording.error,
        "created_at": recording.created_at,
        "updated_at": recording.updated_at,
        "duration": recording.duration,
        "original": {
            **{field: recording.original.get(field) for field in _ORIGINAL_FIELDS},
            "tags": dict(recording.original.get("tags") or {}),
        },
        "mp3": dict(recording.mp3) if recording.mp3 is not None else None,
        "loudness": dict(recording.loudness) if recording.loudness is not None else None,
        "links": links,
    }
