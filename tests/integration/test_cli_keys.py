"""`cloudsound keys`: list, create (the token printed once), revoke — the CLI's commands against the app."""

from __future__ import annotations

import json

from cloudsound.cli import main, parse
from cloudsound.client import Client, CliError, error_message


class AppClient(Client):
    """The CLI's client, answering through the app's test client instead of the network."""

    def __init__(self, app_client, token: str) -> None:
        super().__init__("http://test", token)
        self.app_client = app_client

    def call(self, method: str, path: str, *, auth: bool = False, **kwargs):
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        body = json.dumps(kwargs["json"]) if "json" in kwargs else None
        answer = getattr(self.app_client.http, method.lower())(
            path, headers=headers, **({"body": body} if body else {})
        )
        response = _Response(answer.status_code, answer.body)
        if answer.status_code >= 400:
            raise CliError(error_message(response))
        return response


class _Response:
    def __init__(self, status_code: int, body: bytes) -> None:
        self.status_code, self.text = status_code, body.decode()

    def json(self):
        return json.loads(self.text)


def run(client, token: str, *argv: str, capsys) -> str:
    args = parse(list(argv))
    args.run(AppClient(client, token), args)
    return capsys.readouterr().out


def test_keys_are_listed_made_and_revoked(client, alice, capsys):
    made = json.loads(
        run(client, alice["token"], "keys", "create", "backup", "--expires-in", "3600", "--json", capsys=capsys)
    )
    assert made["scope"] == "read" and made["token"]

    listing = run(client, alice["token"], "keys", capsys=capsys)
    assert "registration" in listing and "backup" in listing and made["token"] not in listing
    assert run(client, alice["token"], "keys", "list", capsys=capsys) == listing

    assert f"revoked key {made['id']}" in run(client, alice["token"], "keys", "revoke", made["id"], capsys=capsys)
    assert "backup" not in run(client, alice["token"], "keys", capsys=capsys)


def test_revoking_the_last_write_key_is_an_error_that_says_why(client, alice, capsys, monkeypatch):
    [key] = json.loads(run(client, alice["token"], "keys", "--json", capsys=capsys))
    monkeypatch.setattr("cloudsound.cli.Client", lambda url, token: AppClient(client, alice["token"]))

    assert main(["keys", "revoke", key["id"]]) == 1
    assert "last key that can write" in capsys.readouterr().err
