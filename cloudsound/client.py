"""The CLI's side of the service: where it is (the config file), how it calls it, how an answer is printed, and a
file that reports its progress as it is read."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, BinaryIO

import requests
from tqdm import tqdm

DEFAULT_URL = "http://127.0.0.1:8000"
CHUNK = 1024 * 1024


class CliError(Exception):
    """Printed as one line on stderr; the exit status is 1."""


def config_path() -> Path:
    explicit = os.environ.get("CLOUDSOUND_CONFIG")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "cloudsound" / "config.json"


def load_config() -> dict[str, Any]:
    try:
        return json.loads(config_path().read_text())
    except (OSError, ValueError):
        return {}


def save_config(values: dict[str, Any]) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(values, indent=2) + "\n")
    path.chmod(0o600)  # it holds a token
    return path


def output(args: argparse.Namespace, value: Any, text: str) -> None:
    print(json.dumps(value, indent=2) if args.json else text)


class Client:
    def __init__(self, url: str, token: str | None) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.session = requests.Session()

    def call(self, method: str, path: str, *, auth: bool = False, **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if auth or self.token:
            if not self.token:
                raise CliError(
                    "this needs a token: run `cloudsound register NAME` or `cloudsound login`, or pass --token"
                )
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            response = self.session.request(method, f"{self.url}{path}", headers=headers, timeout=60, **kwargs)
        except requests.ConnectionError:
            raise CliError(f"cannot reach {self.url} (is the service running? `make run` starts it)") from None
        if response.status_code >= 400:
            raise CliError(error_message(response))
        return response


def error_message(response: requests.Response) -> str:
    try:
        error = response.json()["error"]
        return f"{error['message']} (HTTP {response.status_code})"
    except (ValueError, KeyError, TypeError):
        return f"HTTP {response.status_code}: {response.text[:200]}"


class ProgressFile:
    """A file read in chunks with a progress bar; its length lets requests send Content-Length, not chunks."""

    def __init__(self, handle: BinaryIO, size: int, label: str) -> None:
        self._handle = handle
        self._size = size
        self._bar = tqdm(
            total=size, unit="B", unit_scale=True, unit_divisor=1024, desc=label, disable=None, file=sys.stderr
        )

    def __len__(self) -> int:
        return self._size

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(CHUNK if size is None or size < 0 else size)
        self._bar.update(len(data))
        return data

    def close(self) -> None:
        self._bar.close()
