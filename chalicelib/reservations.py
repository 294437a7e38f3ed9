"""Quotas reserved, not hoped for: a write that adds bytes to an owner's usage holds only if the usage stays within
their quota, decided by the store in the same atomic step (recording_store.RecordingStore.write's `room`). Of
uploads racing for the last free bytes, those that fit are stored and the rest are refused up front.

What is reserved: a direct upload's body, before it is stored; an upload slot's declared size, when the slot is
made (its link takes exactly that many bytes, signed into it, so S3 itself refuses more). A reservation becomes
usage when the converter writes its outcome, and is released when its recording is deleted or its slot expires.
Expired slots leave DynamoDB through its TTL, which cannot adjust the usage counter: they are released here first,
when an owner's quota looks full (a Query of the owner's index, on that path only, never on every request).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from chalicelib.errors import QuotaExceeded
from chalicelib.listing import BY_OWNER, Selection
from chalicelib.quotas import Quotas, check_room
from chalicelib.recording import Recording, RecordingChanges, Usage
from chalicelib.recording_store import RecordingStore

_EXPIRED_SWEEP_BUDGET = 1000  # items read at most when looking for expired slots


class Reservations:
    def __init__(self, store: RecordingStore, quotas: Quotas) -> None:
        self.store = store
        self.quotas = quotas

    def create(self, recording: Recording) -> None:
        """Store a new recording whose charge (its body's size, or a slot's reservation) must fit its owner's
        quota."""
        self.within_quota(recording.owner, lambda room: self.store.create(recording, room), recording.charge.bytes)

    def hold(self, recording: Recording, size: int, freed_bytes: int = 0) -> None:
        """Reserve `size` more bytes on an existing recording (a file about to be stored for it), within its owner's
        quota; `freed_bytes`: what the file it replaces gives back."""

        def held(current: Recording) -> RecordingChanges:
            return {"reserved": (current.reserved or 0) + size}

        self.within_quota(
            recording.owner, lambda room: self.store.modify(recording, held, room), size, freed_bytes=freed_bytes
        )

    def within_quota(self, owner: int, write: Callable[[int], object], adding_bytes: int, freed_bytes: int = 0) -> None:
        """Run `write(room)` (a store write given `room`, the bytes the owner may use in all) so that it holds only
        within the owner's quota; QuotaExceeded naming the limits and the usage otherwise. `freed_bytes`: what the
        same change gives back (a replaced file)."""
        quota = self.quotas.of(owner)
        room = quota.bytes + freed_bytes
        for attempt in range(2):
            try:
                check_room(quota, self.store.usage(owner) - Usage(freed_bytes), adding_bytes)
                write(room)
                return
            except QuotaExceeded:
                if attempt or not self.release_expired(owner):
                    raise self._refusal(owner, adding_bytes, freed_bytes) from None

    def release_expired(self, owner: int, now: float | None = None) -> int:
        """Delete the owner's upload slots that expired unused (their reservations go with them); how many."""
        now = time.time() if now is None else now
        selection = Selection(BY_OWNER, owner, status="awaiting_upload")
        released, after, read = 0, None, 0
        while read < _EXPIRED_SWEEP_BUDGET:
            page, after = self.store.page(selection, 100, after)
            read += 100
            for recording in page:
                if recording.expired(now) and self.store.write(recording, None):
                    released += 1
            if after is None:
                break
        return released

    def _refusal(self, owner: int, adding_bytes: int, freed_bytes: int) -> QuotaExceeded:
        try:
            check_room(self.quotas.of(owner), self.store.usage(owner) - Usage(freed_bytes), adding_bytes)
        except QuotaExceeded as refusal:
            return refusal
        return QuotaExceeded(
            "over your quota: other uploads took the room meanwhile; try again", adding_bytes=adding_bytes
        )


def release(current: Recording, size: int) -> RecordingChanges:
    """The change that gives back a reservation of `size` bytes."""
    return {"reserved": max((current.reserved or 0) - size, 0) or None}
