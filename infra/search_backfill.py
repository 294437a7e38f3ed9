"""Search entries for recordings written before the search index existed (search_index.py): one pass over the
recordings table. It is a Scan, so it is an operator's one-off after an upgrade, never a request path:

    CLOUDSOUND_RECORDINGS_TABLE=<table> python -m infra.search_backfill

The local stack runs it when it restores a data directory whose recordings have no entries yet. Writing an entry
that exists already is harmless, so running it twice is too.
"""

from __future__ import annotations

from typing import Any

from chalicelib.recording_items import SORT_KEY, from_item
from chalicelib.search_index import SearchIndex


def backfill(table: Any, *, only_if_missing: bool = False) -> int:
    """Write every recording's entries; the number of recordings indexed. `only_if_missing`: nothing at all if the
    table holds any entry already (a table indexed since its first write)."""
    recordings, has_entries = _recordings(table)
    if only_if_missing and has_entries:
        return 0
    index = SearchIndex(table)
    for recording in recordings:
        index.update(None, recording)
    return len(recordings)


def _recordings(table: Any) -> tuple[list[Any], bool]:
    recordings, has_entries, start = [], False, None
    while True:
        page = table.scan(**({"ExclusiveStartKey": start} if start else {}))
        for item in page.get("Items", []):
            if "search_key" in item:
                has_entries = True
            elif SORT_KEY in item:  # a recording (usage counters and entries have no sort key)
                recordings.append(from_item(item))
        start = page.get("LastEvaluatedKey")
        if not start:
            return recordings, has_entries


if __name__ == "__main__":
    from chalicelib import aws
    from chalicelib.config import settings

    print(f"indexed {backfill(aws.table(settings().recordings_table))} recordings")
