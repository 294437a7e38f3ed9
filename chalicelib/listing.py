"""Listing recordings: filters, index choice, pagination. Every page is a Query on one index, never a Scan.

The most selective key present picks the index (owner, then name, then kind, else the public feed); the other
filters become a FilterExpression. A page reads at most READ_BUDGET items, so its cost is bounded by the page, not by
the table: when filters reject many items a page may come back short, with a `next_cursor` to go on from.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import time
from dataclasses import dataclass
from typing import Any, Mapping

from chalicelib.errors import BadRequest
from chalicelib.recordings import INDEX_PARTITIONS, KINDS, PUBLIC_FEED, SORT_KEY, STATUSES, RecordingStore
from chalicelib.users import MAX_USER_ID

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
READ_BUDGET = 1000
MAX_NAME_LENGTH = 255


@dataclass(frozen=True)
class ListQuery:
    owner: int | None = None
    kind: str | None = None
    name: str | None = None
    status: str | None = None
    min_duration: float | None = None
    max_duration: float | None = None
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> "ListQuery":
        query = cls(
            owner=_integer(params, "owner", 0, MAX_USER_ID),  # 0: the anonymous uploads of the earlier specs
            kind=_choice(params, "kind", KINDS),
            name=_text(params, "name"),
            status=_choice(params, "status", STATUSES),
            min_duration=_seconds(params, "min_duration"),
            max_duration=_seconds(params, "max_duration"),
            limit=_integer(params, "limit", 1, MAX_LIMIT) or DEFAULT_LIMIT,
            cursor=params.get("cursor") or None,
        )
        if (query.min_duration is not None and query.max_duration is not None
                and query.min_duration > query.max_duration):
            raise BadRequest("min_duration must not be greater than max_duration", field="min_duration")
        return query


def list_recordings(
    store: RecordingStore, query: ListQuery, viewer_id: int | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first. Returns the page and the cursor of the next one (None at the end)."""
    from boto3.dynamodb.conditions import Attr

    index, partition_value = _choose_index(query)
    # What the index cannot exclude by itself: others' private recordings and upload slots, and the viewer's own
    # expired slots.
    conditions = []
    if query.owner is not None and query.owner != viewer_id:
        conditions += [Attr("visibility").eq("public"), Attr("status").ne("awaiting_upload")]
    elif query.owner is not None:  # the owner sees upload slots, until they expire
        conditions.append(Attr("expires_at").not_exists() | Attr("expires_at").gt(int(time.time())))
    if query.name is not None and index != "name-index":
        conditions.append(Attr("name").eq(query.name))
    if query.kind is not None and index != "kind-index":
        conditions.append(Attr("kind").eq(query.kind))
    if query.status is not None:
        conditions.append(Attr("status").eq(query.status))
    if query.min_duration is not None:
        conditions.append(Attr("duration").gte(_number(query.min_duration)))
    if query.max_duration is not None:
        conditions.append(Attr("duration").lte(_number(query.max_duration)))
    filter_expression = None
    for condition in conditions:
        filter_expression = condition if filter_expression is None else filter_expression & condition

    start_key = decode_cursor(query.cursor, index, partition_value) if query.cursor else None
    # DynamoDB's Limit counts items read, before the filter. Read a page's worth first; while filters leave the
    # page short, read what the pass rate so far says the rest needs (twice the last read when nothing passed), up
    # to the page's budget: a filter that keeps most items costs about a page, a selective one reaches its budget in
    # a few round trips.
    batch = query.limit
    items: list[dict[str, Any]] = []
    read = 0
    while True:
        page, last_key = store.query(
            index, partition_value, limit=batch, start_key=start_key, filter_expression=filter_expression
        )
        read += batch
        for position, item in enumerate(page):
            items.append(item)
            if len(items) == query.limit:
                at_the_end = last_key is None and position == len(page) - 1
                return items, None if at_the_end else encode_cursor(index, _key_of(item, index))
        if last_key is None:
            return items, None
        start_key = last_key
        if read >= READ_BUDGET:
            return items, encode_cursor(index, last_key)
        needed = query.limit - len(items)
        guess = math.ceil(needed * read / len(items) * 1.25) if items else 2 * batch
        batch = min(guess, READ_BUDGET - read)


def encode_cursor(index: str, key: Mapping[str, Any]) -> str:
    plain = {name: (int(value) if name == "owner" else str(value)) for name, value in key.items()}
    raw = json.dumps({"i": index, "k": plain}, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, index: str, partition_value: Any) -> dict[str, Any]:
    """The start key a cursor holds, checked against the query it is used with (a forged or foreign cursor is a
    400, never a 500 and never a way into another index)."""
    invalid = BadRequest("cursor is invalid or belongs to another query", field="cursor")
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise invalid from None
    partition = INDEX_PARTITIONS[index]
    if not isinstance(data, dict) or data.get("i") != index or not isinstance(data.get("k"), dict):
        raise invalid
    key = data["k"]
    if set(key) != {"id", SORT_KEY, partition} or key[partition] != partition_value:
        raise invalid
    if not isinstance(key["id"], str) or not isinstance(key[SORT_KEY], str):
        raise invalid
    return key


def _choose_index(query: ListQuery) -> tuple[str, Any]:
    if query.owner is not None:
        return "owner-index", query.owner
    if query.name is not None:
        return "name-index", query.name
    if query.kind is not None:
        return "kind-index", query.kind
    return "public-index", PUBLIC_FEED


def _key_of(item: Mapping[str, Any], index: str) -> dict[str, Any]:
    partition = INDEX_PARTITIONS[index]
    return {"id": item["id"], SORT_KEY: item[SORT_KEY], partition: item[partition]}


def _number(value: float) -> Any:
    from decimal import Decimal

    return Decimal(str(value))


def _integer(params: Mapping[str, str], name: str, low: int, high: int) -> int | None:
    raw = params.get(name) or None  # absent and empty both mean "no filter"
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be an integer", field=name) from None
    if not low <= value <= high:
        raise BadRequest(f"{name} must be between {low} and {high}", field=name)
    return value


def _seconds(params: Mapping[str, str], name: str) -> float | None:
    raw = params.get(name) or None  # absent and empty both mean "no filter"
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a number of seconds", field=name) from None
    if not math.isfinite(value) or value < 0 or value > 1e9:
        raise BadRequest(f"{name} must be a number of seconds between 0 and 1e9", field=name)
    # Microseconds are the precision of durations; finer values (2.9e-265, found by the fuzzer) are beyond what a
    # DynamoDB number can hold.
    return round(value, 6)


def _choice(params: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str | None:
    raw = params.get(name) or None  # absent and empty both mean "no filter"
    if raw is None:
        return None
    if raw not in allowed:
        raise BadRequest(f"{name} must be one of: {', '.join(allowed)}", field=name)
    return raw


def _text(params: Mapping[str, str], name: str) -> str | None:
    raw = params.get(name) or None  # absent and empty both mean "no filter"
    if raw is None:
        return None
    if len(raw) > MAX_NAME_LENGTH:
        raise BadRequest(f"{name} must be at most {MAX_NAME_LENGTH} characters", field=name)
    return raw
