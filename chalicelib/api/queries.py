"""A list's query string, read into a ListQuery: every value checked, each mistake a 400 that names its field.
Absent and empty values both mean "no filter"; a parameter the list does not know is a mistake too, not ignored
(a filter that is silently dropped answers with the unfiltered list)."""

from __future__ import annotations

import math
from typing import Mapping

from chalicelib.errors import InvalidParameter
from chalicelib.listing import DEFAULT_LIMIT, MAX_LIMIT, ListQuery
from chalicelib.recording import KINDS, STATUSES
from chalicelib.users import MAX_USER_ID

MAX_NAME_LENGTH = 255
LIST_PARAMETERS = ("owner", "kind", "name", "status", "min_duration", "max_duration", "limit", "cursor")
# The 000 spec's names (its /list route takes them): elsewhere the refusal says which name to use.
_SPELLED_HERE = {"maxduration": "max_duration", "minduration": "min_duration"}


def list_query(params: Mapping[str, str]) -> ListQuery:
    unknown_parameter(params, LIST_PARAMETERS)
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


def unknown_parameter(params: Mapping[str, str], known: tuple[str, ...]) -> None:
    """Refuse the first (alphabetically) parameter that is not one of `known`, naming it."""
    unknown = sorted(name for name in params if name not in known)
    if not unknown:
        return
    name = unknown[0]
    hint = f"; did you mean {_SPELLED_HERE[name]}?" if _SPELLED_HERE.get(name) in known else ""
    raise InvalidParameter(f"unknown query parameter {name!r}: this list takes {', '.join(known)}{hint}",
                           field=name)


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
