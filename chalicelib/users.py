"""Users and their access tokens, in one DynamoDB table.

Items (partition key `pk`):
- `user#<id>`: the user (`id`, `name`, `created_at`) and their API keys (`keys`: key id -> name, scope, created_at,
  expires_at, token_hash; `keys_version`, for optimistic writes). Users registered before keys existed have a
  `token_hash` instead: that token is their key `registration` (api_keys.py reads it so and rewrites it as a key on
  the first change of their keys);
- `token#<sha256 of the token>`: the user a token belongs to, with its key's id, scope, expiry and last use, so
  authenticating is one GetItem (the items of tokens issued before keys existed lack the key's fields: `write`,
  never expiring, the registration key);
- `tombstone#<sha256 of the id>`: an id that belonged to a deleted account, never given out again;
- `counter#user_id`: the last generated id, an atomic counter.

A token is random, shown once (at registration, or when a key is made); only its SHA-256 is stored. A user and
their token item are written in one transaction, each with `attribute_not_exists` (and the id's tombstone must be
absent), so two registrations racing for one id cannot both win and a deleted account's id is not reused.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable

from chalicelib.clock import iso, now_iso
from chalicelib.errors import Conflict, Invalid
from chalicelib.text import clean_text

MAX_NAME_LENGTH = 100
MAX_USER_ID = 2**53 - 1  # the largest integer every JSON client reads exactly
_COUNTER_KEY = "counter#user_id"
_MAX_ID_ATTEMPTS = 50
REGISTRATION_KEY = "registration"
LAST_USED_RESOLUTION_SECONDS = 60  # last_used_at moves at most this often: a read is not a write each time


@dataclass(frozen=True)
class User:
    id: int
    name: str
    created_at: str
    scope: str = field(default="write", compare=False)  # of the key that authenticated the request
    key_id: str | None = field(default=None, compare=False)

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "created_at": self.created_at}


# The owner of uploads made through the earlier specs' calls that carry no token (POST /post, /api/audio/...).
# Not a registered user: no token authenticates as it, so only those anonymous calls can change its recordings.
GUEST = User(id=0, name="anonymous", created_at="1970-01-01T00:00:00.000000Z")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def legacy_key_id(token_hash: str) -> str:
    """The key id of a token issued before keys existed (stable: derived from the token's hash, revealing nothing)."""
    return hashlib.sha256(f"key:{token_hash}".encode()).hexdigest()[:16]


def new_key_id() -> str:
    return secrets.token_hex(8)


def tombstone_key(user_id: int) -> str:
    """The item that keeps a deleted account's id from being given out again; it does not name the id."""
    return "tombstone#" + hashlib.sha256(f"user:{user_id}".encode()).hexdigest()


def validate_user_id(value: Any) -> int:
    """A client-chosen id: a positive integer (JSON `42` or `42.0`, not `true`, not `"42"`)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Invalid("id must be a positive integer", field="id")
    if isinstance(value, float) and not value.is_integer():
        raise Invalid("id must be a positive integer", field="id")
    if not 1 <= value <= MAX_USER_ID:
        raise Invalid(f"id must be between 1 and {MAX_USER_ID}", field="id")
    return int(value)


def parse_user_id(raw: str) -> int | None:
    """A user id as it comes in a path or a query string ("42"); None if it cannot be one."""
    raw = raw.strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(MAX_USER_ID)) or not 1 <= int(raw) <= MAX_USER_ID:
        return None
    return int(raw)


def validate_user_name(value: Any) -> str | None:
    return clean_text(value, "name", MAX_NAME_LENGTH)


class UserStore:
    def __init__(self, table: Any, clock: Callable[[], float] = time.time) -> None:
        self._table = table
        self._clock = clock

    def register(self, name: str | None = None, user_id: int | None = None) -> tuple[User, str]:
        """Create a user; returns it and its token (the only time the token is known)."""
        if user_id is not None:
            return self._create(user_id, name)
        for misses in range(_MAX_ID_ATTEMPTS):
            try:
                return self._create(self._next_id(_skip(misses)), name)
            except Conflict:
                continue  # a client chose this id earlier
        raise Conflict("could not allocate a user id, try again")

    def get(self, user_id: int) -> User | None:
        item = self._table.get_item(Key={"pk": f"user#{user_id}"}, ConsistentRead=True).get("Item")
        return _user(item) if item else None

    def authenticate(self, token: str) -> User | None:
        """The user a token belongs to, or None."""
        if not token or len(token) > 200:
            return None
        token_hash = hash_token(token)
        item = self._table.get_item(Key={"pk": f"token#{token_hash}"}, ConsistentRead=True).get("Item")
        if not item or not hmac.compare_digest(item.get("token_hash", ""), token_hash):
            return None
        now = self._clock()
        if "key_expires" in item and int(item["key_expires"]) <= now:
            return None
        self._note_use(item, now)
        return User(
            id=int(item["user_id"]),
            name=item["name"],
            created_at=item["created_at"],
            scope=item.get("scope", "write"),
            key_id=item.get("key_id") or legacy_key_id(token_hash),
        )

    def _note_use(self, item: dict[str, Any], now: float) -> None:
        """Record the key's use, at most once a minute (a conditional write: a revoked key's item is not revived)."""
        cutoff = iso(now - LAST_USED_RESOLUTION_SECONDS)
        if item.get("last_used_at", "") > cutoff:
            return
        client = self._table.meta.client
        try:
            self._table.update_item(
                Key={"pk": item["pk"]},
                UpdateExpression="SET last_used_at = :now",
                ConditionExpression="attribute_exists(pk) AND (attribute_not_exists(last_used_at) "
                "OR last_used_at < :cutoff)",
                ExpressionAttributeValues={":now": iso(now), ":cutoff": cutoff},
            )
        except client.exceptions.ConditionalCheckFailedException:
            pass  # another request noted it, or the key was revoked meanwhile

    def _next_id(self, step: int = 1) -> int:
        result = self._table.update_item(
            Key={"pk": _COUNTER_KEY},
            UpdateExpression="ADD #v :step",
            ExpressionAttributeNames={"#v": "value"},
            ExpressionAttributeValues={":step": step},
            ReturnValues="UPDATED_NEW",
        )
        return int(result["Attributes"]["value"])

    def _create(self, user_id: int, name: str | None) -> tuple[User, str]:
        token = str(uuid.uuid4())
        token_hash = hash_token(token)
        user = User(id=user_id, name=name or f"user{user_id}", created_at=now_iso())
        table_name = self._table.name
        condition = "attribute_not_exists(pk)"
        key_id = new_key_id()
        key = {
            "name": REGISTRATION_KEY,
            "scope": "write",
            "created_at": user.created_at,
            "expires_at": None,
            "token_hash": token_hash,
        }
        user_item = {"pk": f"user#{user_id}", **user.public(), "keys": {key_id: key}, "keys_version": 1}
        client = self._table.meta.client
        try:
            client.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": table_name, "Item": user_item, "ConditionExpression": condition}},
                    {
                        "Put": {
                            "TableName": table_name,
                            "Item": token_item(user, key_id, key),
                            "ConditionExpression": condition,
                        }
                    },
                    {
                        "ConditionCheck": {
                            "TableName": table_name,
                            "Key": {"pk": tombstone_key(user_id)},
                            "ConditionExpression": condition,
                        }
                    },
                ]
            )
        except client.exceptions.TransactionCanceledException as error:
            raise Conflict(f"user id {user_id} is taken", id=user_id) from error
        return user, token


def token_item(user: User, key_id: str, key: dict[str, Any], expires: int | None = None) -> dict[str, Any]:
    """The item that authenticates a key's token in one GetItem; `expires` (epoch seconds) ends it, and DynamoDB's
    TTL removes it a day later."""
    item = {
        "pk": f"token#{key['token_hash']}",
        "token_hash": key["token_hash"],
        "user_id": user.id,
        "name": user.name,
        "created_at": user.created_at,
        "key_id": key_id,
        "scope": key["scope"],
    }
    if expires is not None:
        item.update(key_expires=expires, expires_at=expires + 86400)
    return item


def _skip(misses: int) -> int:
    """How far the counter moves after `misses` taken ids: the next id twice, then a random step that doubles each
    time. Clients that chose ids past the counter (someone squatting the next hundred) cost a few attempts, not one
    per id, and the ids tried cannot be predicted and squatted in turn."""
    if misses < 3:
        return 1
    base: int = 2 ** (misses - 2)
    return base + secrets.randbelow(base)


def _user(item: dict[str, Any]) -> User:
    return User(id=int(item["id"]), name=item["name"], created_at=item["created_at"])
