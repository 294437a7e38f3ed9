"""In-memory stand-ins for the stores, for service tests that need no AWS. The recording store passes the same
contract tests as the DynamoDB one (tests/integration/test_recording_store.py), so what a service test proves with
it holds for the real store too."""

from __future__ import annotations

import threading
from typing import Any

from chalicelib.errors import Conflict
from chalicelib.listing import Selection
from chalicelib.recording import Recording
from chalicelib.recording_store import RecordingStore


class InMemoryRecordingStore(RecordingStore):
    def __init__(self) -> None:
        self._recordings: dict[str, Recording] = {}
        self._lock = threading.Lock()  # one writer at a time per store, as DynamoDB serialises writes to an item

    def create(self, recording: Recording) -> None:
        with self._lock:
            if recording.id in self._recordings:
                raise Conflict(f"recording {recording.id} exists")
            self._recordings[recording.id] = recording

    def get(self, recording_id: str) -> Recording | None:
        return self._recordings.get(recording_id)

    def delete(self, recording_id: str) -> None:
        with self._lock:
            self._recordings.pop(recording_id, None)

    def replace(self, current: Recording, new: Recording) -> bool:
        with self._lock:
            stored = self._recordings.get(current.id)
            if stored is None or stored.version != current.version:
                return False
            self._recordings[current.id] = new
            return True

    def page(self, selection: Selection, limit: int, after: str | None) -> tuple[list[Recording], str | None]:
        in_range = sorted((recording for recording in self._recordings.values() if selection.in_index(recording)),
                          key=lambda recording: recording.sort_key, reverse=True)
        if after is not None:
            in_range = [recording for recording in in_range if recording.sort_key < after]
        read = in_range[:limit]
        last = read[-1].sort_key if read and len(in_range) > limit else None
        return [recording for recording in read if selection.passes_filters(recording)], last


class InMemoryAudioStorage:
    """The slice of AudioStorage the recording service uses, over a dict of keys to bytes."""

    bucket = "in-memory"

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put_original(self, recording_id: str, body: bytes, content_type: str) -> str:
        self.objects[f"originals/{recording_id}"] = body
        return "etag"

    def read(self, key: str) -> bytes:
        return self.objects[key]

    def presigned_get(self, key: str, expires_in: int, **_: Any) -> str:
        return f"memory://{key}?expires={expires_in}"

    def presigned_put_original(self, recording_id: str, expires_in: int) -> str:
        return f"memory://originals/{recording_id}?expires={expires_in}"

    def delete_recording(self, recording_id: str) -> None:
        for key in [key for key in self.objects if recording_id in key]:
            del self.objects[key]
