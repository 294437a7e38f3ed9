"""GET /recordings: filters, newest first, inclusive bounds, pagination, and bad query values."""

from __future__ import annotations

import base64
import json

import pytest


@pytest.fixture
def library(api, alice, bob, make_audio):
    """Five converted recordings of 1..5 seconds, uploaded in that order; alice owns the odd ones."""
    uploaded = []
    for seconds in range(1, 6):
        owner = alice if seconds % 2 else bob
        data = make_audio(f"{seconds}s.wav", seconds=seconds, rate=8000).read_bytes()
        uploaded.append(api.upload(owner["token"], data, name=f"{seconds}s.wav"))
    api.convert_pending()
    return uploaded


def names(response):
    assert response.status_code == 200, response.body
    return [item["name"] for item in response.json_body["items"]]


def test_everything_newest_first(api, library):
    assert names(api.get("/recordings")) == ["5s.wav", "4s.wav", "3s.wav", "2s.wav", "1s.wav"]


def test_duration_bounds_are_inclusive(api, library):
    assert names(api.get("/recordings?min_duration=2&max_duration=4")) == ["4s.wav", "3s.wav", "2s.wav"]
    assert names(api.get("/recordings?max_duration=300&min_duration=1")) == [
        "5s.wav",
        "4s.wav",
        "3s.wav",
        "2s.wav",
        "1s.wav",
    ]


def test_filters_by_owner_name_and_status(api, alice, library):
    assert names(api.get(f"/recordings?owner={alice['id']}")) == ["5s.wav", "3s.wav", "1s.wav"]
    assert names(api.get(f"/recordings?owner={alice['id']}&max_duration=3")) == ["3s.wav", "1s.wav"]
    assert names(api.get("/recordings?name=4s.wav")) == ["4s.wav"]
    assert names(api.get("/recordings?status=ready&kind=other")) == ["5s.wav", "4s.wav", "3s.wav", "2s.wav", "1s.wav"]
    assert names(api.get("/recordings?status=failed")) == []


def test_pages_follow_each_other_without_gaps_or_repeats(api, library):
    seen, cursor = [], None
    for _ in range(5):
        response = api.get("/recordings?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        seen += names(response)
        cursor = response.json_body["next_cursor"]
        if cursor is None:
            break
    assert seen == ["5s.wav", "4s.wav", "3s.wav", "2s.wav", "1s.wav"]


def test_a_filtered_page_is_full_and_continues(api, library):
    first = api.get("/recordings?min_duration=2&limit=2")
    second = api.get(f"/recordings?min_duration=2&limit=2&cursor={first.json_body['next_cursor']}")

    assert names(first) == ["5s.wav", "4s.wav"]
    assert names(second) == ["3s.wav", "2s.wav"]


@pytest.mark.parametrize(
    "query, field",
    [
        ("max_duration=abc", "max_duration"),
        ("min_duration=-1", "min_duration"),
        ("max_duration=NaN", "max_duration"),
        ("max_duration=inf", "max_duration"),
        ("max_duration=1e300", "max_duration"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("owner=bob", "owner"),
        ("kind=jazz", "kind"),
        ("status=done", "status"),
        ("min_duration=5&max_duration=1", "min_duration"),
        ("cursor=%%%%", "cursor"),
        ("cursor=bm90IGpzb24", "cursor"),
    ],
)
def test_bad_query_values_are_400_naming_the_parameter(api, query, field):
    response = api.get(f"/recordings?{query}")

    assert response.status_code == 400
    assert response.json_body["error"]["field"] == field


def test_a_cursor_from_another_query_is_refused(api, alice, bob, library):
    cursor = api.get(f"/recordings?owner={alice['id']}&limit=1").json_body["next_cursor"]

    assert api.get(f"/recordings?owner={bob['id']}&cursor={cursor}").status_code == 400
    assert api.get(f"/recordings?cursor={cursor}").status_code == 400


def test_a_forged_cursor_is_refused(api, library):
    forged = base64.urlsafe_b64encode(
        json.dumps({"i": "public-index", "k": {"id": 1, "created_sk": [], "public_feed": "public"}}).encode()
    ).decode()

    assert api.get(f"/recordings?cursor={forged}").status_code == 400


def test_a_vanishingly_small_bound_is_a_bound_not_a_server_error(api, library):
    # found by schemathesis: 2.99e-265 is a valid float but not a valid DynamoDB number
    assert names(api.get("/recordings?min_duration=2.992000251432775e-265&max_duration=1e-300")) == []
    assert len(names(api.get("/recordings?min_duration=1e-200"))) == 5


@pytest.fixture
def items_read(stack):
    """The DynamoDB items the app reads (Query's ScannedCount, GetItem's Item), counted from botocore's responses."""
    from bench.api import ItemsRead
    from chalicelib import aws

    counter = ItemsRead()
    events = aws.table(stack["CLOUDSOUND_RECORDINGS_TABLE"]).meta.client.meta.events
    events.register("after-call.dynamodb", counter)
    yield counter
    events.unregister("after-call.dynamodb", counter)


@pytest.fixture
def many(alice, stack):
    """120 public ready recordings of alice (1..120 s), written as the converter leaves them."""
    from chalicelib import wiring
    from chalicelib.recording import new_recording

    store = wiring.recording_store()
    for seconds in range(1, 121):
        store.create(new_recording(alice["id"], f"{seconds}s.wav", status="ready", duration=seconds))


def read_for(counter, request):
    counter.items, counter.calls = 0, []
    response = request()
    assert response.status_code == 200, response.body
    assert "Scan" not in counter.calls
    return counter.items, response.json_body


def test_a_page_reads_the_page_not_the_table(api, alice, many, items_read):
    read, body = read_for(items_read, lambda: api.get("/recordings?limit=10"))
    assert (read, len(body["items"])) == (10, 10)

    # the owner's own listing hides expired upload slots with a filter, but does not read ahead for it
    read, body = read_for(items_read, lambda: api.get(f"/recordings?owner={alice['id']}&limit=10", alice["token"]))
    assert (read, len(body["items"])) == (10 + 1, 10)  # + the token's user

    read, body = read_for(items_read, lambda: api.get("/recordings/" + body["items"][0]["id"]))
    assert read == 1


def test_a_filter_reads_about_a_page_when_it_keeps_most(api, many, items_read):
    read, body = read_for(items_read, lambda: api.get("/recordings?min_duration=101&limit=10"))
    assert [item["duration"] for item in body["items"]] == list(range(120, 110, -1))
    assert read == 10


def test_a_selective_filter_reads_on_but_never_past_its_budget(api, many, items_read, monkeypatch):
    from chalicelib import listing

    read, body = read_for(items_read, lambda: api.get("/recordings?max_duration=5&limit=10"))
    assert [item["duration"] for item in body["items"]] == [5, 4, 3, 2, 1]
    assert read == 120  # all of it: 10, 20, 40, then the 50 left (the 80 asked for run past the end)
    assert len(items_read.calls) == 4

    monkeypatch.setattr(listing, "READ_BUDGET", 60)
    read, body = read_for(items_read, lambda: api.get("/recordings?max_duration=5"))
    assert body["items"] == [] and body["next_cursor"]  # nothing in the newest 60: a short page, go on from there
    assert read == 60
    rest = api.get(f"/recordings?max_duration=5&cursor={body['next_cursor']}")
    assert [item["duration"] for item in rest.json_body["items"]] == [5, 4, 3, 2, 1]
