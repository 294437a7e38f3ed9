"""Capability URLs: secrets that grant something to whoever holds them (a share link to one recording, a private
feed of one person's recordings), kept in the users table beside users, tokens and rate counters.

A secret carries 192 random bits (`secrets.token_urlsafe(24)`); only its SHA-256 is stored, so the table never
holds anything that opens a door. Items (partition key `pk`), for a kind of capability `<kind>` (share, feed):
- `<kind>#<sha256 of the secret>`: what the secret grants (`scope`: the recording or the user it is about, and the
  capability's own attributes), and `expires_at` (epoch seconds) when it expires: DynamoDB's TTL forgets it later,
  and a read after that moment already treats it as gone;
- `<kind>s#<scope>`: the capabilities of one scope, one attribute `c_<id>` each ({hash, attributes}), so listing
  them is one GetItem and revoking one is a transaction that removes both items.
Resolving a secret is one GetItem. No Scan anywhere; a scope holds at most `MAX_PER_SCOPE` capabilities.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Mapping

from chalicelib import clock
from chalicelib.errors import Conflict, NotFound

MAX_PER_SCOPE = 50
SECRET_BYTES = 24  # 192 bits, above the 128 that capability URLs need
_PREFIX = "c_"


@dataclass(frozen=True)
class Capability:
    id: str
    scope: str
    created_at: str
    expires_at: int | None = None  # epoch seconds
    attributes: Mapping[str, Any] = field(default_factory=dict)

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and self.expires_at <= now


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def plausible_secret(secret: Any) -> bool:
    """Cheap refusal of what cannot be one of our secrets, before any read."""
    return (
        isinstance(secret, str)
        and 20 <= len(secret) <= 64
        and secret.isascii()
        and secret.replace("-", "").replace("_", "").isalnum()
    )


class CapabilityStore:
    def __init__(self, table: Any, kind: str) -> None:
        self._table = table
        self._kind = kind

    def create(
        self, scope: str, *, expires_at: int | None = None, attributes: Mapping[str, Any] | None = None
    ) -> tuple[Capability, str]:
        """A new capability of `scope`; returns it and its secret (the only time the secret is known)."""
        if len(self.list(scope)) >= MAX_PER_SCOPE:
            self._prune(scope)
        secret = secrets.token_urlsafe(SECRET_BYTES)
        digest = hash_secret(secret)
        capability = Capability(
            id=secrets.token_hex(8),
            scope=scope,
            created_at=clock.now_iso(),
            expires_at=expires_at,
            attributes=dict(attributes or {}),
        )
        entry = _entry(capability) | {"hash": digest}
        item = {"pk": f"{self._kind}#{digest}", "token_hash": digest, **_entry(capability)}
        if expires_at is not None:
            item["expires_at"] = expires_at  # the table's TTL attribute
        client = self._table.meta.client
        try:
            client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table.name,
                            "Item": item,
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._table.name,
                            "Key": {"pk": self._list_key(scope)},
                            "UpdateExpression": "SET #c = :entry ADD #n :one",
                            "ConditionExpression": "attribute_not_exists(#n) OR #n < :max",
                            "ExpressionAttributeNames": {"#c": _PREFIX + capability.id, "#n": "count"},
                            "ExpressionAttributeValues": {":entry": entry, ":one": 1, ":max": MAX_PER_SCOPE},
                        }
                    },
                ]
            )
        except client.exceptions.TransactionCanceledException as error:
            raise Conflict(f"at most {MAX_PER_SCOPE} links at a time: revoke one first") from error
        return capability, secret

    def resolve(self, secret: Any) -> Capability | None:
        """What a secret grants, or None (unknown, revoked, expired)."""
        if not plausible_secret(secret):
            return None
        digest = hash_secret(secret)
        item = self._table.get_item(Key={"pk": f"{self._kind}#{digest}"}, ConsistentRead=True).get("Item")
        if not item or not hmac.compare_digest(str(item.get("token_hash", "")), digest):
            return None
        capability = _capability(item)
        return None if capability.expired(clock.now()) else capability

    def list(self, scope: str) -> list[Capability]:
        """The scope's capabilities, newest first (expired ones too, until revoked)."""
        item = self._table.get_item(Key={"pk": self._list_key(scope)}, ConsistentRead=True).get("Item") or {}
        found = [_capability(value) for name, value in item.items() if name.startswith(_PREFIX)]
        return sorted(found, key=lambda capability: capability.created_at, reverse=True)

    def revoke(self, scope: str, capability_id: str) -> None:
        """Forget one capability at once (NotFound if the scope has no such one)."""
        item = self._table.get_item(Key={"pk": self._list_key(scope)}, ConsistentRead=True).get("Item") or {}
        entry = item.get(_PREFIX + capability_id) if capability_id.isalnum() else None
        if entry is None:
            raise NotFound(f"no {self._kind} {capability_id}")
        client = self._table.meta.client
        try:
            client.transact_write_items(
                TransactItems=[
                    {"Delete": {"TableName": self._table.name, "Key": {"pk": f"{self._kind}#{entry['hash']}"}}},
                    {
                        "Update": {
                            "TableName": self._table.name,
                            "Key": {"pk": self._list_key(scope)},
                            "UpdateExpression": "REMOVE #c ADD #n :minus",
                            "ConditionExpression": "attribute_exists(#c)",
                            "ExpressionAttributeNames": {"#c": _PREFIX + capability_id, "#n": "count"},
                            "ExpressionAttributeValues": {":minus": -1},
                        }
                    },
                ]
            )
        except client.exceptions.TransactionCanceledException as error:
            raise NotFound(f"no {self._kind} {capability_id}") from error

    def revoke_all(self, scope: str) -> None:
        """Forget every capability of a scope (its recording or its user is being deleted)."""
        item = self._table.get_item(Key={"pk": self._list_key(scope)}, ConsistentRead=True).get("Item") or {}
        keys = [f"{self._kind}#{value['hash']}" for name, value in item.items() if name.startswith(_PREFIX)]
        for key in [*keys, self._list_key(scope)]:
            self._table.delete_item(Key={"pk": key})

    def _prune(self, scope: str) -> None:
        now = clock.now()
        for capability in self.list(scope):
            if capability.expired(now):
                try:
                    self.revoke(scope, capability.id)
                except NotFound:
                    pass

    def _list_key(self, scope: str) -> str:
        return f"{self._kind}s#{scope}"


def _entry(capability: Capability) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": capability.id,
        "scope": capability.scope,
        "created_at": capability.created_at,
        "attributes": dict(capability.attributes),
    }
    if capability.expires_at is not None:
        entry["ends_at"] = capability.expires_at
    return entry


def _capability(item: Mapping[str, Any]) -> Capability:
    ends = item.get("ends_at")
    return Capability(
        id=str(item["id"]),
        scope=str(item["scope"]),
        created_at=str(item["created_at"]),
        expires_at=int(ends) if ends is not None else None,
        attributes=dict(item.get("attributes") or {}),
    )
