"""The MP3 ffmpeg writes to a file, read while it grows and handed on in chunks, its first bytes held back.

ffmpeg's MP3 muxer goes back to the start of its output when the encode ends, to fill in the Info frame (frame and
byte counts, seek table, encoder delay and padding): it needs a file it can seek in, not a pipe. Read as it grows,
the file still streams: everything after the held head is passed on as it comes, and the head is read last.
"""

from __future__ import annotations

import subprocess
import time
from typing import BinaryIO
from collections.abc import Callable

from chalicelib.audio.mp3_tags import tag_size

_POLL_SECONDS = 0.01  # how often the file is looked at when there was nothing new


class GrowingFile:
    """A file ffmpeg is still writing, read as it grows: `read(n)` waits for n bytes, or for ffmpeg to end."""

    def __init__(self, file: BinaryIO, process: subprocess.Popen[bytes]) -> None:
        self._file = file
        self._process = process

    def read(self, size: int) -> bytes:
        data = bytearray()
        while len(data) < size:
            chunk = self._file.read(size - len(data))
            if chunk:
                data += chunk
            elif self._process.poll() is not None:
                data += self._file.read(size - len(data))  # what it wrote before it ended
                break
            else:
                time.sleep(_POLL_SECONDS)
        return bytes(data)


def hand_on(growing: GrowingFile, write: Callable[[bytes], None], held_bytes: int, chunk_bytes: int) -> tuple[int, int]:
    """Pass on the MP3's audio after its first `held_bytes`, as ffmpeg writes it. Returns where ffmpeg's ID3 tag
    ends and the size of the audio after it."""
    pending = growing.read(10)
    tag_end = tag_size(pending)
    if tag_end:
        growing.read(tag_end - len(pending))  # read again at the end, with the rest of the head
        pending = b""
    size = 0
    while chunk := pending or growing.read(chunk_bytes):
        pending = b""
        held = max(held_bytes - size, 0)
        if held < len(chunk):
            write(chunk[held:])
        size += len(chunk)
    return tag_end, size
