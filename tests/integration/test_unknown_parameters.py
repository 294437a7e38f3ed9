"""A list refuses a query parameter it does not know, naming it, rather than answering with the unfiltered list;
the 000 spec's `/list` keeps its own names (`maxduration`, `minduration`) and refuses the rest the same way."""

from __future__ import annotations

import pytest

from chalicelib.api.queries import list_parameters, list_query
from chalicelib.errors import InvalidParameter


@pytest.mark.parametrize(
    "query, field",
    [
        ("q=piano", "q"),
        ("sort=name", "sort"),
        ("maxduration=300", "maxduration"),
        ("minduration=1", "minduration"),
        ("kind=song&order=asc", "order"),
        ("Kind=song", "Kind"),
        ("max_duration=3&zeta=1&alpha=2", "alpha"),
    ],
)
def test_an_unknown_parameter_on_the_list_is_a_400_naming_it(client, query, field):
    response = client.http.get(f"/recordings?{query}")

    assert response.status_code == 400, response.body
    error = response.json_body["error"]
    assert (error["code"], error["field"]) == ("bad_request", field)
    assert repr(field) in error["message"]


def test_the_refusal_of_a_000_name_says_which_name_to_use(client):
    message = client.http.get("/recordings?maxduration=300").json_body["error"]["message"]

    assert "did you mean max_duration?" in message


def test_every_known_parameter_is_still_accepted_empty_or_set(client, alice):
    assert client.http.get("/recordings?" + "&".join(f"{name}=" for name in list_parameters())).status_code == 200
    query = f"owner={alice['id']}&kind=song&name=a.wav&status=ready&min_duration=1&max_duration=2&limit=5"
    assert client.http.get(f"/recordings?{query}").json_body == {"items": [], "next_cursor": None}


@pytest.mark.parametrize(
    "query",
    ["maxduration=300", "minduration=1&maxduration=300", "max_duration=300&limit=5", "kind=other&status=ready&owner=0"],
)
def test_the_000_list_keeps_its_own_names_and_the_lists(client, query):
    response = client.http.get(f"/list?{query}")

    assert response.status_code == 200, response.body
    assert response.json_body == []


@pytest.mark.parametrize("query, field", [("q=piano", "q"), ("sort=name", "sort"), ("maxduration=300&foo=1", "foo")])
def test_the_000_list_refuses_an_unknown_parameter_naming_it(client, query, field):
    response = client.http.get(f"/list?{query}")

    assert response.status_code == 400, response.body
    assert response.json_body["error"]["field"] == field


def test_list_query_refuses_before_it_reads_any_value():
    with pytest.raises(InvalidParameter) as refused:
        list_query({"limit": "ten", "q": "x"})

    assert refused.value.details == {"field": "q"}
    assert list_query({"limit": "7"}).limit == 7
