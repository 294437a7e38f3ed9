"""What a PATCH costs when it changes what the MP3's tag says: the tag rewritten on an hour-long MP3 (57.6 MB at
128 kbit/s) against the embedded moto server. The audio is not fetched: one 8 MiB part goes up with the new tag,
S3 copies the rest (UploadPartCopy).

    .venv/bin/python -m bench.retag [--minutes 60] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from chalicelib.audio.mp3_tags import Tags, id3_tag

MP3_BYTES_PER_MINUTE = 128_000 // 8 * 60


def measure(minutes: int = 60, repeat: int = 3) -> dict:
    from chalicelib import aws, wiring
    from devstack.__main__ import free_port, provision, start_moto

    port = free_port()
    server = start_moto(port)
    try:
        os.environ.update(provision(f"http://127.0.0.1:{port}", "us-east-1"))
        wiring.reset()
        storage = wiring.audio_storage()
        size = minutes * MP3_BYTES_PER_MINUTE
        old = id3_tag(Tags(text=(("title", ("before",)),)))
        aws.s3().put_object(
            Bucket=storage.bucket, Key="mp3/bench/x.mp3", Body=old + os.urandom(size), ContentType="audio/mpeg"
        )
        seconds = []
        current = len(old)
        for run in range(repeat):
            new = id3_tag(Tags(text=(("title", (f"after {run}" * (run + 1),)),)))
            started = time.perf_counter()
            storage.replace_prefix("mp3/bench/x.mp3", current, new, "audio/mpeg")
            seconds.append(time.perf_counter() - started)
            current = len(new)
        return {"minutes": minutes, "mp3_mb": size / 1e6, "seconds": statistics.median(seconds)}
    finally:
        server.stop()


def table(row: dict) -> str:
    return "\n".join(
        [
            "| MP3 | tag rewritten (median) |",
            "|---|---|",
            f"| {row['minutes']} min, {row['mp3_mb']:.1f} MB | {row['seconds']:.2f} s |",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()
    print(table(measure(arguments.minutes, arguments.repeat)))


if __name__ == "__main__":
    main()
