"""The blueprints of what a user controls of their account: API keys, webhooks, the account itself; and the
replacement of a recording's file."""

from __future__ import annotations

from chalicelib.api.key_routes import blueprint as keys
from chalicelib.api.me_routes import blueprint as me
from chalicelib.api.replacement_routes import blueprint as replacement
from chalicelib.api.webhook_routes import blueprint as webhooks

ACCOUNT_BLUEPRINTS = (keys, webhooks, me, replacement)
