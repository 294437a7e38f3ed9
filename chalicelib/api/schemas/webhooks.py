"""Webhooks: POST /me/webhooks, GET /me/webhooks, GET /me/webhooks/{id}/deliveries (docs/keys-and-webhooks.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

from chalicelib.hook_targets import MAX_URL_LENGTH

Event = Literal["recording.ready", "recording.failed", "recording.deleted"]


class NewWebhook(Struct, kw_only=True):
    url: Annotated[
        str,
        Meta(
            max_length=MAX_URL_LENGTH,
            pattern="^https?://",
            description="https, to a public address (checked at every delivery); http to 127.0.0.1 locally only",
        ),
    ]
    events: Annotated[list[Event], Meta(min_length=1, max_length=3)]


class Webhook(Struct, kw_only=True):
    id: str
    url: str
    events: list[Event]
    created_at: str


class CreatedWebhook(Webhook, kw_only=True):
    secret: Annotated[str, Meta(description="whsec_…: verifies the signatures (Standard Webhooks); shown this once")]


class WebhookList(Struct):
    items: list[Webhook]


class Delivery(Struct, kw_only=True):
    id: Annotated[str, Meta(description="the webhook-id header")]
    type: Event
    recording: str
    created_at: str
    attempts: int
    state: Literal["pending", "delivered", "failed"]
    last_status: Annotated[int | None, Meta(description="the receiver's last HTTP status; null: no answer")]
    last_error: str | None
    last_attempt_at: str
    next_attempt_at: str | None


class DeliveryList(Struct):
    items: list[Delivery]
