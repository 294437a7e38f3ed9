"""`make bench`: conversion against raw ffmpeg and the naive design, cold start and package sizes, API throughput
over 1,000 and 10,000 recordings, and what converting and storing audio costs on AWS, computed from the CPU time
measured here. Prints Markdown tables.

Environment: BENCH_DURATIONS (seconds of audio, default 10,60,600,3600), BENCH_REPEAT (interleaved runs per size,
default 5; at most 3 from 30 minutes of audio), BENCH_API_REQUESTS and BENCH_API_SECONDS (the bound of each API
load line, default 400 and 8).
"""

from __future__ import annotations

import datetime
import logging
import os
import platform

from bench import api, coldstart, conversion, limits, retag
from bench.aws_costs import (
    CONVERTER_MEMORY_MB,
    DYNAMODB_WRITE,
    FULL_VCPU_MB,
    LAMBDA_GB_SECOND,
    LAMBDA_REQUEST,
    S3_GB_MONTH,
    S3_GET,
    S3_PUT,
    lambda_seconds,
)
from chalicelib.object_writer import PART_BYTES


def cost_table(rows: list[dict]) -> str:
    hour = max(rows, key=lambda row: row["seconds"])
    per_audio_hour = 3600 / hour["seconds"]
    cpu_seconds = hour["handler_cpu"] * per_audio_hour
    seconds = lambda_seconds(hour["handler_cpu"], hour["handler_wall"]) * per_audio_hour
    gb_seconds = seconds * CONVERTER_MEMORY_MB / 1024
    wav_gb = hour["wav_mib"] * per_audio_hour / 1024
    mp3_gb = 128_000 / 8 * 3600 / 1024**3
    hours = 1000
    compute = hours * (gb_seconds * LAMBDA_GB_SECOND + LAMBDA_REQUEST)
    storage = hours * (wav_gb + mp3_gb) * S3_GB_MONTH
    mp3_parts = -(-128_000 // 8 * 3600 // PART_BYTES)  # the MP3's multipart upload, with its create and complete
    requests = hours * ((1 + mp3_parts + 2) * S3_PUT + 2 * S3_GET + 4 * DYNAMODB_WRITE)
    return "\n".join(
        [
            f"Per hour of 16-bit 44.1 kHz stereo audio: {cpu_seconds:.0f} CPU s measured here; on a "
            f"{CONVERTER_MEMORY_MB:,} MB converter (≈{CONVERTER_MEMORY_MB / FULL_VCPU_MB:.2f} vCPU) that is "
            f"≈{seconds:.0f} s, {gb_seconds:.0f} GB-s.",
            "",
            "| per 1,000 hours of audio | dollars |",
            "|---|---|",
            f"| conversion (Lambda: {gb_seconds * hours:,.0f} GB-s + requests) | {compute:.2f} |",
            f"| storage for a month (S3: {wav_gb * hours:,.0f} GB of WAV + {mp3_gb * hours:,.0f} GB of MP3) "
            f"| {storage:.2f} |",
            f"| S3 and DynamoDB requests | {requests:.2f} |",
            f"| **total** | **{compute + storage + requests:.2f}** |",
            "",
            "Prices: us-east-1 list prices on 2026-11-01 — Lambda $0.0000166667 per GB-s and $0.20 per million "
            "requests, S3 Standard $0.023 per GB-month, $0.005 per 1,000 PUTs, $0.0004 per 1,000 GETs, DynamoDB "
            "$0.625 per million writes. The originals dominate: keeping only the MP3s would cost a tenth.",
        ]
    )


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the embedded moto server's access log
    durations = [int(value) for value in os.environ.get("BENCH_DURATIONS", "10,60,600,3600").split(",")]
    rows = conversion.measure(durations, int(os.environ.get("BENCH_REPEAT", "5")))
    print(
        f"Measured {datetime.date.today()} on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, ffmpeg 7.0.2 (imageio-ffmpeg 0.6.0), against the embedded moto "
        "server on the same machine.\n"
    )
    print("### Conversion\n")
    print(conversion.table(rows))
    print("\n### Parallel segments\n")
    print(conversion.parallel_table(rows))
    print("\n### Rewriting the tag of an hour-long MP3 (a PATCH)\n")
    print(retag.table(retag.measure()))
    print("\n### Cold start and sizes\n")
    print(coldstart.table())
    total, seconds = int(os.environ.get("BENCH_API_REQUESTS", "400")), float(os.environ.get("BENCH_API_SECONDS", "8"))
    print("\n### API throughput\n")
    print(api.table(api.measure(total, seconds, concurrency=4), total, seconds, concurrency=4))
    print("\n### The slowest input the limits allow\n")
    print(limits.table(limits.measure()))
    print("\n### Cost on Lambda\n")
    print(cost_table(rows))


if __name__ == "__main__":
    main()
