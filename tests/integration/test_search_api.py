"""GET /recordings?q=: words that begin words, case and accents ignored, newest first, paged, combined with the
other filters, private recordings only for their owner, edits and deletes reflected at once, a page's reads bounded
by the page."""

from __future__ import annotations

import json
import urllib.parse

import pytest

from chalicelib import search_index


@pytest.fixture
def tone(make_audio):
    return make_audio(seconds=0.2, rate=8000).read_bytes()


def upload(api, user, tone, name, **fields):
    recording = api.upload(user["token"], tone, name=urllib.parse.quote(name))
    if fields:
        edit(api, user, recording["id"], **fields)
    return recording


def edit(api, user, recording_id, **fields):
    response = api.client.http.patch(
        f"/recordings/{recording_id}",
        headers={"Authorization": f"Bearer {user['token']}", "Content-Type": "application/json"},
        body=json.dumps(fields),
    )
    assert response.status_code == 200, response.body
    return response.json_body


def found(api, query, token=None, **params):
    response = api.get("/recordings?" + urllib.parse.urlencode({"q": query, **params}), token)
    assert response.status_code == 200, response.body
    return [item["name"] for item in response.json_body["items"]]


def test_a_word_is_found_by_its_beginning_in_any_case_and_without_its_accents(api, alice, tone):
    for name in ("Harbor Ember #57", "Café del Mar", "Embers", "Remember me"):
        upload(api, alice, tone, name)

    assert found(api, "ember") == ["Embers", "Harbor Ember #57"]
    assert found(api, "EMB") == ["Embers", "Harbor Ember #57"]
    assert found(api, "cafe") == found(api, "CAFÉ") == ["Café del Mar"]
    assert found(api, "mber") == []
    assert found(api, "harbor 57") == ["Harbor Ember #57"]
    assert found(api, "ember cafe") == []
    assert found(api, "") == ["Remember me", "Embers", "Café del Mar", "Harbor Ember #57"]  # empty: no filter


def test_kind_fields_are_searched_and_the_other_filters_combine(api, alice, bob, tone):
    upload(api, alice, tone, "Episode 1", kind="podcast", host="Ann Lee", participants=["Bo Díaz"])
    upload(api, bob, tone, "Lee side", kind="song")
    upload(api, alice, tone, "Roads", kind="audiobook", title="Roads", author="Ann Lee", narrator="Cy")

    assert found(api, "lee") == ["Roads", "Lee side", "Episode 1"]
    assert found(api, "diaz") == ["Episode 1"]
    assert found(api, "lee", kind="podcast") == ["Episode 1"]
    assert found(api, "lee", owner=bob["id"]) == ["Lee side"]
    assert found(api, "ann", kind="audiobook") == ["Roads"]


def test_private_recordings_are_found_only_by_their_owner(api, alice, bob, tone):
    secret = upload(api, alice, tone, "Secret ember", visibility="private")
    upload(api, alice, tone, "Open ember")

    assert found(api, "ember") == ["Open ember"]
    assert found(api, "ember", bob["token"]) == ["Open ember"]
    assert found(api, "ember", alice["token"]) == ["Open ember", "Secret ember"]  # hers, without naming herself
    assert found(api, "ember", alice["token"], owner=alice["id"]) == ["Open ember", "Secret ember"]
    assert found(api, "secret", bob["token"], owner=alice["id"]) == []
    assert found(api, "secret", None, owner=alice["id"]) == []

    edit(api, alice, secret["id"], visibility="public")
    assert found(api, "secret", bob["token"]) == ["Secret ember"]


def test_edits_and_deletes_are_reflected_at_once(api, alice, tone):
    take = upload(api, alice, tone, "Harbor Ember")
    edit(api, alice, take["id"], name="Quiet Dawn")

    assert found(api, "ember") == []
    assert found(api, "dawn") == ["Quiet Dawn"]
    assert api.delete(f"/recordings/{take['id']}", alice["token"]).status_code == 204
    assert found(api, "dawn") == []


def test_dozens_of_results_page_newest_first_without_gaps_or_repeats(api, alice, bob, tone):
    names = []
    for number in range(34):
        owner = alice if number % 3 else bob
        names.append(f"Ember take {number}")
        upload(api, owner, tone, names[-1])
        upload(api, owner, tone, f"Other {number}")

    seen, cursor, pages = [], None, 0
    while True:
        params = {"q": "ember", "limit": "7", **({"cursor": cursor} if cursor else {})}
        response = api.get("/recordings?" + urllib.parse.urlencode(params))
        assert response.status_code == 200, response.body
        seen += [item["name"] for item in response.json_body["items"]]
        cursor, pages = response.json_body["next_cursor"], pages + 1
        if cursor is None:
            break
    assert seen == names[::-1]
    assert pages == 5
    other_query = api.get("/recordings?" + urllib.parse.urlencode({"q": "take", "cursor": cursor or "x"}))
    assert other_query.status_code == 400


def test_a_signed_in_search_pages_through_the_public_and_ones_own_recordings_each_once(api, alice, bob, tone):
    expected = []
    for number in range(12):
        upload(api, alice, tone, f"Ember mine {number}", visibility="private")
        upload(api, bob, tone, f"Ember theirs {number}")
        upload(api, alice, tone, f"Ember open {number}")  # in both of alice's scopes: listed once
        expected += [f"Ember mine {number}", f"Ember theirs {number}", f"Ember open {number}"]

    seen, cursor = [], None
    while True:
        params = {"q": "emb", "limit": "5", **({"cursor": cursor} if cursor else {})}
        response = api.get("/recordings?" + urllib.parse.urlencode(params), alice["token"])
        assert response.status_code == 200, response.body
        seen += [item["name"] for item in response.json_body["items"]]
        cursor = response.json_body["next_cursor"]
        if cursor is None:
            break
    assert seen == expected[::-1]
    assert [name for name in found(api, "emb", bob["token"], limit=50) if "mine" in name] == []


def test_a_search_reads_about_a_page(api, alice, tone, monkeypatch):
    for number in range(30):
        upload(api, alice, tone, f"Ember {number}")
    read = []
    original = search_index.SearchIndex.page

    def counting(self, key, limit, after):
        ids, last = original(self, key, limit, after)
        read.extend(ids)
        return ids, last

    monkeypatch.setattr(search_index.SearchIndex, "page", counting)

    assert len(found(api, "ember", limit=5)) == 5
    assert len(read) <= 10


@pytest.mark.parametrize("query", ["x" * 201])
def test_a_search_past_its_limit_is_refused_naming_q(api, query):
    response = api.get("/recordings?" + urllib.parse.urlencode({"q": query}))
    assert response.status_code == 400
    assert response.json_body["error"]["field"] == "q"


def test_recordings_written_before_the_index_are_indexed_by_the_backfill_once(api, alice, tone):
    from chalicelib import aws, wiring
    from chalicelib.config import settings
    from chalicelib.recording_items import to_item
    from infra.search_backfill import backfill

    table = aws.table(settings().recordings_table)
    take = upload(api, alice, tone, "Older ember take")
    recording = wiring.recording_store().get(take["id"])
    for key in search_index.SearchIndex(table).entry_ids(recording):  # as an item written before the index was
        table.delete_item(Key={"id": key})
    table.put_item(Item=to_item(recording))
    assert found(api, "older") == []

    assert backfill(table, only_if_missing=True) == 1
    assert found(api, "older ember") == ["Older ember take"]
    assert backfill(table, only_if_missing=True) == 0  # entries exist: nothing to do
