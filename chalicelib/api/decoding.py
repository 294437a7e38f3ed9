"""Reading a request into its declared type (api/contract.py): a JSON body (400 if it is not a JSON object, 422
naming the field that does not fit) or a query string (400 naming an unknown or unreadable parameter)."""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar
from collections.abc import Mapping

import msgspec
from msgspec import UNSET, Struct

from chalicelib.api.http import BadRequest
from chalicelib.errors import Invalid, InvalidParameter

T = TypeVar("T", bound=Struct)
_PATH = re.compile(r"at `\$\.([A-Za-z_]+)|required field `([A-Za-z_]+)`")


def decode_body(raw: str | bytes, kind: type[T]) -> T:
    """The JSON body as `kind`: 400 if it is not a JSON object, 422 naming the field that does not fit."""
    if not raw or not raw.strip():
        raw = b"{}"
    try:  # the standard parser, not msgspec's: it keeps a lone surrogate ("\ud800"), which is then refused as
        value = json.loads(raw)  # text with a 422 naming its field rather than as a body that is not JSON
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the body is not valid JSON") from None
    except RecursionError:
        raise BadRequest("the body is nested too deeply") from None
    if not isinstance(value, dict):
        raise BadRequest("the body must be a JSON object")
    try:
        return msgspec.convert({name: _integral(item) for name, item in value.items()}, kind)
    except msgspec.ValidationError as error:
        field = _field(error)
        details = {"field": field} if field else {}
        raise Invalid(f"{field}: {_reason(error)}" if field else str(error), **details) from None


def decode_query(params: Mapping[str, str] | None, kind: type[T], *, unknown_ok: bool = False) -> T:
    """A query string as `kind`: empty values are absent; an unknown (unless `unknown_ok`) or unreadable parameter
    is a 400 naming it (a list given `?q=` must not quietly answer the unfiltered list)."""
    known = set(kind.__struct_fields__)
    given = {name: value for name, value in (params or {}).items() if value != "" and (name in known or not unknown_ok)}
    for name in given:
        if name not in known:
            raise InvalidParameter(f"{name} is not a parameter here; known: {', '.join(sorted(known))}", field=name)
    try:
        return msgspec.convert(given, kind, strict=False)
    except msgspec.ValidationError as error:
        field = _field(error)
        details = {"field": field} if field else {}
        raise InvalidParameter(f"{field}: {_reason(error)}" if field else str(error), **details) from None


def _integral(value: Any) -> Any:
    """JSON Schema's integer admits 255.0 (and clients send it): an integral float is that integer; a string never
    is."""
    return int(value) if isinstance(value, float) and value.is_integer() and abs(value) < 2**63 else value


def fields_given(struct: Struct) -> dict[str, Any]:
    """The fields a request set (null included), as the plain values the domain takes."""
    return {name: value for name in struct.__struct_fields__ if (value := getattr(struct, name)) is not UNSET}


def _field(error: msgspec.ValidationError) -> str | None:
    match = _PATH.search(str(error))
    return (match.group(1) or match.group(2)) if match else None


def _reason(error: msgspec.ValidationError) -> str:
    return str(error).split(" - at `")[0].replace("`", "").lower()
