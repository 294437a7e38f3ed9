"""What counts as text in a name or a field: Unicode scalar values (no lone surrogates), no control or format
characters (Unicode categories Cc and Cf: a right-to-left override makes a name lie about its extension),
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
    if any(unicodedata.category(ch) in ("Cc", "Cf") and not _joins_emoji(text, at) for at, ch in enumerate(text)):
        # Cf: format characters, such as U+202E, which shows "evil\u202egnp.exe" as "evilexe.png"
        raise Invalid(f"{field} must not contain control or format characters", field=field)
    return text or None


def _joins_emoji(text: str, at: int) -> bool:
    """A zero-width joiner inside an emoji sequence ("👩‍💻"): the one format character names need."""
    return (
        text[at] == "\u200d"
        and 0 < at < len(text) - 1
        and unicodedata.category(text[at - 1]) in ("So", "Mn")
        and unicodedata.category(text[at + 1]) == "So"
    )
