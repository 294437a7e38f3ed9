"""Issue 24's findings over real HTTP, against the stack `make run` starts: an upload link takes exactly the bytes
that were reserved (S3 checks the signed length), and direct uploads racing for the last free bytes are decided up
front, each one either stored or refused with 413."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from collections.abc import Iterator

import pytest
import requests

from tests.conftest import generate_audio
from tests.e2e.conftest import RunningStack, start_stack, stop_stack, wait_for_status

QUOTA_BYTES = 2_000_000


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(tmp_path_factory.mktemp("hostile") / "stack.log", CLOUDSOUND_QUOTA_BYTES=str(QUOTA_BYTES))
    yield running
    stop_stack(running)


def register(stack: RunningStack, name: str) -> dict[str, str]:
    token = requests.post(f"{stack.url}/users", json={"name": name}, timeout=10).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def test_an_upload_link_takes_exactly_the_declared_bytes(stack, tmp_path):
    owner = register(stack, "exact")
    wav = generate_audio(tmp_path / "take.wav", seconds=1, rate=8000).read_bytes()
    slot = requests.post(
        f"{stack.url}/recordings", json={"name": "take", "size": len(wav)}, headers=owner, timeout=10
    ).json()
    upload = slot["upload"]

    longer = requests.put(upload["url"], data=wav + bytes(1_000_000), headers=upload["headers"], timeout=30)
    shorter = requests.put(upload["url"], data=wav[:100], headers=upload["headers"], timeout=30)
    exact = requests.put(upload["url"], data=wav, headers=upload["headers"], timeout=30)

    assert (longer.status_code, shorter.status_code, exact.status_code) == (403, 403, 200)
    assert "SignatureDoesNotMatch" in longer.text
    ready = wait_for_status(f"{stack.url}/recordings/{slot['id']}", {"ready", "failed"}, headers=owner)
    assert ready["status"] == "ready" and ready["original"]["size"] == len(wav)


def test_uploads_racing_for_the_last_free_bytes_are_stored_or_refused_up_front(stack, tmp_path):
    owner = register(stack, "racer")
    wav = generate_audio(tmp_path / "take.wav", seconds=18.5, rate=8000).read_bytes()  # about 300 KB

    def upload(n: int) -> requests.Response:
        return requests.post(
            f"{stack.url}/recordings?name=take{n}", data=wav, headers={**owner, "Content-Type": "audio/wav"}, timeout=60
        )

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(upload, range(20)))

    statuses = sorted(answer.status_code for answer in answers)
    fit = QUOTA_BYTES // len(wav)
    assert statuses == [202] * fit + [413] * (20 - fit)
    assert all(answer.json()["error"]["code"] == "quota_exceeded" for answer in answers if answer.status_code == 413)
    accepted = [answer.json() for answer in answers if answer.status_code == 202]
    finished = [
        wait_for_status(f"{stack.url}/recordings/{item['id']}", {"ready", "failed"}, timeout=120, headers=owner)
        for item in accepted
    ]
    assert [item["status"] for item in finished] == ["ready"] * fit  # none failed "over the owner's quota"
