"""Deleting an account (DELETE /me) and everything it owns, leaving only a tombstone of its id.

In order: the steps other modules register (shares, feeds…: whatever they keep about the user or their recordings,
while the recordings are still there to find theirs by), the webhooks (first among ours: deleting the recordings
tells no hook), every recording with its files and the owner's usage, then the keys' tokens and the user, whose
item becomes a tombstone that names no one (users.tombstone_key) and keeps the id from being given out again.
Each step is idempotent: a deletion cut short is finished by asking again with a key that still works (the keys
go last).

Other modules join by adding `"module:function"` (a function of the user id) to STEPS, or by calling `register`.
Every read is a GetItem or a Query of the owner's index; nothing scans.
"""

from __future__ import annotations

import importlib
from typing import Any
from collections.abc import Callable

from chalicelib import aws, wiring
from chalicelib.clock import now_iso
from chalicelib.config import settings
from chalicelib.listing import BY_OWNER, Selection
from chalicelib.recording_items import usage_key
from chalicelib.users import User, tombstone_key

Step = Callable[[int], None]
STEPS: list[str] = ["chalicelib.feeds:forget_feeds"]  # "package.module:function", run first, with the user id
_REGISTERED: list[Step] = []


def register(step: Step) -> Step:
    """Run `step(user_id)` when an account is deleted (usable as a decorator)."""
    _REGISTERED.append(step)
    return step


def delete_account(user: User) -> None:
    for step in [*(_resolve(name) for name in STEPS), *_REGISTERED]:
        step(user.id)
    wiring.hook_store().delete_all(user.id)
    _delete_recordings(user)
    _delete_user(user.id)


def _resolve(name: str) -> Step:
    module, _, function = name.partition(":")
    step: Step = getattr(importlib.import_module(module), function)
    return step


def _delete_recordings(user: User) -> None:
    """Each as DELETE /recordings/{id} deletes it: an upload in parts aborted, its shares forgotten, its objects and
    its search entries gone."""
    owner, store, uploads = user.id, wiring.recording_store(), wiring.multipart_uploads()
    ids: list[str] = []
    after: str | None = None
    while True:
        page, after = store.page(Selection(BY_OWNER, owner), 100, after)
        ids += [recording.id for recording in page]
        if after is None:
            break
    for recording_id in ids:
        uploads.delete(recording_id, user)
    aws.table(settings().recordings_table).delete_item(Key={"id": usage_key(owner)})


def _delete_user(user_id: int) -> None:
    table = aws.table(settings().users_table)
    items: list[dict[str, Any]] = [
        {"Delete": {"TableName": table.name, "Key": {"pk": f"token#{token_hash}"}}}
        for token_hash in wiring.key_store().token_hashes(user_id)
    ]
    items.append({"Delete": {"TableName": table.name, "Key": {"pk": f"user#{user_id}"}}})
    items.append({"Put": {"TableName": table.name, "Item": {"pk": tombstone_key(user_id), "deleted_at": now_iso()}}})
    for start in range(0, len(items), 25):  # a transaction takes 100 items; the keys are at most 20
        table.meta.client.transact_write_items(TransactItems=items[start : start + 25])
