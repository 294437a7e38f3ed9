"""What counts as text in a name or a field: Unicode scalar values (no lone surrogates), no control characters,
at most so many characters once trimmed. One rule for user names and recording metadata alike."""

from __future__ import annotations

import unicodedata
from typing import Any

from chalicelib.errors import Invalid


def clean_text(value: Any, field: str, max_length: int) -> str | None:
    """The trimmed text, or None when empty; Invalid (naming `field`) for anything that is not text we keep."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid(f"{field} must be a string", field=field)
    text = value.strip()
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (JSON's "\ud800"): not text anything can store or show
        raise Invalid(f"{field} is not valid Unicode text", field=field) from None
    if len(text) > max_length:
        raise Invalid(f"{field} must be at most {max_length} characters", field=field)
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise Invalid(f"{field} must not contain control characters", field=field)
    return text or None
