"""Create, on any endpoint (the local moto server, or moto in-process), the resources `infra/template.json` deploys.

The template is the one source of the tables, indexes, bucket, queues and notification. This module resolves the few
intrinsics it uses (Fn::Sub, Ref, Fn::GetAtt ... Arn/QueueName) for a local account and turns each resource's
CloudFormation properties into the matching API call.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

TEMPLATE_PATH = Path(__file__).resolve().parent.parent / "infra" / "template.json"
LOCAL_ACCOUNT = "123456789012"  # moto's default account
_CREATION_ORDER = ("AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::SQS::QueuePolicy", "AWS::S3::Bucket")


def load_template() -> dict[str, Any]:
    return json.loads(TEMPLATE_PATH.read_text())


class LocalTemplate:
    """The template with its intrinsics resolved for one stack name, region and account."""

    def __init__(self, stack_name: str = "cloudsound", region: str = "us-east-1", account: str = LOCAL_ACCOUNT):
        self.template = load_template()
        self.pseudo = {
            "AWS::StackName": stack_name,
            "AWS::Region": region,
            "AWS::AccountId": account,
            "AWS::Partition": "aws",
        }
        self.region = region
        self.account = account

    @property
    def resources(self) -> dict[str, Any]:
        return self.template["Resources"]

    def properties(self, logical_id: str) -> dict[str, Any]:
        return self.resolve(self.resources[logical_id].get("Properties", {}))

    def name_of(self, logical_id: str) -> str:
        resource = self.resources[logical_id]
        name_property = {
            "AWS::DynamoDB::Table": "TableName",
            "AWS::SQS::Queue": "QueueName",
            "AWS::S3::Bucket": "BucketName",
        }[resource["Type"]]
        return self.resolve(resource["Properties"][name_property])

    def arn_of(self, logical_id: str) -> str:
        kind = self.resources[logical_id]["Type"]
        name = self.name_of(logical_id)
        if kind == "AWS::SQS::Queue":
            return f"arn:aws:sqs:{self.region}:{self.account}:{name}"
        if kind == "AWS::S3::Bucket":
            return f"arn:aws:s3:::{name}"
        return f"arn:aws:dynamodb:{self.region}:{self.account}:table/{name}"

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Ref"}:
            ref = value["Ref"]
            return self.pseudo[ref] if ref in self.pseudo else self.name_of(ref)
        if set(value) == {"Fn::Sub"}:
            return re.sub(r"\$\{([^}]+)\}", lambda m: self._sub(m.group(1)), value["Fn::Sub"])
        if set(value) == {"Fn::GetAtt"}:
            logical_id, attribute = value["Fn::GetAtt"]
            return self.arn_of(logical_id) if attribute == "Arn" else self.name_of(logical_id)
        return {key: self.resolve(item) for key, item in value.items()}

    def _sub(self, expression: str) -> str:
        if expression in self.pseudo:
            return self.pseudo[expression]
        logical_id, _, attribute = expression.partition(".")
        return self.arn_of(logical_id) if attribute == "Arn" else self.name_of(logical_id)

    def app_settings(self) -> dict[str, str]:
        """The API function's environment as deployed (table, bucket and queue names), resolved locally."""
        return self.resolve(self.resources["APIHandler"]["Properties"]["Environment"]["Variables"])


def create_all(template: LocalTemplate, clients: Any) -> dict[str, str]:
    """Create every resource; `clients(service)` returns a boto3 client. Returns the app's settings."""
    local = [lid for lid, resource in template.resources.items() if resource.get("Type") in _CREATION_ORDER]
    # Functions, the layer and the API are Chalice's and Lambda's business; locally `chalice local` and the workers
    # stand in for them.
    ordered = sorted(local, key=lambda lid: _CREATION_ORDER.index(template.resources[lid]["Type"]))
    for logical_id in ordered:
        kind = template.resources[logical_id]["Type"]
        properties = template.properties(logical_id)
        if kind == "AWS::DynamoDB::Table":
            _create_table(clients("dynamodb"), properties)
        elif kind == "AWS::SQS::Queue":
            _create_queue(clients("sqs"), properties)
        elif kind == "AWS::S3::Bucket":
            _create_bucket(clients("s3"), properties, template.region)
        # AWS::SQS::QueuePolicy: moto does not enforce queue policies, there is nothing to create locally.
    return template.app_settings()


def table_definition(properties: dict[str, Any]) -> dict[str, Any]:
    """CreateTable arguments from a template's table properties (the same shape, minus the extras)."""
    keys = ("TableName", "AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "BillingMode")
    return {key: properties[key] for key in keys if key in properties}


def _create_table(dynamodb: Any, properties: dict[str, Any]) -> None:
    dynamodb.create_table(**table_definition(properties))
    ttl = properties.get("TimeToLiveSpecification")
    if ttl:
        dynamodb.update_time_to_live(TableName=properties["TableName"], TimeToLiveSpecification=ttl)


def _create_queue(sqs: Any, properties: dict[str, Any]) -> None:
    attributes = {
        key: json.dumps(value) if isinstance(value, dict) else str(value)
        for key, value in properties.items()
        if key != "QueueName"
    }
    sqs.create_queue(QueueName=properties["QueueName"], Attributes=attributes)


def _create_bucket(s3: Any, properties: dict[str, Any], region: str) -> None:
    name = properties["BucketName"]
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    if "CorsConfiguration" in properties:
        rules = [_cors_rule(rule) for rule in properties["CorsConfiguration"]["CorsRules"]]
        s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})
    if "BucketEncryption" in properties:
        rules = [
            {"ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"]}
            for rule in properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        ]
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
    notifications = properties.get("NotificationConfiguration", {}).get("QueueConfigurations", [])
    if notifications:
        s3.put_bucket_notification_configuration(
            Bucket=name,
            NotificationConfiguration={"QueueConfigurations": [_queue_notification(n) for n in notifications]},
        )


def _cors_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's spelling of a CORS rule in the S3 API's."""
    renamed = {"ExposedHeaders": "ExposeHeaders", "MaxAge": "MaxAgeSeconds"}
    return {renamed.get(key, key): value for key, value in rule.items()}


def _queue_notification(notification: dict[str, Any]) -> dict[str, Any]:
    rules = notification.get("Filter", {}).get("S3Key", {}).get("Rules", [])
    return {
        "QueueArn": notification["Queue"],
        "Events": [notification["Event"]],
        "Filter": {"Key": {"FilterRules": [{"Name": rule["Name"], "Value": rule["Value"]} for rule in rules]}},
    }
