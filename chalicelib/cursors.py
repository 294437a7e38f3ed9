"""List cursors: an opaque token that says where the next page of one query starts.

A cursor names its index and partition and the sort key of the last item read. It is checked against the query it
comes back with, so a forged or foreign cursor is an InvalidParameter (400), never a 500 and never a way into another
index's range.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from chalicelib.errors import InvalidParameter

_POSITION = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z#[0-9a-f-]{1,64}")


def encode(index: str, partition: Any, position: str) -> str:
    raw = json.dumps({"i": index, "p": partition, "s": position}, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str, index: str, partition: Any) -> str:
    """The position a cursor holds, if it belongs to this index and partition."""
    invalid = InvalidParameter("cursor is invalid or belongs to another query", field="cursor")
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise invalid from None
    if not isinstance(data, dict) or set(data) != {"i", "p", "s"}:
        raise invalid
    position = data["s"]
    if data["i"] != index or data["p"] != partition or not isinstance(position, str):
        raise invalid
    if not _POSITION.fullmatch(position):  # a sort key as the store writes them: time#id
        raise invalid
    return position
