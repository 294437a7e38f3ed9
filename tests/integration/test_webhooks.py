"""Webhooks: a receiver this test runs hears `recording.ready`, signed so that `standardwebhooks` verifies it, again
after answering 500 once (the retry waits on an injected clock, not on the wall); it never hears of another user's
recording; hostile URLs are refused in the deployed configuration; a hook's deliveries are listed."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from chalicelib import aws, wiring
from chalicelib.config import settings
from devstack.worker import lambda_sqs_event


class Receiver:
    """An HTTP server on 127.0.0.1 that records what it is sent and answers the statuses it is told to, in turn."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["content-length"])).decode()
                receiver.requests.append({"path": self.path, "headers": dict(self.headers.items()), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                if status == 302:
                    self.send_header("Location", f"http://127.0.0.1:{self.server.server_port}/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made: list[Receiver] = []

    def make(statuses: list[int] | None = None) -> Receiver:
        made.append(Receiver(list(statuses or [])))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


@pytest.fixture
def local_hooks(stack, monkeypatch):
    """The local stack's setting (hooks may call 127.0.0.1), no real SQS delay, and a clock the test moves."""
    monkeypatch.setenv("CLOUDSOUND_WEBHOOKS_ALLOW_LOOPBACK", "1")
    monkeypatch.setenv("CLOUDSOUND_WEBHOOK_MAX_QUEUE_DELAY", "0")
    now = [time.time()]
    monkeypatch.setattr(wiring.webhook_deliverer(), "clock", lambda: now[0])
    return now


def deliver_pending(client) -> int:
    """Hand each message waiting in the webhooks queue now to the `deliver_webhooks` handler, once."""
    sqs = aws.sqs()
    url = sqs.get_queue_url(QueueName=settings().webhooks_queue)["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    for message in messages:
        client.lambda_.invoke("deliver_webhooks", lambda_sqs_event(message, "arn", "us-east-1"))
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return len(messages)


def add_hook(client, token: str, url: str, events: list[str], expect: int = 201) -> dict:
    response = client.http.post(
        "/me/webhooks",
        body=json.dumps({"url": url, "events": events}),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code == expect, response.body
    return response.json_body


def test_a_hook_hears_ready_signed_and_again_after_a_500(client, api, alice, bob, local_hooks, receiver, make_audio):
    target = receiver([500])
    hook = add_hook(client, alice["token"], target.url, ["recording.ready", "recording.deleted"])
    assert hook["secret"].startswith("whsec_") and set(hook) == {"id", "url", "events", "created_at", "secret"}
    listed = api.get("/me/webhooks", alice["token"]).json_body["items"]
    assert [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]
    wav = make_audio(seconds=1, rate=8000).read_bytes()
    api.upload(bob["token"], wav, name="bobs.wav")
    mine = api.upload(alice["token"], wav, name="mine.wav&visibility=private")

    api.convert_pending()
    assert deliver_pending(client) == 1  # alice's recording only: bob's has no hook of alice's
    assert len(target.requests) == 1  # answered 500
    assert deliver_pending(client) == 1 and len(target.requests) == 1  # the retry waits for its time
    local_hooks[0] += 5
    assert deliver_pending(client) == 1
    assert len(target.requests) == 2 and deliver_pending(client) == 0

    first, second = target.requests
    for request in (first, second):
        payload = Webhook(hook["secret"]).verify(request["body"], request["headers"])
        assert payload["type"] == "recording.ready" and payload["data"]["id"] == mine["id"]
        assert payload["data"]["status"] == "ready" and payload["data"]["visibility"] == "private"
        assert set(payload) == {"type", "timestamp", "data"}
        # the recording as the API shows it to its owner, links and all
        assert payload["data"]["links"] == api.get(f"/recordings/{mine['id']}", alice["token"]).json_body["links"]
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"] and first["body"] == second["body"]
    assert first["headers"]["webhook-signature"].startswith("v1,")
    assert all(bob["name"] not in request["body"] for request in target.requests)
    [delivery] = api.get(f"/me/webhooks/{hook['id']}/deliveries", alice["token"]).json_body["items"]
    assert delivery["attempts"] == 2 and delivery["last_status"] == 200 and delivery["state"] == "delivered"
    assert isinstance(delivery["attempts"], int) and isinstance(delivery["last_status"], int)
    assert delivery["id"] == first["headers"]["webhook-id"] and delivery["recording"] == mine["id"]
    tampered = dict(second["headers"], **{"webhook-signature": first["headers"]["webhook-signature"][:-4] + "AAA="})
    with pytest.raises(WebhookVerificationError):
        Webhook(hook["secret"]).verify(second["body"], tampered)

    assert api.delete(f"/recordings/{mine['id']}", alice["token"]).status_code == 204
    assert deliver_pending(client) == 1
    deleted = json.loads(target.requests[-1]["body"])
    assert deleted["type"] == "recording.deleted" and deleted["data"]["id"] == mine["id"]


def test_a_refused_connection_and_a_redirect_are_retried_and_never_followed(
    client, api, alice, local_hooks, receiver, make_audio
):
    target = receiver([302])
    hook = add_hook(client, alice["token"], target.url, ["recording.ready"])
    api.upload(alice["token"], make_audio(seconds=1, rate=8000).read_bytes())
    api.convert_pending()

    deliver_pending(client)
    assert [request["path"] for request in target.requests] == ["/hook"]  # the redirect was not followed
    target.close()  # now the connection is refused
    local_hooks[0] += 5
    deliver_pending(client)
    [delivery] = api.get(f"/me/webhooks/{hook['id']}/deliveries", alice["token"]).json_body["items"]
    assert delivery["attempts"] == 2 and delivery["last_status"] is None and delivery["state"] == "pending"
    assert "Refused" in delivery["last_error"] or "refused" in delivery["last_error"]
    assert delivery["next_attempt_at"] > delivery["last_attempt_at"]


def test_only_the_owner_sees_or_deletes_a_hook(client, api, alice, bob, local_hooks):
    hook = add_hook(client, alice["token"], "http://127.0.0.1:9/h", ["recording.failed"])

    assert api.get("/me/webhooks", bob["token"]).json_body["items"] == []
    assert api.get(f"/me/webhooks/{hook['id']}/deliveries", bob["token"]).status_code == 404
    assert api.delete(f"/me/webhooks/{hook['id']}", bob["token"]).status_code == 404
    assert api.delete(f"/me/webhooks/{hook['id']}", alice["token"]).status_code == 204
    assert api.get("/me/webhooks", alice["token"]).json_body["items"] == []
    assert api.get("/me/webhooks").status_code == 401


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://[::1]/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[fd00:ec2::254]/",
        "https://10.0.0.7/hook",
        "https://192.168.1.1/",
        "https://172.16.5.4/",
        "https://100.64.0.1/",
        "https://0.0.0.0/",
        "https://2130706433/",
        "https://0x7f.0.0.1/",
        "https://[::ffff:127.0.0.1]/",
        "https://[::ffff:169.254.169.254]/",
        "http://93.184.216.34/",
        "https://user:pw@93.184.216.34/",
        "ftp://93.184.216.34/",
        "https:///nohost",
        "not a url",
        "",
        "https://exa mple/",
        "https://no-such-host.invalid/hook",
    ],
)
def test_a_hook_on_a_private_or_odd_address_is_refused_when_deployed(client, alice, url):
    answer = add_hook(client, alice["token"], url, ["recording.ready"], expect=422)

    assert answer["error"]["field"] == "url"


def test_a_public_https_address_is_accepted_when_deployed(client, alice):
    assert add_hook(client, alice["token"], "https://93.184.216.34/hook", ["recording.ready"])["url"].startswith(
        "https://93.184.216.34"
    )


@pytest.mark.parametrize(
    "body, field",
    [
        ({"url": "https://93.184.216.34/", "events": []}, "events"),
        ({"url": "https://93.184.216.34/", "events": ["recording.created"]}, "events"),
        ({"events": ["recording.ready"]}, "url"),
    ],
)
def test_a_hook_that_does_not_fit_is_refused_naming_its_field(client, alice, body, field):
    response = client.http.post(
        "/me/webhooks",
        body=json.dumps(body),
        headers={"Authorization": f"Bearer {alice['token']}", "Content-Type": "application/json"},
    )
    assert response.status_code == 422 and response.json_body["error"]["field"] == field


def test_a_failed_conversion_is_told_and_the_deliveries_answer_as_documented(client, api, alice, local_hooks, receiver):
    import msgspec
    import requests

    from chalicelib.api.schemas.webhooks import DeliveryList, WebhookList

    target = receiver()
    hook = add_hook(client, alice["token"], target.url, ["recording.failed"])
    junk = b"<html>" + bytes(range(256)) * 40  # not audio
    slot = client.http.post(
        "/recordings",
        body=json.dumps({"name": "junk.wav", "size": len(junk)}),
        headers={"Authorization": f"Bearer {alice['token']}", "Content-Type": "application/json"},
    ).json_body
    upload = slot["upload"]
    assert requests.put(upload["url"], data=junk, headers=upload["headers"], timeout=30).status_code == 200
    api.convert_pending()

    assert deliver_pending(client) == 1
    event = Webhook(hook["secret"]).verify(target.requests[0]["body"], target.requests[0]["headers"])
    assert event["type"] == "recording.failed" and event["data"]["id"] == slot["id"]
    assert event["data"]["status"] == "failed" and event["data"]["error"]
    deliveries = api.get(f"/me/webhooks/{hook['id']}/deliveries", alice["token"]).body
    assert msgspec.json.decode(deliveries, type=DeliveryList).items[0].state == "delivered"
    msgspec.json.decode(api.get("/me/webhooks", alice["token"]).body, type=WebhookList)
