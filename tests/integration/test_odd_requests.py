"""Whatever a client sends, the answer is never a 5xx: generated JSON bodies (odd types, lone surrogates, deep
nesting) on every route that reads one, and malformed credentials, which are a 401 rather than anonymity."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

FIELDS = [
    "name",
    "id",
    "kind",
    "visibility",
    "host",
    "participants",
    "title",
    "author",
    "narrator",
    "username",
    "filetype",
    "audioFileType",
    "duration",
    "uploaded_time",
    "audioFileMetadata",
]
TEXT = st.one_of(
    st.text(max_size=120),
    st.sampled_from(
        ["\ud800", "a\udfffb", "song", "podcast", "audiobook", "public", "private", "x" * 300, "\x00", "AC/DC"]
    ),
)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70), st.floats(allow_nan=False), TEXT
)
VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4), max_leaves=12
)
BODIES = st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=6)

# Every route that reads a JSON body; "{id}" is one of the caller's own recordings.
JSON_ROUTES = [
    ("POST", "/users"),
    ("POST", "/recordings"),
    ("PATCH", "/recordings/{id}"),
    ("POST", "/user"),
    ("POST", "/api/registration"),
    ("POST", "/api/audio/create"),
    ("PUT", "/api/audio/song/{id}"),
]


@pytest.fixture
def own_song(client, alice):
    response = client.http.post(
        "/recordings",
        body=json.dumps({"name": "s", "kind": "song", "size": 100}),
        headers={"Authorization": f"Bearer {alice['token']}", "Content-Type": "application/json"},
    )
    return response.json_body


def call(client, token, method, path, body: bytes):
    return getattr(client.http, method.lower())(
        path, body=body, headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    )


@pytest.mark.parametrize("method, path", JSON_ROUTES)
def test_generated_json_bodies_never_get_a_server_error(client, alice, own_song, method, path):
    target = path.format(id=own_song["id"])

    @settings(
        max_examples=40,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(body=BODIES)
    def check(body):
        response = call(client, alice["token"], method, target, json.dumps(body).encode())
        assert response.status_code < 500, (body, response.body)
        if response.status_code >= 400:
            assert response.json_body["error"]["code"]

    check()


@pytest.mark.parametrize("method, path", JSON_ROUTES)
def test_json_nested_deeper_than_any_parser_goes_is_400(client, alice, own_song, method, path):
    response = call(client, alice["token"], method, path.format(id=own_song["id"]), b"[" * 100_000)

    assert response.status_code == 400, response.body


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("POST", "/users", {"name": "\ud800"}),
        ("POST", "/user", {"name": "a\udfffb"}),
        ("POST", "/api/registration", {"username": "\ud800"}),
        ("POST", "/recordings", {"name": "\ud800"}),
        ("POST", "/recordings", {"kind": "podcast", "name": "p", "host": "\udc00x"}),
        ("PATCH", "/recordings/{id}", {"kind": "audiobook", "title": "t", "author": "\ud800", "narrator": "n"}),
        ("PATCH", "/recordings/{id}", {"kind": "podcast", "host": "h", "participants": ["ok", "\ud800"]}),
    ],
)
def test_a_lone_surrogate_is_refused_as_invalid_text(client, alice, own_song, method, path, body):
    response = call(client, alice["token"], method, path.format(id=own_song["id"]), json.dumps(body).encode())

    assert response.status_code == 422, response.body
    assert response.json_body["error"]["code"] == "invalid"


@pytest.mark.parametrize("header", ["Basic YWxpY2U6c2VjcmV0", "Bearer\tabc", "Bearer", "Token abc", "bearer  "])
@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/recordings"),
        ("GET", "/list"),
        ("POST", "/post"),
        ("GET", "/api/audio/song"),
        ("GET", "/recordings/{id}"),
        ("GET", "/record?id={id}&user=1"),
    ],
)
def test_a_malformed_authorization_header_is_401_not_anonymous(client, alice, own_song, header, method, path):
    response = (
        getattr(client.http, method.lower())(
            path.format(id=own_song["id"]), body=b"RIFF", headers={"Authorization": header}
        )
        if method == "POST"
        else client.http.get(path.format(id=own_song["id"]), headers={"Authorization": header})
    )

    assert response.status_code == 401, response.body
    assert response.json_body["error"]["code"] == "unauthorized"
