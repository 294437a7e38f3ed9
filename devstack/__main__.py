"""`make run`: the whole stack on this machine, no AWS account needed.

One process group: an embedded moto server (S3, DynamoDB, SQS) on 127.0.0.1:$MOTO_PORT (default $PORT + 1, stable
across restarts so presigned links outlive one) behind a layer as strict as S3 about links (devstack/strict_s3.py),
the resources of infra/template.json created on it, the data directory restored into it (devstack/restore.py; kept
current by devstack/persistence.py), `chalice local` on 127.0.0.1:$PORT (devstack/local_api.py: Chalice's server with
a handler that refuses before it reads), and $WORKERS queue workers calling the converter. A worker that dies is
restarted (its message comes back after the visibility timeout); if `chalice local` dies, the stack stops; if this
process dies, even by SIGKILL, its children follow it (devstack/lifecycle.py), so the next start finds the ports
free. Ctrl-C or SIGTERM stops everything, and the data stays in $CLOUDSOUND_DATA_DIR (default local-data/); a start
while the previous stack is still stopping waits for it (CLOUDSOUND_LOCAL_LOCK_WAIT_SECONDS, 15 s by default).
`python -m devstack --reset` (or `make reset`) starts empty.
"""

from __future__ import annotations

import copy
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from devstack.datadir import DataDirectory, DataDirectoryError, data_dir_from_environment, reset
from devstack.lifecycle import PARENT_ENV, wait_until_port_free
from devstack.resources import LocalTemplate, _queue_notification, create_all
from devstack.strict_s3 import LocalAws

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOCAL_CREDENTIALS = {"local": "local"}  # fake, but the strict layer checks presigned links against them
# moto keeps an object below this size in RAM and spills a larger one to an anonymous temp file: audio on disk, so
# a restored library of gigabytes does not sit in the stack's memory.
MOTO_KEY_BUFFER_BYTES = 256 * 1024
# How long a start waits for the stack before it to release the data directory (and the API's port): `make` returns
# at Ctrl-C while the stack is still stopping, and stopping takes about 1.5 s (the children, the final snapshot).
DEFAULT_LOCK_WAIT_SECONDS = 15.0
log = logging.getLogger("cloudsound.stack")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_moto(port: int) -> LocalAws:
    """moto (S3, DynamoDB, SQS) on `port`, behind the layer that checks presigned links as S3 does."""
    server = LocalAws(port, LOCAL_CREDENTIALS)
    server.start()
    # moto keeps its state per process, not per server: a server started after another in the same process (as
    # `make bench` does) would otherwise find the first one's tables and buckets.
    urllib.request.urlopen(urllib.request.Request(f"{server.endpoint}/moto-api/reset", method="POST")).close()
    return server


def local_environment(endpoint: str, region: str) -> dict[str, str]:
    """Fake credentials and the endpoint: boto3 in every process of the stack talks to the moto server."""
    [(access_key, secret_key)] = LOCAL_CREDENTIALS.items()
    return {
        "AWS_ACCESS_KEY_ID": access_key,
        "AWS_SECRET_ACCESS_KEY": secret_key,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_ENDPOINT_URL": endpoint,
    }


def wait_for_health(url: str, deadline: float, process: subprocess.Popen) -> None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chalice local exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in time")


def provision(endpoint: str, region: str, template: LocalTemplate | None = None) -> dict[str, str]:
    """Point this process's boto3 at `endpoint` and create the template's resources there. Returns the environment
    the app's processes need: the endpoint, fake credentials and the resources' names."""
    from chalicelib import aws, wiring

    aws_env = local_environment(endpoint, region)
    os.environ.update(aws_env)
    wiring.reset()
    return {**aws_env, **create_all(template or LocalTemplate(region=region), aws.client)}


