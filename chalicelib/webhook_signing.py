"""Standard Webhooks signatures (https://www.standardwebhooks.com/): `webhook-signature` is `v1,` and the base64
HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>.<body>`, keyed with the secret's base64-decoded bytes (the part
after `whsec_`). A receiver verifies it with the `standardwebhooks` library, or these few lines."""

from __future__ import annotations

import base64
import hashlib
import hmac

PREFIX = "whsec_"


def signature(secret: str, message_id: str, timestamp: int, body: str) -> str:
    key = base64.b64decode(secret.removeprefix(PREFIX))
    digest = hmac.new(key, f"{message_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str, message_id: str, timestamp: int, body: str) -> dict[str, str]:
    """The headers of one delivery attempt (the timestamp is the attempt's, so a retry is signed afresh)."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
        "content-type": "application/json",
        "user-agent": "CloudSound-Webhooks/1.0",
    }
