"""The local stack's tables, queues and notification are the template's."""

from __future__ import annotations

import json

from chalicelib import aws
from devstack.resources import LocalTemplate


def test_local_tables_and_indexes_match_the_template(stack):
    template = LocalTemplate()
    for logical_id in ("UsersTable", "RecordingsTable"):
        declared = template.properties(logical_id)
        table = aws.dynamodb().describe_table(TableName=declared["TableName"])["Table"]

        assert table["KeySchema"] == declared["KeySchema"]
        assert sorted(table["AttributeDefinitions"], key=str) == sorted(declared["AttributeDefinitions"], key=str)
        local_indexes = {
            i["IndexName"]: (i["KeySchema"], i["Projection"]) for i in table.get("GlobalSecondaryIndexes", [])
        }
        declared_indexes = {
            i["IndexName"]: (i["KeySchema"], i["Projection"]) for i in declared.get("GlobalSecondaryIndexes", [])
        }
        assert local_indexes == declared_indexes


def test_local_queue_redrive_and_bucket_notification_match_the_template(stack):
    template = LocalTemplate()
    queue = template.properties("ConversionsQueue")
    sqs = aws.sqs()
    url = sqs.get_queue_url(QueueName=queue["QueueName"])["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]

    assert json.loads(attributes["RedrivePolicy"]) == {
        "deadLetterTargetArn": template.arn_of("ConversionsDeadLetterQueue"),
        "maxReceiveCount": queue["RedrivePolicy"]["maxReceiveCount"],
    }
    notification = aws.s3().get_bucket_notification_configuration(Bucket=stack["CLOUDSOUND_BUCKET"])
    [config] = notification["QueueConfigurations"]
    assert config["QueueArn"] == template.arn_of("ConversionsQueue")
    assert config["Filter"]["Key"]["FilterRules"] == [{"Name": "prefix", "Value": "originals/"}]


def test_a_second_moto_server_in_one_process_starts_empty(stack):
    from devstack.__main__ import free_port, start_moto

    assert aws.dynamodb().list_tables()["TableNames"]  # the first server's tables
    port = free_port()
    second = start_moto(port)
    try:
        import boto3

        fresh = boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1")
        assert fresh.list_tables()["TableNames"] == []  # `make bench` starts two: the second must not see the first's
    finally:
        second.stop()
