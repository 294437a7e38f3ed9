"""Where recordings are kept: the store's contract, and its DynamoDB implementation (its items: recording_items.py).

Every write is optimistic: it holds only if the recording is still the version it was read at (`version`, bumped by
each write), so two writers never interleave — a PATCH racing the converter or a DELETE loses cleanly and, through
`modify`, tries again on what is there now. An update never recreates a deleted recording.

DynamoDB layout: one item per recording, keyed by its UUID. Lists are served by four sparse global secondary
indexes, each sorted by `created_sk` (the recording's sort key: creation time + id, so newest first is a reverse
Query):
- `public-index`  on `public_feed` ("public")  — every listed recording;
- `owner-index`   on `owner`                   — all of one user's recordings, unlisted ones too;
- `name-index`    on `public_name`             — listed recordings with that exact name;
- `kind-index`    on `public_kind`             — listed recordings of that kind.
The store writes the `public_*` attributes itself on every write, from the recording's listing rule, so unlisted
recordings are simply absent from those indexes.

Sharding, when one "public" partition gets hot: write `public_feed` as `public#<n>` for n in 0..N-1 (n from a
hash of the id) and merge N reverse Queries by `created_sk`; the cursor then carries one position per shard.
"""

from __future__ import annotations

import abc
import random
import time
from typing import Any
from collections.abc import Callable, Mapping

from chalicelib.clock import now_iso
from chalicelib.errors import Conflict, ItemTooLarge, QuotaExceeded, RecordingGone
from chalicelib.listing import BY_WORD, FEED, Selection
from chalicelib.recording import Recording, Usage
from chalicelib.search_index import SearchIndex
from chalicelib.recording_items import (
    INDEXES,
    PUBLIC_FEED,
    SORT_KEY,
    filter_expression,
    from_item,
    number,
    to_item,
    usage_key,
)

MODIFY_ATTEMPTS = 10
TRANSACTION_ATTEMPTS = 5

Change = Callable[[Recording], "Mapping[str, Any] | None"]


class RecordingStore(abc.ABC):
    """The contract every recording store keeps (tests/integration/test_recording_store.py checks it)."""

    @abc.abstractmethod
    def get(self, recording_id: str) -> Recording | None:
        """The recording as last written (a strongly consistent read), or None."""

    @abc.abstractmethod
    def page(self, selection: Selection, limit: int, after: str | None) -> tuple[list[Recording], str | None]:
        """Read `limit` items of the selection's index range, newest first, after the sort key `after`; return those
        that pass its filters, and the sort key of the last item read (None when the range has ended)."""

    @abc.abstractmethod
    def write(self, current: Recording | None, new: Recording | None, room: int | None = None) -> bool:
        """Replace `current` by `new` in one atomic step, if the stored recording is still `current` (same
        version; `current=None`: no recording with that id; `new=None`: delete it), adjusting the owner's usage by
        the difference of their charges. False if the condition did not hold. With `room`, a write that adds
        bytes holds only if the owner's usage stays within `room` bytes, decided in the same step (QuotaExceeded
        otherwise): of writers racing for the last free bytes, those that fit win."""

    @abc.abstractmethod
    def usage(self, owner: int) -> Usage:
        """What the owner's recordings count against their quota, as the writes have kept it."""

    def create(self, recording: Recording, room: int | None = None) -> None:
        """Store a new recording (Conflict if its id exists; QuotaExceeded if its charge does not fit `room`)."""
        if not self.write(None, recording, room):
            raise Conflict(f"recording {recording.id} exists")

    def delete(self, recording_id: str) -> Recording | None:
        """Forget the recording; returns it as it was when deleted (None if it was not there: not an error)."""
        for attempt in range(MODIFY_ATTEMPTS):
            current = self.get(recording_id)
            if current is None or self.write(current, None):
                return current
            _back_off(attempt)
        raise Conflict("the recording is being changed by someone else at the same time; try again")

    def modify(self, recording: Recording | str, change: Change, room: int | None = None) -> Recording:
        """Apply `change(current)` — the attributes to change, or None to leave it — and write it, reading again
        and re-deciding when another writer got there first. Raises RecordingGone if the recording is not there,
        Conflict if it kept changing under us, QuotaExceeded if it adds bytes past `room`."""
        current = recording if isinstance(recording, Recording) else self.get(recording)
        for attempt in range(MODIFY_ATTEMPTS):
            if current is None:
                raise RecordingGone("the recording was deleted")
            changes = change(current)
            if not changes:
                return current
            new = current.with_changes({**changes, "updated_at": now_iso(), "version": current.version + 1})
            if self.write(current, new, room):
                return new
            _back_off(attempt)
            current = self.get(current.id)
        raise Conflict("the recording is being changed by someone else at the same time; try again")


