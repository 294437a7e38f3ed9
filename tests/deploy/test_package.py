"""`make package` offline: the SAM template it produces is linted and holds what production needs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from collections.abc import Iterator

import pytest
from chalice.test import Client

from app import app
from chalicelib.api.http import BINARY_TYPES
from chalicelib import config
from chalicelib.config import settings
from chalicelib.recording_items import INDEXES, SORT_KEY
from devstack.local_api import NO_SUCH_ROUTE

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def package_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("package")
    subprocess.run(
        ["make", "--no-print-directory", "package", f"PACKAGE_DIR={out}", f"VENV={Path(sys.prefix)}"],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"},
    )
    return out


@pytest.fixture(scope="module")
def template(package_dir: Path) -> dict[str, Any]:
    return json.loads((package_dir / "sam.json").read_text())


@pytest.fixture(scope="module")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]


def test_the_package_holds_the_template_the_code_and_the_layer(package_dir):
    assert {path.name for path in package_dir.iterdir()} == {"sam.json", "deployment.zip", "ffmpeg-layer.zip"}


def test_cfn_lint_passes(package_dir):
    lint = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), str(package_dir / "sam.json")], capture_output=True, text=True
    )

    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_both_functions_run_on_a_long_supported_runtime(resources):
    for name in ("APIHandler", "Convert", "DeadLetters"):
        assert resources[name]["Properties"]["Runtime"] == "python3.13"
    assert resources["FfmpegLayer"]["Properties"]["CompatibleRuntimes"] == ["python3.13"]


def test_the_converter_is_fed_by_the_stacks_queue_and_has_the_layer(resources):
    convert = resources["Convert"]["Properties"]
    queue_name = resources["ConversionsQueue"]["Properties"]["QueueName"]["Fn::Sub"]
    source = convert["Events"]["ConvertSqsEventSource"]

    assert source["Type"] == "SQS"
    assert source["Properties"]["Queue"]["Fn::Sub"].endswith(f":{queue_name}")
    assert source["Properties"]["BatchSize"] == 1
    assert convert["Layers"] == [{"Ref": "FfmpegLayer"}]
    assert convert["Environment"]["Variables"]["FFMPEG_BINARY"] == "/opt/bin/ffmpeg"
    assert convert["Timeout"] == 900
    assert resources["FfmpegLayer"]["Properties"]["ContentUri"] == "./ffmpeg-layer.zip"


def test_the_converter_buys_two_vcpus_one_encoding_one_measuring(resources, monkeypatch):
    """Lambda gives one vCPU per 1,769 MB: the converter's memory buys two, which one pass uses both of (the encoder
    and the measuring graph run on threads of their own); segments start from three (docs/benchmarks.md)."""
    monkeypatch.delenv("CLOUDSOUND_CONVERT_SEGMENTS", raising=False)
    for function, vcpus, encoders in [("Convert", 2, 1), ("APIHandler", 1, 1)]:
        monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", str(resources[function]["Properties"]["MemorySize"]))
        assert (config.vcpus(), settings().convert_segments) == (vcpus, encoders), function
    for memory, encoders in [(5307, 2), (10240, 5)]:  # 3 and 6 vCPUs
        monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", str(memory))
        assert settings().convert_segments == encoders


def test_both_functions_know_the_stacks_resources(resources):
    expected = {
        "CLOUDSOUND_BUCKET": {"Ref": "AudioBucket"},
        "CLOUDSOUND_USERS_TABLE": {"Ref": "UsersTable"},
        "CLOUDSOUND_RECORDINGS_TABLE": {"Ref": "RecordingsTable"},
        "CLOUDSOUND_QUEUE": {"Fn::GetAtt": ["ConversionsQueue", "QueueName"]},
    }
    for name in ("APIHandler", "Convert", "DeadLetters"):
        variables = resources[name]["Properties"]["Environment"]["Variables"]
        assert {key: variables[key] for key in expected} == expected


def test_only_originals_notify_the_queue(resources):
    [notification] = resources["AudioBucket"]["Properties"]["NotificationConfiguration"]["QueueConfigurations"]

    assert notification["Event"] == "s3:ObjectCreated:*"
    assert notification["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "originals/"}]
    assert notification["Queue"] == {"Fn::GetAtt": ["ConversionsQueue", "Arn"]}
    assert "ConversionsQueuePolicy" in resources["AudioBucket"]["DependsOn"]


def test_the_bucket_is_private_and_encrypted(resources):
    bucket = resources["AudioBucket"]["Properties"]

    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert "PUT" in bucket["CorsConfiguration"]["CorsRules"][0]["AllowedMethods"]


def test_a_killed_conversions_unfinished_mp3_upload_is_removed_after_a_day(resources):
    # A conversion killed mid-way (OOM, timeout) leaves its MP3's multipart upload open: invisible, but stored
    # and billed until something aborts it.
    rules = resources["AudioBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]

    [abort] = [rule for rule in rules if "AbortIncompleteMultipartUpload" in rule]
    assert abort["Status"] == "Enabled"
    assert abort["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    assert not abort.get("Prefix") and "Filter" not in abort  # every key, the MP3s' included


@pytest.mark.parametrize("name", ["AudioBucket", "UsersTable", "RecordingsTable"])
def test_removing_or_replacing_the_stack_keeps_peoples_audio_and_records(resources, name):
    assert resources[name]["DeletionPolicy"] == "Retain"
    assert resources[name]["UpdateReplacePolicy"] == "Retain"


def test_a_message_stays_hidden_while_a_conversion_may_still_be_running(resources):
    # AWS's advice for an SQS event source: a visibility timeout of at least six times the function's timeout, so
    # a message is not handed to a second invocation while the first (and its retries) may still be running.
    queue = resources["ConversionsQueue"]["Properties"]

    assert queue["VisibilityTimeout"] >= 6 * resources["Convert"]["Properties"]["Timeout"]


def test_failing_conversions_go_to_the_dead_letter_queue_and_are_marked_failed(resources):
    queue = resources["ConversionsQueue"]["Properties"]
    dlq_name = resources["ConversionsDeadLetterQueue"]["Properties"]["QueueName"]["Fn::Sub"]
    source = resources["DeadLetters"]["Properties"]["Events"]["DeadLettersSqsEventSource"]["Properties"]
    assert source["Queue"]["Fn::Sub"].endswith(f":{dlq_name}")

    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["ConversionsDeadLetterQueue", "Arn"]}
    assert 1 < queue["RedrivePolicy"]["maxReceiveCount"] <= 10
    assert queue["VisibilityTimeout"] > resources["Convert"]["Properties"]["Timeout"]


def test_the_tables_have_every_index_the_code_queries(resources):
    table = resources["RecordingsTable"]["Properties"]
    indexes = {index["IndexName"]: index["KeySchema"] for index in table["GlobalSecondaryIndexes"]}

    for name, partition in INDEXES.values():
        assert indexes[name] == [
            {"AttributeName": partition, "KeyType": "HASH"},
            {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
        ]
    for name in ("UsersTable", "RecordingsTable"):
        properties = resources[name]["Properties"]
        assert properties["BillingMode"] == "PAY_PER_REQUEST"
        assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_the_api_accepts_the_binary_bodies_uploads_send(resources):
    binary_types = resources["RestAPI"]["Properties"]["DefinitionBody"]["x-amazon-apigateway-binary-media-types"]

    assert set(BINARY_TYPES) <= set(binary_types)


def iam_statements(resources: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, resource in resources.items():
        if resource["Type"] == "AWS::IAM::Role":
            for policy in resource["Properties"].get("Policies", []):
                for statement in policy["PolicyDocument"]["Statement"]:
                    yield name, statement


def test_each_function_has_its_own_least_privilege_role(resources):
    assert resources["APIHandler"]["Properties"]["Role"] != resources["Convert"]["Properties"]["Role"]
    statements = list(iam_statements(resources))
    assert statements
    for role, statement in statements:
        targets = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for target in targets:
            assert target != "*", (role, statement)
            text = json.dumps(target)
            assert "arn:" in text and ":*:*" not in text, (role, statement)
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert not any(action.endswith(":*") or action == "*" for action in actions), (role, statement)


def test_the_converter_cannot_touch_users_and_the_api_cannot_read_the_queue(resources):
    convert_statements = [s for role, s in iam_statements(resources) if role == "ConvertRole"]
    convert = json.dumps(convert_statements)
    api = json.dumps([s for role, s in iam_statements(resources) if role == "ApiHandlerRole"])

    # Of the users table the converter reads only its owners' webhooks (hooks#<id>), to queue their events.
    on_users = [s for s in convert_statements if "-users" in json.dumps(s["Resource"])]
    assert [(s["Action"], s["Condition"]) for s in on_users] == [
        (["dynamodb:GetItem"], {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["hooks#*"]}})
    ]
    assert "s3:PutObject" in convert
    assert "sqs:ReceiveMessage" not in api and "-conversions" not in api and "dynamodb:Scan" not in api


def gateway_responses(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["x-amazon-apigateway-gateway-responses"]


def rendered(response: dict[str, Any]) -> dict[str, Any]:
    """A gateway response's body as API Gateway fills it in ($context variables; templates are not VTL)."""
    body = response["responseTemplates"]["application/json"]
    body = body.replace("$context.error.messageString", json.dumps('Say "hi" \\ bye'))
    return json.loads(body.replace("$context.error.responseType", "THROTTLED"))


