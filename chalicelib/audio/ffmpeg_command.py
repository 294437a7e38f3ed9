"""The converter's ffmpeg command line: how the source may be read, and the three outputs of its one pass.

The source is hostile input: only its sniffed format's demuxer may read it (the caller's `-f`), and only the
protocols reading the source itself needs are allowed. The outputs: the MP3 (to a file ffmpeg can seek back in, for
the Info frame), the waveform's low-rate 8-bit mono PCM on its own pipe, and the loudness and true-peak measurements
to a null output, from a filter graph of their own (ffmpeg_log.MEASURE_GRAPH) that ffmpeg 7 runs on another core.
"""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.audio.ffmpeg import ffmpeg_binary
from chalicelib.audio.ffmpeg_log import MEASURE_GRAPH
from chalicelib.audio.peaks import PEAKS_RATE
from chalicelib.audio.segments import encoder_options


def protocols(source: str) -> list[str]:
    """Only the protocols that reading `source` itself needs (a demuxer that names other resources is already
    excluded by the format lock; this is the second wall)."""
    if source.startswith("https://"):
        return ["-protocol_whitelist", "https,tls,tcp"]
    if source.startswith("http://"):
        return ["-protocol_whitelist", "http,tcp"]
    return ["-protocol_whitelist", "file"]


def network_options(source: str, headers: Mapping[str, str] | None) -> list[str]:
    """How ffmpeg reads `source`: its protocols and, over HTTP, reconnects and the headers every request carries."""
    if not source.startswith(("http://", "https://")):
        return protocols(source)
    options = [*protocols(source), "-reconnect", "1", "-reconnect_on_network_error", "1", "-reconnect_delay_max", "4"]
    if headers:
        options += ["-headers", "".join(f"{name}: {value}\r\n" for name, value in headers.items())]
    return options


def encode_command(
    source: str,
    input_options: list[str],
    mp3_path: str,
    peaks_fd: int,
    *,
    bitrate_kbps: int,
    reservoir: bool,
    max_seconds: float | None,
    end_sample: int | None = None,
) -> list[str]:
    """The one pass: `source` to an MP3 at `mp3_path` (up to `end_sample` only, when it encodes the first of
    several segments), the waveform's PCM to the pipe `peaks_fd`, the measurements to nowhere. Every output stops a
    second past `max_seconds`, so that going on past the limit is seen and told (TooLong)."""
    limit = ["-t", f"{max_seconds + 1:.3f}"] if max_seconds is not None else []
    first_segment = ["-af", f"atrim=end_sample={end_sample}"] if end_sample is not None else []
    return [
        ffmpeg_binary(),
        "-nostdin",
        "-hide_banner",
        "-nostats",
        "-loglevel",
        "info",
        "-progress",
        "pipe:2",
        *input_options,
        "-i",
        source,
        "-map",
        "0:a:0",
        *first_segment,
        *encoder_options(bitrate_kbps, reservoir),
        *limit,
        "-id3v2_version",
        "4",
        "-f",
        "mp3",
        "-y",
        mp3_path,
        *_waveform_output(peaks_fd, limit),
        *_measurements_output(limit),
    ]


def _waveform_output(peaks_fd: int, limit: list[str]) -> list[str]:
    """The measuring filter graph, and its waveform as low-rate 8-bit mono PCM to the pipe `peaks_fd`."""
    return [
        "-filter_complex",
        MEASURE_GRAPH.format(out="waveform", loudness="loudness", peak="peak"),
        "-map",
        "[waveform]",
        "-ac",
        "1",
        "-ar",
        str(PEAKS_RATE),
        "-c:a",
        "pcm_u8",
        *limit,
        "-flush_packets",
        "0",
        "-f",
        "u8",
        f"pipe:{peaks_fd}",
    ]


def _measurements_output(limit: list[str]) -> list[str]:
    """The graph's loudness and true-peak measurements, to a null output (ffmpeg's log reports them)."""
    return [
        "-map",
        "[loudness]",
        "-map",
        "[peak]",
        "-c:a:0",
        "pcm_f64le",
        "-c:a:1",
        "pcm_f32le",
        *limit,
        "-f",
        "null",
        "-",
    ]
