"""The local worker's side of "a death is a retry": a conversion whose ffmpeg was stopped (Ctrl-C reaches the whole
process group, ffmpeg included) leaves its message on the queue, visible again soon, instead of deleting it."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from chalicelib.audio.convert import convert_to_mp3
from devstack import worker
from devstack.worker import QueueConsumer
from tests.unit.test_convert import signal_ffmpeg_on_first_chunk


@pytest.fixture
def sqs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield boto3.client("sqs", region_name="us-east-1")


def converting_handler(sources: Path, signum: signal.Signals):
    """Stands in for the app's `convert`: converts the file the message names, and on its first MP3 chunk sends
    `signum` to ffmpeg, as a Ctrl-C or a process-group stop would."""

    def handle(event: dict[str, Any], context: Any) -> None:
        write = signal_ffmpeg_on_first_chunk(signum, [])
        for record in event["Records"]:
            convert_to_mp3(str(sources / record["body"]), write, chunk_bytes=1 << 14)

    return handle


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=lambda s: s.name)
def test_a_message_whose_conversion_was_stopped_is_kept_and_delivered_again(sqs, make_audio, monkeypatch, signum):
    monkeypatch.setattr(worker, "RETRY_DELAY_SECONDS", 0)  # visible again at once, so the test need not wait
    source = make_audio("take.wav", seconds=60, rate=44100, channels=2)
    url = sqs.create_queue(QueueName="conversions")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=source.name)
    consumer = QueueConsumer(sqs, "conversions", converting_handler(source.parent, signum), "us-east-1")

    consumer.poll(0, context=None)

    again = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0, AttributeNames=["ApproximateReceiveCount"])
    [message] = again["Messages"]
    assert message["Body"] == "take.wav"
    assert message["Attributes"]["ApproximateReceiveCount"] == "2"
