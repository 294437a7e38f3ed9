"""A list's query string, read into a ListQuery through its declared type (api/contract.ListParams): every value
checked, each mistake a 400 that names its field, a parameter the list does not know a 400 too. Absent and empty
values both mean "no filter"."""

from __future__ import annotations

from typing import Mapping

from chalicelib.listing import DEFAULT_LIMIT, ListQuery


def list_query(params: Mapping[str, str]) -> ListQuery:
    from chalicelib.api.contract import ListParams, decode_query

    given = decode_query(params, ListParams)
    return ListQuery(
        owner=given.owner,  # 0: the anonymous uploads of the earlier specs
        kind=given.kind,
        name=given.name,
        status=given.status,
        min_duration=_seconds(given.min_duration),
        max_duration=_seconds(given.max_duration),
        limit=given.limit or DEFAULT_LIMIT,
        cursor=given.cursor,
    )


def _seconds(value: float | None) -> float | None:
    # Microseconds are the precision of durations; finer values (2.9e-265, found by the fuzzer) are beyond what a
    # DynamoDB number can hold.
    return None if value is None else round(value, 6)
