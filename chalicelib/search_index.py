"""The search index, kept by the recordings store's writes (search_words.py says what it holds).

Its entries live in the recordings table, one small item per (search key, recording): `id` = "search#<key>#<id>",
`search_key`, `created_sk` (the recording's sort key) and `rid`, with the recording's `expires_at` so that
DynamoDB's TTL removes an expired upload slot's entries with it. The `search-index` GSI (partition `search_key`,
sort `created_sk`) reads one key newest first; the recordings themselves come from one BatchGetItem. Entries carry
no listing attribute, so the listing indexes never see them.

Cost: a recording with W distinct words of average length L (capped at 12) has about W·L keys, twice when it is
listed (its owner's scope and the public one): "Harbor Ember #57", public, is 26 items of ~100 bytes. An edit writes
only the keys that changed; a delete removes them all. A search reads one key's page and that page's recordings.
Short prefixes are the hot keys at scale ("public#a"); sharding them as recording_store.py describes for the feed,
or indexing from two characters, is the way on.
"""

from __future__ import annotations

from typing import Any

from chalicelib.recording import Recording
from chalicelib.search_words import index_keys

INDEX = "search-index"
_BATCH_GET = 100


def _entry_id(key: str, recording_id: str) -> str:
    return f"search#{key}#{recording_id}"


def changed_entries(current: Recording | None, new: Recording | None) -> tuple[set[str], set[str]]:
    """(keys to write, keys to delete) for a write of `current` to `new`: only what changed, all of them again when
    the entries' copied attributes (expiry) changed."""
    before, after = index_keys(current), index_keys(new)
    copied_changed = current is not None and new is not None and current.expires_at != new.expires_at
    return (after if copied_changed else after - before), before - after


class SearchIndex:
    def __init__(self, table: Any) -> None:
        self._table = table

    def update(self, current: Recording | None, new: Recording | None) -> None:
        writes, deletes = changed_entries(current, new)
        target = new or current
        if target is None or not (writes or deletes):
            return
        with self._table.batch_writer() as batch:
            for key in deletes:
                batch.delete_item(Key={"id": _entry_id(key, target.id)})
            for key in writes:
                item: dict[str, Any] = {
                    "id": _entry_id(key, target.id),
                    "search_key": key,
                    "created_sk": target.sort_key,
                    "rid": target.id,
                }
                if target.expires_at is not None:
                    item["expires_at"] = target.expires_at
                batch.put_item(Item=item)

    def entry_ids(self, recording: Recording) -> list[str]:
        """The item ids of a recording's entries."""
        return [_entry_id(key, recording.id) for key in index_keys(recording)]

    def page(self, key: str, limit: int, after: str | None) -> tuple[list[str], str | None]:
        """The ids of up to `limit` recordings under `key`, newest first, after the sort key `after`; and the sort
        key of the last entry read (None when the key's entries have ended)."""
        read, last = self._read(key, limit, after)
        return [recording_id for _, recording_id in read], last

    def merged_page(self, keys: list[str], limit: int, after: str | None) -> tuple[list[str], str | None]:
        """`page` over several keys at once, newest first, each recording once. Every key is read from the same
        position; what is kept is what all of them have reached (not older than the newest place one stopped at),
        and that place is where the next page starts: nothing is skipped, nothing given twice."""
        newest: dict[str, str] = {}
        bound: str | None = None
        for key in keys:
            read, last = self._read(key, limit, after)
            newest.update((recording_id, sort_key) for sort_key, recording_id in read)
            if last is not None and (bound is None or last > bound):
                bound = last
        ordered = sorted(newest, key=lambda recording_id: newest[recording_id], reverse=True)
        return [rid for rid in ordered if bound is None or newest[rid] >= bound], bound

    def _read(self, key: str, limit: int, after: str | None) -> tuple[list[tuple[str, str]], str | None]:
        from boto3.dynamodb.conditions import Key

        arguments: dict[str, Any] = {
            "IndexName": INDEX,
            "KeyConditionExpression": Key("search_key").eq(key),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if after is not None:
            recording_id = after.split("#", 1)[1]
            arguments["ExclusiveStartKey"] = {
                "id": _entry_id(key, recording_id),
                "search_key": key,
                "created_sk": after,
            }
        result = self._table.query(**arguments)
        last = result.get("LastEvaluatedKey")
        read = [(item["created_sk"], item["rid"]) for item in result.get("Items", [])]
        return read, last["created_sk"] if last else None

    def fetch(self, ids: list[str], decode: Any) -> list[Recording]:
        """The recordings of `ids` that still exist, in the order given (one consistent BatchGetItem a 100; the table's
        client takes and gives plain values, as the resource does)."""
        found: dict[str, Recording] = {}
        client = self._table.meta.client
        for start in range(0, len(ids), _BATCH_GET):
            keys = [{"id": recording_id} for recording_id in ids[start : start + _BATCH_GET]]
            request: dict[str, Any] = {self._table.name: {"Keys": keys, "ConsistentRead": True}}
            while request:
                answer = client.batch_get_item(RequestItems=request)
                for item in answer.get("Responses", {}).get(self._table.name, []):
                    recording = decode(item)
                    found[recording.id] = recording
                request = answer.get("UnprocessedKeys") or {}
        return [found[recording_id] for recording_id in ids if recording_id in found]