def without_notifications(template: LocalTemplate) -> tuple[LocalTemplate, dict[str, list[dict[str, Any]]]]:
    """A copy of the template whose buckets notify nothing, and each bucket's notifications (resolved) to attach
    once its restored objects are in: a restored object must not fire an event."""
    quiet = copy.copy(template)
    quiet.template = copy.deepcopy(template.template)
    deferred: dict[str, list[dict[str, Any]]] = {}
    for logical_id, resource in quiet.resources.items():
        if resource.get("Type") == "AWS::S3::Bucket":
            configuration = resource.get("Properties", {}).pop("NotificationConfiguration", None)
            if configuration:
                deferred[template.name_of(logical_id)] = template.resolve(configuration).get("QueueConfigurations", [])
    return quiet, deferred


def attach_notifications(s3: Any, deferred: dict[str, list[dict[str, Any]]]) -> None:
    for bucket, notifications in deferred.items():
        s3.put_bucket_notification_configuration(
            Bucket=bucket,
            NotificationConfiguration={
                "QueueConfigurations": [_queue_notification(notification) for notification in notifications]
            },
        )


def devstack_client(service: str, endpoint: str, region: str) -> Any:
    """The devstack's own clients (mirror, restore): path-style S3, no extra checksums (moto computes the ETag),
    enough connections for the restore's threads."""
    import boto3
    from botocore.config import Config

    [(access_key, secret_key)] = LOCAL_CREDENTIALS.items()
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path"},
        max_pool_connections=16,
        retries={"mode": "standard"},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    return boto3.session.Session().client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        config=config,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
    )


