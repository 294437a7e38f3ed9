"""Mistakes answered in our voice over HTTP, as a client meets them on `make run`: a path no route has is 404 and a
method a route lacks is 405 with `Allow`, both in the API's JSON error shape, with or without a Bearer header; an
unknown query parameter on a list is 400 naming it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from devstack.local_api import NO_SUCH_ROUTE
from tests.e2e.conftest import RunningStack, start_stack, stop_stack
from tests.e2e.test_devstack_edges import read_response, send_head


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(tmp_path_factory.mktemp("mistakes") / "stack.log")
    yield running
    stop_stack(running)


@pytest.fixture(scope="module")
def token(stack: RunningStack) -> str:
    return requests.post(f"{stack.url}/users", json={"name": "mistaken"}, timeout=10).json()["token"]


def error_of(response: requests.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == code
    return error


@pytest.fixture(params=["no header", "our token", "a stranger's bearer", "a sigv4-looking header"])
def authorization(request: pytest.FixtureRequest, token: str) -> dict[str, str]:
    return {
        "no header": {},
        "our token": {"Authorization": f"Bearer {token}"},
        "a stranger's bearer": {"Authorization": "Bearer not-a-token"},
        "a sigv4-looking header": {"Authorization": "AWS4-HMAC-SHA256 Credential=x"},
    }[request.param]


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/nope"),
        ("GET", "/recordings/0d9f8e1c-0000-4000-8000-000000000000/peaks/more"),
        ("GET", "/api"),
        ("POST", "/recording"),
        ("DELETE", "/users/7/recordings"),
        ("PATCH", "/me/nothing"),
        ("TRACE", "/nope"),
    ],
)
def test_a_path_no_route_has_is_our_404(stack, authorization, method, path):
    response = requests.request(method, f"{stack.url}{path}?x=1", headers=authorization, timeout=10)

    assert error_of(response, 404, "not_found")["message"] == NO_SUCH_ROUTE


@pytest.mark.parametrize(
    "method, path, allowed",
    [
        ("PUT", "/recordings", {"GET", "POST"}),
        ("DELETE", "/users", {"POST"}),
        ("POST", "/me", {"GET", "DELETE"}),
        ("POST", "/recordings/0d9f8e1c-0000-4000-8000-000000000000/audio", {"GET"}),
        ("PUT", "/recordings/0d9f8e1c-0000-4000-8000-000000000000", {"GET", "PATCH", "DELETE"}),
        ("TRACE", "/recordings", {"GET", "POST"}),
        ("PROPFIND", "/health", {"GET"}),
    ],
)
def test_a_method_a_route_lacks_is_our_405_naming_the_methods_it_takes(stack, authorization, method, path, allowed):
    response = requests.request(method, f"{stack.url}{path}", headers=authorization, data=b"{}", timeout=10)

    assert "method" in error_of(response, 405, "method_not_allowed")["message"].lower()
    assert set(response.headers["Allow"].split(", ")) == allowed


def test_an_unknown_path_is_answered_without_reading_the_body_it_announces(stack, token):
    started = time.monotonic()
    with send_head(
        stack,
        "POST",
        "/uploads",
        {"Authorization": f"Bearer {token}", "Content-Type": "audio/wav", "Content-Length": str(2 * 1000**3)},
        wait=10,
    ) as sock:
        sock.sendall(b"RIFF" + b"\0" * 1000)  # and nothing more of the 2 GB it announced
        response = read_response(sock)

    assert (response.status, response.error_code()) == (404, "not_found")
    assert time.monotonic() - started < 5


def test_the_known_routes_still_answer_on_the_same_stack(stack, token):
    assert requests.get(f"{stack.url}/health", timeout=10).status_code == 200
    assert (
        requests.get(f"{stack.url}/me", headers={"Authorization": f"Bearer {token}"}, timeout=10).json()["name"]
        == "mistaken"
    )
    assert requests.get(f"{stack.url}/recordings/", timeout=10).status_code == 200  # API Gateway drops the slash


@pytest.mark.parametrize(
    "path, field",
    [
        ("/recordings?search=piano", "search"),
        ("/recordings?sort=name", "sort"),
        ("/recordings?maxduration=300", "maxduration"),
        ("/recordings?kind=song&order=asc", "order"),
        ("/list?search=piano", "search"),
        ("/list?maxduration=300&sort=name", "sort"),
    ],
)
def test_an_unknown_query_parameter_on_a_list_is_a_400_naming_it(stack, path, field):
    response = requests.get(f"{stack.url}{path}", timeout=10)

    assert error_of(response, 400, "bad_request")["field"] == field


def test_the_000_list_still_takes_its_own_names(stack):
    assert requests.get(f"{stack.url}/list?maxduration=300&minduration=0", timeout=10).json() == []
