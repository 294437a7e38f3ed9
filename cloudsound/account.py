"""The CLI's account commands: `register` a new user, `login` with a token you already have (from the page, or from a
`register` elsewhere), `whoami` to see whose token is in use. Each saved token is checked against the service first."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from cloudsound.client import Client, CliError, output, save_config

MIB = 1024 * 1024


def command_register(client: Client, args: argparse.Namespace) -> None:
    body: dict[str, Any] = {"name": args.name}
    if args.id is not None:
        body["id"] = args.id
    user = client.call("POST", "/users", json=body).json()
    path = save_config({"url": client.url, "token": user["token"], "user_id": user["id"]})
    output(
        args,
        user,
        f"registered {user['name']} as user {user['id']}; token saved in {path}\n"
        f"token: {user['token']}  (shown once: keep it)",
    )


def command_login(client: Client, args: argparse.Namespace) -> None:
    token = (args.login_token or args.token or ask_for_token()).strip()
    if not token:
        raise CliError("no token given: paste the token the page showed you when you registered")
    try:
        me = Client(client.url, token).call("GET", "/me", auth=True).json()
    except CliError as error:
        raise CliError(f"{client.url} does not take that token ({error}); nothing saved") from None
    path = save_config({"url": client.url, "token": token, "user_id": me["id"]})
    output(args, me, f"logged in as {me['name']} (user {me['id']}) on {client.url}; token saved in {path}")


def ask_for_token() -> str:
    """Asked for without echo at a terminal; read from stdin when it is not one (`cloudsound login < token.txt`)."""
    if not sys.stdin.isatty():
        return sys.stdin.readline()
    try:
        return getpass.getpass("token (from the page): ")
    except EOFError:
        return ""


def command_whoami(client: Client, args: argparse.Namespace) -> None:
    me = client.call("GET", "/me", auth=True).json()
    output(args, me, describe_account(me))


def describe_account(me: dict[str, Any]) -> str:
    usage, quota = me.get("usage") or {}, me.get("quota") or {}
    reserved = (me.get("reserved") or {}).get("bytes") or 0
    held = f" (+{reserved / MIB:,.1f} MiB reserved for uploads)" if reserved else ""
    return (
        f"user {me['id']}: {me['name']}\n"
        f"stored: {(usage.get('bytes') or 0) / MIB:,.1f} of {(quota.get('bytes') or 0) / MIB:,.0f} MiB{held}\n"
        f"audio:  {(usage.get('seconds') or 0) / 3600:,.2f} of {(quota.get('seconds') or 0) / 3600:,.2f} hours"
    )


def add_account_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    register = commands.add_parser("register", parents=[common], help="create a user and save its token")
    register.add_argument("name")
    register.add_argument("--id", type=int, help="choose your numeric user id")
    register.set_defaults(run=command_register)

    login = commands.add_parser("login", parents=[common], help="check a token you have (from the page) and save it")
    login.add_argument(
        "login_token",
        nargs="?",
        metavar="TOKEN",
        help="the token; asked for (not echoed) when neither this nor --token gives it",
    )
    login.set_defaults(run=command_login)

    whoami = commands.add_parser("whoami", parents=[common], help="whose token is in use, and their usage and quota")
    whoami.set_defaults(run=command_whoami)
