"""Cold start: the time to import the app in a fresh interpreter (median of several), for the API function and for
the converter, which modules came along, and the sizes of the deployment package and the layer."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("pydub", "mutagen", "subprocess", "boto3", "botocore", "chalicelib.audio.convert")
_PROBE = r"""
import json, sys, time
start = time.perf_counter()
import app
if sys.argv[1] == "convert":
    import chalicelib.pipeline
elapsed = time.perf_counter() - start
print(json.dumps({"ms": elapsed * 1000, "modules": [m for m in HEAVY if m in sys.modules]}))
""".replace("HEAVY", repr(HEAVY))


def import_times(function: str, runs: int = 9) -> tuple[float, list[str]]:
    results = []
    for _ in range(runs):
        output = subprocess.run(
            [sys.executable, "-c", _PROBE, function], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
        ).stdout
        results.append(json.loads(output))
    return statistics.median(r["ms"] for r in results), results[-1]["modules"]


def package_sizes() -> tuple[int, int]:
    with tempfile.TemporaryDirectory() as out:
        env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "CLOUDSOUND_QUEUE": "${AWS::StackName}-conversions"}
        subprocess.run(
            [str(Path(sys.executable).with_name("chalice")), "package", "--stage", "prod", out],
            cwd=PROJECT_ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        package = (Path(out) / "deployment.zip").stat().st_size
    layer = PROJECT_ROOT / "layers" / "ffmpeg" / "build" / "ffmpeg-layer.zip"
    if not layer.exists():
        subprocess.run(
            [sys.executable, str(PROJECT_ROOT / "layers" / "ffmpeg" / "build.py")], check=True, capture_output=True
        )
    return package, layer.stat().st_size


def table() -> str:
    api_ms, api_modules = import_times("api")
    convert_ms, convert_modules = import_times("convert")
    package, layer = package_sizes()
    api_heavy, convert_heavy = ", ".join(api_modules) or "none", ", ".join(convert_modules) or "none"
    return "\n".join(
        [
            "| what | import time (median of 9 fresh processes) | heavy modules loaded |",
            "|---|---|---|",
            f"| API function (`import app`) | {api_ms:.0f} ms | {api_heavy} |",
            f"| converter (`import app` + the pipeline) | {convert_ms:.0f} ms | {convert_heavy} |",
            "",
            f"Deployment package (`deployment.zip`, without the layer): {package / 1024:.0f} KiB. "
            f"ffmpeg layer: {layer / 2**20:.1f} MiB zipped.",
        ]
    )


if __name__ == "__main__":
    print(table())
