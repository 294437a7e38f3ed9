"""`make run`: the whole stack on this machine, no AWS account needed.

One process group: an embedded moto server (S3, DynamoDB, SQS) on 127.0.0.1, the resources of infra/template.json
created on it, `chalice local` on 127.0.0.1:$PORT, and $WORKERS queue workers calling the converter. A worker that
dies is restarted (its message comes back after the visibility timeout). Ctrl-C or SIGTERM stops everything.
"""

from __future__ import annotations

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

from devstack.resources import LocalTemplate, create_all

PROJECT_ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("cloudsound.stack")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_moto(port: int):  # -> ThreadedMotoServer
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    # moto keeps its state per process, not per server: a server started after another in the same process (as
    # `make bench` does) would otherwise find the first one's tables and buckets.
    urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/moto-api/reset", method="POST")).close()
    return server


def local_environment(endpoint: str, region: str) -> dict[str, str]:
    """Fake credentials and the endpoint: boto3 in every process of the stack talks to the moto server."""
    return {
        "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region, "AWS_ENDPOINT_URL": endpoint,
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


def provision(endpoint: str, region: str) -> dict[str, str]:
    """Point this process's boto3 at `endpoint` and create the template's resources there. Returns the environment
    the app's processes need: the endpoint, fake credentials and the resources' names."""
    from chalicelib import aws, wiring

    aws_env = local_environment(endpoint, region)
    os.environ.update(aws_env)
    wiring.reset()
    return {**aws_env, **create_all(LocalTemplate(region=region), aws.client)}


class Stack:
    def __init__(self, port: int, workers: int, moto_port: int, region: str = "us-east-1",
                 output: int | None = None) -> None:
        self.port = port
        self.output = output  # where the children's output goes (None: this process's own)
        self.workers_wanted = workers
        self.moto_port = moto_port
        self.region = region
        self.stopping = threading.Event()
        self.api: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []
        self.moto = None
        self.env: dict[str, str] = {}

    def start(self) -> None:
        self.moto = start_moto(self.moto_port)
        endpoint = f"http://127.0.0.1:{self.moto_port}"
        self.env = {**os.environ, **provision(endpoint, self.region), "PYTHONUNBUFFERED": "1"}
        chalice = str(Path(sys.executable).with_name("chalice"))
        self.api = subprocess.Popen(
            [chalice, "local", "--no-autoreload", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=PROJECT_ROOT, env=self.env, stdout=self.output, stderr=self.output,
        )
        for _ in range(self.workers_wanted):
            self.workers.append(self._start_worker())
        wait_for_health(f"http://127.0.0.1:{self.port}/health", time.monotonic() + 60, self.api)
        log.info("Cloud Sound is ready on http://127.0.0.1:%d  (moto: %s, %d workers)",
                 self.port, endpoint, len(self.workers))

    def _start_worker(self) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "devstack.worker"], cwd=PROJECT_ROOT, env=self.env,
                                stdout=self.output, stderr=self.output)

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
        if self.moto is not None:
            self.moto.stop()


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s stack   %(levelname)s %(message)s")
    for noisy in ("werkzeug", "botocore.credentials"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    port = int(os.environ.get("PORT") or 8000)
    stack = Stack(
        port=port,
        workers=int(os.environ.get("WORKERS") or 2),
        moto_port=int(os.environ.get("MOTO_PORT") or free_port()),
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
