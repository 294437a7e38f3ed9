"""A user's API keys: make one (its token shown this once, stored as a hash), list them, revoke one.

The keys live in the user's item (`keys`, a map by key id, and `keys_version`); each key's token has its own item
(`token#<hash>`, users.py) that authentication reads in one GetItem. A change rewrites the map conditionally on the
version it read (two revocations racing cannot both leave the owner without a write key) in the same transaction
that writes or deletes the token's item, so a revoked key is refused from the next request on.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any
from collections.abc import Callable

from chalicelib.clock import iso
from chalicelib.errors import Conflict, LastWriteKey, NotFound
from chalicelib.users import REGISTRATION_KEY, User, hash_token, legacy_key_id, new_key_id, token_item

MAX_KEYS = 20
MAX_EXPIRES_IN = 10 * 365 * 86400
MIN_EXPIRES_IN = 1
TOKEN_PREFIX = "csk_"
_ATTEMPTS = 5


@dataclass(frozen=True)
class Key:
    id: str
    name: str
    scope: str
    created_at: str
    expires_at: str | None
    token_hash: str
    last_used_at: str | None = None

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "scope": self.scope,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "last_used_at": self.last_used_at,
        }


def keys_of(item: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The keys in a user's item; an item from before keys holds one token: its key `registration`."""
    if "keys" in item:
        return dict(item["keys"])
    if "token_hash" in item:
        return {
            legacy_key_id(item["token_hash"]): {
                "name": REGISTRATION_KEY,
                "scope": "write",
                "created_at": item["created_at"],
                "expires_at": None,
                "token_hash": item["token_hash"],
            }
        }
    return {}


def live_write_keys(keys: dict[str, dict[str, Any]], now_iso: str) -> set[str]:
    """The ids of the keys that can write and have not expired."""
    return {
        key_id
        for key_id, key in keys.items()
        if key["scope"] == "write" and (key.get("expires_at") is None or key["expires_at"] > now_iso)
    }


class KeyStore:
    def __init__(self, table: Any, clock: Callable[[], float] = time.time) -> None:
        self._table = table
        self._clock = clock

    def of(self, user: User) -> list[Key]:
        """The user's keys, oldest first, with when each was last used (read from their tokens' items)."""
        keys = keys_of(self._user_item(user))
        used = self._last_used([key["token_hash"] for key in keys.values()])
        found = [Key(id=key_id, **key, last_used_at=used.get(key["token_hash"])) for key_id, key in keys.items()]
        return sorted(found, key=lambda key: (key.created_at, key.id))

    def create(self, user: User, name: str, scope: str, expires_in: int | None) -> tuple[Key, str]:
        """A new key and its token (the only time the token is known)."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = self._clock()
        expires = int(now + expires_in) if expires_in else None
        key_id = new_key_id()
        key: dict[str, Any] = {
            "name": name,
            "scope": scope,
            "created_at": iso(now),
            "expires_at": iso(expires) if expires else None,
            "token_hash": hash_token(token),
        }

        def change(keys: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
            if len(keys) >= MAX_KEYS:
                raise Conflict(f"at most {MAX_KEYS} keys: revoke one first", limit=MAX_KEYS)
            put = {
                "Put": {
                    "TableName": self._table.name,
                    "Item": token_item(user, key_id, key, expires),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
            return {**keys, key_id: key}, [put]

        self._change(user, change)
        return Key(id=key_id, **key), token

    def revoke(self, user: User, key_id: str) -> None:
        """Revoke a key at once; never the last live write key (Conflict), so nobody locks themselves out."""

        def change(keys: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
            if key_id not in keys:
                raise NotFound(f"no key {key_id}")
            if live_write_keys(keys, iso(self._clock())) <= {key_id}:
                raise LastWriteKey("this is your last key that can write: make another before revoking it")
            delete = {"Delete": {"TableName": self._table.name, "Key": {"pk": f"token#{keys[key_id]['token_hash']}"}}}
            return {k: v for k, v in keys.items() if k != key_id}, [delete]

        self._change(user, change)

    def token_hashes(self, user_id: int) -> list[str]:
        item = self._table.get_item(Key={"pk": f"user#{user_id}"}, ConsistentRead=True).get("Item") or {}
        return [key["token_hash"] for key in keys_of(item).values()]

    def _change(
        self, user: User, decide: Callable[[dict[str, dict[str, Any]]], tuple[dict[str, Any], list[Any]]]
    ) -> None:
        client = self._table.meta.client
        for _ in range(_ATTEMPTS):
            item = self._user_item(user)
            version = int(item.get("keys_version", 0))
            keys, others = decide(keys_of(item))
            update = {
                "Update": {
                    "TableName": self._table.name,
                    "Key": {"pk": f"user#{user.id}"},
                    "UpdateExpression": "SET #keys = :keys, keys_version = :next REMOVE token_hash",
                    "ConditionExpression": "attribute_exists(pk) AND "
                    "(attribute_not_exists(keys_version) OR keys_version = :version)",
                    "ExpressionAttributeNames": {"#keys": "keys"},
                    "ExpressionAttributeValues": {":keys": keys, ":next": version + 1, ":version": version},
                }
            }
            try:
                client.transact_write_items(TransactItems=[update, *others])
                return
            except client.exceptions.TransactionCanceledException:
                continue  # another change of this user's keys came first: decide again on what is there now
        raise Conflict("the keys changed meanwhile, try again")

    def _user_item(self, user: User) -> dict[str, Any]:
        item = self._table.get_item(Key={"pk": f"user#{user.id}"}, ConsistentRead=True).get("Item")
        if item is None:
            raise NotFound("no such user")
        return dict(item)

    def _last_used(self, token_hashes: list[str]) -> dict[str, str]:
        if not token_hashes:
            return {}
        keys = [{"pk": f"token#{token_hash}"} for token_hash in token_hashes]
        answer = self._table.meta.client.batch_get_item(
            RequestItems={self._table.name: {"Keys": keys, "ProjectionExpression": "token_hash, last_used_at"}}
        )
        items = answer.get("Responses", {}).get(self._table.name, [])
        return {item["token_hash"]: item["last_used_at"] for item in items if "last_used_at" in item}
