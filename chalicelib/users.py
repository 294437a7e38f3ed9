"""Users and their access tokens, in one DynamoDB table.

Items (partition key `pk`):
- `user#<id>`: the user (`id`, `name`, `created_at`, `token_hash`);
- `token#<sha256 of the token>`: the user a token belongs to, so authenticating is one GetItem;
- `counter#user_id`: the last generated id, an atomic counter.

A token is a random UUID4 shown once at registration; only its SHA-256 is stored. A user and their token item are
written in one transaction, each with `attribute_not_exists`, so two registrations racing for one id cannot both win.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from chalicelib.clock import now_iso
from chalicelib.errors import Conflict, Invalid
from chalicelib.text import clean_text

MAX_NAME_LENGTH = 100
MAX_USER_ID = 2**53 - 1  # the largest integer every JSON client reads exactly
_COUNTER_KEY = "counter#user_id"
_MAX_ID_ATTEMPTS = 50


@dataclass(frozen=True)
class User:
    id: int
    name: str
    created_at: str

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "created_at": self.created_at}


# The owner of uploads made through the earlier specs' calls that carry no token (POST /post, /api/audio/...).
# Not a registered user: no token authenticates as it, so only those anonymous calls can change its recordings.
GUEST = User(id=0, name="anonymous", created_at="1970-01-01T00:00:00.000000Z")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


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
    def __init__(self, table: Any) -> None:
        self._table = table

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
        return User(id=int(item["user_id"]), name=item["name"], created_at=item["created_at"])

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
        user_item = {"pk": f"user#{user_id}", **user.public(), "token_hash": token_hash}
        token_item = {
            "pk": f"token#{token_hash}",
            "token_hash": token_hash,
            "user_id": user_id,
            "name": user.name,
            "created_at": user.created_at,
        }
        client = self._table.meta.client
        try:
            client.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": table_name, "Item": user_item, "ConditionExpression": condition}},
                    {"Put": {"TableName": table_name, "Item": token_item, "ConditionExpression": condition}},
                ]
            )
        except client.exceptions.TransactionCanceledException as error:
            raise Conflict(f"user id {user_id} is taken", id=user_id) from error
        return user, token


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
