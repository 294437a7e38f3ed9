"""In-memory stand-ins for the stores, for service tests that need no AWS. The recording store passes the same
contract tests as the DynamoDB one (tests/integration/test_recording_store.py), so what a service test proves with
it holds for the real store too."""

from __future__ import annotations

import hashlib
import threading
from typing import Any

from chalicelib.errors import Conflict, QuotaExceeded
from chalicelib.listing import Selection
from chalicelib.recording import Recording, Usage
from chalicelib.recording_store import RecordingStore
from chalicelib.storage import original_key


class InMemoryRecordingStore(RecordingStore):
    def __init__(self) -> None:
        self._recordings: dict[str, Recording] = {}
        self._usage: dict[int, Usage] = {}
        self._lock = threading.Lock()  # one writer at a time, as DynamoDB serialises writes to an item

    def get(self, recording_id: str) -> Recording | None:
        return self._recordings.get(recording_id)

    def usage(self, owner: int) -> Usage:
        return self._usage.get(owner, Usage())

    def write(self, current: Recording | None, new: Recording | None, room: int | None = None) -> bool:
        target = new or current
        assert target is not None
        with self._lock:
            stored = self._recordings.get(target.id)
            if (stored is None) != (current is None) or (stored and current and stored.version != current.version):
                return False
            charges = [recording.charge if recording else Usage() for recording in (current, new)]
            usage = self.usage(target.owner) + charges[1] - charges[0]
            if room is not None and charges[1].bytes > charges[0].bytes and usage.bytes > room:
                raise QuotaExceeded("over the quota", adding_bytes=charges[1].bytes - charges[0].bytes)
            if new is None:
                del self._recordings[target.id]
            else:
                self._recordings[target.id] = new
            self._usage[target.owner] = usage
            return True

    def page(self, selection: Selection, limit: int, after: str | None) -> tuple[list[Recording], str | None]:
        in_range = sorted(
            (recording for recording in self._recordings.values() if selection.in_index(recording)),
            key=lambda recording: recording.sort_key,
            reverse=True,
        )
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

    def put_original(self, recording_id: str, body: bytes, content_type: str, *, replacing: str | None = None) -> str:
        if self.original_etag(recording_id) != replacing:
            raise Conflict("another upload replaced this recording's file meanwhile")
        self.objects[f"originals/{recording_id}"] = body
        return self._etag(body)

    def original_etag(self, recording_id: str) -> str | None:
        body = self.objects.get(f"originals/{recording_id}")
        return None if body is None else self._etag(body)

    @staticmethod
    def _etag(body: bytes) -> str:
        return hashlib.md5(body).hexdigest()

    def read(self, key: str) -> bytes:
        return self.objects[key]

    def presigned_get(self, key: str, expires_in: int, **_: Any) -> str:
        return f"memory://{key}?expires={expires_in}"

    def presigned_put_original(self, recording_id: str, expires_in: int, size: int) -> str:
        return f"memory://originals/{recording_id}?expires={expires_in}&size={size}"

    def delete_recording(self, recording_id: str) -> None:
        for key in [
            key
            for key in self.objects
            if key == original_key(recording_id) or key.startswith((f"mp3/{recording_id}/", f"peaks/{recording_id}/"))
        ]:
            del self.objects[key]
