"""The local stack is as strict as S3 about presigned links where moto alone is lax: a changed path or query, a
missing signed header, a link with no signature and an expired link get S3's 403 and XML error; a PUT over 5 GiB
gets EntityTooLarge; and a PUT with curl --data-binary's default Content-Type completes in seconds."""

from __future__ import annotations

import http.client
import time
import urllib.parse
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator

import pytest
import requests

from tests.conftest import generate_audio
from tests.e2e.conftest import RunningStack, start_stack, stop_stack

LINK_SECONDS = 4


@pytest.fixture(scope="module")
def strict_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    stack = start_stack(tmp_path_factory.mktemp("strict") / "stack.log", CLOUDSOUND_LINK_TTL_SECONDS=str(LINK_SECONDS))
    yield stack
    stop_stack(stack)


@pytest.fixture(scope="module")
def owner(strict_stack: RunningStack) -> dict[str, str]:
    token = requests.post(f"{strict_stack.url}/users", json={"name": "strict"}, timeout=10).json()["token"]
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def recording(strict_stack: RunningStack, owner: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict:
    wav = generate_audio(tmp_path_factory.mktemp("audio") / "take.wav", seconds=1, rate=22050).read_bytes()
    created = requests.post(f"{strict_stack.url}/recordings?name=take.wav", data=wav, headers=owner, timeout=30)
    assert created.status_code == 202, created.text
    return {**created.json(), "bytes": wav}


def fresh_link(recording: dict) -> str:
    """A presigned GET of the original, issued now (valid for LINK_SECONDS)."""
    answer = requests.get(recording["links"]["original"], headers={"Accept": "application/json"}, timeout=10)
    return answer.json()["url"]


def s3_error(response: requests.Response) -> str:
    assert response.headers["Content-Type"] == "application/xml"
    return ElementTree.fromstring(response.content).findtext("Code")


def with_query(url: str, **changes: str) -> str:
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    query.update(changes)
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query, quote_via=urllib.parse.quote)))


def test_an_untouched_link_downloads_the_original(recording):
    response = requests.get(fresh_link(recording), timeout=10)

    assert response.status_code == 200
    assert response.content == recording["bytes"]


def test_a_link_whose_path_names_another_key_gets_403_signature_does_not_match(recording):
    link = fresh_link(recording)
    last = recording["id"][-1]
    other_id = recording["id"][:-1] + ("1" if last == "0" else "0")  # another key, whatever the id ends with
    other_key = link.replace(f"originals/{recording['id']}", f"originals/{other_id}", 1)
    assert other_key != link

    response = requests.get(other_key, timeout=10)

    assert response.status_code == 403
    assert s3_error(response) == "SignatureDoesNotMatch"


def test_a_link_whose_query_was_changed_gets_403_signature_does_not_match(recording):
    link = fresh_link(recording)
    for changed in (
        with_query(link, **{"response-content-disposition": "attachment; filename=evil.exe"}),
        with_query(link, **{"X-Amz-Expires": "604800"}),
        link + "&extra=1",
    ):
        response = requests.get(changed, timeout=10)

        assert response.status_code == 403, changed
        assert s3_error(response) == "SignatureDoesNotMatch"


def test_a_link_stripped_of_its_signature_gets_403_access_denied(recording):
    response = requests.get(fresh_link(recording).split("?", 1)[0], timeout=10)

    assert response.status_code == 403
    assert s3_error(response) == "AccessDenied"


def test_an_expired_link_gets_403_request_has_expired(recording):
    link = fresh_link(recording)
    assert requests.get(link, timeout=10).status_code == 200
    time.sleep(LINK_SECONDS + 1.5)

    response = requests.get(link, timeout=10)

    assert response.status_code == 403
    assert s3_error(response) == "AccessDenied"
    assert ElementTree.fromstring(response.content).findtext("Message") == "Request has expired"


def new_slot(stack: RunningStack, owner: dict[str, str], name: str, size: int) -> dict:
    """A slot for a file of `size` bytes, one PUT whatever its size: its link takes exactly that many."""
    body = {"name": name, "size": size, "multipart": False}
    slot = requests.post(f"{stack.url}/recordings", json=body, headers=owner, timeout=10).json()
    assert slot["status"] == "awaiting_upload", slot
    assert slot["upload"]["size"] == slot["upload"]["max_bytes"] == size
    return slot


def test_an_upload_without_its_signed_if_none_match_header_gets_403_and_with_it_completes(strict_stack, owner):
    slot = new_slot(strict_stack, owner, "signed-headers.wav", len(b"RIFF...."))
    upload = slot["upload"]

    without = requests.put(upload["url"], data=b"RIFF....", timeout=10)
    with_header = requests.put(upload["url"], data=b"RIFF....", headers=upload["headers"], timeout=10)

    assert without.status_code == 403 and s3_error(without) == "SignatureDoesNotMatch"
    assert with_header.status_code == 200
    again = requests.put(upload["url"], data=b"RIFF....", headers=upload["headers"], timeout=10)
    assert again.status_code == 412  # moto's own check, still reached through the layer


def test_a_put_of_more_than_5_gib_is_refused_with_entity_too_large_before_its_body_is_sent(strict_stack, owner):
    # S3 refuses on the Content-Length alone, before the signature (and the length signed into it) is looked at
    url = urllib.parse.urlsplit(new_slot(strict_stack, owner, "huge.wav", 1024**2)["upload"]["url"])
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    connection.putrequest("PUT", f"{url.path}?{url.query}", skip_accept_encoding=True)
    connection.putheader("If-None-Match", "*")
    connection.putheader("Content-Length", str(5 * 1024**3 + 1))
    connection.endheaders()
    connection.send(b"\0" * 65536)  # the start of a body that is never finished

    response = connection.getresponse()
    body = response.read()

    assert response.status == 400
    assert ElementTree.fromstring(body).findtext("Code") == "EntityTooLarge"
    connection.close()


def test_a_form_urlencoded_put_of_100_mb_completes_in_seconds_and_converts_intact(strict_stack, owner, tmp_path):
    wav = generate_audio(tmp_path / "long.wav", seconds=600, rate=44100, channels=2)  # 105.8 MB
    assert wav.stat().st_size >= 100 * 1000**2
    slot = new_slot(strict_stack, owner, "long.wav", wav.stat().st_size)
    headers = {**slot["upload"]["headers"], "Content-Type": "application/x-www-form-urlencoded"}  # curl's default

    started = time.monotonic()
    with wav.open("rb") as body:
        response = requests.put(slot["upload"]["url"], data=body, headers=headers, timeout=120)
    seconds = time.monotonic() - started

    assert response.status_code == 200, response.text
    assert seconds < 20, f"the PUT took {seconds:.1f} s"
    print(f"\n{wav.stat().st_size / 1e6:.1f} MB form-urlencoded PUT: {seconds:.2f} s")
    deadline = time.monotonic() + 120
    while (recording := requests.get(slot["links"]["self"], headers=owner, timeout=10).json())["status"] not in (
        "ready",
        "failed",
    ) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert recording["status"] == "ready", recording
    assert recording["duration"] == pytest.approx(600.0, abs=0.01)
    assert recording["original"]["size"] == wav.stat().st_size
