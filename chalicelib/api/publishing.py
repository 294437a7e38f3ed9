"""Sharing and publishing (issue 27): share links, pages, the embeddable player, oEmbed, feeds, covers. Each a
blueprint; app.py registers them all from here."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api import feed_routes, media_routes, public_pages, share_routes

PUBLISHING: tuple[Blueprint, ...] = (
    share_routes.blueprint,
    public_pages.blueprint,
    media_routes.blueprint,
    feed_routes.blueprint,
)
