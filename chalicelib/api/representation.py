"""How a recording looks in the API: the stored item without its index bookkeeping, plus absolute links."""

from __future__ import annotations

from typing import Any

from chalicelib.metadata import ALL_KIND_FIELDS

_ORIGINAL_FIELDS = ("content_type", "size", "format", "codec", "sample_rate", "channels", "bits_per_sample",
                    "duration")


def recording_view(item: dict[str, Any], base_url: str) -> dict[str, Any]:
    recording_id = item["id"]
    self_url = f"{base_url}/recordings/{recording_id}"
    original = item.get("original") or {}
    kind_fields = {field: item[field] for field in ALL_KIND_FIELDS if item.get(field) is not None}
    return {
        "id": recording_id,
        "name": item["name"],
        "owner": item["owner"],
        "kind": item.get("kind", "other"),
        **kind_fields,
        "visibility": item.get("visibility", "public"),
        "status": item["status"],
        "error": item.get("error"),
        "created_at": item["created_at"],
        "updated_at": item.get("updated_at", item["created_at"]),
        "duration": item.get("duration"),
        "original": {field: original.get(field) for field in _ORIGINAL_FIELDS},
        "mp3": item.get("mp3"),
        "links": {
            "self": self_url,
            "audio": f"{self_url}/audio",
            "original": f"{self_url}/audio?format=original",
            "peaks": f"{self_url}/peaks",
        },
    }
