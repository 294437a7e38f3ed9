"""The S3 notifications the converter's queue delivers, read into the objects they announce.

S3 and SQS deliver at least once and S3 sends an `s3:TestEvent` when the notification is configured: a body that is
not JSON, or not an ObjectCreated record, is passed over. Keys arrive URL-encoded (moto encodes even '/').
"""

from __future__ import annotations

import json
import logging
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass

log = logging.getLogger("cloudsound.pipeline")


@dataclass(frozen=True)
class CreatedObject:
    """One ObjectCreated record. S3's own events carry the object's ETag and size, which spares a HeadObject."""

    bucket: str
    key: str
    etag: str | None = None
    size: int | None = None


def s3_objects(message_bodies: Iterable[str]) -> list[CreatedObject]:
    """Every ObjectCreated record in a batch of SQS message bodies."""
    objects = []
    for body in message_bodies:
        try:
            notification = json.loads(body)
        except ValueError:
            log.warning("ignoring a message that is not JSON: %.200s", body)
            continue
        if not isinstance(notification, dict) or notification.get("Event") == "s3:TestEvent":
            continue
        for record in notification.get("Records") or []:
            if not str(record.get("eventName", "")).startswith("ObjectCreated"):
                continue
            s3 = record.get("s3", {})
            created = s3.get("object", {})
            etag, size = created.get("eTag"), created.get("size")
            objects.append(
                CreatedObject(
                    bucket=s3.get("bucket", {}).get("name", ""),
                    key=urllib.parse.unquote_plus(created.get("key", "")),
                    etag=etag.strip('"') if isinstance(etag, str) and etag else None,
                    size=size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None,
                )
            )
    return objects
