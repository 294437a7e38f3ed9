"""The CLI's uploads in parts without a network: a failed part is tried again after a growing pause, with a fresh
link; a part S3 turns out to hold is not sent again; a part that keeps failing ends the run (the next resumes);
the file each upload belongs to is remembered by path, size and modification time."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import requests

from cloudsound import parts
from cloudsound.client import CliError


class Answer:
    def __init__(self, status: int) -> None:
        self.status_code = status


class FakeClient:
    """The service's GET …/upload for one part: a fresh link while it is missing, none once held."""

    def __init__(self, held: bool = False) -> None:
        self.held = held
        self.asked: list[dict[str, Any]] = []

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        self.asked.append(kwargs["params"])
        link = None if self.held else f"http://s3/part?fresh={len(self.asked)}"

        class Page:
            @staticmethod
            def json() -> dict[str, Any]:
                return {"parts": [{"number": 2, "size": 3, "etag": None, "url": link}]}

        return Page()


class Bar:
    def __init__(self) -> None:
        self.n = 0

    def update(self, count: int) -> None:
        self.n += count


@pytest.fixture
def file(tmp_path: Path) -> Path:
    path = tmp_path / "take.wav"
    path.write_bytes(b"abcdefgh")
    return path


def puts(monkeypatch: pytest.MonkeyPatch, outcomes: list[Any]) -> list[tuple[str, bytes]]:
    sent: list[tuple[str, bytes]] = []

    def put(url: str, data: Any, timeout: Any) -> Answer:
        sent.append((url, b"".join(iter(lambda: data.read(2), b""))))
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return Answer(outcome)

    monkeypatch.setattr(parts.requests, "put", put)
    return sent


def test_a_failed_part_is_sent_again_after_growing_pauses_with_a_fresh_link(monkeypatch, file):
    sent = puts(monkeypatch, [requests.ConnectionError(), 503, 403, 200])
    pauses: list[float] = []
    bar = Bar()
    client = FakeClient()

    parts.put_part(client, "rec", file, {"number": 2, "size": 3, "url": "http://s3/part"}, 3, bar, pauses.append)

    assert [body for _, body in sent] == [b"def"] * 4  # part 2 of 3-byte parts, from its offset
    assert [url for url, _ in sent] == ["http://s3/part"] + [f"http://s3/part?fresh={n}" for n in (1, 2, 3)]
    assert client.asked[0] == {"cursor": "2", "limit": "1"}
    assert len(pauses) == 3 and pauses[0] <= 0.5 and pauses[1] <= 1.0 and pauses[2] <= 2.0 and pauses[2] >= 1.0
    assert bar.n == 3  # failed attempts' bytes are taken back


def test_a_part_storage_holds_after_all_is_not_sent_again(monkeypatch, file):
    sent = puts(monkeypatch, [requests.Timeout()])

    parts.put_part(FakeClient(held=True), "rec", file, {"number": 2, "size": 3, "url": "u"}, 3, Bar(), lambda _: None)

    assert len(sent) == 1


def test_a_part_that_keeps_failing_ends_the_run_and_a_refusal_at_once(monkeypatch, file):
    puts(monkeypatch, [500] * parts.ATTEMPTS)
    with pytest.raises(CliError, match="run the same command again"):
        parts.put_part(FakeClient(), "rec", file, {"number": 1, "size": 3, "url": "u"}, 3, Bar(), lambda _: None)
    puts(monkeypatch, [400])
    with pytest.raises(CliError, match="HTTP 400"):
        parts.put_part(FakeClient(), "rec", file, {"number": 1, "size": 3, "url": "u"}, 3, Bar(), lambda _: None)


def test_an_upload_is_remembered_for_the_same_file_only(monkeypatch, tmp_path, file):
    monkeypatch.setenv("CLOUDSOUND_CONFIG", str(tmp_path / "config.json"))
    parts.remember(file, "rec-1")

    assert parts.remembered(file) == "rec-1"
    os.utime(file, ns=(1, 1))  # the file changed: a new upload
    assert parts.remembered(file) is None
    parts.remember(file, "rec-2")
    parts.remember(file, None)
    assert parts.remembered(file) is None


def test_parallel_tasks_all_run_and_the_first_error_is_raised():
    done: list[int] = []
    parts.run_parallel([lambda n=n: done.append(n) for n in range(10)], 4)
    assert sorted(done) == list(range(10))

    def fail() -> None:
        raise CliError("no")

    with pytest.raises(CliError):
        parts.run_parallel([fail, lambda: None], 2)
