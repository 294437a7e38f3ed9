"""The document and the validation cannot drift apart: for every string field of a declared request body that the
OpenAPI document gives a maxLength, a value at the limit is accepted and one past it is a 422 naming the field."""

from __future__ import annotations

import json

import pytest

from app import app  # noqa: F401 (declares the routes)
from chalicelib.api.declared import OPERATIONS
from chalicelib.api.openapi import openapi_document

# What each body needs besides the field under test, so that only that field decides the answer.
BASES = {
    "NewUser": {},
    "RecordingFields": {},
    "UploadSlotRequest": {"size": 10},
    "LegacyNewUser": {},
    "Task2Registration": {},
    "NewKey": {"scope": "read"},
    "NewWebhook": {"events": ["recording.ready"]},
}
# Fields whose text must have a form: a value of the length under test, in that form.
SHAPED = {"url": lambda length: ("https://93.184.216.34/" + "x" * length)[:length]}
# A kind whose fields include the one under test (a kind's fields are refused on another kind).
KIND_OF = {
    "host": {"kind": "podcast", "name": "p"},
    "participants": {"kind": "podcast", "name": "p", "host": "h"},
    "title": {"kind": "audiobook", "author": "a", "narrator": "n"},
    "author": {"kind": "audiobook", "title": "t", "narrator": "n"},
    "narrator": {"kind": "audiobook", "title": "t", "author": "a"},
}


def limited_fields() -> list[tuple[str, str, str, int, bool]]:
    """(method, path, field, maxLength, in a list) of every declared body's string fields with a maxLength."""
    schemas = openapi_document()["components"]["schemas"]
    found = []
    for operation in OPERATIONS:
        if operation.body is None:
            continue
        for field, schema in schemas[operation.body]["properties"].items():
            for option in schema.get("anyOf", [schema]):
                if option.get("type") == "string" and "maxLength" in option:
                    found.append((operation.method, operation.path, field, option["maxLength"], False))
                if option.get("type") == "array" and "maxLength" in option.get("items", {}):
                    found.append((operation.method, operation.path, field, option["items"]["maxLength"], True))
    return found


def test_the_document_limits_every_text_field_of_every_body():
    assert {(path, field) for _, path, field, _, _ in limited_fields()} >= {
        ("/users", "name"),
        ("/recordings", "name"),
        ("/recordings", "host"),
        ("/recordings/{recording_id}", "title"),
        ("/user", "name"),
        ("/api/registration", "username"),
    }


@pytest.mark.parametrize(
    "method, path, field, limit, in_list",
    limited_fields(),
    ids=lambda value: str(value) if isinstance(value, str) else None,
)
def test_a_value_at_the_limit_is_accepted_and_one_past_it_is_refused_naming_the_field(
    api, alice, make_audio, method, path, field, limit, in_list
):
    body_type = next(op.body for op in OPERATIONS if op.method == method and op.path == path)
    target = path
    if "{recording_id}" in path:
        created = api.upload(alice["token"], make_audio(seconds=0.2, rate=8000).read_bytes())
        target = path.replace("{recording_id}", created["id"])
    headers = {"Authorization": f"Bearer {alice['token']}", "Content-Type": "application/json"}

    def send(length: int):
        value = SHAPED[field](length) if field in SHAPED else "x" * length
        body = {**BASES[body_type], **KIND_OF.get(field, {}), field: [value] if in_list else value}
        if field == "name" and body_type not in ("NewUser", "LegacyNewUser"):
            body.setdefault("kind", "other")
        return getattr(api.client.http, method.lower())(target, body=json.dumps(body), headers=headers)

    at_limit, past_it = send(limit), send(limit + 1)

    assert at_limit.status_code in (200, 201), at_limit.body
    assert past_it.status_code == 422 and past_it.json_body["error"]["field"] == field
