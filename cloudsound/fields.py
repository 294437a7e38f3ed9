"""A recording's kind fields on the command line: `--field NAME=VALUE`, repeated for a list (`--field
participants=Bo --field participants=Cy`). Which fields there are, and which of them hold a list, the service says
in its OpenAPI document: a field a kind gains needs no new option here."""

from __future__ import annotations

import argparse
from typing import Any

from cloudsound.client import Client, CliError

# The options of earlier versions, kept so that scripts using them go on working (not in --help).
SHORTHANDS = {
    "host": "host",
    "title": "title",
    "author": "author",
    "narrator": "narrator",
    "participant": "participants",
}


def add_field_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kind", help="the kind of recording (the service says which there are and their fields)")
    parser.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a kind's field, e.g. --field host=Ann (podcast), --field author=Ann (audiobook); repeat a list's "
        "field for each item (--field participants=Bo --field participants=Cy)",
    )
    for option in SHORTHANDS:
        parser.add_argument(f"--{option}", action="append", default=[], help=argparse.SUPPRESS)


def kind_fields(client: Client, args: argparse.Namespace) -> dict[str, Any]:
    """The body's kind and kind fields from --kind, --field and the shorthands."""
    given = given_fields(args)
    fields: dict[str, Any] = {"kind": args.kind} if args.kind else {}
    if given:
        lists = list_fields(client)
        for name, values in given.items():
            if name not in lists and len(values) > 1:
                raise CliError(f"--field {name} was given {len(values)} times; it takes one value")
            fields[name] = values if name in lists else values[0]
    return fields


def given_fields(args: argparse.Namespace) -> dict[str, list[str]]:
    given: dict[str, list[str]] = {}
    for pair in args.field:
        name, equals, value = pair.partition("=")
        if not equals or not name.strip():
            raise CliError(f"--field takes NAME=VALUE (for example host=Ann), not {pair!r}")
        given.setdefault(name.strip(), []).append(value)
    for option, name in SHORTHANDS.items():
        if values := getattr(args, option):
            given.setdefault(name, []).extend(values)
    return given


def list_fields(client: Client) -> set[str]:
    """The recording fields the service takes as a list, from its OpenAPI document."""
    schemas = client.call("GET", "/openapi.json").json()["components"]["schemas"]
    properties = schemas["RecordingFields"]["properties"]
    return {
        name
        for name, schema in properties.items()
        if any(option.get("type") == "array" for option in schema.get("anyOf", [schema]))
    }
