"""Each function's hand-written IAM policy (.chalice/policy-*.json) allows every AWS call that function makes: a
journey through the API, the converter and the dead-letter handler records each call with its resource, and each is
checked against the policy of the function that made it, with its resources resolved as the stack deploys them."""

from __future__ import annotations

import fnmatch
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from chalicelib import aws, wiring
from devstack.resources import LocalTemplate
from devstack.worker import lambda_sqs_event

PROJECT_ROOT = Path(__file__).resolve().parents[2]
POLICIES = {"api": "policy-api.json", "convert": "policy-convert.json", "dead_letters": "policy-dead-letters.json"}
S3_ACTIONS = {  # operation -> the IAM action it needs
    "PutObject": "s3:PutObject",
    "GetObject": "s3:GetObject",
    "HeadObject": "s3:GetObject",
    "DeleteObject": "s3:DeleteObject",
    "DeleteObjects": "s3:DeleteObject",
    "CreateMultipartUpload": "s3:PutObject",
    "UploadPart": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
    "AbortMultipartUpload": "s3:AbortMultipartUpload",
    "UploadPartCopy": "s3:PutObject",
}
TRANSACTION_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


class Calls:
    """Every S3 and DynamoDB call, as (function, IAM action, resource ARN), while `function` says who is calling."""

    def __init__(self, region: str, account: str) -> None:
        self.function = "api"
        self.seen: set[tuple[str, str, str]] = set()
        self.region, self.account = region, account

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        service = model.service_model.service_name
        for action, resource in self.needs(service, model.name, params):
            self.seen.add((self.function, action, resource))

    def needs(self, service: str, operation: str, params: dict[str, Any]) -> list[tuple[str, str]]:
        if service == "s3":
            bucket = f"arn:aws:s3:::{params['Bucket']}"
            if operation == "ListObjectsV2":
                return [("s3:ListBucket", bucket)]
            keys = (
                [item["Key"] for item in params["Delete"]["Objects"]]
                if operation == "DeleteObjects"
                else [params["Key"]]
            )
            needs = [(S3_ACTIONS[operation], f"{bucket}/{key}") for key in keys]
            if operation == "UploadPartCopy":  # S3 reads the source part for the copy with the caller's rights
                source = params["CopySource"]
                needs.append(("s3:GetObject", f"arn:aws:s3:::{source['Bucket']}/{source['Key']}"))
            if operation == "HeadObject":  # without ListBucket, S3 answers 403 for a missing key, not 404
                needs.append(("s3:ListBucket", bucket))
            return needs
        if service == "dynamodb":
            table = f"arn:aws:dynamodb:{self.region}:{self.account}:table/"
            if operation == "TransactWriteItems":
                return [
                    (f"dynamodb:{TRANSACTION_ACTIONS[kind]}", table + body["TableName"])
                    for item in params["TransactItems"]
                    for kind, body in item.items()
                ]
            if operation in ("BatchGetItem", "BatchWriteItem"):
                return [(f"dynamodb:{operation}", table + name) for name in params["RequestItems"]]
            index = f"/index/{params['IndexName']}" if params.get("IndexName") else ""
            return [(f"dynamodb:{operation}", table + params["TableName"] + index)]
        return []


def allowed(policy: dict[str, Any], action: str, resource: str) -> bool:
    for statement in policy["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        if (
            statement["Effect"] == "Allow"
            and action in actions
            and any(fnmatch.fnmatchcase(resource, pattern) for pattern in resources)
        ):
            return True
    return False


@pytest.fixture
def calls(stack):
    template = LocalTemplate()
    recorder = Calls(template.region, template.account)
    clients = [aws.s3(), aws.table(stack["CLOUDSOUND_RECORDINGS_TABLE"]).meta.client, aws.dynamodb()]
    for client in clients:
        client.meta.events.register("before-parameter-build", recorder)
    yield recorder
    for client in clients:
        client.meta.events.unregister("before-parameter-build", recorder)


