"""Feeds podcast apps subscribe to: a person's public recordings of one kind (podcast, audiobook), and private
feeds, each a secret URL (`<base>/feeds/<secret>/feed.rss`, a capability as share links are) that also carries the
person's private recordings of that kind, until revoked."""

from __future__ import annotations

from typing import Any

from chalicelib import wiring
from chalicelib.capabilities import Capability, CapabilityStore
from chalicelib.errors import NotFound
from chalicelib.listing import ListQuery
from chalicelib.recording import Recording, looks_like_id
from chalicelib.shares import Access
from chalicelib.users import User

KIND = "feed"
FEED_KINDS = ("podcast", "audiobook")
MAX_ITEMS = 200


def store() -> CapabilityStore:
    return wiring.capability_store(KIND)


def items(user: User, kind: str, *, private_too: bool) -> list[Recording]:
    """The feed's recordings, newest first: ready ones of that kind (the owner's private ones too in a private
    feed). One Query on the owner index, a page of at most MAX_ITEMS."""
    query = ListQuery(owner=user.id, kind=kind, status="ready", limit=MAX_ITEMS)
    recordings, _ = wiring.recording_service().list(query, user.id if private_too else None)
    return recordings


def owner_of(user_id: int) -> User:
    user = wiring.user_store().get(user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def private_feed(secret: str) -> tuple[User, str]:
    """The user and kind of a live private feed; NotFound when revoked or unknown."""
    feed = store().resolve(secret)
    if feed is None:
        raise NotFound("no such feed: it may have been revoked")
    return owner_of(int(feed.scope)), str(feed.attributes.get("kind"))


def feed_access(secret: str, recording_id: str) -> Access:
    """A private feed's enclosure: one of its owner's ready recordings of the feed's kind, whatever its visibility."""
    feed = store().resolve(secret)
    recording = wiring.recording_store().get(recording_id) if looks_like_id(recording_id) else None
    if (
        feed is None
        or recording is None
        or str(recording.owner) != feed.scope
        or recording.kind != feed.attributes.get("kind")
        or recording.status != "ready"
    ):
        raise NotFound(f"no recording {recording_id}")
    return Access(recording, download=False)


def create(user: User, kind: str) -> tuple[Capability, str]:
    return store().create(str(user.id), attributes={"kind": kind})


def listed(user: User) -> list[Capability]:
    return store().list(str(user.id))


def revoke(user: User, feed_id: str) -> None:
    store().revoke(str(user.id), feed_id)


def forget_feeds(user_id: int) -> None:
    """Every private feed of a user, gone (deleting an account calls this)."""
    store().revoke_all(str(user_id))


def feed_view(feed: Capability, secret: str | None, base: str) -> dict[str, Any]:
    view: dict[str, Any] = {"id": feed.id, "kind": feed.attributes.get("kind"), "created_at": feed.created_at}
    if secret is not None:
        view["url"] = f"{base}/feeds/{secret}/feed.rss"
    return view
