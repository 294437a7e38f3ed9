"""Settings, read from the environment each time they are asked for.

Chalice's test client sets a stage's environment variables only during a request or an invocation, and the local
stack sets them per process, so nothing here is read at import time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

# API Gateway passes at most 10 MB and a synchronous Lambda invocation at most 6 MB; binary bodies arrive
# base64-encoded (4/3 larger), so 4 MiB of audio (5.6 MB encoded) is the largest body that fits both with room for
# headers. Anything larger goes through the presigned upload flow.
DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
# Per-user quotas (OWASP API4: what one user can cost is bounded): stored bytes (originals and MP3s; Funkwhale's
# default is 1 GB) and hours of converted audio (what a tiny file of silence can decode to). The earlier specs'
# anonymous user is shared by every caller without a token, so its quota is small.
# The converter's work grows with what the source holds per second (rate × channels): a budget of channel-samples
# keeps the slowest accepted file within the converter's 15-minute Lambda timeout with margin (`make bench` measures
# it). 6 hours of 48 kHz stereo; 22.5 minutes of 192 kHz 8-channel audio.
DEFAULT_MAX_CHANNEL_SAMPLES = 6 * 3600 * 48_000 * 2
DEFAULT_QUOTA_BYTES = 1024**3
DEFAULT_QUOTA_SECONDS = 24 * 3600
DEFAULT_GUEST_QUOTA_BYTES = 100 * 1024**2
DEFAULT_GUEST_QUOTA_SECONDS = 3600
# Long recordings are encoded in parallel segments (audio/segments.py) from this length up: below it a conversion
# takes seconds anyway, and one encoder keeps LAME's bit reservoir (joining needs it off). docs/benchmarks.md.
DEFAULT_PARALLEL_FROM_SECONDS = 300.0
LAMBDA_MB_PER_VCPU = 1769  # Lambda gives one vCPU per 1,769 MB of memory, up to 6 at 10,240 MB


@dataclass(frozen=True)
class Settings:
    region: str
    endpoint_url: str | None
    bucket: str
    users_table: str
    recordings_table: str
    conversions_queue: str
    dead_letter_queue: str
    max_body_bytes: int
    link_ttl_seconds: int
    upload_ttl_seconds: int
    compat_wait_seconds: float
    mp3_bitrate_kbps: int
    max_duration_seconds: float
    max_channel_samples: int
    public_url: str | None
    quota_bytes: int
    quota_seconds: float
    guest_quota_bytes: int
    guest_quota_seconds: float
    convert_segments: int
    parallel_from_seconds: float
    convert_timeout_seconds: float
    registrations_per_window: int
    anonymous_uploads_per_window: int
    rate_window_seconds: int
    multipart_from_bytes: int  # announced files above this go up in parts (chalicelib/multipart.py)
    multipart_part_bytes: int
    multipart_ttl_seconds: int  # how long an upload in parts may take (the bucket's lifecycle rule covers it)
    webhooks_queue: str
    webhooks_allow_loopback: bool  # the local stack: hooks may target http://127.0.0.1 (never deployed)
    webhook_timeout_seconds: float
    webhook_max_queue_delay: int  # SQS's longest message delay; a longer wait is several hops


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, "") or default)


def settings() -> Settings:
    env = os.environ.get
    return Settings(
        region=env("AWS_REGION") or env("AWS_DEFAULT_REGION") or "us-east-1",
        endpoint_url=env("AWS_ENDPOINT_URL") or None,
        bucket=env("CLOUDSOUND_BUCKET") or "cloudsound-audio",
        users_table=env("CLOUDSOUND_USERS_TABLE") or "cloudsound-users",
        recordings_table=env("CLOUDSOUND_RECORDINGS_TABLE") or "cloudsound-recordings",
        conversions_queue=conversions_queue_name(),
        dead_letter_queue=dead_letter_queue_name(),
        max_body_bytes=_int("CLOUDSOUND_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES),
        link_ttl_seconds=_int("CLOUDSOUND_LINK_TTL_SECONDS", 900),
        upload_ttl_seconds=_int("CLOUDSOUND_UPLOAD_TTL_SECONDS", 3600),
        compat_wait_seconds=float(env("CLOUDSOUND_COMPAT_WAIT_SECONDS") or 10),
        mp3_bitrate_kbps=_int("CLOUDSOUND_MP3_BITRATE_KBPS", 128),
        max_duration_seconds=float(env("CLOUDSOUND_MAX_DURATION_SECONDS") or 6 * 3600),
        max_channel_samples=_int("CLOUDSOUND_MAX_CHANNEL_SAMPLES", DEFAULT_MAX_CHANNEL_SAMPLES),
        public_url=(env("CLOUDSOUND_PUBLIC_URL") or "").rstrip("/") or None,
        quota_bytes=_int("CLOUDSOUND_QUOTA_BYTES", DEFAULT_QUOTA_BYTES),
        quota_seconds=float(env("CLOUDSOUND_QUOTA_SECONDS") or DEFAULT_QUOTA_SECONDS),
        guest_quota_bytes=_int("CLOUDSOUND_GUEST_QUOTA_BYTES", DEFAULT_GUEST_QUOTA_BYTES),
        guest_quota_seconds=float(env("CLOUDSOUND_GUEST_QUOTA_SECONDS") or DEFAULT_GUEST_QUOTA_SECONDS),
        convert_segments=_int("CLOUDSOUND_CONVERT_SEGMENTS", 0) or encoders(vcpus()),
        parallel_from_seconds=float(env("CLOUDSOUND_PARALLEL_FROM_SECONDS") or DEFAULT_PARALLEL_FROM_SECONDS),
        convert_timeout_seconds=float(env("CLOUDSOUND_CONVERT_TIMEOUT_SECONDS") or 0)
        or convert_timeout(float(env("CLOUDSOUND_MAX_DURATION_SECONDS") or 6 * 3600)),
        registrations_per_window=_int("CLOUDSOUND_REGISTRATIONS_PER_WINDOW", 60),
        anonymous_uploads_per_window=_int("CLOUDSOUND_ANONYMOUS_UPLOADS_PER_WINDOW", 120),
        rate_window_seconds=_int("CLOUDSOUND_RATE_WINDOW_SECONDS", 600),
        multipart_from_bytes=_int("CLOUDSOUND_MULTIPART_FROM_BYTES", 64 * 1024**2),
        multipart_part_bytes=_int("CLOUDSOUND_MULTIPART_PART_BYTES", 8 * 1024**2),
        multipart_ttl_seconds=_int("CLOUDSOUND_MULTIPART_TTL_SECONDS", 24 * 3600),
        webhooks_queue=webhooks_queue_name(),
        webhooks_allow_loopback=env("CLOUDSOUND_WEBHOOKS_ALLOW_LOOPBACK", "") == "1",
        webhook_timeout_seconds=float(env("CLOUDSOUND_WEBHOOK_TIMEOUT_SECONDS") or 10),
        webhook_max_queue_delay=_int("CLOUDSOUND_WEBHOOK_MAX_QUEUE_DELAY", 900),
    )


def convert_timeout(max_duration_seconds: float) -> float:
    """The wall-clock limit of one conversion: a minute, and the longest audio allowed at 30× real time. LAME
    encodes about 85× real time on one core here, so an honest file never comes near; whatever keeps ffmpeg busy
    longer (a source that stalls, a decoder fed a pathological stream) fails there rather than holding a worker. The
    6-hour cap gives 780 s, within the converter's 900 s Lambda timeout, so the owner reads a `failed`, not a
    retried timeout."""
    return 60 + max_duration_seconds / 30


def encoders(vcpus: int) -> int:
    """How many LAME encoders a conversion runs at once: one per vCPU but the one the measuring graph keeps busy
    (loudness and true peak, on a thread of its own, about half an encoder's work). With 2 vCPUs one pass already
    uses both, and two segments gained nothing (`make bench`: docs/benchmarks.md, Parallel segments)."""
    return max(1, vcpus - 1)


def vcpus() -> int:
    """The vCPUs this process may use: on Lambda, what its memory setting buys (every Lambda sees 2 CPUs, but one
    below 1,769 MB gets only a share of one); elsewhere, the CPUs it may run on."""
    memory = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
    if memory.isdigit():
        return max(1, round(int(memory) / LAMBDA_MB_PER_VCPU))
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def dead_letter_queue_name() -> str:
    """Where conversions that keep failing end up; a handler marks their recordings failed."""
    return os.environ.get("CLOUDSOUND_DEAD_LETTER_QUEUE") or f"{conversions_queue_name()}-dlq"


def conversions_queue_name() -> str:
    """The SQS queue the converter listens on; app.py needs it when the handler is declared."""
    return os.environ.get("CLOUDSOUND_QUEUE") or "cloudsound-conversions"


def webhooks_queue_name() -> str:
    """The SQS queue webhook deliveries wait in (and are retried through); app.py needs it when the handler is
    declared."""
    return os.environ.get("CLOUDSOUND_WEBHOOKS_QUEUE") or "cloudsound-webhooks"
