"""How long a source is and how its samples are laid out, from its first bytes: what the parallel converter needs
to hand each segment its own part of it (audio/segments.py).

Read from the file's first 64 KiB (a local path, or one ranged request to an http(s) URL):
- a WAV of plain PCM or float samples: the byte range of its data chunk and the size of a sample frame, so each
  segment reads only its own bytes (exact: the header's count, or as far as the file goes);
- a FLAC (its STREAMINFO counts the samples) or an MP3 (mutagen reads its length from the Info/Xing frame): a
  segment decodes the stream from its start and keeps its own samples (`atrim` counts decoded samples, so the cut
  is exact; decoding is some hundred times faster than encoding, so the decode before the cut costs little). Here
  the count only places the cuts: a stream shorter than it says fails the join, and is converted in one pass.
Anything else (other formats, RF64, a data chunk or a cover past the first 64 KiB, more than two channels, whose
downmix ffmpeg derives from the layout) is converted in one pass.
"""

from __future__ import annotations

import io
import os
import re
import urllib.request
from dataclasses import dataclass
from collections.abc import Mapping

from chalicelib.audio.riff import chunks

_HEAD_BYTES = 1 << 16
_PCM, _FLOAT, _EXTENSIBLE = 1, 3, 0xFFFE
# (format, bits per sample) → ffmpeg's raw demuxer, which decodes exactly as the WAV demuxer's PCM decoder does
_RAW_FORMATS = {
    (_PCM, 8): "u8",
    (_PCM, 16): "s16le",
    (_PCM, 24): "s24le",
    (_PCM, 32): "s32le",
    (_FLOAT, 32): "f32le",
    (_FLOAT, 64): "f64le",
}
_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class PcmLayout:
    data_offset: int  # where the first sample starts
    samples: int  # sample frames present: the data chunk as its header says, or as far as the file goes
    block_align: int  # bytes per sample frame
    sample_rate: int
    channels: int
    raw_format: str  # ffmpeg's demuxer for these bytes: "s16le", "f32le"...


@dataclass(frozen=True)
class SourceLayout:
    samples: int  # sample frames in the stream (for a compressed one, as its header says)
    sample_rate: int
    channels: int
    pcm: PcmLayout | None  # a WAV's: segments read their bytes; None: segments decode from the stream's start


_CODED_FORMATS = ("FLAC", "MP3")  # mutagen's names of the compressed formats whose length the head tells


def read_layout(source: str, headers: Mapping[str, str] | None = None) -> SourceLayout | None:
    """The layout of the audio at `source`, or None where segments cannot be cut from it exactly."""
    head, total = _read_head(source, headers)
    if head is None:
        return None
    pcm = _wav_layout(head, total)
    if pcm is not None:
        return SourceLayout(samples=pcm.samples, sample_rate=pcm.sample_rate, channels=pcm.channels, pcm=pcm)
    return _coded_layout(head)


def _coded_layout(head: bytes) -> SourceLayout | None:
    import mutagen  # not at import time: the API's cold start does without it
    from mutagen.mp3 import BitrateMode

    try:
        parsed = mutagen.File(io.BytesIO(head))
    except Exception:  # a tag or a cover past the first bytes, or not audio: one pass, which says what is wrong
        return None
    if parsed is None or type(parsed).__name__ not in _CODED_FORMATS:
        return None
    info = parsed.info
    if type(parsed).__name__ == "MP3" and info.bitrate_mode == BitrateMode.UNKNOWN:
        return None  # no Info/Xing frame: mutagen's length would be that of the bytes read, not of the stream
    samples = getattr(info, "total_samples", None) or round(info.length * info.sample_rate)
    if samples <= 0 or info.channels not in (1, 2) or info.sample_rate <= 0:
        return None
    return SourceLayout(samples=samples, sample_rate=info.sample_rate, channels=info.channels, pcm=None)


def _wav_layout(head: bytes, total: int) -> PcmLayout | None:
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    fmt = None
    for chunk_id, body, size in chunks(head):
        if chunk_id == b"fmt ":
            fmt = head[body : body + size]
        elif chunk_id == b"data":
            return _layout(fmt, body, min(size, total - body)) if fmt else None
    return None


def _layout(fmt: bytes, data_offset: int, data_bytes: int) -> PcmLayout | None:
    if len(fmt) < 16:
        return None
    tag = int.from_bytes(fmt[0:2], "little")
    channels, rate = int.from_bytes(fmt[2:4], "little"), int.from_bytes(fmt[4:8], "little")
    block_align, bits = int.from_bytes(fmt[12:14], "little"), int.from_bytes(fmt[14:16], "little")
    if tag == _EXTENSIBLE and len(fmt) >= 40:
        valid_bits, tag = int.from_bytes(fmt[18:20], "little"), int.from_bytes(fmt[24:26], "little")
        if valid_bits not in (0, bits):  # 20 valid bits in 24: ffmpeg's WAV demuxer treats these its own way
            return None
    raw = _RAW_FORMATS.get((tag, bits))
    if raw is None or channels not in (1, 2) or rate <= 0 or block_align != channels * bits // 8:
        return None
    return PcmLayout(
        data_offset=data_offset,
        samples=max(data_bytes, 0) // block_align,
        block_align=block_align,
        sample_rate=rate,
        channels=channels,
        raw_format=raw,
    )


def _read_head(source: str, headers: Mapping[str, str] | None) -> tuple[bytes | None, int]:
    if not source.startswith(("http://", "https://")):
        try:
            with open(source, "rb") as file:
                return file.read(_HEAD_BYTES), os.fstat(file.fileno()).st_size
        except OSError:
            return None, 0
    request = urllib.request.Request(source, headers={**(headers or {}), "Range": f"bytes=0-{_HEAD_BYTES - 1}"})
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT_SECONDS) as response:
            head = response.read(_HEAD_BYTES)
            whole = re.search(r"/(\d+)$", response.headers.get("Content-Range", ""))
            total = int(whole.group(1)) if whole else int(response.headers.get("Content-Length") or len(head))
            return head, total
    except (OSError, ValueError):  # the one pass reads it again and says what is wrong
        return None, 0
