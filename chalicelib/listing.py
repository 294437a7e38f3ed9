"""What a list holds, and how it is read a page at a time. Every page is one ordered range of one store index (a
Query, never a Scan); this module says which range and which filters, the store says how.

The most selective key present picks the index (owner, then name, then kind, else the public feed); the other
filters ride along as filters. A page reads at most READ_BUDGET items, so its cost is bounded by the page, not by
the table: when filters reject many items a page may come back short, with a cursor to go on from.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib import cursors
from chalicelib.errors import InvalidParameter
from chalicelib.recording import Recording
from chalicelib.search_words import PUBLIC, index_keys, matches, query_words, search_key

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
READ_BUDGET = 1000
MAX_SEARCH = 200  # characters of a search (?q=)

# The store's newest-first indexes. Each holds a subset of recordings, partitioned by one value:
FEED = "feed"  # every listed recording (one partition)
BY_OWNER = "owner"  # every recording of one owner, unlisted ones too
BY_NAME = "name"  # listed recordings with one exact name
BY_KIND = "kind"  # listed recordings of one kind
BY_WORD = "search"  # recordings with a word that begins with one prefix, in one scope (search_words.py)


@dataclass(frozen=True)
class ListQuery:
    owner: int | None = None
    kind: str | None = None
    name: str | None = None
    status: str | None = None
    min_duration: float | None = None
    max_duration: float | None = None
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None
    q: str | None = None


@dataclass(frozen=True)
class Selection:
    """One index range and the filters on it: exactly the recordings a list may show, in one value."""

    index: str
    partition: int | str | None = None  # the owner's id, the name or the kind
    listed_only: bool = False  # others' unlisted recordings in the owner index
    unexpired_at: int | None = None  # hide upload slots that expired by then
    name: str | None = None
    kind: str | None = None
    status: str | None = None
    min_duration: float | None = None
    max_duration: float | None = None
    words: tuple[str, ...] = ()  # a search's folded words: each begins a word of the recording
    also: str | None = None  # a search's second index key, read with the partition's (the viewer's own scope)

    def in_index(self, recording: Recording) -> bool:
        """Whether the index range holds the recording at all (what a store's index does by itself)."""
        if self.index == BY_OWNER:
            return recording.owner == self.partition
        if self.index == BY_WORD:
            keys = index_keys(recording)
            return str(self.partition) in keys or (self.also is not None and self.also in keys)
        if not recording.listed:
            return False
        return {FEED: True, BY_NAME: recording.name == self.partition, BY_KIND: recording.kind == self.partition}[
            self.index
        ]

    def passes_filters(self, recording: Recording) -> bool:
        """The filters, as a predicate; a store may evaluate them its own way but must agree with this."""
        duration = recording.duration
        return (
            (not self.listed_only or recording.listed)
            and (self.unexpired_at is None or not recording.expired(self.unexpired_at))
            and (self.name is None or recording.name == self.name)
            and (self.kind is None or recording.kind == self.kind)
            and (self.status is None or recording.status == self.status)
            and (self.min_duration is None or (duration is not None and duration >= self.min_duration))
            and (self.max_duration is None or (duration is not None and duration <= self.max_duration))
            and (not self.words or matches(recording, self.words))
        )

    def admits(self, recording: Recording) -> bool:
        return self.in_index(recording) and self.passes_filters(recording)


class PagedStore(Protocol):
    def page(self, selection: Selection, limit: int, after: str | None) -> tuple[list[Recording], str | None]:
        """Read `limit` items of the selection's index range, newest first, after the position `after` (a sort key);
        return those that pass its filters and the position of the last item read (None when the range ended)."""


def select(query: ListQuery, viewer_id: int | None) -> Selection:
    """The listing rule: what `query` shows to `viewer_id` (None: nobody signed in)."""
    if query.min_duration is not None and query.max_duration is not None and query.min_duration > query.max_duration:
        raise InvalidParameter("min_duration must not be greater than max_duration", field="min_duration")
    filters: dict[str, Any] = {
        "status": query.status,
        "min_duration": query.min_duration,
        "max_duration": query.max_duration,
    }
    words = query_words(query.q or "")
    if words:
        return _search(query, viewer_id, words, filters)
    if query.owner is not None:
        own = query.owner == viewer_id
        return Selection(
            BY_OWNER,
            query.owner,
            listed_only=not own,
            unexpired_at=int(time.time()) if own else None,
            name=query.name,
            kind=query.kind,
            **filters,
        )
    if query.name is not None:
        return Selection(BY_NAME, query.name, kind=query.kind, **filters)
    if query.kind is not None:
        return Selection(BY_KIND, query.kind, **filters)
    return Selection(FEED, **filters)


def _search(query: ListQuery, viewer_id: int | None, words: tuple[str, ...], filters: dict[str, Any]) -> Selection:
    """A search reads the index key of its longest word: the owner's scope (their unlisted recordings too, for
    themselves) when the query names an owner; else the public scope, and for someone signed in their own scope
    beside it (their private recordings are found by them, and only by them)."""
    own = query.owner is not None and query.owner == viewer_id
    scope = PUBLIC if query.owner is None else f"own:{query.owner}"
    viewer_scope = f"own:{viewer_id}" if query.owner is None and viewer_id is not None else None
    return Selection(
        BY_WORD,
        search_key(scope, words),
        listed_only=query.owner is not None and not own,
        unexpired_at=int(time.time()) if own or viewer_scope else None,
        name=query.name,
        kind=query.kind,
        words=words,
        also=search_key(viewer_scope, words) if viewer_scope else None,
        **filters,
    )


def list_recordings(store: PagedStore, query: ListQuery, viewer_id: int | None) -> tuple[list[Recording], str | None]:
    """One page, newest first, and the cursor of the next one (None at the end)."""
    selection = select(query, viewer_id)
    after = cursors.decode(query.cursor, selection.index, selection.partition) if query.cursor else None
    # A store's read limit counts items read, before the filters. Read a page's worth first; while filters leave
    # the page short, read what the pass rate so far says the rest needs (twice the last read when nothing passed),
    # up to the page's budget: a filter that keeps most items costs about a page, a selective one reaches its
    # budget in a few round trips.
    batch = query.limit
    items: list[Recording] = []
    read = 0
    while True:
        page, last = store.page(selection, batch, after)
        read += batch
        for position, recording in enumerate(page):
            items.append(recording)
            if len(items) == query.limit:
                at_the_end = last is None and position == len(page) - 1
                return items, None if at_the_end else cursors.encode(
                    selection.index, selection.partition, recording.sort_key
                )
        if last is None:
            return items, None
        after = last
        if read >= READ_BUDGET:
            return items, cursors.encode(selection.index, selection.partition, last)
        needed = query.limit - len(items)
        guess = math.ceil(needed * read / len(items) * 1.25) if items else 2 * batch
        batch = min(guess, READ_BUDGET - read)
