"""The join of parallel segments (audio/segments.py) into one MP3, streamed as the encoders write. Pure audio core.

Each segment's encoder writes its own MP3 file; the join takes, in order, the frames each segment keeps (its
pre-roll frames dropped, its post-roll frames left) and hands them on as one stream, with the first segment's ID3
tag (the source's tags) kept apart. Once every encoder has ended, it checks every file against its Info frame and
rebuilds the joined stream's Info frame from the first segment's (audio/mp3_frames.py): frame count, byte count,
seek table, the CRC of the frames kept, and the last segment's delay and padding. Anything that does not add up is
JoinFailed: nothing written can be kept.
"""

from __future__ import annotations

import array
from dataclasses import dataclass, field
from typing import BinaryIO
from collections.abc import Callable

from chalicelib.audio.growing_file import GrowingFile
from chalicelib.audio.mp3_frames import (
    FrameWalker,
    InfoFrame,
    NotAFrame,
    crc16,
    crc16_combine,
    crc16_strip_end,
    crc16_uncombine,
    parse_header,
)
from chalicelib.audio.mp3_tags import tag_size
from chalicelib.audio.segments import Helper, Segment


class JoinFailed(Exception):
    """The segments' frames do not make one stream (a segment ended early, or wrote another kind of frame)."""


@dataclass
class _Streamed:
    """What the join took of one segment's file; its dropped frames and Info frame are read when its encoder ends."""

    file: BinaryIO
    info_at: int  # where its Info frame starts (after ffmpeg's ID3 tag, in the first segment's file)
    info_length: int
    prefix: bytes  # the pre-roll frames dropped
    kept_at: int
    kept_bytes: int
    kept_frames: int


@dataclass
class Joiner:
    """Streams the frames the segments keep, in order, as one MP3: `write` gets everything after the first
    `held_bytes` as it comes (its Info frame is known last); `finish` gives those first bytes, final."""

    write: Callable[[bytes], None]
    held_bytes: int
    chunk_bytes: int
    expected_rate: int
    head: bytearray = field(default_factory=bytearray)
    size: int = 0  # bytes of the joined stream so far: its Info frame and the audio frames
    tag_end: int = 0  # the end of ffmpeg's ID3 tag in the first segment's file (the source's own tags)
    _lengths: array.array[int] = field(default_factory=lambda: array.array("I"))
    _walker: FrameWalker = field(default_factory=FrameWalker)
    _streamed: list[_Streamed] = field(default_factory=list)

    def add(self, growing: GrowingFile, file: BinaryIO, segment: Segment) -> None:
        """Take the segment's kept frames from its encoder's file as it grows (all of it, for the last)."""
        first = not self._streamed
        pending = growing.read(10)
        info_at = tag_size(pending) if first else 0
        if first:
            self.tag_end = info_at
        pending += growing.read(info_at + 4 - len(pending))
        try:
            info_length = parse_header(pending, info_at).length
        except NotAFrame:
            raise JoinFailed("a segment's encoder wrote no MP3") from None
        pending = pending[info_at + 4 :] + growing.read(info_at + info_length - len(pending))
        pending = pending[info_length - 4 :]
        if first:
            self._emit(bytes(info_length))  # the Info frame's place: it is written last
        prefix = bytearray()
        kept_at, kept_bytes, kept_frames = info_at + info_length, 0, 0
        skip, keep = segment.skip, segment.keep
        while keep is None or kept_frames < keep:
            chunk = growing.read(self.chunk_bytes)
            data = pending + chunk if pending else chunk
            lengths, _ = self._frames(data)
            position, index = 0, 0
            while skip and index < len(lengths):  # the pre-roll
                prefix += data[position : position + lengths[index]]
                position += lengths[index]
                index += 1
                skip -= 1
            kept_at += position
            take = len(lengths) - index if keep is None else min(len(lengths) - index, keep - kept_frames)
            taken = lengths[index : index + take]
            size = sum(taken)
            if size:
                self._emit(memoryview(data)[position : position + size])
            self._lengths.extend(taken)
            kept_frames, kept_bytes, position = kept_frames + take, kept_bytes + size, position + size
            pending = data[position:]
            if len(chunk) < self.chunk_bytes:  # its encoder has ended
                if keep is not None and kept_frames < keep:
                    raise JoinFailed(f"a segment ended after {kept_frames} of its {keep} frames")
                if keep is None and pending:
                    raise JoinFailed("the last segment ends in a partial frame")
                break
        self._streamed.append(
            _Streamed(
                file=file,
                info_at=info_at,
                info_length=info_length,
                prefix=bytes(prefix),
                kept_at=kept_at,
                kept_bytes=kept_bytes,
                kept_frames=kept_frames,
            )
        )

    def finish(self) -> bytes:
        """Once every encoder has ended: the joined stream's first `held_bytes`, its Info frame written in."""
        crc, template, last = 0, None, None
        for streamed in self._streamed:
            streamed.file.seek(streamed.info_at)
            try:
                info = InfoFrame.parse(streamed.file.read(streamed.info_length))
            except NotAFrame as error:
                raise JoinFailed(str(error)) from None
            streamed.file.seek(streamed.kept_at + streamed.kept_bytes)
            suffix = streamed.file.read()
            suffix_frames, end = self._frames(suffix)
            prefix_frames, _ = self._frames(streamed.prefix)
            if (
                end != len(suffix)
                or info.frames != len(prefix_frames) + streamed.kept_frames + len(suffix_frames)
                or info.bytes != streamed.info_length + len(streamed.prefix) + streamed.kept_bytes + len(suffix)
            ):
                raise JoinFailed("a segment's file is not what its Info frame says")
            # The CRC of the frames kept, from the CRC ffmpeg computed of all it wrote and the frames dropped.
            with_prefix = crc16_strip_end(info.music_crc, crc16(suffix), len(suffix))
            kept = crc16_uncombine(with_prefix, crc16(streamed.prefix), streamed.kept_bytes)
            crc = crc16_combine(crc, kept, streamed.kept_bytes)
            template, last = template or info, info
        if template is None or last is None or not self._lengths:
            raise JoinFailed("no audio frames")
        header = self._walker.header
        if header is None or header.sample_rate != self.expected_rate:
            raise JoinFailed(
                f"the segments were encoded at {header and header.sample_rate} Hz, "
                f"not the {self.expected_rate} Hz planned"
            )
        frame = template.rebuilt(self._lengths, crc, last.delay_and_padding)
        self.head[: len(frame)] = frame
        return bytes(self.head)

    def _frames(self, data: bytes) -> tuple[list[int], int]:
        try:
            return self._walker.lengths(data)
        except NotAFrame as error:
            raise JoinFailed(str(error)) from None

    def _emit(self, data: bytes | memoryview) -> None:
        if self.size < self.held_bytes:
            take = min(self.held_bytes - self.size, len(data))
            self.head += data[:take]
            self.size += take
            data = data[take:]
        if len(data):
            self.write(bytes(data))
            self.size += len(data)


def join(joiner: Joiner, first: tuple[GrowingFile, BinaryIO], helpers: list[Helper], segments: list[Segment]) -> None:
    """Stream the first segment's frames as its encoder writes them, then each helper's in turn."""
    joiner.add(*first, segments[0])
    for helper in helpers:
        joiner.add(GrowingFile(helper.file, helper.process), helper.file, helper.segment)
