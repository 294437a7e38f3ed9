"""A list's query string, read into a ListQuery through its declared type (api/contract.ListParams): every value
checked, each mistake a 400 that names its field, a parameter the list does not know a 400 too. Absent and empty
values both mean "no filter"."""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.errors import InvalidParameter
from chalicelib.listing import DEFAULT_LIMIT, ListQuery

# The 000 spec's names (its /list route takes them): elsewhere the refusal says which name to use.
_SPELLED_HERE = {"maxduration": "max_duration", "minduration": "min_duration"}


def list_query(params: Mapping[str, str]) -> ListQuery:
    from chalicelib.api.contract import ListParams, decode_query

    unknown_parameter(params)
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
        q=given.q,
    )


def _seconds(value: float | None) -> float | None:
    # Microseconds are the precision of durations; finer values (2.9e-265, found by the fuzzer) are beyond what a
    # DynamoDB number can hold.
    return None if value is None else round(value, 6)


def unknown_parameter(params: Mapping[str, str], also: tuple[str, ...] = ()) -> None:
    """Refuse the first (alphabetically) parameter that is neither a list's (api/contract.ListParams) nor one of
    `also`, naming it (a filter silently dropped would answer with the unfiltered list)."""
    known = (*list_parameters(), *also)
    unknown = sorted(name for name in params if name not in known)
    if not unknown:
        return
    name = unknown[0]
    hint = f"; did you mean {_SPELLED_HERE[name]}?" if _SPELLED_HERE.get(name) in known else ""
    raise InvalidParameter(f"unknown query parameter {name!r}: this list takes {', '.join(known)}{hint}", field=name)


def list_parameters() -> tuple[str, ...]:
    """The names a list takes, as its declared type has them."""
    from chalicelib.api.contract import ListParams

    return tuple(ListParams.__struct_fields__)
