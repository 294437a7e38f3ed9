"""The recordings table's items: a recording's item (its fields that have a value, and the listing indexes'
attributes that make it appear in a list: recording_store.py's layout), DynamoDB's numbers (Decimals) to and from
ints and floats, the key of the item that keeps an owner's usage, and a listing selection's filters as a
FilterExpression."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from collections.abc import Mapping

from chalicelib.listing import BY_KIND, BY_NAME, BY_OWNER, FEED, Selection
from chalicelib.recording import FIELDS, Recording

PUBLIC_FEED = "public"
SORT_KEY = "created_sk"
INDEXES = {  # listing index -> (DynamoDB index name, its partition attribute)
    FEED: ("public-index", "public_feed"),
    BY_OWNER: ("owner-index", "owner"),
    BY_NAME: ("name-index", "public_name"),
    BY_KIND: ("kind-index", "public_kind"),
}


def index_attributes(recording: Recording) -> dict[str, Any]:
    """The listing indexes' attributes a recording has: only listed recordings are in the public ones."""
    attributes: dict[str, Any] = {SORT_KEY: recording.sort_key}
    if recording.listed:
        attributes.update(public_feed=PUBLIC_FEED, public_name=recording.name, public_kind=recording.kind)
    return attributes


def to_item(recording: Recording) -> dict[str, Any]:
    """The DynamoDB item of a recording: its fields that have a value, and its index attributes."""
    item = {name: getattr(recording, name) for name in FIELDS if getattr(recording, name) is not None}
    if "participants" in item:
        item["participants"] = list(item["participants"])
    item["original"] = dict(recording.original)
    dynamo_item: dict[str, Any] = _to_dynamo({**item, **index_attributes(recording)})
    return dynamo_item


def from_item(item: Mapping[str, Any]) -> Recording:
    values = _from_dynamo({name: value for name, value in item.items() if name in FIELDS})
    if values.get("participants") is not None:
        values["participants"] = tuple(values["participants"])
    return Recording(**values)


def number(value: float) -> Decimal:
    """A float as a DynamoDB number (a Decimal of its shortest repr)."""
    return Decimal(str(value))


def _to_dynamo(value: Any) -> Any:
    """Floats become Decimals (DynamoDB numbers), recursively."""
    if isinstance(value, float):
        return number(value)
    if isinstance(value, dict):
        return {key: _to_dynamo(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_dynamo(item) for item in value]
    return value


def _from_dynamo(value: Any) -> Any:
    """Decimals back to ints or floats, recursively."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _from_dynamo(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_from_dynamo(item) for item in value]
    return value


def usage_key(owner: int) -> str:
    """The item, in the same table, that keeps an owner's usage (no index attribute: it is in no list)."""
    return f"usage#{owner}"


def filter_expression(selection: Selection) -> Any:
    """`Selection.passes_filters`, as a DynamoDB FilterExpression (None when there is nothing to filter)."""
    from boto3.dynamodb.conditions import Attr, ConditionBase

    conditions: list[ConditionBase] = []
    if selection.listed_only:
        conditions += [
            Attr("visibility").eq("public"),
            Attr("status").ne("awaiting_upload"),
            Attr("status").ne("failed"),
        ]
    if selection.unexpired_at is not None:
        conditions.append(
            Attr("status").ne("awaiting_upload")
            | Attr("expires_at").not_exists()
            | Attr("expires_at").gt(selection.unexpired_at)
        )
    for name in ("name", "kind", "status"):
        if getattr(selection, name) is not None:
            conditions.append(Attr(name).eq(getattr(selection, name)))
    if selection.min_duration is not None:
        conditions.append(Attr("duration").gte(number(selection.min_duration)))
    if selection.max_duration is not None:
        conditions.append(Attr("duration").lte(number(selection.max_duration)))
    expression: ConditionBase | None = None
    for condition in conditions:
        expression = condition if expression is None else expression & condition
    return expression