def test_every_call_each_function_makes_is_allowed_by_its_own_policy(api, client, alice, bob, stack, calls, make_audio):
    wav = make_audio(seconds=1, rate=8000).read_bytes()
    auth = {"Authorization": f"Bearer {alice['token']}"}
    kept = api.upload(alice["token"], wav, name="kept.wav")
    doomed = api.upload(alice["token"], wav, name="doomed.wav")
    client.http.post(
        "/recordings",
        body=json.dumps({"name": "slot.wav", "size": 100}),
        headers={**auth, "Content-Type": "application/json"},
    )
    song = client.http.post(
        "/api/audio/create",
        body=json.dumps({"audioFileType": "song", "name": "s"}),
        headers={"Content-Type": "application/json"},
    ).json_body
    assert (
        client.http.put(f"/api/audio/song/{song['id']}", body=wav, headers={"Content-Type": "audio/wav"}).status_code
        == 200
    )
    calls.function = "convert"
    api.convert_pending()
    calls.function = "api"
    assert (
        client.http.put(
            f"/api/audio/song/{song['id']}", body=wav + b"\0\0", headers={"Content-Type": "audio/wav"}
        ).status_code
        == 200
    )  # a replacement
    calls.function = "convert"
    api.convert_pending()
    # the converter's other paths: a file whose recording is gone, and a stale event for a replaced file
    calls.function = "test"
    aws.s3().put_object(
        Bucket=stack["CLOUDSOUND_BUCKET"], Key="originals/00000000-0000-4000-8000-000000000000", Body=wav
    )
    calls.function = "convert"
    api.convert_pending()
    calls.function = "api"
    for path in (
        f"/recordings/{kept['id']}",
        f"/recordings/{kept['id']}/audio",
        f"/recordings/{kept['id']}/peaks",
        "/recordings",
        f"/recordings?owner={alice['id']}",
        "/recordings?name=kept.wav",
        "/list",
        "/recordings?kind=other",
        f"/download?id={kept['id']}",
        f"/users/{bob['id']}",
        "/me",
    ):
        assert api.get(path, alice["token"]).status_code in (200, 302), path
    assert (
        client.http.patch(
            f"/recordings/{kept['id']}",
            body=json.dumps({"name": "Kept"}),
            headers={**auth, "Content-Type": "application/json"},
        ).status_code
        == 200
    )
    assert api.delete(f"/recordings/{doomed['id']}", alice["token"]).status_code == 204
    stuck = api.upload(alice["token"], wav, name="stuck.wav")  # its conversion keeps failing, say
    calls.function = "test"
    etag = aws.s3().head_object(Bucket=stack["CLOUDSOUND_BUCKET"], Key=f"originals/{stuck['id']}")["ETag"]
    calls.function = "dead_letters"
    body = json.dumps(
        {
            "Records": [
                {
                    "eventName": "ObjectCreated:Put",
                    "s3": {
                        "bucket": {"name": stack["CLOUDSOUND_BUCKET"]},
                        "object": {"key": f"originals/{stuck['id']}", "eTag": etag.strip('"'), "size": len(wav)},
                    },
                }
            ]
        }
    )
    client.lambda_.invoke(
        "dead_letters", lambda_sqs_event({"MessageId": "m", "ReceiptHandle": "r", "Body": body}, "arn", "us-east-1")
    )

    template = LocalTemplate()
    policies = {
        function: template.resolve(json.loads((PROJECT_ROOT / ".chalice" / name).read_text()))
        for function, name in POLICIES.items()
    }
    by_function = defaultdict(set)
    for function, action, _resource in calls.seen:
        by_function[function].add(action)
    assert {"s3:PutObject", "dynamodb:Query", "dynamodb:DeleteItem"} <= by_function["api"]
    assert {"s3:GetObject", "s3:DeleteObject", "dynamodb:PutItem"} <= by_function["convert"]
    assert {"dynamodb:PutItem", "s3:GetObject"} <= by_function["dead_letters"]
    assert wiring.recording_store().get(stuck["id"]).status == "failed"
    denied = sorted(
        call for call in calls.seen if call[0] != "test" and not allowed(policies[call[0]], call[1], call[2])
    )
    assert denied == []
    wiring.reset()
