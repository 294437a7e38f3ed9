"""Where moto's S3 notifications differ from S3's, the local stack's queue worker corrects them.

Completing a multipart upload, moto stores the object through its PutObject path and so sends `ObjectCreated:Put`
and then `ObjectCreated:CompleteMultipartUpload` for the same object; S3 sends only the latter. With two workers the
two messages would start two conversions of the same file at once (the second is harmless, but doubles the work of
a large file). A `Put` record whose ETag is a multipart ETag ("<md5 of the parts' md5s>-<parts>", which one PUT
never has) is that echo, and its message is dropped.
"""

from __future__ import annotations

import json


def is_multipart_echo(message_body: str) -> bool:
    """Whether an SQS message body holds only moto's extra `ObjectCreated:Put` for a completed multipart upload."""
    try:
        records = json.loads(message_body).get("Records")
    except (ValueError, AttributeError):
        return False
    if not isinstance(records, list) or not records:
        return False
    return all(
        isinstance(record, dict)
        and record.get("eventName") == "ObjectCreated:Put"
        and "-" in str(((record.get("s3") or {}).get("object") or {}).get("eTag") or "")
        for record in records
    )
