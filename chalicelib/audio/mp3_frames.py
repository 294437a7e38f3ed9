"""MP3 frames as bytes: their headers and lengths, and the Info frame with its LAME tag, rebuilt for a joined stream.

Pure: bytes in, bytes out. A stream joined from separately encoded segments (audio/segments.py) needs one Info
frame for the whole: ffmpeg writes one per segment, and a segment's frame count would cut playback short. The
rebuilt frame is ffmpeg's own (the first segment's, which has the stream's header, encoder string, lowpass and
delay) with the fields that describe the whole stream written as ffmpeg's MP3 muxer computes them (libavformat
mp3enc.c, ffmpeg 7): the frame and byte counts, the seek table (TOC), the padding, the music length, the music
CRC-16 over every audio frame and the tag's own CRC-16. So a joined stream is byte for byte what one ffmpeg writes
for the same frames.

The music CRC is not computed byte by byte in Python (that costs 0.4 s per 10 minutes of MP3): every segment's
ffmpeg already computed the CRC of all it encoded, and a CRC is linear, so the CRC of the frames kept is derived
from it and from the few frames dropped at either end (`crc16_combine` and `crc16_uncombine`, as zlib's
crc32_combine does for CRC-32).
"""

from __future__ import annotations

import builtins
import itertools
from dataclasses import dataclass
from collections.abc import Sequence

SAMPLES_MPEG1 = 1152  # samples per Layer III frame at 32, 44.1 and 48 kHz
SAMPLES_MPEG2 = 576  # at 16-24 kHz (MPEG-2) and 8-12 kHz (MPEG-2.5)
_BITRATES_KBPS = {
    3: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),  # MPEG-1 Layer III
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),  # MPEG-2 (and 2.5) Layer III
}
_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
# Where the Xing/Info tag starts after the 4-byte header: the side information's length.
_SIDE_INFO = {(True, False): 32, (True, True): 17, (False, False): 17, (False, True): 9}  # (MPEG-1, mono)
_TOC_SIZE = 100
_TOC_BAGS = 400  # ffmpeg keeps 400 seek points, halving them whenever they fill up (mp3enc.c, after LAME's VbrTag.c)
_TAG_CRC_SPAN = 190  # the LAME tag's CRC covers the frame's first 190 bytes


class NotAFrame(ValueError):
    """Bytes that are not the Layer III frame header expected there."""


@dataclass(frozen=True)
class FrameHeader:
    version: int  # 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5
    bitrate_kbps: int
    sample_rate: int
    padding: bool
    mono: bool

    @property
    def samples(self) -> int:
        return SAMPLES_MPEG1 if self.version == 3 else SAMPLES_MPEG2

    @property
    def length(self) -> int:
        return self.samples // 8 * self.bitrate_kbps * 1000 // self.sample_rate + self.padding


def parse_header(data: bytes | bytearray | memoryview, offset: int = 0) -> FrameHeader:
    """The Layer III frame header at `offset`."""
    if len(data) < offset + 4:
        raise NotAFrame("fewer than 4 bytes")
    b1, b2, b3 = data[offset + 1], data[offset + 2], data[offset + 3]
    version, layer, bitrate_index, rate_index = (b1 >> 3) & 3, (b1 >> 1) & 3, b2 >> 4, (b2 >> 2) & 3
    if (
        data[offset] != 0xFF
        or b1 & 0xE0 != 0xE0
        or version == 1
        or layer != 1
        or bitrate_index in (0, 15)
        or rate_index == 3
    ):
        raise NotAFrame(f"no Layer III frame header at byte {offset}")
    return FrameHeader(
        version=version,
        bitrate_kbps=_BITRATES_KBPS[3 if version == 3 else 2][bitrate_index],
        sample_rate=_SAMPLE_RATES[version][rate_index],
        padding=bool(b2 & 2),
        mono=b3 >> 6 == 3,
    )


class FrameWalker:
    """Finds the frames in a stream handed over in chunks of any size, for one constant-bitrate stream: every
    frame must share the first frame's version, bitrate and sample rate (the padding bit varies)."""

    def __init__(self) -> None:
        self._first: bytes | None = None  # header bytes 0-1 and byte 2 without its padding bit
        self._lengths: dict[int, int] = {}  # header byte 2 → frame length
        self.header: FrameHeader | None = None  # the first frame's

    def lengths(self, data: bytes | bytearray | memoryview, start: int = 0) -> tuple[list[int], int]:
        """The lengths of the whole frames in `data` from `start`, and where the first incomplete one begins."""
        lengths: list[int] = []
        position, end = start, len(data)
        known = self._lengths
        while position + 4 <= end:
            byte2 = data[position + 2]
            length = known.get(byte2)
            if length is None or self._first is None or data[position] != 0xFF or data[position + 1] != self._first[1]:
                length = self._learn(data, position)
            if position + length > end:
                break
            lengths.append(length)
            position += length
        return lengths, position

    def _learn(self, data: bytes | bytearray | memoryview, position: int) -> int:
        header = parse_header(data, position)
        signature = bytes((data[position], data[position + 1], data[position + 2] & 0xFD))
        if self._first is None:
            self._first, self.header = signature, header
        elif signature != self._first:
            raise NotAFrame(f"a frame of another kind at byte {position}: {header}")
        self._lengths[data[position + 2]] = header.length
        return header.length


