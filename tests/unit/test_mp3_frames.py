"""The CRC arithmetic and the Info frame the join relies on, against byte-by-byte CRCs and ffmpeg's own Info frame."""

from __future__ import annotations

import random
import subprocess

import pytest

from chalicelib.audio.ffmpeg import ffmpeg_binary
from chalicelib.audio.mp3_frames import (
    FrameWalker,
    InfoFrame,
    NotAFrame,
    _zero_bytes,
    crc16,
    crc16_combine,
    crc16_strip_end,
    crc16_uncombine,
    parse_header,
)


def test_feeding_zero_bytes_repeats_every_32767_bytes():
    # what going back over bytes (crc16_strip_end) rests on: x^8 has order 32767 modulo 0x8005's primitive factor
    assert _zero_bytes(32767) == _zero_bytes(0) == [1 << bit for bit in range(16)]
    assert _zero_bytes(1) != _zero_bytes(0)


@pytest.mark.parametrize("sizes", [(0, 5, 0), (1, 1, 1), (417, 100_000, 836), (3, 40_000, 32_767), (0, 70_000, 2)])
def test_the_crc_of_a_middle_part_follows_from_the_whole_and_the_ends(sizes):
    generator = random.Random(sum(sizes))
    a, b, c = (bytes(generator.getrandbits(8) for _ in range(size)) for size in sizes)

    assert crc16_combine(crc16(a), crc16(b), len(b)) == crc16(a + b)
    assert crc16_uncombine(crc16(a + b), crc16(a), len(b)) == crc16(b)
    assert crc16_strip_end(crc16(b + c), crc16(c), len(c)) == crc16(b)


def test_crc16_is_the_arc_variant_ffmpeg_uses():
    assert crc16(b"123456789") == 0xBB3D  # CRC-16/ARC's check value


@pytest.fixture(scope="module")
def ffmpeg_mp3(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("mp3") / "tone.mp3"
    subprocess.run(
        [
            ffmpeg_binary(),
            "-nostdin",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=44100:duration=30",
            "-ac",
            "2",
            "-c:a",
            "libmp3lame",
            "-b:a",
            "128k",
            "-id3v2_version",
            "0",
            "-metadata:s:a:0",
            "encoder=LAME3.100",
            str(path),
        ],
        check=True,
    )
    return path.read_bytes()


def test_the_rebuilt_info_frame_is_ffmpegs_for_the_same_frames(ffmpeg_mp3):
    length = parse_header(ffmpeg_mp3).length
    info = InfoFrame.parse(ffmpeg_mp3[:length])
    lengths, end = FrameWalker().lengths(ffmpeg_mp3, length)

    assert end == len(ffmpeg_mp3) and len(lengths) == info.frames and info.bytes == len(ffmpeg_mp3)
    assert info.music_crc == crc16(ffmpeg_mp3[length:])
    blank = bytearray(info.data)  # counts, seek table, padding, music length and both CRCs cleared
    for start, end in ((8, 116), (141, 144), (148, 156)):
        blank[info.tag_offset + start : info.tag_offset + end] = bytes(end - start)
    assert InfoFrame.parse(bytes(blank)).rebuilt(lengths, info.music_crc, info.delay_and_padding) == ffmpeg_mp3[:length]
    # frames, bytes, seek table and CRCs all follow the frames it is given
    shorter = InfoFrame.parse(info.rebuilt(lengths[:100], 0x1234, info.delay_and_padding))
    assert (shorter.frames, shorter.bytes, shorter.music_crc) == (100, length + sum(lengths[:100]), 0x1234)


def test_the_walker_refuses_a_frame_of_another_kind(ffmpeg_mp3):
    length = parse_header(ffmpeg_mp3).length
    walker = FrameWalker()
    walker.lengths(ffmpeg_mp3[:20_000], length)
    other = bytearray(ffmpeg_mp3[length : length + 2000])
    other[2] = (other[2] & 0x0F) | 0xE0  # another bitrate
    with pytest.raises(NotAFrame):
        walker.lengths(bytes(other))
    with pytest.raises(NotAFrame):
        FrameWalker().lengths(b"RIFF" + bytes(100))
