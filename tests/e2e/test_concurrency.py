"""Twenty parallel uploads and deletes from several users on the local stack: every survivor ends ready and
complete; every deleted recording is gone from S3 and DynamoDB, even when it was deleted while converting."""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
import requests

from tests.conftest import generate_audio
from tests.e2e.conftest import wait_for_status


def test_parallel_uploads_and_deletes_leave_exactly_the_survivors(local_stack, tmp_path):
    base = local_stack.url
    users = [requests.post(f"{base}/users", json={"name": f"u{i}"}, timeout=10).json() for i in range(4)]
    wav = generate_audio(tmp_path / "a.wav", seconds=2, rate=22050).read_bytes()

    def upload(index: int) -> tuple[dict, dict]:
        user = users[index % len(users)]
        response = requests.post(
            f"{base}/recordings?name=take{index}.wav",
            data=wav,
            timeout=60,
            headers={"Authorization": f"Bearer {user['token']}", "Content-Type": "audio/wav"},
        )
        assert response.status_code == 202, response.text
        return user, response.json()

    with ThreadPoolExecutor(max_workers=10) as pool:
        uploaded = list(pool.map(upload, range(20)))
        doomed = uploaded[::2]
        deletions = list(
            pool.map(
                lambda pair: requests.delete(
                    pair[1]["links"]["self"], headers={"Authorization": f"Bearer {pair[0]['token']}"}, timeout=60
                ),
                doomed,
            )
        )

    assert [response.status_code for response in deletions] == [204] * len(doomed)
    survivors = [recording for _, recording in uploaded[1::2]]
    for recording in survivors:
        ready = wait_for_status(recording["links"]["self"], {"ready", "failed"}, timeout=120)
        assert ready["status"] == "ready"
        assert len(requests.get(recording["links"]["audio"], timeout=30).content) == ready["mp3"]["size"]
    for _, recording in doomed:
        assert requests.get(recording["links"]["self"], timeout=10).status_code == 404

    # S3 as the stack's moto server holds it: exactly the survivors' objects, once the queue has drained
    endpoint = re.search(r"moto: (http://127\.0\.0\.1:\d+)", local_stack.log()).group(1)
    s3 = boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="local", aws_secret_access_key="local"
    )
    bucket = s3.list_buckets()["Buckets"][0]["Name"]
    doomed_ids = {recording["id"] for _, recording in doomed}
    deadline = time.monotonic() + 30
    while True:  # a conversion of a deleted recording may still be finishing: it removes its own output
        keys = {item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}
        leftovers = {key for key in keys if any(rid in key for rid in doomed_ids)}
        if not leftovers or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert leftovers == set()
    for recording in survivors:
        assert f"originals/{recording['id']}" in keys
        assert len([key for key in keys if key.startswith(f"mp3/{recording['id']}/")]) == 1


def racing(requests_to_send: list) -> list[int]:
    """Send every (method, url, kwargs) at the same moment, from as many threads; the statuses, in order."""
    barrier = threading.Barrier(len(requests_to_send))

    def send(request: tuple) -> int:
        method, url, kwargs = request
        barrier.wait()
        return requests.request(method, url, timeout=60, **kwargs).status_code

    with ThreadPoolExecutor(max_workers=len(requests_to_send)) as pool:
        return list(pool.map(send, requests_to_send))


def test_edits_racing_a_delete_answer_200_or_404_never_500(local_stack, tmp_path):
    base = local_stack.url
    user = requests.post(f"{base}/users", json={"name": "racer"}, timeout=10).json()
    auth = {"Authorization": f"Bearer {user['token']}"}
    wav = generate_audio(tmp_path / "a.wav", seconds=1, rate=8000).read_bytes()

    statuses: list[int] = []
    for take in range(12):
        recording = requests.post(
            f"{base}/recordings?name=t{take}.wav", data=wav, timeout=30, headers={**auth, "Content-Type": "audio/wav"}
        ).json()
        url = recording["links"]["self"]
        edits = [("PATCH", url, {"json": {"name": f"edit {n}"}, "headers": auth}) for n in range(4)]
        answers = racing([*edits, ("DELETE", url, {"headers": auth})])
        assert answers[-1] == 204
        assert requests.get(url, timeout=10).status_code == 404
        statuses += answers[:-1]

    assert set(statuses) <= {200, 404, 409}, statuses


def test_file_uploads_racing_a_delete_answer_200_or_404_never_500(local_stack, tmp_path):
    base = local_stack.url
    wav = generate_audio(tmp_path / "a.wav", seconds=1, rate=8000).read_bytes()

    statuses: list[int] = []
    for take in range(8):
        created = requests.post(
            f"{base}/api/audio/create", json={"audioFileType": "song", "name": f"s{take}"}, timeout=10
        ).json()
        url = f"{base}/api/audio/song/{created['id']}"
        puts = [("PUT", url, {"files": {"audio": (f"s{take}.wav", wav, "audio/wav")}}) for _ in range(3)]
        answers = racing([*puts, ("DELETE", url, {})])
        assert answers[-1] == 200
        statuses += answers[:-1]
        assert requests.get(url, timeout=10).status_code == 404

    assert set(statuses) <= {200, 404, 409}, statuses
