"""The blueprints of what a user controls of their account: API keys, webhooks, the account itself."""

from __future__ import annotations

from chalicelib.api.key_routes import blueprint as keys

ACCOUNT_BLUEPRINTS = (keys,)