@pytest.mark.parametrize("kind", ["MISSING_AUTHENTICATION_TOKEN", "INVALID_SIGNATURE", "EXPIRED_TOKEN"])
def test_an_unknown_path_is_our_404_with_or_without_an_authorization_header(template, kind):
    # API Gateway's answer to a path no route has: 403 "Missing Authentication Token", or with a Bearer header a
    # complaint about its SigV4 signature. Declared in the API's definition, so every deployment carries them.
    response = gateway_responses(template)[kind]

    assert response["statusCode"] == "404"
    assert rendered(response) == {"error": {"code": "not_found", "message": NO_SUCH_ROUTE}}  # as `make run` says


def test_every_other_answer_of_the_gateway_has_our_error_shape(template):
    responses = gateway_responses(template)
    expected = {
        "REQUEST_TOO_LARGE": ("413", "too_large"),
        "THROTTLED": ("429", "too_many_requests"),
        "DEFAULT_4XX": (None, "bad_request"),
        "DEFAULT_5XX": (None, "internal_error"),
    }

    for kind, (status, code) in expected.items():
        error = rendered(responses[kind])["error"]
        assert (responses[kind].get("statusCode"), error["code"]) == (status, code), kind
        assert error["message"], kind
    assert rendered(responses["DEFAULT_5XX"])["error"]["message"] == 'Say "hi" \\ bye'
    assert "presigned" in rendered(responses["REQUEST_TOO_LARGE"])["error"]["message"]
    assert responses["THROTTLED"]["responseParameters"] == {"gatewayresponse.header.Retry-After": "'1'"}


def test_every_route_sends_a_method_it_lacks_to_the_app(template):
    paths = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]

    assert set(paths) == set(app.routes)
    for path, methods in app.routes.items():
        item = paths[path]
        anything = item["x-amazon-apigateway-any-method"]
        for method in methods:
            declared = item[method.lower()]
            assert anything["x-amazon-apigateway-integration"] == declared["x-amazon-apigateway-integration"]
            assert anything.get("parameters") == declared.get("parameters"), (path, method)


def test_the_app_answers_a_method_a_route_lacks_405_naming_the_ones_it_takes():
    with Client(app) as client:
        response = client.http.put("/users/7")

    assert response.status_code == 405
    assert response.headers["Allow"] == "GET"
    assert response.json_body["error"]["code"] == "method_not_allowed"
