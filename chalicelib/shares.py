"""Share links: a secret URL (`<base>/s/<secret>`) through which whoever holds it sees one recording, plays it and,
if the owner allowed it, downloads its original, private or not, until it expires or is revoked.

The access rule with shares, in one place (`readable`): without a share, the recording's own visibility rule; with
one, the share must be alive and be this recording's, whoever asks. A dead share (unknown, expired, revoked, or
another recording's) is "not found", exactly as an id that does not exist, on every route at once: each request
reads the share again (one GetItem), nothing is cached.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib import clock, wiring
from chalicelib.capabilities import Capability, CapabilityStore
from chalicelib.errors import NotFound, NotOwner
from chalicelib.recording import Recording, looks_like_id
from chalicelib.users import User

KIND = "share"
MAX_EXPIRES_IN = 366 * 24 * 3600


@dataclass(frozen=True)
class Access:
    """A recording as one request may read it: and whether the original may be downloaded, and the share it came
    through (its secret, for the links of a page seen through it)."""

    recording: Recording
    download: bool = True
    share: str | None = None


def store() -> CapabilityStore:
    return wiring.capability_store(KIND)


def readable(recording_id: str, viewer_id: int | None, secret: str | None) -> Access:
    """The access rule of every read of one recording (metadata, audio, peaks, cover, pages, embed)."""
    if secret is None:
        return Access(wiring.recording_service().visible(recording_id, viewer_id))
    share = store().resolve(secret)
    if share is None or share.scope != recording_id:
        raise NotFound(f"no recording {recording_id}")
    return Access(_shareable(recording_id), download=bool(share.attributes.get("download")), share=secret)


def shared(secret: str) -> Access:
    """What a share's page shows: its recording, or NotFound when the share is dead."""
    share = store().resolve(secret)
    if share is None:
        raise NotFound("no such share: it may have expired or been revoked")
    return Access(_shareable(share.scope), download=bool(share.attributes.get("download")), share=secret)


def _shareable(recording_id: str) -> Recording:
    """A recording a live share shows: one whose file arrived and was audio (a failed one is its owner's alone)."""
    recording = wiring.recording_store().get(recording_id) if looks_like_id(recording_id) else None
    if recording is None or recording.status in ("awaiting_upload", "failed") or recording.expired():
        raise NotFound(f"no recording {recording_id}")
    return recording


def original_allowed(access: Access) -> None:
    """The original is downloaded through a share only when its owner allowed it."""
    if not access.download:
        raise NotOwner("this share link lets you play the recording, not download its original")


def create(recording_id: str, user: User, expires_in: int | None, download: bool) -> tuple[Capability, str]:
    wiring.recording_service().owned(recording_id, user)
    expires_at = int(clock.now() + expires_in) if expires_in else None
    return store().create(recording_id, expires_at=expires_at, attributes={"download": download})


def listed(recording_id: str, user: User) -> list[Capability]:
    wiring.recording_service().owned(recording_id, user)
    return store().list(recording_id)


def revoke(recording_id: str, share_id: str, user: User) -> None:
    wiring.recording_service().owned(recording_id, user)
    store().revoke(recording_id, share_id)


def forget_shares(recording_id: str) -> None:
    """Every share of a recording, gone: the delete path calls this once the recording is deleted (DELETE
    /recordings/{id}, the earlier specs' deletes, and deleting an account)."""
    store().revoke_all(recording_id)


def share_view(share: Capability, secret: str | None, base: str) -> dict[str, Any]:
    """A share as the API shows it: its URL only when it was just made (the secret is not kept)."""
    view: dict[str, Any] = {
        "id": share.id,
        "recording_id": share.scope,
        "expires_at": clock.iso(share.expires_at) if share.expires_at is not None else None,
        "expired": share.expired(clock.now()),
        "download": bool(share.attributes.get("download")),
        "created_at": share.created_at,
    }
    if secret is not None:
        view["url"] = f"{base}/s/{secret}"
    return view
