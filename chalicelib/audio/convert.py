"""Convert any audio ffmpeg decodes to MP3 in one streaming pass, measuring the original on the way.

Pure audio core: it knows a source (a local path or an http(s) URL that ffmpeg reads, with range requests where a
container needs to seek) and a `write` callable that receives the MP3 in chunks. It knows nothing of S3 or DynamoDB.

One ffmpeg process does everything:
- its demuxer/decoder reports the original's stream (codec, rate, channels, sample format), tags and cover on stderr;
- `-progress` reports `out_time_us`, the duration of the audio that was actually decoded and encoded. A truncated
  WAV reports what is there, not what its header claims; a file with no samples reports nothing;
- the MP3 goes to a temporary file that is read as it grows and handed on in chunks (memory stays flat whatever the
  length). A file, not a pipe, because ffmpeg's MP3 muxer goes back to the start when the encode ends to fill in
  the Info frame with the LAME tag (frame and byte counts, a seek table, the encoder delay and padding) — what
  makes its length exact and gapless. The caller is handed everything after the first `held_bytes` as it comes,
  and those first bytes, final, at the end (an S3 multipart upload takes its first part last);
- the source's tags arrive as ffmpeg's own ID3 tag at the head of that file, whatever container they came in;
- a second output, low-rate 8-bit mono PCM on its own pipe, feeds the waveform peaks (audio/peaks.py), from a filter
  graph that also measures the full-rate audio's loudness and true peak (ffmpeg_log.MEASURE_GRAPH; a graph of its
  own, so ffmpeg 7 runs it on another core alongside the encoder).

How it ends decides what happens to the recording: a source that cannot be decoded is a `ConversionError` (the
recording fails for good); an ffmpeg that died or was told to stop (OOM killer, a worker shutting down) is a
`ConversionInterrupted`, which the pipeline lets through so SQS delivers the message again.
"""

from __future__ import annotations

import collections
import io
import os
import re
import signal
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from typing import Callable, Deque, Mapping

from mutagen.mp3 import MP3, HeaderNotFoundError

from chalicelib.audio.cover import cover_picture
from chalicelib.audio.ffmpeg import ffmpeg_binary
from chalicelib.audio.ffmpeg_log import (
    INPUT_LINE, LOUDNESS_LINES, MEASURE_GRAPH, PICTURE_COMMENT, PICTURE_LINE, STREAM_LINE, TRUE_PEAK_LINE,
    Loudness, SourceInfo, loudness, source_info,
)
from chalicelib.audio.growing_file import GrowingFile, hand_on
from chalicelib.audio.segments import Helper, JoinFailed, Joiner, Segment, encoder_options, join, mp3_rate, plan, \
    start_helpers, stop
from chalicelib.audio.source_layout import SourceLayout, read_layout
from chalicelib.audio.mp3_tags import Tags, read_tag
from chalicelib.audio.peaks import PEAKS_RATE, PeakMeter, downsample

CHUNK_BYTES = 1 << 20
_STDERR_LINES_KEPT = 200
_FIRST_FRAMES_BYTES = 1 << 14  # the MP3's Info frame and a few frames after it: always held
# ffmpeg's own words when the source could not be fetched (as opposed to fetched but not decodable).
_UNREACHABLE_MARKERS = (
    "Server returned", "Connection refused", "Connection timed out", "Failed to resolve", "Connection reset",
    "No such file or directory",
    "No space left on device",  # /tmp full: not the file's fault, a retry on another instance may succeed
)
# ffmpeg traps SIGINT, SIGTERM and SIGXCPU: it stops reading, finishes its outputs and says so, then exits 255 — or 0
# when the signal came while it was still opening the input (observed with 7.0.2), so the exit code alone cannot
# tell. A fourth signal makes it exit 123 at once with the second message.
_SIGNAL_EXIT_RE = re.compile(r"^Exiting normally, received signal (\d+)\.")
_HARD_EXIT = "Received > 3 system signals, hard exiting"


