"""A list's query string, read into a ListQuery: every value checked, each mistake a 400 that names its field.
Absent and empty values both mean "no filter"."""

from __future__ import annotations

import math
from typing import Mapping

from chalicelib.errors import InvalidParameter
from chalicelib.listing import DEFAULT_LIMIT, MAX_LIMIT, ListQuery
from chalicelib.recording import KINDS, STATUSES
from chalicelib.users import MAX_USER_ID

MAX_NAME_LENGTH = 255


def list_query(params: Mapping[str, str]) -> ListQuery:
    return ListQuery(
        owner=_integer(params, "owner", 0, MAX_USER_ID),  # 0: the anonymous uploads of the earlier specs
        kind=_choice(params, "kind", KINDS),
        name=_text(params, "name"),
        status=_choice(params, "status", STATUSES),
        min_duration=_seconds(params, "min_duration"),
        max_duration=_seconds(params, "max_duration"),
        limit=_integer(params, "limit", 1, MAX_LIMIT) or DEFAULT_LIMIT,
        cursor=params.get("cursor") or None,
    )


def _integer(params: Mapping[str, str], name: str, low: int, high: int) -> int | None:
    raw = params.get(name)
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise InvalidParameter(f"{name} must be an integer", field=name) from None
    if not low <= value <= high:
        raise InvalidParameter(f"{name} must be between {low} and {high}", field=name)
    return value


def _seconds(params: Mapping[str, str], name: str) -> float | None:
    raw = params.get(name)
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise InvalidParameter(f"{name} must be a number of seconds", field=name) from None
    if not math.isfinite(value) or value < 0 or value > 1e9:
        raise InvalidParameter(f"{name} must be a number of seconds between 0 and 1e9", field=name)
    # Microseconds are the precision of durations; finer values (2.9e-265, found by the fuzzer) are beyond what a
    # DynamoDB number can hold.
    return round(value, 6)


def _choice(params: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str | None:
    raw = params.get(name)
    if not raw:
        return None
    if raw not in allowed:
        raise InvalidParameter(f"{name} must be one of: {', '.join(allowed)}", field=name)
    return raw


def _text(params: Mapping[str, str], name: str) -> str | None:
    raw = params.get(name)
    if not raw:
        return None
    if len(raw) > MAX_NAME_LENGTH:
        raise InvalidParameter(f"{name} must be at most {MAX_NAME_LENGTH} characters", field=name)
    return raw
