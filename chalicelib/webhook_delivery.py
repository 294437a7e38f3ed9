"""Delivering webhooks from their queue: one attempt per message, signed (webhook_signing.py), to the address the
hook's host resolves to once checked (hook_targets.py), with no redirect followed. A non-2xx answer, a timeout or a
refused connection is retried with backoff: the message goes back to the queue to wait RETRY_SCHEDULE[n] seconds
(SQS delays a message at most 15 minutes, so a longer wait is several hops, each checking `not_before`), over about
a day in all, the first retry after 5 s. Every attempt is noted in the hook's delivery log (webhooks.py).
"""

from __future__ import annotations

import http.client
import json
import logging
import math
import socket
import ssl
import time
from typing import Any
from collections.abc import Callable, Iterable

from chalicelib.clock import iso
from chalicelib.errors import Invalid
from chalicelib.hook_targets import Refused, Resolver, Target, parse_target, system_resolver, vetted_address
from chalicelib.webhook_events import DeliveryQueue
from chalicelib.webhook_signing import headers as signed_headers
from chalicelib.webhooks import HookStore

RETRY_SCHEDULE = (5, 300, 1800, 7200, 18000, 36000, 36000)  # after each failure: 27.6 hours in all (Svix's)
MAX_ANSWER_BYTES = 4096
Sender = Callable[[Target, str, dict[str, str], str, float], int]

log = logging.getLogger("cloudsound.webhooks")


def post(target: Target, address: str, headers: dict[str, str], body: str, timeout: float) -> int:
    """POST the body to the target at `address` (the checked one: the host's name only names it, for TLS and
    Host); the answer's status. No redirect is followed: a 3xx is an answer like any other."""
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        connection = _PinnedHTTPS(target.host, target.port, address, timeout)
    else:
        connection = _PinnedHTTP(target.host, target.port, address, timeout)
    try:
        connection.request("POST", target.path, body=body.encode(), headers=headers)
        answer = connection.getresponse()
        answer.read(MAX_ANSWER_BYTES)
        return answer.status
    finally:
        connection.close()


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class Deliverer:
    def __init__(
        self,
        hooks: HookStore,
        queue: DeliveryQueue,
        *,
        allow_loopback: bool,
        timeout: float,
        max_queue_delay: int = 900,
        clock: Callable[[], float] = time.time,
        resolver: Resolver = system_resolver,
        sender: Sender = post,
    ) -> None:
        self.hooks = hooks
        self.queue = queue
        self.allow_loopback = allow_loopback
        self.timeout = timeout
        self.max_queue_delay = max_queue_delay
        self.clock = clock
        self.resolver = resolver
        self.sender = sender

    def handle(self, bodies: Iterable[str]) -> list[str]:
        return [self.deliver(json.loads(body)) for body in bodies]

    def deliver(self, message: dict[str, Any]) -> str:
        """One message: wait more, attempt it, or drop it (its hook is gone). The outcome, for the log."""
        now = self.clock()
        if now < message["not_before"]:
            self.queue.send(message, delay=min(self.max_queue_delay, math.ceil(message["not_before"] - now)))
            return "waiting"
        hook = self.hooks.hooks(message["user"]).get(message["hook"])
        if hook is None:
            return "dropped"
        attempt = message["attempt"] + 1
        status, error = self._attempt(hook, message, now)
        entry: dict[str, Any] = {
            "type": message["type"],
            "recording": message["recording"],
            "created_at": message["created_at"],
            "attempts": attempt,
            "last_status": status,
            "last_error": error,
            "last_attempt_at": iso(now),
            "next_attempt_at": None,
        }
        if status is not None and 200 <= status < 300:
            entry["state"] = "delivered"
        elif attempt <= len(RETRY_SCHEDULE):
            wait = RETRY_SCHEDULE[attempt - 1]
            entry.update(state="pending", next_attempt_at=iso(now + wait))
            self.queue.send(
                {**message, "attempt": attempt, "not_before": now + wait}, delay=min(self.max_queue_delay, wait)
            )
        else:
            entry["state"] = "failed"
        self.hooks.record(message["user"], message["hook"], message["id"], entry)
        log.info("webhook %s attempt %d to hook %s: %s", message["id"], attempt, message["hook"], status or error)
        return str(entry["state"])

    def _attempt(self, hook: dict[str, Any], message: dict[str, Any], now: float) -> tuple[int | None, str | None]:
        """The receiver's status, or None and what went wrong (refused target, timeout, no connection)."""
        try:
            target = parse_target(hook["url"], self.allow_loopback)
            address = vetted_address(target, self.allow_loopback, self.resolver)
        except (Invalid, Refused) as refused:
            return None, f"refused: {getattr(refused, 'message', None) or refused}"
        headers = signed_headers(hook["secret"], message["id"], int(now), message["body"])
        try:
            return self.sender(target, address, headers, message["body"], self.timeout), None
        except TimeoutError:
            return None, "timeout"
        except (OSError, http.client.HTTPException) as error:
            return None, f"{type(error).__name__}: {error}"[:200]
