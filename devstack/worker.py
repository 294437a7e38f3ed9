"""The local stand-in for Lambda's SQS event source: long-poll the conversions queue and call the app's `convert`
handler with the same event Lambda would send. A message is deleted only after the handler returns; if it raises,
the message becomes visible again after a short delay and, after the queue's maxReceiveCount, moves to the DLQ.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RETRY_DELAY_SECONDS = int(os.environ.get("CLOUDSOUND_RETRY_DELAY_SECONDS", "3"))

log = logging.getLogger("cloudsound.worker")


def lambda_sqs_event(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda's SQS integration delivers for one message."""
    return {
        "Records": [{
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": message.get("MessageAttributes", {}),
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": region,
        }]
    }


def run(stop: Any) -> None:
    sys.path.insert(0, str(PROJECT_ROOT))
    import app as application
    from chalicelib import aws
    from chalicelib.config import settings

    current = settings()
    sqs = aws.sqs()
    queue_url = sqs.get_queue_url(QueueName=current.conversions_queue)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    context = SimpleNamespace(function_name="convert", aws_request_id="local", get_remaining_time_in_millis=lambda: 900000)
    log.info("worker %d polling %s", os.getpid(), current.conversions_queue)
    while not stop.is_set():
        response = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=1, AttributeNames=["All"]
        )
        for message in response.get("Messages", []):
            try:
                application.convert(lambda_sqs_event(message, queue_arn, current.region), context)
            except Exception:
                receives = message.get("Attributes", {}).get("ApproximateReceiveCount", "?")
                log.exception("conversion failed (receive %s); the message will be retried", receives)
                sqs.change_message_visibility(
                    QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=RETRY_DELAY_SECONDS
                )
            else:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def main() -> None:
    import threading

    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker  %(levelname)s %(message)s")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    run(stop)


if __name__ == "__main__":
    main()
