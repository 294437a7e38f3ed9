"""Long recordings encoded in parallel segments and joined without a seam. Pure audio core: no AWS.

One LAME encoder is single-threaded. A WAV's samples are a byte range, so K encoders can each read their own part
of it at once and the MP3 frames they write can be joined into the one MP3 a single encoder would have written:

- The cut is on the MP3 frame grid (1152 samples; 576 below 32 kHz): an encoder that starts at sample p·1152 writes
  frame j where the single encoder writes frame p + j, with the same delay and padding for the whole stream.
- Encoding is done with the bit reservoir off (`-reservoir 0`): with it on, a frame's main data may begin in the
  frames before it, which belong to another encoder (LAME never empties the reservoir, so there is no clean cut).
- Every segment but the first starts 16 frames early (pre-roll: the encoder's analysis window, its psychoacoustic
  state and a resampler's history are primed with the audio before the cut) and every segment but the last runs 16
  frames past its end
  (post-roll: its last kept frames see the audio after them, not the encoder's flush); those frames are dropped.
- Segments start on LAME's padding-bit period (49 frames in the 44.1 kHz family, whose frames are 417.96 bytes at
  128 kbit/s; 1 elsewhere) and, where ffmpeg resamples (96 kHz → 48 kHz), on an input sample that is a whole output
  sample, so each encoder's state at its first kept frame is the single encoder's.

The joined stream is byte for byte what one `ffmpeg -reservoir 0` writes (tests/unit/test_segments.py checks it),
Info frame included (audio/mp3_frames.py rebuilds it from the first segment's). The first segment is encoded by the
converter's own ffmpeg pass, which reads the whole file to measure it (duration, waveform, loudness: EBU R128
gating needs the whole file, not the segments' averages); the others by helper processes started here.
"""

from __future__ import annotations

import array
import math
import subprocess
from dataclasses import dataclass, field
from typing import BinaryIO
from collections.abc import Callable

