"""The chunks of a RIFF file (WAV) as far as the bytes at hand go: what the upload check and the parallel
converter read from a WAV's head."""

from __future__ import annotations

from collections.abc import Iterator


def chunks(data: bytes) -> Iterator[tuple[bytes, int, int]]:
    """(id, where its body starts, the size its header declares) of each chunk after the RIFF/WAVE header whose
    header is within `data`; a body may run past `data` (a truncated file, or only the head of one)."""
    offset = 12
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset + 4 : offset + 8], "little")
        yield data[offset : offset + 4], offset + 8, size
        offset += 8 + size + (size & 1)
