"""The blueprints of what a user controls of their account: API keys, webhooks, the account itself; and the
replacement of a recording's file."""

from __future__ import annotations

from chalicelib.api.key_routes import blueprint as keys
from chalicelib.api.replacement_routes import blueprint as replacement

ACCOUNT_BLUEPRINTS = (keys, replacement)