class Stack:
    def __init__(
        self,
        port: int,
        workers: int,
        moto_port: int,
        region: str = "us-east-1",
        output: int | None = None,
        data_dir: Path | None = None,
    ) -> None:
        self.port = port
        self.output = output  # where the children's output goes (None: this process's own)
        self.workers_wanted = workers
        self.moto_port = moto_port
        self.region = region
        self.data_dir = data_dir  # None: nothing is kept (the benchmarks' throw-away stacks)
        self.stopping = threading.Event()
        self.api: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []
        self.moto: LocalAws | None = None
        self.mirror: Any = None
        self.data: DataDirectory | None = None
        self.env: dict[str, str] = {}

    def start(self) -> None:
        from devstack import persistence, restore

        if self.data_dir is not None:
            wait = float(os.environ.get("CLOUDSOUND_LOCAL_LOCK_WAIT_SECONDS") or DEFAULT_LOCK_WAIT_SECONDS)
            self.data = DataDirectory.open(self.data_dir, wait_seconds=wait)
        os.environ.setdefault("MOTO_S3_DEFAULT_KEY_BUFFER_SIZE", str(MOTO_KEY_BUFFER_BYTES))
        self.moto = start_moto(self.moto_port)
        endpoint = self.moto.endpoint
        template = LocalTemplate(region=self.region)
        quiet, deferred = without_notifications(template)
        self.env = {
            **os.environ,
            **provision(endpoint, self.region, quiet),
            "PYTHONUNBUFFERED": "1",
            PARENT_ENV: str(os.getpid()),
            "CLOUDSOUND_WEBHOOKS_ALLOW_LOOPBACK": os.environ.get("CLOUDSOUND_WEBHOOKS_ALLOW_LOOPBACK", "1"),
        }  # the children follow this process if it dies
        s3 = devstack_client("s3", endpoint, self.region)
        bucket = self.env["CLOUDSOUND_BUCKET"]
        tables = [self.env["CLOUDSOUND_USERS_TABLE"], self.env["CLOUDSOUND_RECORDINGS_TABLE"]]
        if self.data is not None:
            dynamodb = devstack_client("dynamodb", endpoint, self.region)
            report = restore.restore(self.data, s3, dynamodb, bucket, tables)
            log.info(
                "restored from %s in %.1f s: %s items, %d objects (%.1f MiB)",
                self.data_dir,
                report.seconds,
                sum(report.items.values()),
                report.objects,
                report.object_bytes / 2**20,
            )
        attach_notifications(s3, deferred)
        if self.data is not None:
            self.mirror = persistence.Mirror(self.data, s3, dynamodb, bucket, tables)
            self.mirror.start()
            self.moto.layer.listener = self.mirror
            indexed = restore.index_for_search(
                endpoint, self.region, self.env["CLOUDSOUND_RECORDINGS_TABLE"], LOCAL_CREDENTIALS
            )
            if indexed:
                log.info("indexed %d recording(s) of an older data directory for search", indexed)
            sqs = devstack_client("sqs", endpoint, self.region)
            queue_url = sqs.get_queue_url(QueueName=self.env["CLOUDSOUND_QUEUE"])["QueueUrl"]
            resumed = restore.enqueue_interrupted(
                self.data, sqs, queue_url, bucket, self.env["CLOUDSOUND_RECORDINGS_TABLE"], self.region
            )
            if resumed:
                log.info("re-enqueued %d conversion(s) the last stop interrupted", resumed)
        if not wait_until_port_free("127.0.0.1", self.port, timeout=10):
            raise RuntimeError(f"port {self.port} is in use by another program (PORT=… picks another)")
        self.api = subprocess.Popen(
            [sys.executable, "-m", "devstack.local_api", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=self.output,
            stderr=self.output,
        )
        for _ in range(self.workers_wanted):
            self.workers.append(self._start_worker())
        wait_for_health(f"http://127.0.0.1:{self.port}/health", time.monotonic() + 60, self.api)
        kept = f"data in {self.data_dir}" if self.data_dir is not None else "nothing kept"
        if self.env["CLOUDSOUND_WEBHOOKS_ALLOW_LOOPBACK"] == "1":
            log.info("webhooks may target http://127.0.0.1 here (local only; deployed, hooks must be public https)")
        log.info(
            "Cloud Sound is ready on http://127.0.0.1:%d  (moto: %s, presigned links point there; %d workers; %s)",
            self.port,
            endpoint,
            len(self.workers),
            kept,
        )

    def _start_worker(self) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "devstack.worker"],
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=self.output,
            stderr=self.output,
        )

    def supervise(self) -> int:
        while not self.stopping.wait(0.5):
            if self.api is not None and self.api.poll() is not None:
                log.error("chalice local exited with %s; stopping", self.api.returncode)
                return 1
            for position, worker in enumerate(self.workers):
                if worker.poll() is not None and not self.stopping.is_set():
                    log.warning("worker %d exited with %s; restarting it", worker.pid, worker.returncode)
                    self.workers[position] = self._start_worker()
        return 0

    def stop(self) -> None:
        self.stopping.set()
        children = [p for p in [self.api, *self.workers] if p is not None]
        for process in children:
            if process.poll() is None:
                process.terminate()
        for process in children:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()  # gone, ports and all, before the data directory is let go
        if self.mirror is not None:
            try:
                self.mirror.stop()  # the last snapshot, once nothing writes any more
            except Exception:  # noqa: BLE001 - say so; what the last periodic snapshot holds stays
                log.exception("could not write the final snapshot")
        if self.moto is not None:
            self.moto.stop()
        if self.data is not None:
            self.data.close()


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m devstack", description="The Cloud Sound local stack.")
    parser.add_argument("--reset", action="store_true", help="delete the data directory first: start empty")
    parser.add_argument("--reset-only", action="store_true", help="delete the data directory and exit")
    options = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s stack   %(levelname)s %(message)s")
    for noisy in ("werkzeug", "botocore.credentials"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    data_dir = data_dir_from_environment()
    if options.reset or options.reset_only:
        try:
            deleted = reset(data_dir)
        except DataDirectoryError as error:
            log.error("%s", error)
            return 1
        log.info("%s %s", "deleted" if deleted else "nothing to delete at", data_dir)
        if options.reset_only:
            return 0
    port = int(os.environ.get("PORT") or 8000)
    stack = Stack(
        port=port,
        workers=int(os.environ.get("WORKERS") or 2),
        moto_port=int(os.environ.get("MOTO_PORT") or port + 1),
        data_dir=data_dir,
    )
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stack.stopping.set())
    try:
        stack.start()
        code = stack.supervise()
    except Exception as error:  # noqa: BLE001 - report any start-up failure in one line, then clean up
        log.error("the local stack could not start: %s", error)
        code = 1
    finally:
        stack.stop()
        log.info("stopped")
    return code


if __name__ == "__main__":
    sys.exit(main())
