"""schemathesis fuzzes the running local stack from /openapi.json, with a token and without: no 5xx, and every
response conforms to the document (status, content type, schema). Fixed seed, bounded examples per operation."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from collections.abc import Iterator

import pytest
import requests

from tests.e2e.conftest import RunningStack, start_stack, stop_stack

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """The stack as `make run` starts it, but with room for the fuzzer's registrations and anonymous uploads (a few
    hundred from one address): at the default limits most of them would get 429, and the logic behind them would go
    unfuzzed. The 429 itself is documented and checked by the integration tests."""
    stack = start_stack(
        tmp_path_factory.mktemp("fuzz") / "stack.log",
        CLOUDSOUND_REGISTRATIONS_PER_WINDOW="100000",
        CLOUDSOUND_ANONYMOUS_UPLOADS_PER_WINDOW="100000",
    )
    yield stack
    stop_stack(stack)


def fuzz(url: str, *extra: str, seed: int = 1) -> subprocess.CompletedProcess:
    """`make test` runs 10 examples per operation; `make fuzz` sets FUZZ_EXAMPLES/FUZZ_PHASES for a longer run."""
    schemathesis = Path(sys.executable).with_name("schemathesis")
    return subprocess.run(
        [
            str(schemathesis),
            "run",
            f"{url}/openapi.json",
            "--checks",
            CHECKS,
            "-n",
            os.environ.get("FUZZ_EXAMPLES", "10"),
            "--seed",
            str(seed),
            "--phases",
            os.environ.get("FUZZ_PHASES", "coverage,fuzzing"),
            "--no-color",
            *extra,
        ],
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=3600,
    )


@pytest.mark.parametrize("authenticated", [True, False], ids=["with-token", "anonymous"])
def test_the_fuzzer_finds_no_server_error_and_no_undocumented_response(local_stack, authenticated):
    extra: tuple[str, ...] = ()
    if authenticated:
        token = requests.post(f"{local_stack.url}/users", json={"name": "fuzzer"}, timeout=10).json()["token"]
        # DELETE /me would end the fuzzer's account, and every later operation would only fuzz a 401
        extra = ("-H", f"Authorization: Bearer {token}", "--exclude-name", "DELETE /me")

    result = fuzz(local_stack.url, *extra)

    assert result.returncode == 0, result.stdout[-6000:]
    generated, passed = re.search(r"(\d+) generated, (\d+) passed", result.stdout).groups()
    assert int(generated) > 500 and passed == generated
