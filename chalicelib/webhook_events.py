"""Telling a recording's owner's webhooks what happened to it: `recording.ready`, `recording.failed`,
`recording.deleted`. Where it happens (the converter, a delete) only looks up the owner's hooks (one GetItem) and
queues one message per hook that asked for the event; the webhooks queue delivers them (webhook_delivery.py), so
no receiver, slow or down, ever holds up a request or a conversion.

The body is fixed here, once: Standard Webhooks' envelope `{"type", "timestamp", "data"}` with `data` the recording
as the API shows it to its owner, so every retry sends the same bytes under the same `webhook-id`. A hook only ever
hears of its owner's own recordings: the hooks are looked up by the recording's owner.
"""

from __future__ import annotations

import functools
import json
import logging
import secrets
from typing import Any

from chalicelib import aws, wiring
from chalicelib.clock import now_iso
from chalicelib.config import settings
from chalicelib.recording import Recording
from chalicelib.users import GUEST

log = logging.getLogger("cloudsound.webhooks")


def announce(event_type: str, recording: Recording, base_url: str | None = None) -> int:
    """Queue a delivery of the event to each of the owner's hooks that asked for it; how many were queued."""
    if recording.owner == GUEST.id:
        return 0
    hooks = {
        hook_id: hook
        for hook_id, hook in wiring.hook_store().hooks(recording.owner).items()
        if event_type in hook["events"]
    }
    if not hooks:
        return 0
    from chalicelib.api.representation import recording_view

    timestamp, bodies = now_iso(), {}
    queue = DeliveryQueue(aws.sqs(), settings().webhooks_queue)
    for hook_id, hook in hooks.items():
        # The recording as the API shows it to its owner, its links from the root the hook was registered through
        # (a conversion has no request to take it from) unless the service's public root is configured.
        root = base_url or settings().public_url or hook.get("base") or ""
        if root not in bodies:
            data = recording_view(recording, root)
            bodies[root] = json.dumps({"type": event_type, "timestamp": timestamp, "data": data}, separators=(",", ":"))
        body = bodies[root]
        queue.send(
            {
                "user": recording.owner,
                "hook": hook_id,
                "id": f"msg_{secrets.token_hex(12)}",
                "type": event_type,
                "recording": recording.id,
                "created_at": now_iso(),
                "body": body,
                "attempt": 0,
                "not_before": 0,
            }
        )
    return len(hooks)


def notify(event_type: str, recording: Recording | None, base_url: str | None = None) -> None:
    """`announce`, never failing its caller: a conversion or a delete stands whatever the hooks' queue does."""
    if recording is None:
        return
    try:
        announce(event_type, recording, base_url)
    except Exception:  # noqa: BLE001 - logged; the event is lost for the hooks, not the change for the user
        log.exception("could not queue %s for %s", event_type, recording.id)


class DeliveryQueue:
    """The SQS queue deliveries wait in; `delay` (seconds, at most SQS's 900) before a message can be received."""

    def __init__(self, sqs: Any, name: str) -> None:
        self._sqs = sqs
        self._url = _queue_url(sqs, name)

    def send(self, message: dict[str, Any], delay: int = 0) -> None:
        self._sqs.send_message(QueueUrl=self._url, MessageBody=json.dumps(message), DelaySeconds=max(0, delay))


@functools.lru_cache(maxsize=8)
def _queue_url(sqs: Any, name: str) -> str:
    url: str = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    return url
