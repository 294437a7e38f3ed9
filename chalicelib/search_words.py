"""Search as words: what a recording can be found by, and the index keys that find it. Pure functions; the store
(search_index.py) writes and reads the keys.

A recording is found by the words of its name, its kind fields (host, participants, title, author, narrator) and its
original's own title and artist tags. Words are compared folded: case-folded, accents removed (NFKD without the
combining marks), so "cafe" finds "Café" and "ember" finds "Harbor Ember #57". A query's words must each begin a
word of the recording.

The index holds one key per prefix of each word (up to PREFIX_CHARS characters), in two scopes: `public` for a
listed recording, `own:<owner>` for all of an owner's recordings. A search reads the key of its most selective word
(the longest) newest first, and checks every word against the recording itself, so a prefix longer than
PREFIX_CHARS, or an index entry a crash left behind, never shows a wrong recording.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from chalicelib.recording import ALL_KIND_FIELDS, Recording

PREFIX_CHARS = 12  # a longer query word is read by its first 12 characters and checked whole
MAX_WORDS = 200  # the words of one recording that are indexed (its fields are bounded anyway)
MAX_QUERY_WORDS = 8
_WORD = re.compile(r"\w+")
PUBLIC = "public"


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def recording_texts(recording: Recording) -> list[str]:
    texts = [recording.name]
    for field in ALL_KIND_FIELDS:
        value = getattr(recording, field, None)
        texts.extend(value if isinstance(value, (list, tuple)) else [value] if isinstance(value, str) else [])
    tags = (recording.original or {}).get("tags") or {}
    for tag in ("title", "artist"):
        texts.extend(str(value) for value in tags.get(tag, ()))
    return texts


def recording_words(recording: Recording) -> set[str]:
    found: set[str] = set()
    for text in recording_texts(recording):
        found.update(words(text))
    return set(sorted(found)[:MAX_WORDS])


def prefixes(found: Iterable[str]) -> set[str]:
    return {word[:length] for word in found for length in range(1, min(len(word), PREFIX_CHARS) + 1)}


def scopes(recording: Recording) -> list[str]:
    own = f"own:{recording.owner}"
    return [PUBLIC, own] if recording.listed else [own]


def index_keys(recording: Recording | None) -> set[str]:
    """Every search key the recording is found under (none for no recording)."""
    if recording is None:
        return set()
    found = prefixes(recording_words(recording))
    return {f"{scope}#{prefix}" for scope in scopes(recording) for prefix in found}


def query_words(query: str) -> tuple[str, ...]:
    """The words of a search, folded, without repeats or words another one begins (at most MAX_QUERY_WORDS)."""
    unique = sorted(set(words(query)), key=len, reverse=True)
    kept: list[str] = []
    for word in unique:
        if not any(other.startswith(word) for other in kept):
            kept.append(word)
    return tuple(kept[:MAX_QUERY_WORDS])


def search_key(scope: str, query: tuple[str, ...]) -> str:
    """The key to read for a query: its longest word (the most selective), cut to PREFIX_CHARS."""
    return f"{scope}#{query[0][:PREFIX_CHARS]}"


def matches(recording: Recording, query: tuple[str, ...]) -> bool:
    found = recording_words(recording)
    return all(any(word.startswith(part) for word in found) for part in query)
