"""Uploads in parts, as the service offers them: announce a file (its size reserved against the quota, as for an
upload link), ask what S3 holds and get fresh links for the parts still missing, complete, or delete to abort.

Resuming is the same three steps: ask, send what is missing, complete. Completion lists the parts in S3 itself
(the client never reads an ETag) and completes only when parts 1..N hold exactly the declared bytes; S3's
`ObjectCreated:CompleteMultipartUpload` event then starts the same conversion as any other upload. Completing twice
is harmless. An upload nobody completes expires at `expires_at` (its reservation is released as for an upload link,
reservations.py) and the bucket's lifecycle rule aborts it in S3 a day after it began (infra/template.json).

Someone else's upload is "not found" on every route, as a private recording is.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.naming import slot_names
from chalicelib.errors import Conflict, NotFound, RecordingGone
from chalicelib.metadata import validate_metadata
from chalicelib.multipart import in_parts, page_numbers, part_bytes, part_count, part_size_for, problems
from chalicelib.multipart_storage import PartStorage, UploadGone
from chalicelib.recording import Multipart, Recording, RecordingChanges, new_recording
from chalicelib.recording_service import RecordingService
from chalicelib.storage import original_key
from chalicelib.users import User

PAGE_LIMIT = 1000  # parts in one answer at most (each carries a link of ~600 bytes)


@dataclass(frozen=True)
class MultipartSettings:
    from_bytes: int  # announced files above this go in parts
    part_bytes: int  # the part size, unless the file needs larger parts to fit in 10,000
    ttl_seconds: int  # how long an upload may take, from its start (the lifecycle rule's days must cover it)
    link_seconds: int  # how long one part's link lives


class MultipartUploads:
    def __init__(
        self,
        service: RecordingService,
        parts: PartStorage,
        settings: MultipartSettings,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.service = service
        self.parts = parts
        self.settings = settings
        self.clock = clock

    def wanted(self, announced: Mapping[str, Any]) -> bool:
        """Whether an announced file goes in parts (a size that is not a number is left to the upload link's own
        refusal)."""
        size = announced.get("size")
        if not isinstance(size, int) or isinstance(size, bool):
            return False
        return in_parts(size, announced.get("multipart"), self.settings.from_bytes)

    def create(self, owner: User, announced: Mapping[str, Any]) -> tuple[Recording, dict[str, Any]]:
        """A recording waiting for its file in parts: the S3 upload is started and the size reserved (QuotaExceeded
        and the upload aborted if it does not fit)."""
        size = int(announced["size"])
        metadata, original = slot_names(
            {key: value for key, value in announced.items() if key not in ("size", "multipart")}
        )
        attributes = {name: value for name, value in validate_metadata(metadata).items() if value is not None}
        recording = new_recording(
            owner.id,
            attributes.pop("name"),
            status="awaiting_upload",
            owner_name=owner.name,
            **({"original": original} if original else {}),
            reserved=size,
            expires_at=int(self.clock() + self.settings.ttl_seconds),
            **attributes,
        )
        key = original_key(recording.id)
        upload: Multipart = {
            "upload_id": self.parts.start(key),
            "size": size,
            "part_size": part_size_for(size, self.settings.part_bytes),
        }
        recording = recording.with_changes({"multipart": upload})
        try:
            self.service.reservations.create(recording)
        except BaseException:
            self.parts.abort(key, upload["upload_id"])
            raise
        return recording, summary(recording)

    def state(self, recording_id: str, user: User, first: int = 1, limit: int = PAGE_LIMIT) -> dict[str, Any]:
        """The upload as S3 holds it, parts `first`.. (`limit` of them): each part's size, its ETag if S3 has it,
        else a fresh link to PUT it."""
        recording = self._pending(recording_id, user)
        upload = _upload(recording)
        numbers, following = page_numbers(upload["size"], upload["part_size"], first, min(limit, PAGE_LIMIT))
        key = original_key(recording.id)
        try:
            held = self.parts.held(key, upload["upload_id"], numbers.start, numbers.stop - 1) if numbers else {}
        except UploadGone:
            raise self._gone(recording) from None
        seconds = max(1, min(self.settings.link_seconds, int((recording.expires_at or 0) - self.clock())))
        listed = []
        for number in numbers:
            length = part_bytes(number, upload["size"], upload["part_size"])
            part = held.get(number)
            done = part is not None and part.size == length
            listed.append(
                {
                    "number": number,
                    "size": length,
                    "etag": part.etag if done and part else None,
                    "url": None if done else self.parts.part_link(key, upload["upload_id"], number, length, seconds),
                }
            )
        return {**summary(recording), "parts": listed, "next_cursor": str(following) if following else None}

    def complete(self, recording_id: str, user: User) -> Recording:
        """Assemble the file from its parts and hand it to the converter (the recording reads `processing`);
        Conflict naming the parts missing or of the wrong size. Done already, the recording as it is."""
        recording = self._mine(recording_id, user)
        if recording.status != "awaiting_upload":
            return recording
        upload = _upload(recording)
        key = original_key(recording.id)
        try:
            held = self.parts.held(key, upload["upload_id"])
            found = problems(((part.number, part.size) for part in held.values()), upload["size"], upload["part_size"])
            if found is not None:
                raise Conflict(
                    f"the upload is not complete: {found.describe()}",
                    missing=list(found.missing),
                    wrong=[{"number": p.number, "size": p.size, "expected": p.expected} for p in found.wrong],
                )
            count = part_count(upload["size"], upload["part_size"])
            self.parts.complete(key, upload["upload_id"], [held[number] for number in range(1, count + 1)])
        except UploadGone:  # completed meanwhile (another call), or aborted
            if self.service.storage.original_etag(recording.id) is None:
                raise self._gone(recording) from None
        return self._processing(recording.id)

    def delete(self, recording_id: str, user: User) -> None:
        """Delete a recording; an upload in parts it still waits for is aborted in S3 (its parts go)."""
        recording = self.service.owned(recording_id, user)
        self.service.delete(recording_id, user)
        if recording.multipart is not None and recording.status == "awaiting_upload":
            self.parts.abort(original_key(recording.id), recording.multipart["upload_id"])

    def _mine(self, recording_id: str, user: User) -> Recording:
        """The caller's own recording with an upload in parts; anyone else's is not found, whoever may see it."""
        recording = self.service.visible(recording_id, user.id)
        if recording.owner != user.id:
            raise NotFound(f"no recording {recording_id}")
        _upload(recording)
        return recording

    def _pending(self, recording_id: str, user: User) -> Recording:
        recording = self._mine(recording_id, user)
        if recording.status != "awaiting_upload":
            raise Conflict(f"the upload is complete; the recording is {recording.status}", status=recording.status)
        return recording

    def _processing(self, recording_id: str) -> Recording:
        def change(current: Recording) -> RecordingChanges | None:
            if current.status != "awaiting_upload":
                return None  # the converter got there first
            return {"status": "processing", "error": None, "expires_at": None}

        try:
            return self.service.store.modify(recording_id, change)
        except RecordingGone:
            raise NotFound(f"no recording {recording_id}") from None

    def _gone(self, recording: Recording) -> Conflict:
        return Conflict(
            "the upload was aborted or has expired in storage: delete this recording and upload the file again",
            status=recording.status,
        )


def summary(recording: Recording) -> dict[str, Any]:
    """The upload object of an answer (the route adds its `url`)."""
    upload = _upload(recording)
    return {
        "method": "multipart",
        "size": upload["size"],
        "part_size": upload["part_size"],
        "part_count": part_count(upload["size"], upload["part_size"]),
        "expires_at": datetime.datetime.fromtimestamp(recording.expires_at or 0, datetime.UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        ),
    }


def _upload(recording: Recording) -> Multipart:
    if recording.multipart is None:
        raise Conflict(
            "this recording takes no upload in parts (it has an upload link, or its file)", status=recording.status
        )
    return recording.multipart
