"""The local stand-in for Lambda's SQS event sources: long-poll the conversions queue and call the app's `convert`
handler with the same event Lambda would send; poll the dead-letter queue and call `dead_letters`, and the webhooks
queue and call `deliver_webhooks`. A message is
deleted only after the handler returns; if it raises, the message becomes visible again after a short delay and,
after the queue's maxReceiveCount, moves to the dead-letter queue.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from devstack.moto_events import is_multipart_echo
from devstack.lifecycle import die_with_parent, kill_children, parent_alive

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RETRY_DELAY_SECONDS = int(os.environ.get("CLOUDSOUND_RETRY_DELAY_SECONDS", "3"))
VISIBILITY_SECONDS = int(os.environ.get("CLOUDSOUND_LOCAL_VISIBILITY_SECONDS", "30"))

log = logging.getLogger("cloudsound.worker")


def lambda_sqs_event(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda's SQS integration delivers for one message."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": message.get("MessageAttributes", {}),
                "md5OfBody": message.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
        ]
    }


class QueueConsumer:
    """One queue and the handler Lambda would call with its messages."""

    def __init__(self, sqs: Any, queue_name: str, handler: Any, region: str) -> None:
        self.sqs = sqs
        self.name = queue_name
        self.handler = handler
        self.region = region
        self.url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
        self.arn = sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def poll(self, wait_seconds: int, context: Any) -> None:
        response = self.sqs.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=1,
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            VisibilityTimeout=VISIBILITY_SECONDS,
        )
        for message in response.get("Messages", []):
            if is_multipart_echo(message["Body"]):  # moto's extra event for a completed upload in parts
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
                continue
            heartbeat = Heartbeat(self.sqs, self.url, message["ReceiptHandle"])
            heartbeat.start()
            try:
                self.handler(lambda_sqs_event(message, self.arn, self.region), context)
            except Exception:
                receives = message.get("Attributes", {}).get("ApproximateReceiveCount", "?")
                log.exception("%s: the handler failed (receive %s); the message will be retried", self.name, receives)
                heartbeat.stop()
                self.sqs.change_message_visibility(
                    QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=RETRY_DELAY_SECONDS
                )
            else:
                heartbeat.stop()
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])


class Heartbeat(threading.Thread):
    """Keeps a message invisible while its handler runs, in short extensions: if this process dies (even by
    SIGKILL), the message is visible again within VISIBILITY_SECONDS and another worker takes it. (On Lambda the
    event source mapping does this; the queue's own visibility timeout is sized for the function's timeout.)"""

    def __init__(self, sqs: Any, queue_url: str, receipt_handle: str) -> None:
        super().__init__(daemon=True)
        self._sqs, self._url, self._receipt = sqs, queue_url, receipt_handle
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(max(VISIBILITY_SECONDS / 3, 0.5)):
            try:
                self._sqs.change_message_visibility(
                    QueueUrl=self._url, ReceiptHandle=self._receipt, VisibilityTimeout=VISIBILITY_SECONDS
                )
            except Exception:  # noqa: BLE001 - a missed beat only means the message may be retried early
                log.warning("could not extend a message's visibility", exc_info=True)

    def stop(self) -> None:
        self._done.set()
        self.join()


def run(stop: threading.Event, parent: int | None = None) -> None:
    sys.path.insert(0, str(PROJECT_ROOT))
    import app as application
    from chalicelib import aws
    from chalicelib.config import settings

    current = settings()
    sqs = aws.sqs()
    conversions = QueueConsumer(sqs, current.conversions_queue, application.convert, current.region)
    dead_letters = QueueConsumer(sqs, current.dead_letter_queue, application.dead_letters, current.region)
    webhooks = QueueConsumer(sqs, current.webhooks_queue, application.deliver_webhooks, current.region)
    context = SimpleNamespace(
        function_name="convert", aws_request_id="local", get_remaining_time_in_millis=lambda: 900000
    )
    log.info("worker %d polling %s and %s", os.getpid(), conversions.name, dead_letters.name)
    while not stop.is_set() and parent_alive(parent):  # the parent check backs up the kernel's signal
        conversions.poll(1, context)
        dead_letters.poll(0, context)
        webhooks.poll(0, context)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker  %(levelname)s %(message)s")
    stop = threading.Event()
    parent: list[int | None] = [None]

    def on_signal(*_: object) -> None:
        """A stop asked by the stack finishes the message in hand. A signal after the stack's main process died
        (the kernel sends SIGTERM then: devstack/lifecycle.py) ends this worker and its ffmpeg at once: moto died
        with that process, so nothing in hand can finish, and the restore re-queues it at the next start."""
        if not parent_alive(parent[0]):
            log.warning("worker %d: the stack's main process is gone; exiting", os.getpid())
            kill_children()
            os._exit(1)
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    parent[0] = die_with_parent()
    if not stop.is_set():  # set already if the stack died before this worker could ask to be told
        run(stop, parent[0])


if __name__ == "__main__":
    main()