@dataclass(frozen=True)
class Conversion:
    source: SourceInfo
    duration: float
    mp3_size: int  # the MP3's audio: its Info frame and audio frames (no tag)
    mp3_bitrate_kbps: int  # as encoded: below the one asked for where the sample rate caps it (64 at 8-12 kHz)
    mp3_sample_rate: int
    peaks: list[float]
    head: bytes  # the MP3's first `held_bytes` (16 KiB at least; all of it, if shorter), final: with the Info frame
    source_tags: Tags  # the original's tags and cover pictures
    loudness: Loudness | None
    segments: int = 1  # how many encoders wrote it at once


class ConversionError(Exception):
    """The source was read but is not audio we can convert. `reason` is fit to show to its owner."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SourceUnavailable(Exception):
    """The source could not be read at all (gone, or the network failed): a retry may succeed."""


class TooLong(ConversionError):
    """The audio goes on past `max_seconds` (decoding stopped there)."""

    def __init__(self, reason: str, limit: float) -> None:
        super().__init__(reason)
        self.limit = limit


class TooSlow(ConversionError):
    """The conversion went on past its wall-clock limit (and was stopped there)."""


class _Deadline:
    """Kills `processes` (the list may grow) once `seconds` have passed, noting it in `facts`; None: no limit."""

    def __init__(self, seconds: float | None, processes: list[subprocess.Popen[bytes]],
                 facts: dict[str, str]) -> None:
        self.processes = processes
        self._timer = threading.Timer(seconds, self._expire, args=(seconds, facts)) if seconds else None
        if self._timer is not None:
            self._timer.daemon = True
            self._timer.start()

    def _expire(self, seconds: float, facts: dict[str, str]) -> None:
        facts["timed_out"] = str(seconds)
        for process in list(self.processes):
            if process.poll() is None:
                process.kill()

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()


class SegmentsFailed(Exception):
    """The segments encoded at once did not join into one stream. Not expected (the join is checked against a single
    encode in the tests); nothing written can be kept, and the file is converted again in one pass."""


class ConversionInterrupted(Exception):
    """ffmpeg did not finish: it was killed by a signal (the OOM killer, SIGKILL) or stopped early on SIGTERM/SIGINT
    (a worker shutting down, Ctrl-C). Nothing is known to be wrong with the source, and a retry may succeed.

    Deliberately not a `ConversionError`: that one marks the recording `failed` for good."""


def convert_to_mp3(
    source: str,
    write: Callable[[bytes], None],
    *,
    bitrate_kbps: int = 128,
    max_seconds: float | None = None,
    chunk_bytes: int = CHUNK_BYTES,
    source_headers: Mapping[str, str] | None = None,
    max_channel_samples: int | None = None,
    held_bytes: int = 0,
    segments: int = 1,
    parallel_from_seconds: float = 0.0,
    reservoir: bool = True,
    demuxer: str | None = None,
    max_wall_seconds: float | None = None,
) -> Conversion:
    """`write` receives the MP3's audio after its first `held_bytes` (at least the Info frame's, which ffmpeg
    fills in last) while it is encoded; `Conversion.head` holds those first bytes at the end. `source_headers` go
    with every HTTP request for the source (an `If-Match` pins one version of it: a source replaced mid-read then
    fails as unavailable instead of mixing two files). `max_channel_samples` bounds the work by what the source
    holds (seconds × rate × channels): a 192 kHz 8-channel file costs far more per second than a 48 kHz stereo one,
    and decoding stops where the budget ends (TooLong).

    With `segments` > 1, a WAV, FLAC or MP3 (audio/source_layout.py) at least `parallel_from_seconds` long is encoded by that many
    encoders at once and joined (audio/segments.py), with the bit reservoir off as joining needs; anything else in
    one pass, with the reservoir as `reservoir` says. `SegmentsFailed` (never expected: a join that does not add
    up) means nothing written can be kept: the caller starts again with `segments=1`.

    The source is hostile input: `demuxer` (the sniffed format's, audio/sniff.py) is the only demuxer that may read
    it, so a playlist or a concat list is never followed; ffmpeg may use only the protocols reading `source` itself
    needs; and `max_wall_seconds` ends a conversion that goes on too long (TooSlow), whatever keeps it busy."""
    network = _network_options(source, source_headers)
    lock = ["-f", demuxer] if demuxer else []
    layout, pieces = _segments(source, source_headers, segments, parallel_from_seconds, max_seconds, max_channel_samples)
    limit = ["-t", f"{max_seconds + 1:.3f}"] if max_seconds is not None else []
    held_bytes = max(held_bytes, _FIRST_FRAMES_BYTES)
    workdir = tempfile.TemporaryDirectory(prefix="cloudsound-")
    mp3_path = os.path.join(workdir.name, "out.mp3")
    open(mp3_path, "wb").close()  # there from the start: the reader opens it before ffmpeg writes
    peaks_read, peaks_write = os.pipe()
    first_segment = ["-af", f"atrim=end_sample={pieces[0].end}"] if pieces else []
    command = [ffmpeg_binary(), "-nostdin", "-hide_banner", "-nostats", "-loglevel", "info", "-progress", "pipe:2",
               *network, *lock, "-i", source,
               "-map", "0:a:0", *first_segment, *encoder_options(bitrate_kbps, reservoir and not pieces), *limit,
               "-id3v2_version", "4", "-f", "mp3", "-y", mp3_path,
               "-filter_complex", MEASURE_GRAPH.format(out="waveform", loudness="loudness", peak="peak"),
               "-map", "[waveform]", "-ac", "1", "-ar", str(PEAKS_RATE), "-c:a", "pcm_u8", *limit,
               "-flush_packets", "0", "-f", "u8", f"pipe:{peaks_write}",
               "-map", "[loudness]", "-map", "[peak]", "-c:a:0", "pcm_f64le", "-c:a:1", "pcm_f32le", *limit,
               "-f", "null", "-"]

    try:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, pass_fds=(peaks_write,))
    except BaseException:
        workdir.cleanup()
        raise
    finally:
        os.close(peaks_write)
    stderr_lines: Deque[str] = collections.deque(maxlen=_STDERR_LINES_KEPT)
    facts: dict[str, str] = {}
    meter = PeakMeter()
    readers = [threading.Thread(target=_read_stderr, args=(process, stderr_lines, facts, max_channel_samples),
                                daemon=True),
               threading.Thread(target=_read_peaks, args=(peaks_read, meter), daemon=True)]
    for reader in readers:
        reader.start()
    helpers: list[Helper] = []
    deadline = _Deadline(max_wall_seconds, [process], facts)
    join_failure: JoinFailed | None = None
    stopped_first = False  # the first pass stopped by us, because the join had failed
    try:
        helpers = start_helpers(source, layout, pieces[1:], bitrate_kbps, workdir.name, network,
                                demuxer) if layout else []
        deadline.processes += [helper.process for helper in helpers]
        with open(mp3_path, "rb") as growing:
            if pieces:
                joiner = Joiner(write, held_bytes, chunk_bytes, expected_rate=mp3_rate(layout.sample_rate))
                try:
                    join(joiner, (GrowingFile(growing, process), growing), helpers, pieces)
                    process.wait()
                    for helper in helpers:
                        helper.process.wait()
                    head = joiner.finish()
                except JoinFailed as failure:  # a helper that ended early says why, if it can: see below
                    join_failure, head, stopped_first = failure, b"", process.poll() is None
                    process.kill()
                tag_end, size = joiner.tag_end, joiner.size
            else:
                tag_end, size = hand_on(GrowingFile(growing, process), write, held_bytes, chunk_bytes)
                # Final now that ffmpeg has finished: its tag (the source's tags), the Info frame, the held bytes.
                growing.seek(tag_end)
                head = growing.read(min(held_bytes, size))
            growing.seek(0)
            ffmpeg_tag = growing.read(tag_end)
    except BaseException:
        process.kill()
        raise
    finally:
        returncode = process.wait()
        deadline.cancel()
        stopped = stop(helpers)
        for reader in readers:
            reader.join()
        helper_logs = [(helper.process.returncode, helper.log()) for helper in helpers if helper not in stopped]
        workdir.cleanup()

    if "over_budget" in facts:  # stopped by us, before anything else
        info = source_info(facts)
        allowed = float(facts["over_budget"])
        raise TooLong(f"the audio is longer than the {allowed:,.0f} seconds allowed at {info.sample_rate} Hz with "
                      f"{info.channels} channels" if info else "the audio is too long", allowed)
    if "timed_out" in facts:
        raise TooSlow(f"the conversion took longer than {float(facts['timed_out']):,.0f} seconds, the most a file "
                      "within the length limit may take")
    # The pass that reads the whole file first: how it ended is how the file is. Then the helpers'.
    if not stopped_first and (reason := _failure(returncode, list(stderr_lines), facts, source)):
        raise ConversionError(f"ffmpeg could not convert this file: {reason}")
    for code, log in helper_logs:
        if reason := _failure(code, log, {}, source):
            raise SegmentsFailed(f"a segment's encoder failed: {reason}")
    if join_failure is not None:
        raise SegmentsFailed(str(join_failure))
    info = source_info(facts)
    if info is None:
        raise ConversionError("the file has no audio stream")
    out_time_us = facts.get("out_time_us", "")
    duration = int(out_time_us) / 1_000_000 if out_time_us.isdigit() else 0.0
    if duration <= 0 or size == 0:
        raise ConversionError("the file contains no audio samples")
    if max_seconds is not None and duration > max_seconds:
        raise TooLong(f"the audio is longer than the limit of {max_seconds:g} seconds", max_seconds)
    # The Info frame's LAME tag gives the length to the sample: its frames less the encoder delay and padding.
    # libmp3lame caps the bitrate by the sample rate (64 kbit/s at 8-12 kHz): what was encoded is reported.
    try:
        mp3 = MP3(io.BytesIO(head)).info
    except HeaderNotFoundError:
        raise ConversionError("the file contains no audio samples") from None
    duration = round(duration, 6)  # ffmpeg's progress counts microseconds
    if mp3.encoder_info.startswith("LAME"):  # samples ÷ rate, the very float mutagen computes from the same tag
        duration = round(mp3.length * mp3.sample_rate) / mp3.sample_rate
    tags = read_tag(ffmpeg_tag)
    picture = cover_picture(source, source_headers, facts, [*_protocols(source), *lock])
    if picture is not None:
        tags = Tags(text=tags.text, pictures=(picture,))
    return Conversion(source=info, duration=duration, mp3_size=size,
                      mp3_bitrate_kbps=round(mp3.bitrate / 1000) or round(size * 8 / duration / 1000),
                      mp3_sample_rate=mp3.sample_rate, peaks=downsample(meter.finish()), head=head,
                      source_tags=tags, loudness=loudness(facts), segments=max(len(pieces), 1))


def _protocols(source: str) -> list[str]:
    """Only the protocols that reading `source` itself needs (a demuxer that names other resources is already
    excluded by the format lock; this is the second wall)."""
    if source.startswith("https://"):
        return ["-protocol_whitelist", "https,tls,tcp"]
    if source.startswith("http://"):
        return ["-protocol_whitelist", "http,tcp"]
    return ["-protocol_whitelist", "file"]


def _network_options(source: str, headers: Mapping[str, str] | None) -> list[str]:
    if not source.startswith(("http://", "https://")):
        return _protocols(source)
    options = [*_protocols(source), "-reconnect", "1", "-reconnect_on_network_error", "1", "-reconnect_delay_max",
               "4"]
    if headers:
        options += ["-headers", "".join(f"{name}: {value}\r\n" for name, value in headers.items())]
    return options


def _segments(source: str, headers: Mapping[str, str] | None, count: int, from_seconds: float,
              max_seconds: float | None, max_channel_samples: int | None) -> tuple[SourceLayout | None, list[Segment]]:
    """The segments to encode at once, or none: one pass for a short source, one whose cuts cannot be exact
    (audio/source_layout.py), or one past a limit (the one pass stops where the limit is, and says so)."""
    if count < 2:
        return None, []
    layout = read_layout(source, headers)
    if layout is None:
        return None, []
    seconds = layout.samples / layout.sample_rate
    if seconds < from_seconds or (max_seconds is not None and seconds > max_seconds) \
            or (max_channel_samples and layout.samples * layout.channels > max_channel_samples):
        return None, []
    pieces = plan(layout.samples, layout.sample_rate, count, exact=layout.pcm is not None)
    return (layout, pieces) if len(pieces) > 1 else (None, [])


def _failure(returncode: int, log: list[str], facts: dict[str, str], source: str) -> str | None:
    """Why an ffmpeg that has ended failed, if it did; raises where a retry may do better."""
    interruption = _interruption(returncode, facts)
    if interruption is not None:  # before anything else: what it wrote, or failed to open, is only a part
        raise ConversionInterrupted(interruption)
    if returncode == 0:
        return None
    reason = _failure_reason([line.replace(source, "<input>") for line in log])
    if any(marker in reason for marker in _UNREACHABLE_MARKERS):
        raise SourceUnavailable(reason)
    return reason


def _interruption(returncode: int, facts: dict[str, str]) -> str | None:
    """Why ffmpeg did not finish, if a signal stopped it; None if it ran its course (successfully or not)."""
    if returncode < 0:
        return f"ffmpeg was killed by {_signal_name(-returncode)}"
    if "signal" in facts:
        received = facts["signal"]
        return f"ffmpeg stopped early on {_signal_name(int(received)) if received else 'repeated signals'}"
    return None


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _read_peaks(fd: int, meter: PeakMeter) -> None:
    # Buffered, so each read waits for a whole 64 KiB (8 s of audio) rather than handing the meter ffmpeg's
    # 1 KiB packets one by one.
    with os.fdopen(fd, "rb") as pipe:
        while chunk := pipe.read(1 << 16):
            meter.feed(chunk)


def _read_stderr(process: subprocess.Popen[bytes], lines: Deque[str], facts: dict[str, str],
                 max_channel_samples: int | None) -> None:
    """Drain stderr (so ffmpeg never blocks on it), keeping the tail and the facts we parse; stop ffmpeg once the
    audio decoded passes `max_channel_samples`."""
    assert process.stderr is not None
    for raw in process.stderr:
        line = raw.decode("utf-8", "replace").rstrip()
        key, sep, value = line.partition("=")
        if sep and key in ("out_time_us", "progress", "total_size"):
            facts[key] = value
            if key == "out_time_us" and max_channel_samples and "over_budget" not in facts and value.isdigit():
                info = source_info(facts)
                if info and info.channels:
                    allowed = max_channel_samples / (info.sample_rate * info.channels)
                    if int(value) / 1_000_000 > allowed:
                        facts["over_budget"] = str(allowed)
                        process.kill()
            continue
        if match := _SIGNAL_EXIT_RE.match(line):
            facts["signal"] = match.group(1)  # kept here, where the 200-line tail cannot push it out
        elif line.startswith(_HARD_EXIT):
            facts.setdefault("signal", "")
        if "format" not in facts and (match := INPUT_LINE.match(line)):
            facts["format"] = match.group(1)
        elif "stream" not in facts and STREAM_LINE.search(line):
            facts["stream"] = line  # the first audio stream printed is the input's; the output's comes later
        elif "picture_stream" not in facts and "Output #" not in facts and (match := PICTURE_LINE.search(line)):
            facts["picture_stream"], facts["picture_codec"] = match["index"], match["codec"]
        elif line.startswith("Output #"):
            facts["Output #"] = ""
        elif line.endswith("Summary:"):  # ebur128's; its "[Parsed_ebur128_0 @ …]" may land on a -progress line
            facts["loudness"] = ""
        if "picture_stream" in facts and "picture_comment" not in facts and "Output #" not in facts:
            if match := PICTURE_COMMENT.match(line):
                facts["picture_comment"] = match["comment"].strip()
        if "loudness" in facts:
            for name, pattern in LOUDNESS_LINES.items():
                if match := pattern.match(line):
                    facts[f"loudness_{name}"] = match.group(1)
        if match := TRUE_PEAK_LINE.search(line):
            facts["loudness_true_peak"] = match.group(1)
        lines.append(line)


def _failure_reason(log: list[str]) -> str:
    meaningful = [line.strip() for line in log if line.strip() and not line.startswith((" ", "Input #", "Stream"))]
    return meaningful[-1] if meaningful else "unknown error"
