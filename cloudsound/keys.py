"""`cloudsound keys`: your API keys. `keys` (or `keys list`) lists them, `keys create NAME [--scope read|write]
[--expires-in SECONDS]` makes one and prints its token (shown this once), `keys revoke ID` revokes one at once."""

from __future__ import annotations

import argparse
from typing import Any

from cloudsound.client import Client, output


def command_keys(client: Client, args: argparse.Namespace) -> None:
    keys = client.call("GET", "/me/keys", auth=True).json()["items"]
    lines = [f"{'ID':<17} {'SCOPE':<6} {'CREATED':<20} {'EXPIRES':<20} {'LAST USED':<20} NAME"]
    for key in keys:
        lines.append(
            f"{key['id']:<17} {key['scope']:<6} {_day(key['created_at'])} {_day(key['expires_at'])} "
            f"{_day(key['last_used_at'])} {key['name']}"
        )
    output(args, keys, "\n".join(lines))


def command_create(client: Client, args: argparse.Namespace) -> None:
    body: dict[str, Any] = {"name": args.name, "scope": args.scope}
    if args.expires_in is not None:
        body["expires_in"] = args.expires_in
    key = client.call("POST", "/me/keys", auth=True, json=body).json()
    expiry = f", expires {key['expires_at']}" if key["expires_at"] else ""
    output(
        args,
        key,
        f"key {key['id']} ({key['name']}, {key['scope']}{expiry})\ntoken: {key['token']}  (shown once: keep it)",
    )


def command_revoke(client: Client, args: argparse.Namespace) -> None:
    client.call("DELETE", f"/me/keys/{args.id}", auth=True)
    output(args, {"id": args.id, "revoked": True}, f"revoked key {args.id}")


def _day(value: str | None) -> str:
    return f"{(value or '-')[:19].replace('T', ' '):<20}"


def add_key_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    keys = commands.add_parser("keys", parents=[common], help="your API keys: list, create, revoke")
    keys.set_defaults(run=command_keys)
    actions = keys.add_subparsers(dest="keys_command", metavar="ACTION")
    listing = actions.add_parser("list", parents=[common], help="your keys (never their tokens)")
    listing.set_defaults(run=command_keys)
    create = actions.add_parser("create", parents=[common], help="make a key; its token is shown once")
    create.add_argument("name")
    create.add_argument("--scope", choices=("read", "write"), default="read", help="read (the default) or write")
    create.add_argument("--expires-in", type=int, metavar="SECONDS", help="stop working after this long")
    create.set_defaults(run=command_create)
    revoke = actions.add_parser("revoke", parents=[common], help="revoke a key at once")
    revoke.add_argument("id")
    revoke.set_defaults(run=command_revoke)
