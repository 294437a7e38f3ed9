"""At-least-once delivery, retries and the dead-letter queue, and races: what must hold however events arrive."""

from __future__ import annotations

import json
import threading

import boto3
import pytest
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from chalicelib import aws, wiring
from chalicelib.config import settings
from chalicelib.errors import Conflict
from chalicelib.pipeline import Converter
from chalicelib.users import UserStore
from devstack.__main__ import free_port
from devstack.worker import lambda_sqs_event
from tests.integration.conftest import converted_keys, mp3_key_of, object_keys


@pytest.fixture
def wav(make_audio):
    return make_audio(seconds=3, rate=16000).read_bytes()


def s3_event(bucket: str, key: str, name: str = "ObjectCreated:Put") -> str:
    return json.dumps({"Records": [{"eventName": name, "s3": {"bucket": {"name": bucket}, "object": {"key": key}}}]})


def all_at_once(target, count: int) -> None:
    """Run `target` in `count` threads started together, and wait for them all."""
    threads = [threading.Thread(target=target) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_three_concurrent_deliveries_make_one_consistent_recording(api, alice, stack, wav):
    recording = api.upload(alice["token"], wav)
    event = s3_event(stack["CLOUDSOUND_BUCKET"], f"originals/{recording['id']}")
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            outcomes.extend(wiring.converter().handle([event]))
        except BaseException as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    all_at_once(deliver, 3)

    assert errors == []
    assert set(outcomes) <= {"ready", "duplicate"} and "ready" in outcomes
    ready = api.get(f"/recordings/{recording['id']}").json_body
    assert ready["status"] == "ready" and ready["duration"] == pytest.approx(3.0, abs=0.01)
    assert sorted(object_keys(stack["CLOUDSOUND_BUCKET"])) == converted_keys(recording["id"])
    mp3 = aws.s3().head_object(Bucket=stack["CLOUDSOUND_BUCKET"], Key=mp3_key_of(recording["id"]))
    assert mp3["ContentLength"] == ready["mp3"]["size"]


def test_a_multipart_upload_s_two_events_make_one_recording(api, alice, stack, wav, client):
    created = client.http.post(
        "/recordings",
        body=json.dumps({"name": "big.wav", "size": len(wav)}),
        headers={"Authorization": f"Bearer {alice['token']}", "Content-Type": "application/json"},
    ).json_body
    s3 = aws.s3()
    key = f"originals/{created['id']}"
    upload = s3.create_multipart_upload(Bucket=stack["CLOUDSOUND_BUCKET"], Key=key)
    part = s3.upload_part(
        Bucket=stack["CLOUDSOUND_BUCKET"], Key=key, UploadId=upload["UploadId"], PartNumber=1, Body=wav
    )
    s3.complete_multipart_upload(
        Bucket=stack["CLOUDSOUND_BUCKET"],
        Key=key,
        UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )

    events = api.convert_pending()
    events += [
        lambda_sqs_event(
            {
                "MessageId": "again",
                "ReceiptHandle": "r",
                "Body": s3_event(stack["CLOUDSOUND_BUCKET"], key, "ObjectCreated:CompleteMultipartUpload"),
            },
            "arn",
            "us-east-1",
        )
    ]
    client.lambda_.invoke("convert", events[-1])

    ready = api.get(f"/recordings/{created['id']}", alice["token"]).json_body
    assert ready["status"] == "ready" and ready["duration"] == pytest.approx(3.0, abs=0.01)
    assert len([key for key in object_keys(stack["CLOUDSOUND_BUCKET"]) if key.startswith("mp3/")]) == 1


def test_a_conversion_that_keeps_failing_lands_in_the_dead_letter_queue_and_reads_failed(
    api, alice, stack, wav, client, monkeypatch
):
    recording = api.upload(alice["token"], wav)

    def storage_is_down(self, key, **_):
        raise ConnectionError("S3 is unavailable")

    monkeypatch.setattr(Converter, "convert_object", storage_is_down)
    sqs = aws.sqs()
    queue = sqs.get_queue_url(QueueName=settings().conversions_queue)["QueueUrl"]
    dead = sqs.get_queue_url(QueueName=settings().dead_letter_queue)["QueueUrl"]
    receives = 0
    while messages := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=1, AttributeNames=["All"]).get(
        "Messages", []
    ):
        message = messages[0]
        try:
            client.lambda_.invoke("convert", lambda_sqs_event(message, "arn", "us-east-1"))
        except ConnectionError:
            receives += 1
            sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
        else:
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])  # the S3 test event
        assert receives <= 10, "the message never reached the dead-letter queue"
    assert receives == 5  # the template's maxReceiveCount
    assert api.get(f"/recordings/{recording['id']}").json_body["status"] == "processing"

    [dead_letter] = sqs.receive_message(QueueUrl=dead, MaxNumberOfMessages=10)["Messages"]
    client.lambda_.invoke("dead_letters", lambda_sqs_event(dead_letter, "arn", "us-east-1"))

    failed = api.get(f"/recordings/{recording['id']}", alice["token"]).json_body
    assert failed["status"] == "failed" and "kept failing" in failed["error"]
    assert f"originals/{recording['id']}" in object_keys(stack["CLOUDSOUND_BUCKET"])


def test_a_dead_letter_never_undoes_a_ready_recording(api, alice, stack, wav):
    recording = api.upload(alice["token"], wav)
    api.convert_pending()

    outcomes = wiring.converter().give_up([s3_event(stack["CLOUDSOUND_BUCKET"], f"originals/{recording['id']}")])

    assert outcomes == ["unchanged"] and api.get(f"/recordings/{recording['id']}").json_body["status"] == "ready"


class SerialMotoServer(ThreadedMotoServer):
    """moto's threaded server evaluates DynamoDB conditions without a lock, so two racing conditional writes can
    both pass there, which DynamoDB never allows for one item. This server handles one request at a time, as
    DynamoDB serialises writes to an item; the racers still run concurrently on the client side."""

    def _server_entry(self) -> None:
        self._server = make_server(
            self._ip_address,
            self._port,
            DomainDispatcherApplication(create_backend_app),
            False,
            request_handler=MotoRequestHandler,
        )
        self._server_ready_event.set()
        self._server.serve_forever()


@pytest.fixture
def serial_endpoint(stack):
    port = free_port()
    server = SerialMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()  # same process, so the same in-memory tables as the stack's
    yield f"http://127.0.0.1:{port}"
    server.stop()


def test_racing_registrations_for_one_id_have_exactly_one_winner(stack, serial_endpoint):
    winners: list[int] = []
    conflicts: list[Conflict] = []
    barrier = threading.Barrier(8)

    def register() -> None:
        table = (
            boto3.session.Session()
            .resource("dynamodb", endpoint_url=serial_endpoint)
            .Table(stack["CLOUDSOUND_USERS_TABLE"])
        )
        barrier.wait()
        try:
            winners.append(UserStore(table).register("racer", 77)[0].id)
        except Conflict as conflict:
            conflicts.append(conflict)

    all_at_once(register, 8)

    assert winners == [77] and len(conflicts) == 7
