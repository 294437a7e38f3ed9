"""Integration fixtures: the app and its handlers on a moto server (a real endpoint, so ffmpeg and `requests` can
fetch presigned links), with the resources created from infra/template.json exactly as `make run` creates them."""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path
from typing import Any
from collections.abc import Iterator

import pytest
from chalice.test import Client

from chalicelib import aws, wiring
from chalicelib.config import settings
from devstack.__main__ import free_port, local_environment, start_moto
from devstack.resources import LocalTemplate, create_all
from devstack.worker import lambda_sqs_event

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    port = free_port()
    server = start_moto(port)
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def stack(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Fresh resources for each test; returns the app's settings (bucket, tables, queue)."""
    request = urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(request).close()
    for name, value in local_environment(moto_endpoint, "us-east-1").items():
        monkeypatch.setenv(name, value)
    wiring.reset()
    app_settings = create_all(LocalTemplate(), aws.client)
    for name, value in app_settings.items():
        monkeypatch.setenv(name, value)
    yield app_settings
    wiring.reset()


@pytest.fixture
def client(stack: dict[str, str]) -> Iterator[Client]:
    from app import app

    with Client(app, stage_name="dev", project_dir=str(PROJECT_ROOT)) as test_client:
        yield test_client


class Api:
    """A user's-eye helper over the test client: register, upload, convert, read."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def register(self, **body: Any) -> dict[str, Any]:
        response = self.client.http.post("/users", headers={"Content-Type": "application/json"}, body=json.dumps(body))
        assert response.status_code == 201, response.body
        return response.json_body

    def upload(
        self,
        token: str,
        data: bytes,
        name: str | None = "take1.wav",
        content_type: str | None = "audio/wav",
        expect: int = 202,
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"}
        if content_type is not None:
            headers["Content-Type"] = content_type
        path = "/recordings" + (f"?name={name}" if name else "")
        response = self.client.http.post(path, headers=headers, body=data)
        assert response.status_code == expect, response.body
        return response.json_body

    def get(self, path: str, token: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.client.http.get(path, headers=headers)

    def delete(self, path: str, token: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.client.http.delete(path, headers=headers)

    def convert_pending(self) -> list[dict[str, Any]]:
        """Deliver every message waiting in the conversions queue to the `convert` handler, as Lambda would.
        Returns the events delivered."""
        sqs = aws.sqs()
        queue_url = sqs.get_queue_url(QueueName=settings().conversions_queue)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        delivered = []
        while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
            for message in messages:
                event = lambda_sqs_event(message, arn, "us-east-1")
                self.client.lambda_.invoke("convert", event)
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
                delivered.append(event)
        return delivered


@pytest.fixture
def api(client: Client) -> Api:
    return Api(client)


@pytest.fixture
def alice(api: Api) -> dict[str, Any]:
    return api.register(name="alice")


@pytest.fixture
def bob(api: Api) -> dict[str, Any]:
    return api.register(name="bob")


def converted_keys(recording_id: str) -> list[str]:
    """The S3 keys a converted recording has: its original, and its conversion's MP3 and peaks."""
    from chalicelib.storage import mp3_key, original_key, peaks_key

    etag = wiring.recording_store().get(recording_id).source_etag
    return sorted([original_key(recording_id), mp3_key(recording_id, etag), peaks_key(recording_id, etag)])


def mp3_key_of(recording_id: str) -> str:
    return next(key for key in converted_keys(recording_id) if key.startswith("mp3/"))


def object_keys(bucket: str) -> list[str]:
    return [item["Key"] for item in aws.s3().list_objects_v2(Bucket=bucket).get("Contents", [])]


def environment_value(name: str) -> str:
    return os.environ[name]
