"""A source's cover picture, copied out by ffmpeg as it is stored (PNG, JPEG, …): the MP3 carries it as APIC.

ffmpeg shows a cover as a video stream of one picture ("attached pic"). It cannot be mapped into the MP3 encode
itself: a file with a real video track would fail there, and mapping a stream only if it is a picture is not
something ffmpeg 7.0's stream specifiers can say. So a second, short read copies it out, only for files whose log
showed one.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping

from chalicelib.audio.ffmpeg import ffmpeg_binary
from chalicelib.audio.ffmpeg_log import PICTURE_MIME_TYPES, PICTURE_TYPES
from chalicelib.audio.mp3_tags import Picture

_MAX_PICTURE_BYTES = 10 << 20


def cover_picture(
    source: str, source_headers: Mapping[str, str] | None, facts: dict[str, str], input_options: list[str] | None = None
) -> Picture | None:
    """The source's cover, if its log showed one: copied out as it is stored (a second, short read of the source,
    only for files that have a cover)."""
    mime = PICTURE_MIME_TYPES.get(facts.get("picture_codec", ""))
    if "picture_stream" not in facts or mime is None:
        return None
    command = [ffmpeg_binary(), "-nostdin", "-v", "error", *(input_options or [])]
    if source_headers and source.startswith(("http://", "https://")):
        command += ["-headers", "".join(f"{name}: {value}\r\n" for name, value in source_headers.items())]
    command += [
        "-i",
        source,
        "-map",
        f"0:{facts['picture_stream']}",
        "-c",
        "copy",
        "-frames:v",
        "1",
        "-f",
        "image2pipe",
        "pipe:1",
    ]
    try:
        result = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    except subprocess.TimeoutExpired:
        return None
    if result.returncode != 0 or not result.stdout or len(result.stdout) > _MAX_PICTURE_BYTES:
        return None  # a cover that cannot be read is left out; the audio is what matters
    comment = facts.get("picture_comment", "")
    kind = PICTURE_TYPES.index(comment) if comment in PICTURE_TYPES else 3  # a cover, unless it says otherwise
    return Picture(result.stdout, mime, kind)
