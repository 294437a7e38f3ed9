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

The joined stream (audio/mp3_join.py joins it) is byte for byte what one `ffmpeg -reservoir 0` writes
(tests/unit/test_segments.py checks it), Info frame included (audio/mp3_frames.py rebuilds it from the first
segment's). The first segment is encoded by the converter's own ffmpeg pass, which reads the whole file to measure
it (duration, waveform, loudness: EBU R128 gating needs the whole file, not the segments' averages); the others by
helper processes started here.
"""

from __future__ import annotations

import math
import subprocess
from dataclasses import dataclass
from typing import BinaryIO

from chalicelib.audio.ffmpeg import ffmpeg_binary
from chalicelib.audio.mp3_frames import SAMPLES_MPEG1, SAMPLES_MPEG2
from chalicelib.audio.source_layout import SourceLayout

# Pre- and post-roll: 16 frames of 1152 samples (0.4 s at 44.1 kHz), 32 of 576. LAME's psychoacoustic state (block
# switching, masking) takes a few frames to become the single encoder's: 2 frames were enough on a sine, music with
# sharp attacks needed 8 (tests/unit/test_segments.py); 16 leave a margin at 0.3% more work for 2-minute segments.
ROLL_SAMPLES = 16 * 1152
# The rates libmp3lame encodes, in the order ffmpeg offers them: a source at another rate is resampled to the
# nearest (the first of equals), as ffmpeg's format negotiation picks it.
MP3_RATES = (44100, 48000, 32000, 22050, 24000, 16000, 11025, 12000, 8000)
LAME_ENCODER = "LAME3.100"


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