class DynamoRecordingStore(RecordingStore):
    def __init__(self, table: Any) -> None:
        self._table = table
        self._search = SearchIndex(table)

    def get(self, recording_id: str) -> Recording | None:
        item = self._table.get_item(Key={"id": recording_id}, ConsistentRead=True).get("Item")
        return from_item(item) if item else None

    def usage(self, owner: int) -> Usage:
        item = self._table.get_item(Key={"id": usage_key(owner)}, ConsistentRead=True).get("Item") or {}
        return Usage(int(item.get("bytes", 0)), float(item.get("seconds", 0)), int(item.get("reserved", 0)))

    def write(self, current: Recording | None, new: Recording | None, room: int | None = None) -> bool:
        """The write, then the search index's entries that it changed (search_index.py)."""
        written = self._write(current, new, room)
        if written:
            self._search.update(current, new)
        return written

    def _write(self, current: Recording | None, new: Recording | None, room: int | None) -> bool:
        target = new or current
        assert target is not None
        condition = _still(current)
        operation = {"Put": {"Item": to_item(new)}} if new is not None else {"Delete": {"Key": {"id": target.id}}}
        delta = _charge(new) - _charge(current)
        limited = room is not None and delta.bytes > 0
        if limited and room is not None and delta.bytes > room:
            raise QuotaExceeded("over the quota", adding_bytes=delta.bytes)
        client = self._table.meta.client
        try:
            if delta == Usage():  # nothing to count: one conditional write
                if new is not None:
                    self._table.put_item(Item=to_item(new), **condition)
                else:
                    self._table.delete_item(Key={"id": target.id}, **condition)
                return True
        except client.exceptions.ConditionalCheckFailedException:
            return False
        except client.exceptions.ClientError as error:
            raise _too_large(error) or error from None
        usage_update: dict[str, Any] = {
            "TableName": self._table.name,
            "Key": {"id": usage_key(target.owner)},
            "UpdateExpression": "ADD #bytes :bytes, #seconds :seconds, #reserved :reserved",
            "ExpressionAttributeNames": {"#bytes": "bytes", "#seconds": "seconds", "#reserved": "reserved"},
            "ExpressionAttributeValues": {
                ":bytes": delta.bytes,
                ":seconds": number(delta.seconds),
                ":reserved": delta.reserved,
            },
        }
        if limited:  # no arithmetic in a condition: "usage + delta <= room" is "usage <= room - delta"
            assert room is not None
            usage_update["ConditionExpression"] = "attribute_not_exists(#bytes) OR #bytes <= :room"
            usage_update["ExpressionAttributeValues"][":room"] = room - delta.bytes
        items = [
            {kind: {**body, "TableName": self._table.name, **condition} for kind, body in operation.items()},
            {"Update": usage_update},
        ]
        return self._transact(items, delta)

    def _transact(self, items: list[dict[str, Any]], delta: Usage) -> bool:
        """The recording's write and its owner's usage update, in one transaction: False if the recording changed,
        QuotaExceeded if the usage would pass the room; tried again while another transaction holds the usage."""
        client = self._table.meta.client
        for attempt in range(TRANSACTION_ATTEMPTS):
            try:
                client.transact_write_items(TransactItems=items)
                return True
            except client.exceptions.TransactionCanceledException as error:
                reasons = [reason.get("Code") for reason in error.response.get("CancellationReasons", [])]
                if not reasons or reasons[0] == "ConditionalCheckFailed":
                    return False  # the recording changed: the caller reads again
                if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
                    raise QuotaExceeded("over the quota", adding_bytes=delta.bytes) from None
                if "ValidationError" in reasons:
                    raise _too_large(error) or error from None
                # Another transaction held one of the items (the owner's usage, shared by their writes): again.
                _back_off(attempt)
        raise Conflict("too many writes at once for this owner; try again")

    def page(self, selection: Selection, limit: int, after: str | None) -> tuple[list[Recording], str | None]:
        from boto3.dynamodb.conditions import Key

        if selection.index == BY_WORD:  # the index's page of ids, then those recordings, checked whole
            key = str(selection.partition)
            ids, last_read = (
                self._search.merged_page([key, selection.also], limit, after)
                if selection.also
                else self._search.page(key, limit, after)
            )
            return [found for found in self._search.fetch(ids, from_item) if selection.admits(found)], last_read
        index, partition_attribute = INDEXES[selection.index]
        partition = PUBLIC_FEED if selection.index == FEED else selection.partition
        arguments: dict[str, Any] = {
            "IndexName": index,
            "KeyConditionExpression": Key(partition_attribute).eq(partition),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if after is not None:
            arguments["ExclusiveStartKey"] = {
                "id": after.split("#", 1)[1],
                SORT_KEY: after,
                partition_attribute: partition,
            }
        filters = filter_expression(selection)
        if filters is not None:
            arguments["FilterExpression"] = filters
        result = self._table.query(**arguments)
        last = result.get("LastEvaluatedKey")
        return [from_item(item) for item in result.get("Items", [])], last[SORT_KEY] if last else None


def _still(current: Recording | None) -> dict[str, Any]:
    """The condition of a write over `current`: still that version (None: still no recording with that id)."""
    if current is None:
        return {"ConditionExpression": "attribute_not_exists(id)"}
    unversioned = (
        " OR attribute_not_exists(#version)" if current.version == 0 else ""
    )  # also an item from before versions
    return {
        "ConditionExpression": f"attribute_exists(id) AND (#version = :seen{unversioned})",
        "ExpressionAttributeNames": {"#version": "version"},
        "ExpressionAttributeValues": {":seen": current.version},
    }


def _too_large(error: Exception) -> ItemTooLarge | None:
    """DynamoDB's refusal of an item over 400 KB, as a domain error (None for any other error)."""
    message = str(getattr(error, "response", {}).get("Error", {}).get("Message", "")) + str(error)
    if "size has exceeded" in message or "Item size" in message:
        return ItemTooLarge("the recording's record would be larger than the store takes")
    return None


def _back_off(attempt: int) -> None:
    """A lost race: wait a little, more each time and at random, so racing writers spread out instead of colliding
    again (a DELETE racing a burst of edits gets its turn)."""
    time.sleep(random.uniform(0, 0.01 * (attempt + 1)))


def _charge(recording: Recording | None) -> Usage:
    return recording.charge if recording is not None else Usage()
