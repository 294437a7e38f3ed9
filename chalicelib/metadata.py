"""A recording's editable metadata: name, visibility, kind and the kind's own fields, validated together.

Kinds and their fields (the song/podcast/audiobook spec): a song has a `name`; a podcast a `name`, a `host` and up
to 10 `participants`; an audiobook a `title`, an `author` and a `narrator`. Every text field is at most 100
characters (a recording's `name` is a file name, so it may be up to 255 for kind `other`). Fields of another kind
are refused; when the kind changes, the old kind's fields go.
"""

from __future__ import annotations

import posixpath
from typing import Any
from collections.abc import Mapping

from chalicelib.errors import Invalid, TooLarge
from chalicelib.recording import ALL_KIND_FIELDS, KIND_FIELDS, KINDS, VISIBILITIES, Recording
from chalicelib.text import clean_text

MAX_TEXT = 100
MAX_PARTICIPANTS = 10
MAX_FILENAME_LENGTH = 255
MAX_LINK_UPLOAD_BYTES = 5 * 1024**3  # S3's limit for one PUT
MAX_OBJECT_BYTES = 5 * 1024**4  # S3's limit for one object
REQUIRED: dict[str, tuple[str, ...]] = {
    "song": ("name",),
    "podcast": ("name", "host"),
    "audiobook": ("title", "author", "narrator"),
    "other": (),
}
EDITABLE = ("name", "kind", "visibility", *ALL_KIND_FIELDS)


def validate_metadata(changes: Mapping[str, Any], recording: Recording | None = None) -> dict[str, Any]:
    """The attributes to write for `changes` applied to `recording` (None values mean: remove the attribute)."""
    current: dict[str, Any] = (
        {} if recording is None else {"kind": recording.kind, "name": recording.name, **recording.kind_fields()}
    )
    given = {key: value for key, value in changes.items() if key in EDITABLE}
    kind = given.get("kind", current.get("kind") or "other")
    if kind not in KINDS:
        raise Invalid(f"kind must be one of: {', '.join(KINDS)}", field="kind")
    result: dict[str, Any] = {"kind": kind}
    if "visibility" in given:
        if given["visibility"] not in VISIBILITIES:
            raise Invalid(f"visibility must be one of: {', '.join(VISIBILITIES)}", field="visibility")
        result["visibility"] = given["visibility"]
    for field in ALL_KIND_FIELDS:
        if field in given and given[field] is not None and field not in KIND_FIELDS[kind]:
            raise Invalid(f"{field} is not a field of a {kind}", field=field)
        if field not in KIND_FIELDS[kind]:
            if current.get(field) is not None:
                result[field] = None  # the kind changed: the old kind's fields go
            continue
        if field in given:
            result[field] = _participants(given[field]) if field == "participants" else _text(given[field], field)
    if "name" in given:
        result["name"] = _name(given["name"], kind)
    elif kind in ("song", "podcast") and current.get("name") is not None:
        _name(current["name"], kind)  # a name that was fine for `other` may be too long for a song
    merged = {**current, **result}
    for field in REQUIRED[kind]:
        if merged.get(field) in (None, "", []):
            raise Invalid(f"a {kind} needs {field}", field=field)
    return result


def _name(value: Any, kind: str) -> str:
    """A recording's name is text, kept as typed ("AC/DC - Back in Black", "Live 12/03/2025"): only a file name
    taken from an upload loses its directories (clean_filename)."""
    if value is not None and not isinstance(value, str):
        raise Invalid("name must be a string", field="name")
    name = _text(value, "name", MAX_FILENAME_LENGTH if kind == "other" else MAX_TEXT)
    if name is None:
        raise Invalid("name must not be empty", field="name")
    return name


def _text(value: Any, field: str, max_length: int = MAX_TEXT) -> str | None:
    return clean_text(value, field, max_length)


def _participants(value: Any) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise Invalid("participants must be a list of names", field="participants")
    if len(value) > MAX_PARTICIPANTS:
        raise Invalid(f"participants must be at most {MAX_PARTICIPANTS}", field="participants")
    names = [_text(item, "participants") for item in value]
    if any(name is None for name in names):
        raise Invalid("participants must be non-empty names", field="participants")
    return [name for name in names if name is not None]


def clean_filename(name: str | None) -> str | None:
    """A client's file name without directories or control characters; None when nothing is left."""
    if name is None:
        return None
    base = posixpath.basename(name.replace("\\", "/"))
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip()
    if cleaned in ("", ".", ".."):
        return None
    if len(cleaned) > MAX_FILENAME_LENGTH:
        raise Invalid(f"name must be at most {MAX_FILENAME_LENGTH} characters", field="name")
    return cleaned


def declared_size(value: Any, *, required: bool) -> int | None:
    """The size in bytes an upload slot declares (reserved against the quota, signed into its link)."""
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value or value < 1:
        raise Invalid(
            "size must be the file's size in bytes, a positive integer: the upload link takes exactly that many bytes",
            field="size",
        )
    if value > MAX_LINK_UPLOAD_BYTES:
        raise TooLarge(
            f"size is over {MAX_LINK_UPLOAD_BYTES} bytes, the most one upload link takes",
            limit=MAX_LINK_UPLOAD_BYTES,
            field="size",
        )
    return int(value)


def vocabulary() -> dict[str, Any]:
    """The kinds, each kind's fields and the fields it needs, and the text limits: what clients (the page) need to
    build their forms, from the one place they are defined."""
    return {
        "kinds": list(KINDS),
        "kind_fields": {kind: list(fields) for kind, fields in KIND_FIELDS.items()},
        "required": {kind: list(fields) for kind, fields in REQUIRED.items()},
        "limits": {"text": MAX_TEXT, "name": MAX_FILENAME_LENGTH, "participants": MAX_PARTICIPANTS},
    }
