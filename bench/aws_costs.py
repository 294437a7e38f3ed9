"""What the converter's work costs on Lambda: its memory setting (read from .chalice/config.json, so the figures
follow the deployed setting), the vCPUs that memory buys, and list prices.

Lambda gives one vCPU per 1,769 MB of memory (a share of one below it, up to 6 at 10,240 MB) at one price per
GB-second, so a CPU-second costs the same at any setting; what more memory buys is doing the work in parallel.
"""

from __future__ import annotations

import json
from pathlib import Path

_CONFIG = json.loads((Path(__file__).resolve().parent.parent / ".chalice" / "config.json").read_text())
_CONVERTER = _CONFIG["stages"]["prod"]["lambda_functions"]["convert"]
CONVERTER_MEMORY_MB: int = _CONVERTER["lambda_memory_size"]
LAMBDA_TIMEOUT_SECONDS: int = _CONVERTER["lambda_timeout"]
FULL_VCPU_MB = 1769

# Public list prices, us-east-1, as published on 2026-11-01 (x86_64 Lambda; S3 Standard; DynamoDB on demand).
LAMBDA_GB_SECOND = 0.0000166667
LAMBDA_REQUEST = 0.20 / 1_000_000
S3_GB_MONTH = 0.023
S3_PUT = 0.005 / 1000
S3_GET = 0.0004 / 1000
DYNAMODB_WRITE = 0.625 / 1_000_000


def lambda_seconds(cpu: float, wall_here: float, memory_mb: int = CONVERTER_MEMORY_MB) -> float:
    """The same work on a Lambda of `memory_mb`: its CPU seconds spread over the vCPUs that memory buys, and never
    faster than it took here (2 cores: as many as 3,538 MB buys; the threads and processes of one conversion cannot
    use more than they used here)."""
    return max(cpu / (memory_mb / FULL_VCPU_MB), wall_here)
