"""What ffmpeg's output says: the source's first audio stream as its log describes it (container, codec, rate,
channels, sample width), and the bitrate in an MP3's first frame header. Pure parsing, no process, no AWS."""

from __future__ import annotations

import re
from dataclasses import dataclass

INPUT_LINE = re.compile(r"^Input #0, ([^,]+(?:,[^ ,]+)*), from ")
STREAM_LINE = re.compile(
    r"Stream #0:\d+.*?: Audio: (?P<codec>\w+)[^,]*, (?P<rate>\d+) Hz, (?P<layout>[^,]+), "
    r"(?P<fmt>\w+)(?: \((?P<bits>\d+) bit\))?"
)
_NAMED_LAYOUTS = {
    "mono": 1, "stereo": 2, "downmix": 2, "quad": 4, "hexagonal": 6, "octagonal": 8, "cube": 8,
    "hexadecagonal": 16,
}
_SAMPLE_FORMAT_BITS = {"u8": 8, "s16": 16, "s32": 32, "flt": 32, "s64": 64, "dbl": 64}
_LOSSLESS_CODECS = {"flac", "alac", "wavpack", "tta", "ape", "truehd", "mlp"}

# ffmpeg's stderr "Output #0 ... Audio: mp3, 8000 Hz, ..., 128 kb/s" line repeats the bitrate asked for, not the
# one libmp3lame clamps it to, so the MP3's own first frame header is read instead.
_LAYER3_KBPS = {
    "MPEG-1": (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    "MPEG-2": (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),  # also MPEG-2.5 (8-12 kHz)
}


@dataclass(frozen=True)
class SourceInfo:
    """The original's first audio stream, as ffmpeg decodes it."""

    format: str
    codec: str
    sample_rate: int
    channels: int | None
    bits_per_sample: int | None


def source_info(facts: dict[str, str]) -> SourceInfo | None:
    match = STREAM_LINE.search(facts.get("stream", ""))
    if match is None:
        return None
    codec = match["codec"]
    return SourceInfo(
        format=_container_name(facts.get("format", "unknown")),
        codec=codec,
        sample_rate=int(match["rate"]),
        channels=channel_count(match["layout"]),
        bits_per_sample=_bits_per_sample(codec, match["fmt"], match["bits"]),
    )


def _container_name(demuxers: str) -> str:
    names = demuxers.split(",")
    return "mp4" if "mp4" in names else names[0]


def channel_count(layout: str) -> int | None:
    """ffmpeg's channel layout description ('stereo', '5.1(side)', '3 channels', '7.1.4') as a count."""
    layout = layout.strip()
    if match := re.match(r"(\d+) channels", layout):
        return int(match.group(1))
    base = layout.split("(")[0]
    if base in _NAMED_LAYOUTS:
        return _NAMED_LAYOUTS[base]
    if re.fullmatch(r"\d+(\.\d+)+", base):
        return sum(int(part) for part in base.split("."))
    if "+" in layout:  # a custom layout, spelled out: '2 channels (FL+LFE)' is caught above, '(FL+FR+LFE)' here
        return layout.count("+") + 1
    return None


def _bits_per_sample(codec: str, sample_format: str, bits: str | None) -> int | None:
    if not (codec.startswith("pcm_") or codec in _LOSSLESS_CODECS):
        return None  # lossy codecs have no sample width of their own
    if bits:
        return int(bits)
    return _SAMPLE_FORMAT_BITS.get(sample_format.rstrip("p"))


def mp3_frame_bitrate_kbps(head: bytes) -> int | None:
    """The bitrate in the first MPEG Layer III frame header of an MP3 that starts with `head` (after its ID3v2 tag,
    if any), in kbit/s; None if `head` does not start like an MP3 ffmpeg writes."""
    offset = 0
    if head[:3] == b"ID3" and len(head) >= 10:
        tag_size = (head[6] & 0x7F) << 21 | (head[7] & 0x7F) << 14 | (head[8] & 0x7F) << 7 | (head[9] & 0x7F)
        offset = 10 + tag_size + (10 if head[5] & 0x10 else 0)  # the footer flag adds a copy of the header
    while offset < len(head) and head[offset] == 0:  # padding a writer may leave after its tag
        offset += 1
    header = head[offset:offset + 4]
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        return None
    version, layer = (header[1] >> 3) & 0b11, (header[1] >> 1) & 0b11
    bitrate_index, rate_index = header[2] >> 4, (header[2] >> 2) & 0b11
    if version == 0b01 or layer != 0b01 or bitrate_index in (0, 15) or rate_index == 0b11:
        return None  # reserved version, not Layer III, free format or invalid bitrate, reserved sample rate
    return _LAYER3_KBPS["MPEG-1" if version == 0b11 else "MPEG-2"][bitrate_index]
