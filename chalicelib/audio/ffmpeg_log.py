"""What ffmpeg's log says: the source's first audio stream (container, codec, rate, channels, sample width), its
cover picture, the loudness the ebur128 filter measured, and whether a signal stopped it. Pure parsing, no process,
no AWS: `note_line` keeps what each line tells as `facts`, and the functions here read values from those."""

from __future__ import annotations

import re
from dataclasses import dataclass

INPUT_LINE = re.compile(r"^Input #0, ([^,]+(?:,[^ ,]+)*), from ")
STREAM_LINE = re.compile(
    r"Stream #0:\d+.*?: Audio: (?P<codec>\w+)[^,]*, (?P<rate>\d+) Hz, (?P<layout>[^,]+), "
    r"(?P<fmt>\w+)(?: \((?P<bits>\d+) bit\))?"
)
_NAMED_LAYOUTS = {
    "mono": 1,
    "stereo": 2,
    "downmix": 2,
    "quad": 4,
    "hexagonal": 6,
    "octagonal": 8,
    "cube": 8,
    "hexadecagonal": 16,
}
_SAMPLE_FORMAT_BITS = {"u8": 8, "s16": 16, "s32": 32, "flt": 32, "s64": 64, "dbl": 64}
_LOSSLESS_CODECS = {"flac", "alac", "wavpack", "tta", "ape", "truehd", "mlp"}


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


# The ebur128 filter's summary, printed as it closes (0.1 of a unit is all it prints), and the true peak: astats'
# peak of the audio oversampled to 192 kHz, as BS.1770 measures it ("-inf" for digital silence).
LOUDNESS_LINES = {
    "integrated": re.compile(r"^\s+I:\s+(-?(?:[\d.]+|inf)) LUFS$"),
    "range": re.compile(r"^\s+LRA:\s+(-?(?:[\d.]+|inf)) LU$"),
}
TRUE_PEAK_LINE = re.compile(r"Peak level dB: (-?(?:[\d.]+|inf))$")
# One filter graph, on its own thread beside the encoder: the waveform's feed goes on, ebur128 measures loudness, and
# a 12-tap resampler to 192 kHz (the length of BS.1770's oversampling filter) feeds astats for the true peak —
# ebur128's own true-peak mode resamples with a 32-tap filter and costs twice the CPU. Sink-only branches are not
# allowed by ffmpeg 7.0 (an assertion fails at the end), so the measuring branches end in a null output, as PCM (a
# copy). All of it: ffmpeg's progress (`out_time_us`, which the duration budget watches) is its slowest output's,
# so a branch that let only its first frame through (`aselect`) would hold it at zero; `atrim` would stop the
# filters before it, which would then miss the rest of the audio.
MEASURE_GRAPH = (
    "[0:a:0]asplit=3[{out}][loudness][peak];[loudness]ebur128=framelog=quiet[{loudness}];"
    "[peak]aresample=192000:filter_size=12,aformat=sample_fmts=flt,"
    "astats=measure_overall=Peak_level:measure_perchannel=none[{peak}]"
)
PICTURE_LINE = re.compile(r"Stream #0:(?P<index>\d+)[^:]*: Video: (?P<codec>\w+).*\(attached pic\)")
PICTURE_COMMENT = re.compile(r"^\s+comment\s*: (?P<comment>.+)$")
# ffmpeg names a picture's ID3/FLAC type in its comment, by these words, in the order of the types' numbers.
PICTURE_TYPES = (
    "Other",
    "32x32 pixels 'file icon'",
    "Other file icon",
    "Cover (front)",
    "Cover (back)",
    "Leaflet page",
    "Media (e.g. label side of CD)",
    "Lead artist/lead performer/soloist",
    "Artist/performer",
    "Conductor",
    "Band/Orchestra",
    "Composer",
    "Lyricist/text writer",
    "Recording Location",
    "During recording",
    "During performance",
    "Movie/video screen capture",
    "A bright coloured fish",
    "Illustration",
    "Band/artist logotype",
    "Publisher/Studio logotype",
)
PICTURE_MIME_TYPES = {
    "mjpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "bmp": "image/bmp",
    "tiff": "image/tiff",
    "webp": "image/webp",
}


@dataclass(frozen=True)
class Loudness:
    """EBU R128: integrated loudness (LUFS), loudness range (LU) and true peak (dBTP; None for digital silence)."""

    integrated: float
    range: float
    true_peak: float | None


def loudness(facts: dict[str, str]) -> Loudness | None:
    """The loudness the ebur128 filter reported, if it reported all of it."""
    values = {name: facts.get(f"loudness_{name}") for name in (*LOUDNESS_LINES, "true_peak")}
    if values["integrated"] is None or values["range"] is None or values["true_peak"] is None:
        return None
    integrated = float(values["integrated"])
    peak = float(values["true_peak"])
    return Loudness(
        integrated=max(integrated, -70.0) if integrated == integrated else -70.0,
        range=float(values["range"]),
        true_peak=None if peak == float("-inf") else round(peak, 2),
    )


PROGRESS_KEYS = ("out_time_us", "progress", "total_size")  # `-progress`'s lines (key=value) that are kept
# ffmpeg traps SIGINT, SIGTERM and SIGXCPU: it stops reading, finishes its outputs and says so, then exits 255 — or 0
# when the signal came while it was still opening the input (observed with 7.0.2), so the exit code alone cannot
# tell. A fourth signal makes it exit 123 at once with the second message.
SIGNAL_EXIT_LINE = re.compile(r"^Exiting normally, received signal (\d+)\.")
HARD_EXIT = "Received > 3 system signals, hard exiting"


def note_line(line: str, facts: dict[str, str]) -> None:
    """Keep in `facts` what one line of the log (not a progress line) tells: the input's container and first audio
    stream, its cover picture, the loudness summary, the true peak, a signal that stopped ffmpeg."""
    if match := SIGNAL_EXIT_LINE.match(line):
        facts["signal"] = match.group(1)  # kept here, where the 200-line tail cannot push it out
    elif line.startswith(HARD_EXIT):
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
