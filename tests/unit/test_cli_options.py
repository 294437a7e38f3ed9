"""The CLI's options stand anywhere on the line, a token is asked for without echo, and a list asks the service only
for parameters it knows (an unknown one is a 400 now, not ignored)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from chalicelib.api.queries import list_parameters
from cloudsound import account
from cloudsound.cli import command_list, parse
from cloudsound.client import CliError
from cloudsound.fields import kind_fields

PAGE = Path(__file__).resolve().parents[2] / "chalicelib" / "web" / "index.html"


@pytest.mark.parametrize(
    "argv",
    [
        ["--json", "--url", "http://a", "--token", "t", "upload", "x.wav"],
        ["upload", "x.wav", "--json", "--url", "http://a", "--token", "t"],
        ["--json", "upload", "--url", "http://a", "x.wav", "--token", "t"],
        ["--token", "t", "upload", "--json", "x.wav", "--url", "http://a"],
    ],
)
def test_global_options_are_read_before_or_after_the_command(argv):
    args = parse(argv)

    assert (args.json, args.url, args.token, args.files) == (True, "http://a", "t", ["x.wav"])


def test_an_option_given_once_is_not_reset_by_the_other_position_and_the_later_one_wins():
    assert parse(["--url", "http://a", "list"]).url == "http://a"
    assert parse(["--url", "http://a", "list", "--url", "http://b"]).url == "http://b"
    assert (parse(["list"]).url, parse(["list"]).token, parse(["list"]).json) == (None, None, False)


def test_every_command_takes_the_global_options_after_it():
    for argv in (
        ["register", "x"],
        ["login"],
        ["whoami"],
        ["upload", "f"],
        ["list"],
        ["info", "i"],
        ["download", "i"],
        ["rm", "i"],
        ["edit", "i"],
    ):
        assert parse([*argv, "--json", "--url", "u", "--token", "t"]).json, argv


def test_login_takes_the_token_as_an_argument_or_with_token():
    assert parse(["login", "abc"]).login_token == "abc"
    assert parse(["login", "--token", "abc"]).token == "abc"


def test_a_token_is_asked_for_without_echo_at_a_terminal(monkeypatch):
    asked = []
    monkeypatch.setattr(account.sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(account.getpass, "getpass", lambda prompt: asked.append(prompt) or "tok-123")

    assert account.ask_for_token() == "tok-123"
    assert asked and "token" in asked[0]


def test_a_token_is_read_from_stdin_when_it_is_not_a_terminal(monkeypatch):
    monkeypatch.setattr(account.sys, "stdin", io.StringIO("tok-456\nrest\n"))

    assert account.ask_for_token().strip() == "tok-456"


class RecordingClient:
    def __init__(self) -> None:
        self.params: list[dict] = []

    def call(self, method: str, path: str, **kwargs):
        self.params.append(kwargs.get("params") or {})
        response = type("Page", (), {})()
        response.json = lambda: {"items": [], "next_cursor": None}
        return response


def test_the_cli_lists_with_known_parameters_only(capsys):
    client = RecordingClient()
    args = parse(
        [
            "list",
            "--owner",
            "7",
            "--kind",
            "song",
            "--name",
            "a",
            "--status",
            "ready",
            "--min-duration",
            "1",
            "--max-duration",
            "2",
            "--limit",
            "5",
            "--search",
            "ember cafe",
        ]
    )

    command_list(client, args)
    assert client.params[0]["q"] == "ember cafe"

    assert client.params and set(client.params[0]) <= set(list_parameters())
    assert len(client.params[0]) == 8


def test_the_page_lists_with_known_parameters_only():
    sent = set(re.findall(r'params\.set\("([^"]+)"', PAGE.read_text()))

    assert sent and sent <= set(list_parameters())


class ServiceDocument:
    """A client whose one call is GET /openapi.json, answered with the service's real document."""

    def call(self, method, path, **_):
        from chalicelib.api.openapi import openapi_document

        assert (method, path) == ("GET", "/openapi.json")
        document = openapi_document()
        return type("Answer", (), {"json": staticmethod(lambda: document)})()


def test_kind_fields_come_from_field_options_and_the_service_says_which_are_lists():
    args = parse(
        ["upload", "x.wav", "--kind", "podcast", "--field", "host=Ann", "--field", "participants=Bo",
         "--field", "participants=Cy=2"]
    )  # fmt: skip

    assert kind_fields(ServiceDocument(), args) == {"kind": "podcast", "host": "Ann", "participants": ["Bo", "Cy=2"]}


def test_a_single_list_item_is_still_a_list_and_the_old_options_still_work():
    assert kind_fields(ServiceDocument(), parse(["edit", "r1", "--field", "participants=Bo"])) == {
        "participants": ["Bo"]
    }
    old = parse(["edit", "r1", "--host", "Ann", "--participant", "Bo", "--participant", "Cy"])
    assert kind_fields(ServiceDocument(), old) == {"host": "Ann", "participants": ["Bo", "Cy"]}


@pytest.mark.parametrize("pair", ["host", "=Ann", ""])
def test_a_field_without_a_name_and_a_value_is_refused(pair):
    with pytest.raises(CliError, match="NAME=VALUE"):
        kind_fields(ServiceDocument(), parse(["edit", "r1", "--field", pair]))


def test_a_one_value_field_given_twice_is_refused():
    with pytest.raises(CliError, match="host was given 2 times"):
        kind_fields(ServiceDocument(), parse(["edit", "r1", "--field", "host=A", "--field", "host=B"]))