# CRC-16/ARC (polynomial 0x8005, reflected), as libavutil's AV_CRC_16_ANSI_LE that ffmpeg's MP3 muxer uses.
def _table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC_TABLE = _table()
# Feeding n zero bytes to the CRC register is a linear map on its 16 bits: multiplication by x^(8n) modulo the
# polynomial. 0x8005 is (x + 1)(x^15 + x + 1), the second factor primitive, so x has order 2^15 - 1 = 32767 there and
# the map repeats every 32767 bytes (tests/unit/test_mp3_frames.py checks it): going back n bytes is going forward
# 32767 - n % 32767.
_ZERO_BYTES_PERIOD = 32767


def crc16(data: bytes | bytearray | memoryview, crc: int = 0) -> int:
    """CRC-16/ARC, byte by byte: for the few frames and the tag only."""
    table = _CRC_TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc


def _apply(matrix: Sequence[int], vector: int) -> int:
    result, bit = 0, 0
    while vector:
        if vector & 1:
            result ^= matrix[bit]
        vector >>= 1
        bit += 1
    return result


def _zero_bytes(count: int) -> list[int]:
    """The matrix (one column per register bit) that feeds `count` zero bytes to the register."""
    one = [_CRC_TABLE[1 << bit] if bit < 8 else (1 << bit) >> 8 ^ _CRC_TABLE[0] for bit in range(16)]
    result = [1 << bit for bit in range(16)]
    square = one
    count %= _ZERO_BYTES_PERIOD
    while count:
        if count & 1:
            result = [_apply(square, column) for column in result]
        square = [_apply(square, column) for column in square]
        count >>= 1
    return result


def crc16_combine(crc_a: int, crc_b: int, length_b: int) -> int:
    """The CRC of A followed by B, from the CRCs of each and B's length."""
    return _apply(_zero_bytes(length_b), crc_a) ^ crc_b


def crc16_uncombine(crc_ab: int, crc_a: int, length_b: int) -> int:
    """The CRC of B alone, from the CRC of A followed by B, the CRC of A and B's length."""
    return crc_ab ^ _apply(_zero_bytes(length_b), crc_a)


def crc16_strip_end(crc_bc: int, crc_c: int, length_c: int) -> int:
    """The CRC of B alone, from the CRC of B followed by C, the CRC of C and C's length."""
    return _apply(_zero_bytes(_ZERO_BYTES_PERIOD - length_c % _ZERO_BYTES_PERIOD), crc_bc ^ crc_c)


@dataclass(frozen=True)
class InfoFrame:
    """An Info (or Xing) frame with a LAME tag, as ffmpeg's MP3 muxer writes it."""

    data: bytes
    tag_offset: int  # where "Info" starts

    @classmethod
    def parse(cls, data: bytes) -> InfoFrame:
        header = parse_header(data)
        if len(data) != header.length:
            raise NotAFrame(f"an Info frame of {len(data)} bytes where its header says {header.length}")
        tag_offset = 4 + _SIDE_INFO[(header.version == 3, header.mono)]
        if (
            data[tag_offset : tag_offset + 4] not in (b"Info", b"Xing")
            or data[tag_offset + 120 : tag_offset + 124] != b"LAME"
        ):
            raise NotAFrame("the first frame is not an Info frame with a LAME tag")
        return cls(data=data, tag_offset=tag_offset)

    def _field(self, start: int, size: int) -> int:
        return int.from_bytes(self.data[self.tag_offset + start : self.tag_offset + start + size], "big")

    @property
    def frames(self) -> int:
        return self._field(8, 4)

    @property
    def bytes(self) -> int:  # the Info frame and the audio frames
        return self._field(12, 4)

    @property
    def delay_and_padding(self) -> builtins.bytes:  # 12 bits each (`builtins.`: `bytes` is a property here)
        return self.data[self.tag_offset + 141 : self.tag_offset + 144]

    @property
    def music_crc(self) -> int:  # of the audio frames
        return self._field(152, 2)

    def rebuilt(
        self, frame_lengths: Sequence[int], music_crc: int, delay_and_padding: builtins.bytes
    ) -> builtins.bytes:
        """This frame describing a stream of audio frames of `frame_lengths`, whose CRC is `music_crc`."""
        size = len(self.data) + sum(frame_lengths)
        frame = bytearray(self.data)
        at = self.tag_offset
        frame[at + 8 : at + 16] = len(frame_lengths).to_bytes(4, "big") + size.to_bytes(4, "big")
        frame[at + 16 : at + 16 + _TOC_SIZE] = _toc(len(self.data), frame_lengths, size)
        frame[at + 141 : at + 144] = delay_and_padding
        frame[at + 148 : at + 154] = size.to_bytes(4, "big") + music_crc.to_bytes(2, "big")
        frame[at + 154 : at + 156] = b"\0\0"
        frame[at + 154 : at + 156] = crc16(frame[:_TAG_CRC_SPAN]).to_bytes(2, "big")
        return bytes(frame)


def _toc(info_length: int, frame_lengths: Sequence[int], size: int) -> bytes:
    """The seek table as ffmpeg's muxer fills it: it keeps the stream's size after every `want`-th frame in 400
    bags, halving them (and doubling `want`) whenever they fill up; entry i is bag i·pos/100 as a 256th of the size."""
    want, pos = 1, 0
    frames = len(frame_lengths)
    while (frames - (want * pos)) >= want:  # how many bags the muxer ends with, and how many frames each stands for
        pos += 1
        if pos == _TOC_BAGS:
            want, pos = want * 2, _TOC_BAGS // 2
    running = list(itertools.accumulate(frame_lengths, initial=info_length))
    bags = [running[(j + 1) * want] for j in range(pos)]
    return bytes([0] + [min(256 * bags[i * pos // _TOC_SIZE] // size, 255) for i in range(1, _TOC_SIZE)])