from chalicelib.audio.ffmpeg import ffmpeg_binary
from chalicelib.audio.growing_file import GrowingFile
from chalicelib.audio.mp3_frames import (
    SAMPLES_MPEG1,
    SAMPLES_MPEG2,
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
from chalicelib.audio.source_layout import SourceLayout

# Pre- and post-roll: 16 frames of 1152 samples (0.4 s at 44.1 kHz), 32 of 576. LAME's psychoacoustic state (block
# switching, masking) takes a few frames to become the single encoder's: 2 frames were enough on a sine, music with
# sharp attacks needed 8 (tests/unit/test_segments.py); 16 leave a margin at 0.3% more work for 2-minute segments.
ROLL_SAMPLES = 16 * 1152
# The rates libmp3lame encodes, in the order ffmpeg offers them: a source at another rate is resampled to the
# nearest (the first of equals), as ffmpeg's format negotiation picks it.
MP3_RATES = (44100, 48000, 32000, 22050, 24000, 16000, 11025, 12000, 8000)
LAME_ENCODER = "LAME3.100"


class JoinFailed(Exception):
    """The segments' frames do not make one stream (a segment ended early, or wrote another kind of frame)."""


@dataclass(frozen=True)
class Segment:
    start: int  # the first input sample its encoder reads
    end: int | None  # the input sample its encoder stops before; None: the end of the stream
    skip: int  # MP3 frames dropped at its start (pre-roll)
    keep: int | None  # MP3 frames kept after those; None: all, to the end of the stream (the last segment)


def mp3_rate(sample_rate: int) -> int:
    return min(MP3_RATES, key=lambda rate: abs(rate - sample_rate))


def plan(samples: int, sample_rate: int, count: int, exact: bool = True) -> list[Segment]:
    """Up to `count` segments of about equal length for `samples` input samples at `sample_rate`; fewer where the
    frame grid leaves no room (one segment: encode in one pass). `exact`: the count is the stream's, and the last
    segment stops there (a WAV's data chunk may be followed by other chunks); else it runs to the stream's end."""
    out_rate = mp3_rate(sample_rate)
    frame = SAMPLES_MPEG1 if out_rate >= 32000 else SAMPLES_MPEG2
    roll = ROLL_SAMPLES // frame
    period = 49 if out_rate % 11025 == 0 else 1
    whole_input = out_rate // math.gcd(frame * sample_rate, out_rate)  # frames per whole input sample
    unit = period * whole_input // math.gcd(period, whole_input)
    out_samples = samples * out_rate // sample_rate
    starts = [0]  # in frames, each a multiple of `unit`; a segment keeps frames from start + roll
    for k in range(1, count):
        start = (k * out_samples // (count * frame) - roll) // unit * unit
        if start > starts[-1] and (start + 2 * roll + 1) * frame < out_samples:
            starts.append(start)
    bounds = [0] + [start + roll for start in starts[1:]]
    segments = []
    for k, start in enumerate(starts):
        last = k == len(starts) - 1
        end = (
            (samples if exact else None)
            if last
            else min(samples, -(-(bounds[k + 1] + roll) * frame * sample_rate // out_rate))
        )
        segments.append(
            Segment(
                start=start * frame * sample_rate // out_rate,
                end=end,
                skip=bounds[k] - start,
                keep=None if last else bounds[k + 1] - bounds[k],
            )
        )
    return segments


def encoder_options(bitrate_kbps: int, reservoir: bool = True) -> list[str]:
    """How every MP3 of ours is encoded: LAME at the bitrate, its tag naming LAME (players and mutagen read the
    delay and padding only from a tag that says LAME), the bit reservoir off where segments are joined."""
    return [
        "-c:a",
        "libmp3lame",
        "-b:a",
        f"{bitrate_kbps}k",
        *([] if reservoir else ["-reservoir", "0"]),
        "-write_xing",
        "1",
        "-metadata:s:a:0",
        f"encoder={LAME_ENCODER}",
    ]


def helper_command(
    source: str,
    layout: SourceLayout,
    segment: Segment,
    bitrate_kbps: int,
    output: str,
    network: list[str],
    demuxer: str | None = None,
) -> list[str]:
    """ffmpeg reading exactly the segment's samples and encoding them to `output`: a WAV's byte range as raw PCM,
    or a compressed stream decoded from its start, trimmed to the segment (`atrim` counts decoded samples)."""
    pcm = layout.pcm
    if pcm is not None:
        first_byte = pcm.data_offset + segment.start * pcm.block_align
        if source.startswith(("http://", "https://")):  # one ranged request for exactly these bytes
            end = "" if segment.end is None else str(pcm.data_offset + segment.end * pcm.block_align)
            where = ["-offset", str(first_byte), *(["-end_offset", end] if end else [])]
        else:
            where = ["-skip_initial_bytes", str(first_byte)]
        read = [
            "-f",
            pcm.raw_format,
            "-sample_rate",
            str(pcm.sample_rate),
            "-ch_layout",
            "mono" if pcm.channels == 1 else "stereo",
            *where,
            "-i",
            source,
        ]
        trim = f"atrim=end_sample={segment.end - segment.start}" if segment.end is not None else "anull"
    else:
        read = [*(["-f", demuxer] if demuxer else []), "-i", source, "-map", "0:a:0"]
        trim = f"atrim=start_sample={segment.start}" + (f":end_sample={segment.end}" if segment.end else "")
    return [
        ffmpeg_binary(),
        "-nostdin",
        "-hide_banner",
        "-nostats",
        "-loglevel",
        "error",
        *network,
        *read,
        "-af",
        trim,
        *encoder_options(bitrate_kbps, reservoir=False),
        "-id3v2_version",
        "0",
        "-f",
        "mp3",
        "-y",
        output,
    ]


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


@dataclass
class Helper:
    """The encoder of one segment after the first: its process, the file it writes, its log."""

    segment: Segment
    process: subprocess.Popen[bytes]
    file: BinaryIO
    log_path: str

    def log(self) -> list[str]:
        with open(self.log_path, "rb") as log:
            return log.read().decode("utf-8", "replace").splitlines()


def start_helpers(
    source: str,
    layout: SourceLayout,
    segments: list[Segment],
    bitrate_kbps: int,
    workdir: str,
    network: list[str],
    demuxer: str | None = None,
) -> list[Helper]:
    """One ffmpeg per segment, all at once; the caller kills and waits for them."""
    helpers: list[Helper] = []
    try:
        for index, segment in enumerate(segments, start=1):
            output, log_path = f"{workdir}/segment-{index}.mp3", f"{workdir}/segment-{index}.log"
            open(output, "wb").close()  # there from the start: the join opens it before ffmpeg writes
            with open(log_path, "wb") as log:
                process = subprocess.Popen(
                    helper_command(source, layout, segment, bitrate_kbps, output, network, demuxer),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                )
            helpers.append(Helper(segment=segment, process=process, file=open(output, "rb"), log_path=log_path))
    except BaseException:
        stop(helpers)
        raise
    return helpers


def stop(helpers: list[Helper]) -> list[Helper]:
    """Kill the helpers still running, wait for all; returns those killed here (how they ended says nothing)."""
    stopped = [helper for helper in helpers if helper.process.poll() is None]
    for helper in stopped:
        helper.process.kill()
    for helper in helpers:
        helper.process.wait()
        helper.file.close()
    return stopped


def join(joiner: Joiner, first: tuple[GrowingFile, BinaryIO], helpers: list[Helper], segments: list[Segment]) -> None:
    """Stream the first segment's frames as its encoder writes them, then each helper's in turn."""
    joiner.add(*first, segments[0])
    for helper in helpers:
        joiner.add(GrowingFile(helper.file, helper.process), helper.file, helper.segment)
