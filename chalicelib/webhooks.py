"""A user's webhooks and the log of their recent deliveries, in the users table.

Items (partition key `pk`):
- `hooks#<user id>`: `hooks`, a map by hook id of {url, events, secret, created_at}, and `version` (writes are
  conditional on the version read: two changes racing cannot lose one). One GetItem finds a user's hooks, both for
  listing them and when an event happens.
- `deliveries#<user id>#<hook id>`: `log`, a map by message id of the delivery's type, recording, created_at,
  attempts, last_status (the receiver's last HTTP status, or null when it could not be reached), last_error,
  last_attempt_at, next_attempt_at and state (`pending`, `delivered`, `failed`); the oldest beyond MAX_LOG go.

The secret (`whsec_` + base64 of 24 random bytes) is shown once, when the hook is made; it is kept as it is, since
every delivery is signed with it (Standard Webhooks' symmetric signatures).
"""

from __future__ import annotations

import base64
import secrets
import time
from typing import Any
from collections.abc import Callable

from chalicelib.clock import iso
from chalicelib.errors import Conflict, NotFound

EVENTS = ("recording.ready", "recording.failed", "recording.deleted")
MAX_HOOKS = 10
MAX_LOG = 50
_ATTEMPTS = 5


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def public_hook(hook_id: str, hook: dict[str, Any]) -> dict[str, Any]:
    return {"id": hook_id, "url": hook["url"], "events": list(hook["events"]), "created_at": hook["created_at"]}


def _plain(entry: dict[str, Any]) -> dict[str, Any]:
    """A log entry as JSON shows it: DynamoDB's numbers (Decimal) as integers."""
    status = entry.get("last_status")
    return {**entry, "attempts": int(entry["attempts"]), "last_status": int(status) if status is not None else None}


class HookStore:
    def __init__(self, table: Any, clock: Callable[[], float] = time.time) -> None:
        self._table = table
        self._clock = clock

    def hooks(self, user_id: int) -> dict[str, dict[str, Any]]:
        """The user's hooks by id, secrets included (for delivering; never shown but once)."""
        item = self._table.get_item(Key={"pk": f"hooks#{user_id}"}, ConsistentRead=True).get("Item") or {}
        return dict(item.get("hooks") or {})

    def create(self, user_id: int, url: str, events: list[str], base: str | None = None) -> tuple[str, dict[str, Any]]:
        """A hook; `base`: the service's root it was registered through, for the links in what it is sent."""
        hook_id = secrets.token_hex(8)
        hook = {"url": url, "events": sorted(set(events)), "secret": new_secret(), "created_at": iso(self._clock())}
        if base:
            hook["base"] = base

        def change(hooks: dict[str, Any]) -> dict[str, Any]:
            if len(hooks) >= MAX_HOOKS:
                raise Conflict(f"at most {MAX_HOOKS} webhooks: delete one first", limit=MAX_HOOKS)
            return {**hooks, hook_id: hook}

        self._change(user_id, change)
        return hook_id, hook

    def delete(self, user_id: int, hook_id: str) -> None:
        def change(hooks: dict[str, Any]) -> dict[str, Any]:
            if hook_id not in hooks:
                raise NotFound(f"no webhook {hook_id}")
            return {key: value for key, value in hooks.items() if key != hook_id}

        self._change(user_id, change)
        self._table.delete_item(Key={"pk": f"deliveries#{user_id}#{hook_id}"})

    def delete_all(self, user_id: int) -> None:
        """Every hook of the user and their delivery logs (the account is being deleted)."""
        for hook_id in self.hooks(user_id):
            self._table.delete_item(Key={"pk": f"deliveries#{user_id}#{hook_id}"})
        self._table.delete_item(Key={"pk": f"hooks#{user_id}"})

    def deliveries(self, user_id: int, hook_id: str) -> list[dict[str, Any]]:
        """The hook's recent deliveries, newest first (NotFound for a hook the user does not have)."""
        if hook_id not in self.hooks(user_id):
            raise NotFound(f"no webhook {hook_id}")
        item = self._table.get_item(Key={"pk": f"deliveries#{user_id}#{hook_id}"}, ConsistentRead=True).get("Item")
        log = dict((item or {}).get("log") or {})
        entries = [{"id": message_id, **_plain(entry)} for message_id, entry in log.items()]
        return sorted(entries, key=lambda entry: (entry["created_at"], entry["id"]), reverse=True)

    def record(self, user_id: int, hook_id: str, message_id: str, entry: dict[str, Any]) -> None:
        """Note a delivery's attempt in the hook's log (a hook deleted meanwhile gets no log back)."""
        if hook_id not in self.hooks(user_id):
            return
        key = {"pk": f"deliveries#{user_id}#{hook_id}"}
        self._table.update_item(
            Key=key,
            UpdateExpression="SET #log = if_not_exists(#log, :empty)",
            ExpressionAttributeNames={"#log": "log"},
            ExpressionAttributeValues={":empty": {}},
        )
        answer = self._table.update_item(
            Key=key,
            UpdateExpression="SET #log.#id = :entry",
            ExpressionAttributeNames={"#log": "log", "#id": message_id},
            ExpressionAttributeValues={":entry": entry},
            ReturnValues="ALL_NEW",
        )
        log = answer["Attributes"].get("log") or {}
        if len(log) > MAX_LOG:
            oldest = sorted(log, key=lambda message: (log[message]["created_at"], message))[: len(log) - MAX_LOG]
            names = {f"#o{n}": message for n, message in enumerate(oldest)}
            self._table.update_item(
                Key=key,
                UpdateExpression="REMOVE " + ", ".join(f"#log.{name}" for name in names),
                ExpressionAttributeNames={"#log": "log", **names},
            )

    def _change(self, user_id: int, decide: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        client = self._table.meta.client
        for _ in range(_ATTEMPTS):
            item = self._table.get_item(Key={"pk": f"hooks#{user_id}"}, ConsistentRead=True).get("Item") or {}
            version = int(item.get("version", 0))
            hooks = decide(dict(item.get("hooks") or {}))
            try:
                self._table.put_item(
                    Item={"pk": f"hooks#{user_id}", "hooks": hooks, "version": version + 1},
                    ConditionExpression="attribute_not_exists(version) OR version = :version",
                    ExpressionAttributeValues={":version": version},
                )
                return
            except client.exceptions.ConditionalCheckFailedException:
                continue
        raise Conflict("the webhooks changed meanwhile, try again")
