"""Registering and reading users over the API; tokens are stored only as hashes."""

from __future__ import annotations

import json
import uuid

import pytest

from chalicelib import aws, wiring


def post_users(client, body):
    return client.http.post("/users", headers={"Content-Type": "application/json"}, body=body)


def test_register_by_name_gives_an_id_and_a_uuid_token(client):
    response = post_users(client, json.dumps({"name": "alice"}))

    assert response.status_code == 201
    user = response.json_body
    assert user["name"] == "alice"
    assert isinstance(user["id"], int)
    assert uuid.UUID(user["token"]).version == 4
    assert client.http.get(f"/users/{user['id']}").json_body == {
        "id": user["id"],
        "name": "alice",
        "created_at": user["created_at"],
    }


def test_register_with_a_chosen_id_and_a_taken_id_conflicts(client):
    first = post_users(client, json.dumps({"id": 42}))
    again = post_users(client, json.dumps({"id": 42, "name": "mallory"}))

    assert first.status_code == 201 and first.json_body["id"] == 42
    assert again.status_code == 409
    assert again.json_body["error"]["code"] == "conflict"
    assert client.http.get("/users/42").json_body["name"] == "user42"


def test_generated_ids_skip_ids_clients_chose(client):
    post_users(client, json.dumps({"id": 1}))

    generated = post_users(client, json.dumps({"name": "next"})).json_body

    assert generated["id"] == 2


def test_a_registration_without_an_id_never_fails_because_ids_past_the_counter_were_taken(client, monkeypatch):
    monkeypatch.setenv("CLOUDSOUND_REGISTRATIONS_PER_WINDOW", "1000")
    squatted = set(range(1, 101))
    for user_id in squatted:
        assert post_users(client, json.dumps({"id": user_id})).status_code == 201
    calls = []
    wiring.user_store()._table.meta.client.meta.events.register(
        "before-call.dynamodb.TransactWriteItems", lambda **_: calls.append(1)
    )

    generated = [post_users(client, json.dumps({"name": f"late{n}"})) for n in range(3)]

    assert [response.status_code for response in generated] == [201, 201, 201]
    ids = {response.json_body["id"] for response in generated}
    assert not ids & squatted and len(ids) == 3
    assert len(calls) <= 15  # a few attempts past a hundred taken ids, not one per id


def test_register_with_no_body_at_all(client):
    response = client.http.post("/users")

    assert response.status_code == 201
    assert response.json_body["name"] == f"user{response.json_body['id']}"


@pytest.mark.parametrize(
    "body, status, field",
    [
        ('{"id": "abc"}', 422, "id"),
        ('{"id": -1}', 422, "id"),
        ('{"id": 1.5}', 422, "id"),
        ('{"id": true}', 422, "id"),
        ('{"name": 7}', 422, "name"),
        (json.dumps({"name": "x" * 101}), 422, "name"),
        ("{not json", 400, None),
        ("[1, 2]", 400, None),
    ],
)
def test_bad_registrations_are_refused_with_a_json_error(client, body, status, field):
    response = post_users(client, body)

    assert response.status_code == status
    assert response.json_body["error"]["code"] in ("invalid", "bad_request")
    assert response.json_body["error"].get("field") == field


def test_an_integral_float_id_is_an_integer(client):
    assert post_users(client, '{"id": 255.0}').json_body["id"] == 255


def test_unknown_user_is_404_and_a_non_numeric_id_is_400(client):
    assert client.http.get("/users/999").status_code == 404
    assert client.http.get("/users/abc").status_code == 400


def test_tokens_are_stored_only_as_hashes(client, stack):
    token = post_users(client, json.dumps({"name": "alice"})).json_body["token"]

    items = aws.dynamodb().scan(TableName=stack["CLOUDSOUND_USERS_TABLE"])["Items"]  # the test may scan

    assert items
    assert token not in json.dumps(items)
