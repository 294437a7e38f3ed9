"""Recording metadata in DynamoDB: one item per recording, keyed by its UUID.

Lists are served by four sparse global secondary indexes, each sorted by `created_sk` (creation time + id, so
newest first is a reverse Query):
- `public-index`  on `public_feed` ("public")  — every listed public recording;
- `owner-index`   on `owner`                   — all of one user's recordings, private and unlisted ones too;
- `name-index`    on `public_name`             — listed public recordings with that exact name;
- `kind-index`    on `public_kind`             — listed public recordings of that kind.
The `public_*` attributes exist only while a recording is public and uploaded (not `awaiting_upload`), so private
and never-uploaded recordings are simply absent from those indexes. `index_attributes` is the one place that
decides them; every write goes through it.

Sharding, when one "public" partition gets hot: write `public_feed` as `public#<n>` for n in 0..N-1 (n from a
hash of the id) and merge N reverse Queries by `created_sk`; the cursor then carries one key per shard.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from chalicelib import aws
from chalicelib.config import settings
from chalicelib.timeutil import now_iso

KINDS = ("song", "podcast", "audiobook", "other")
STATUSES = ("awaiting_upload", "processing", "ready", "failed")
VISIBILITIES = ("public", "private")
PUBLIC_FEED = "public"

INDEX_PARTITIONS = {
    "public-index": "public_feed",
    "owner-index": "owner",
    "name-index": "public_name",
    "kind-index": "public_kind",
}
SORT_KEY = "created_sk"


class RecordingGone(Exception):
    """The recording was deleted while we were working on it."""


def index_attributes(item: dict[str, Any]) -> dict[str, Any]:
    """The listing-index attributes a recording should have now; None means 'absent'."""
    listed = item.get("visibility") == "public" and item.get("status") != "awaiting_upload"
    return {
        "public_feed": PUBLIC_FEED if listed else None,
        "public_name": item.get("name") if listed else None,
        "public_kind": item.get("kind") if listed else None,
    }


def new_recording(
    owner: int,
    name: str,
    *,
    status: str,
    kind: str = "other",
    visibility: str = "public",
    original: dict[str, Any] | None = None,
    fields: dict[str, Any] | None = None,
) -> dict[str, Any]:
    created_at = now_iso()
    recording_id = str(uuid.uuid4())
    item: dict[str, Any] = {
        "id": recording_id,
        "name": name,
        "owner": owner,
        "kind": kind,
        "visibility": visibility,
        "status": status,
        "created_at": created_at,
        "updated_at": created_at,
        SORT_KEY: f"{created_at}#{recording_id}",
        "original": original or {},
        **(fields or {}),
    }
    item.update({key: value for key, value in index_attributes(item).items() if value is not None})
    return item


def to_dynamo(value: Any) -> Any:
    """Floats become Decimals (DynamoDB numbers), recursively."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {key: to_dynamo(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_dynamo(item) for item in value]
    return value


def from_dynamo(value: Any) -> Any:
    """Decimals back to ints or floats, recursively."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: from_dynamo(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_dynamo(item) for item in value]
    return value


class RecordingStore:
    def __init__(self, table: Any) -> None:
        self._table = table

    @classmethod
    def from_settings(cls) -> "RecordingStore":
        return cls(aws.table(settings().recordings_table))

    def create(self, item: dict[str, Any]) -> None:
        self._table.put_item(Item=to_dynamo(item), ConditionExpression="attribute_not_exists(id)")

    def get(self, recording_id: str) -> dict[str, Any] | None:
        item = self._table.get_item(Key={"id": recording_id}, ConsistentRead=True).get("Item")
        return from_dynamo(item) if item else None

    def delete(self, recording_id: str) -> None:
        self._table.delete_item(Key={"id": recording_id})

    def update(self, recording_id: str, changes: dict[str, Any], condition: str | None = None,
               condition_values: dict[str, Any] | None = None,
               condition_names: dict[str, str] | None = None) -> dict[str, Any]:
        """Apply `changes` (None removes an attribute) to an existing recording; raises RecordingGone if it is not
        there (an update must never recreate a deleted recording) or if `condition` does not hold."""
        sets, removes = [], []
        names: dict[str, str] = dict(condition_names or {})
        values: dict[str, Any] = dict(condition_values or {})
        for position, (attribute, value) in enumerate({**changes, "updated_at": now_iso()}.items()):
            names[f"#a{position}"] = attribute
            if value is None:
                removes.append(f"#a{position}")
            else:
                sets.append(f"#a{position} = :v{position}")
                values[f":v{position}"] = to_dynamo(value)
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        full_condition = "attribute_exists(id)" + (f" AND ({condition})" if condition else "")
        client = self._table.meta.client
        try:
            result = self._table.update_item(
                Key={"id": recording_id},
                UpdateExpression=expression,
                ConditionExpression=full_condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except client.exceptions.ConditionalCheckFailedException as error:
            raise RecordingGone(recording_id) from error
        return from_dynamo(result["Attributes"])

    def query(
        self,
        index: str,
        partition_value: Any,
        *,
        limit: int,
        start_key: dict[str, Any] | None = None,
        filter_expression: Any = None,
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """One page of a newest-first Query on a listing index. `limit` bounds the items *read*."""
        from boto3.dynamodb.conditions import Key

        arguments: dict[str, Any] = {
            "IndexName": index,
            "KeyConditionExpression": Key(INDEX_PARTITIONS[index]).eq(partition_value),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if start_key:
            arguments["ExclusiveStartKey"] = start_key
        if filter_expression is not None:
            arguments["FilterExpression"] = filter_expression
        result = self._table.query(**arguments)
        return [from_dynamo(item) for item in result.get("Items", [])], result.get("LastEvaluatedKey")
