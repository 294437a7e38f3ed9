"""What a recording is called when nobody named it: the original's own title tag once the converter has read it,
else its file's name without the extension ("take1.wav" is "take1"), else "recording". Pure functions.

The earlier specs' uploads keep their own rule (the whole file name, or "recording.<format>"): their clients find
files by those names (seeds/000's `/download?name=myfile.wav`), so a name like that is never replaced by a tag.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any

from chalicelib.metadata import MAX_FILENAME_LENGTH, MAX_TEXT, clean_filename
from chalicelib.recording import Original

DEFAULT_NAME = "recording"


def file_stem(filename: str | None) -> str | None:
    """A file's name without its extension ("Mix v1.2.wav" is "Mix v1.2"; "Mix v1.2" keeps its version number)."""
    cleaned = clean_filename(filename)
    if cleaned is None:
        return None
    stem, extension = posixpath.splitext(cleaned)
    return stem if stem and extension and not extension[1:].isdigit() else cleaned


def default_name(filename: str | None) -> str:
    return file_stem(filename) or DEFAULT_NAME


def is_default(name: str, original: Mapping[str, Any]) -> bool:
    """Whether `name` is what an upload without a name was given (so its own title may replace it)."""
    return name == DEFAULT_NAME or name == file_stem(original.get("filename"))


def name_from_tags(name: str, kind: str, original: Mapping[str, Any]) -> str | None:
    """The original's title tag, as the name of a recording nobody named; None to keep the name."""
    titles = (original.get("tags") or {}).get("title") or []
    if not is_default(name, original) or not titles:
        return None
    title = "".join(ch for ch in str(titles[0]) if ch.isprintable()).strip()
    limit = MAX_FILENAME_LENGTH if kind == "other" else MAX_TEXT
    return title[:limit] or None


def slot_names(metadata: Mapping[str, Any]) -> tuple[dict[str, Any], Original | None]:
    """A recording that waits for its file: its metadata with a name (the one given; else an audiobook's title or
    the file's name without its extension; a song or a podcast with neither is refused by the metadata's rules), and
    the original it starts with (the file's name, kept for its download and its default name)."""
    named = dict(metadata)
    filename = clean_filename(named.pop("filename", None))
    if not named.get("name") and (filename or named.get("kind") not in ("song", "podcast")):
        named["name"] = named.get("title") or default_name(filename)
    original: Original | None = {"filename": filename} if filename else None
    return named, original
