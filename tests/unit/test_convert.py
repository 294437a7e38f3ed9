"""The audio core on real generated audio: what it measures, what it writes, how it fails. No AWS."""

from __future__ import annotations

import http.server
import io
import math
import os
import random
import signal
import subprocess
import threading
import time
from pathlib import Path
from collections.abc import Callable, Iterator

import mutagen.mp3
import pytest

from chalicelib.audio.convert import ConversionError, ConversionInterrupted, SourceUnavailable, TooLong, convert_to_mp3
from chalicelib.audio.ffmpeg_log import channel_count
from chalicelib.audio.ffmpeg import ffmpeg_binary


def frame_seconds(rate: int) -> float:
    """One MP3 frame: an MP3 is whole frames, plus the encoder's delay, so it may run up to ~2 frames long."""
    return (1152 if rate >= 32000 else 576) / rate


def convert(path: Path, **options):
    """The conversion, and the whole MP3's audio: the head it held back, then what it wrote as it went."""
    out = io.BytesIO()
    result = convert_to_mp3(str(path), out.write, **options)
    return result, result.head + out.getvalue()


@pytest.mark.parametrize(
    "rate, channels, codec, bits",
    [
        (44100, 1, "pcm_s16le", 16),
        (44100, 2, "pcm_s16le", 16),
        (8000, 1, "pcm_u8", 8),
        (22050, 2, "pcm_s24le", 24),
        (48000, 2, "pcm_s32le", 32),
        (96000, 2, "pcm_f32le", 32),
        (16000, 1, "pcm_f64le", 64),
        (11025, 6, "pcm_s16le", 16),
    ],
)
def test_measures_the_original_and_writes_an_mp3_of_the_same_duration(make_audio, rate, channels, codec, bits):
    source = make_audio(seconds=2.5, rate=rate, channels=channels, codec=codec)

    result, mp3 = convert(source)

    assert result.source.format == "wav"
    assert result.source.codec == codec
    assert result.source.sample_rate == rate
    assert result.source.channels == channels
    assert result.source.bits_per_sample == bits
    assert result.duration == pytest.approx(2.5, abs=0.001)
    assert result.mp3_size == len(mp3) > 0
    decoded = mutagen.mp3.MP3(io.BytesIO(mp3))
    assert decoded.info.length == pytest.approx(2.5, abs=0.1 + 2 * frame_seconds(decoded.info.sample_rate))
    assert decoded.info.channels == min(channels, 2)  # MP3 holds at most two channels


def test_bitrate_is_the_one_asked_for(make_audio):
    result, mp3 = convert(make_audio(seconds=3, channels=2), bitrate_kbps=192)

    assert result.mp3_bitrate_kbps == 192
    assert round(mutagen.mp3.MP3(io.BytesIO(mp3)).info.bitrate, -3) == 192000  # the Info frame's average


@pytest.mark.parametrize("rate, channels", [(8000, 1), (11025, 2), (12000, 1), (16000, 1), (22050, 2), (44100, 2)])
def test_the_bitrate_reported_is_the_one_the_mp3_was_encoded_at(make_audio, rate, channels):
    # libmp3lame caps the bitrate by the sample rate (MPEG-2.5 at 8-12 kHz: 64 kbit/s), while ffmpeg's own log
    # still prints the 128 kb/s asked for: only the MP3's frame headers tell.
    result, mp3 = convert(make_audio(seconds=3, rate=rate, channels=channels), bitrate_kbps=128)

    assert result.mp3_bitrate_kbps * 1000 == round(mutagen.mp3.MP3(io.BytesIO(mp3)).info.bitrate, -3)
    assert result.mp3_bitrate_kbps == (64 if rate <= 12000 else 128)


def test_the_originals_tags_are_read_and_the_mp3_starts_with_its_info_frame(make_audio):
    tagged = make_audio(
        seconds=2, rate=8000, extra=("-metadata", "title=" + "a long title " * 500, "-metadata", "artist=Someone")
    )

    result, mp3 = convert(tagged)

    assert dict(result.source_tags.text) == {"title": (("a long title " * 500)[:2000],), "artist": ("Someone",)}
    assert not mp3.startswith(b"ID3")  # the tag is the caller's to write: the audio starts with the Info frame
    assert b"Info" in mp3[:200] and b"LAME3.100" in mp3[:300]
    assert result.mp3_bitrate_kbps * 1000 == round(mutagen.mp3.MP3(io.BytesIO(mp3)).info.bitrate, -3) == 64000


@pytest.mark.parametrize("seconds", [0.05, 1, 7.3])
def test_the_held_head_comes_back_final_and_the_rest_was_written_as_it_came(make_audio, seconds):
    source = make_audio(seconds=seconds, rate=44100, channels=2)
    whole, _ = convert(source)
    written = io.BytesIO()

    result = convert_to_mp3(str(source), written.write, held_bytes=40_000)

    assert len(result.head) == min(40_000, result.mp3_size)
    assert result.head + written.getvalue() == convert(source)[1]  # nothing lost, nothing twice, in order
    assert result.mp3_size == len(result.head) + len(written.getvalue())


@pytest.mark.parametrize(
    "rate, channels, seconds", [(44100, 2, 5.0), (48000, 1, 3.21), (22050, 2, 0.4), (8000, 1, 2.0), (44100, 1, 61.003)]
)
def test_the_lame_tag_makes_the_length_exact_to_the_sample(make_audio, tmp_path, rate, channels, seconds):
    source = make_audio(seconds=seconds, rate=rate, channels=channels)
    samples = round(seconds * rate)

    result, mp3 = convert(source)

    (tmp_path / "out.mp3").write_bytes(mp3)
    info = mutagen.mp3.MP3(io.BytesIO(mp3)).info
    assert round(info.length * info.sample_rate) == samples  # mutagen: frames less the encoder delay and padding
    assert result.duration == samples / rate == info.length
    decoded = subprocess.run(
        [ffmpeg_binary(), "-v", "error", "-i", str(tmp_path / "out.mp3"), "-f", "s16le", "-"],
        capture_output=True,
        check=True,
    ).stdout
    assert len(decoded) // (2 * channels) == samples  # ffmpeg gives back exactly the original's samples


def sine(path: Path, level_dbfs: float, seconds: float = 20, rate: int = 48000) -> Path:
    """EBU Tech 3341's test signal: a 1 kHz sine of `level_dbfs` on both channels of a stereo file."""
    tone = f"pow(10\\,{level_dbfs}/20)*sin(2*PI*1000*t)"
    subprocess.run(
        [
            ffmpeg_binary(),
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"aevalsrc={tone}|{tone}:s={rate}:d={seconds}",
            "-c:a",
            "pcm_s24le",
            str(path),
        ],
        check=True,
    )
    return path


@pytest.mark.parametrize("level", [-23.0, -33.0, -10.0])
def test_loudness_reads_as_ebu_tech_3341_says(tmp_path, level):
    # Case 1 of EBU Tech 3341: a 1 kHz stereo sine at -23 dBFS reads -23.0 ±0.1 LUFS; the same holds at any level.
    result, _ = convert(sine(tmp_path / "sine.wav", level))

    assert result.loudness.integrated == pytest.approx(level, abs=0.1)
    assert result.loudness.range == pytest.approx(0.0, abs=0.1)
    assert result.loudness.true_peak == pytest.approx(level, abs=0.2)


def test_the_measurement_sees_every_sample_up_to_the_last(tmp_path):
    # Quiet for 9 s, loud in the last second: a measuring branch that stopped early would miss it.
    late = tmp_path / "late.wav"
    subprocess.run(
        [
            ffmpeg_binary(),
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "aevalsrc=if(gt(t\\,9)\\,0.9*sin(2*PI*1000*t)\\,0.01*sin(2*PI*1000*t)):s=44100:d=10",
            str(late),
        ],
        check=True,
    )

    result, _ = convert(late)

    assert result.loudness.true_peak == pytest.approx(20 * math.log10(0.9), abs=0.2)
    assert result.loudness.integrated > -10  # the gate keeps the loud second, as EBU R128 says


def test_silence_has_no_true_peak_and_the_gated_floor_as_its_loudness(tmp_path):
    silent = tmp_path / "silence.wav"
    subprocess.run(
        [ffmpeg_binary(), "-v", "error", "-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo", "-t", "3", str(silent)],
        check=True,
    )

    result, _ = convert(silent)

    assert result.loudness.true_peak is None
    assert result.loudness.integrated == -70.0


def test_a_flacs_vorbis_comments_and_cover_are_read(make_audio, tmp_path):
    cover = tmp_path / "cover.png"
    subprocess.run(
        [ffmpeg_binary(), "-v", "error", "-f", "lavfi", "-i", "color=red:s=32x32", "-frames:v", "1", str(cover)],
        check=True,
    )
    plain = make_audio(
        "plain.flac",
        seconds=2,
        channels=2,
        codec="flac",
        extra=("-metadata", "title=Night Drive", "-metadata", "album=Roads", "-metadata", "date=1999"),
    )
    flac = tmp_path / "covered.flac"
    subprocess.run(
        [
            ffmpeg_binary(),
            "-v",
            "error",
            "-i",
            str(plain),
            "-i",
            str(cover),
            "-map",
            "0",
            "-map",
            "1",
            "-c:a",
            "copy",
            "-c:v",
            "copy",
            "-disposition:v",
            "attached_pic",
            "-metadata:s:v",
            "comment=Cover (front)",
            str(flac),
        ],
        check=True,
    )

    result, _ = convert(flac)

    tags = dict(result.source_tags.text)
    assert tags["title"] == ("Night Drive",) and tags["album"] == ("Roads",) and tags["date"] == ("1999",)
    [picture] = result.source_tags.pictures
    assert picture.data == cover.read_bytes() and picture.mime == "image/png" and picture.type == 3


def test_a_video_track_is_not_taken_for_a_cover(tmp_path):
    video = tmp_path / "clip.mp4"
    subprocess.run(
        [
            ffmpeg_binary(),
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=s=64x64:d=2",
            "-f",
            "lavfi",
            "-i",
            "sine=d=2",
            "-c:v",
            "mpeg4",
            "-c:a",
            "aac",
            "-shortest",
            str(video),
        ],
        check=True,
    )

    result, _ = convert(video)

    assert result.duration == pytest.approx(2.0, abs=0.05)
    assert result.source_tags.pictures == ()


@pytest.mark.parametrize(
    "name, codec, expected_format, bits",
    [
        ("a.flac", "flac", "flac", 16),
        ("a.mp3", "libmp3lame", "mp3", None),
        ("a.ogg", "libvorbis", "ogg", None),
        ("a.m4a", "aac", "mp4", None),
        ("a.aiff", "pcm_s16be", "aiff", 16),
    ],
)
def test_other_formats_ffmpeg_decodes_are_converted_the_same_way(make_audio, name, codec, expected_format, bits):
    result, mp3 = convert(make_audio(name, seconds=2, codec=codec))

    assert result.source.format == expected_format
    assert result.source.bits_per_sample == bits
    assert result.duration == pytest.approx(2, abs=0.06)  # lossy codecs pad to whole frames
    assert len(mp3) > 0


def test_m4a_with_its_index_at_the_end_is_converted_whole(make_audio):
    # ffmpeg writes the index (moov) after the audio; a reader that cannot seek would find no audio at all
    result, _ = convert(make_audio("long.m4a", seconds=90, codec="aac"))

    assert result.duration == pytest.approx(90, abs=0.1)


def test_a_truncated_wav_converts_what_is_there_and_reports_the_measured_duration(make_audio, tmp_path):
    whole = make_audio(seconds=10, rate=8000, codec="pcm_s16le").read_bytes()
    truncated = tmp_path / "truncated.wav"
    truncated.write_bytes(whole[: 44 + 8000 * 2 * 6])  # header + 6 of the 10 seconds the header claims

    result, _ = convert(truncated)

    assert result.duration == pytest.approx(6.0, abs=0.01)


def test_a_wav_with_no_samples_fails_with_a_reason(make_audio):
    with pytest.raises(ConversionError, match="no audio samples"):
        convert(make_audio(seconds=0.0))


def test_text_is_not_converted(tmp_path):
    text = tmp_path / "notes.wav"
    text.write_text("these are my notes, not audio\n" * 20)

    with pytest.raises(ConversionError) as raised:
        convert(text)
    assert "Invalid data" in raised.value.reason
    assert str(tmp_path) not in raised.value.reason  # the source's location never leaks into the reason


def test_random_bytes_are_not_converted(tmp_path):
    garbage = tmp_path / "noise.wav"
    garbage.write_bytes(random.Random(7).randbytes(1 << 16))

    with pytest.raises(ConversionError, match="Invalid data"):
        convert(garbage)


def test_a_missing_source_is_unavailable_not_a_conversion_failure(tmp_path):
    with pytest.raises(SourceUnavailable):
        convert(tmp_path / "nothing-here.wav")


def test_audio_longer_than_the_limit_fails(make_audio):
    with pytest.raises(ConversionError, match="longer than the limit"):
        convert(make_audio(seconds=5, rate=8000), max_seconds=2)


def ffmpeg_children() -> list[int]:
    """The ffmpeg processes this test process started, from /proc (the kernel's own children lists are not always
    compiled in, and psutil is not a dependency)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = (entry / "stat").read_text().rpartition(")")[2].split()[1]  # the name may hold spaces
            program = (entry / "cmdline").read_bytes().split(b"\0")[0]
        except (OSError, IndexError):
            continue  # gone meanwhile
        if parent == str(os.getpid()) and program == os.fsencode(ffmpeg_binary()):
            found.append(int(entry.name))
    return found


def signal_ffmpeg_on_first_chunk(signum: int, sent: list[int]) -> Callable[[bytes], None]:
    """A `write` for convert_to_mp3 that sends `signum` to the running ffmpeg when the first MP3 chunk arrives
    (and records its pid in `sent`), as the OOM killer or a Ctrl-C would."""

    def write(chunk: bytes) -> None:
        if not sent:
            [ffmpeg] = ffmpeg_children()
            os.kill(ffmpeg, signum)
            sent.append(ffmpeg)

    return write


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_an_ffmpeg_killed_or_stopped_mid_conversion_is_an_interruption_to_retry_not_a_failure(make_audio, signum):
    # SIGKILL is the OOM killer; SIGTERM and SIGINT a worker stopped, or Ctrl-C reaching its process group (ffmpeg
    # then finishes its outputs and exits 255). 60 s of audio is ~960 kB of MP3: far more than the first 16 kB chunk
    # plus the pipe and ffmpeg's buffer, so ffmpeg is necessarily still running, blocked, when the first chunk comes.
    source = make_audio(seconds=60, rate=44100, channels=2)
    stopped: list[int] = []
    write = signal_ffmpeg_on_first_chunk(signum, stopped)

    # After SIGTERM/SIGINT ffmpeg 7 may still encode everything its demuxer thread had already read (a local WAV:
    # all of it) before exiting 255; an interruption all the same, since it cannot be told from a cut-short one.
    with pytest.raises(ConversionInterrupted, match=signum.name) as raised:
        convert_to_mp3(str(source), write, chunk_bytes=1 << 14)

    assert stopped
    assert not isinstance(raised.value, ConversionError)  # the pipeline would mark the recording failed for good
    assert ffmpeg_children() == []  # and it was reaped


@pytest.fixture
def stalled_source() -> Iterator[tuple[str, threading.Event]]:
    """An http URL whose server takes the request and never answers; the event is set once the request is in."""
    requested, release = threading.Event(), threading.Event()

    class Stall(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requested.set()
            release.wait(30)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stall)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/take.wav", requested
    release.set()
    server.shutdown()
    server.server_close()


def test_a_stop_while_ffmpeg_is_still_opening_the_source_is_an_interruption_too(stalled_source):
    # Observed with ffmpeg 7.0.2: a SIGTERM during the input's opening makes it exit 0 with no output at all, which
    # once read as "the file has no audio stream", a permanent failure.
    url, requested = stalled_source

    def stop_ffmpeg_once_it_asked() -> None:
        assert requested.wait(20)
        [ffmpeg] = ffmpeg_children()
        os.kill(ffmpeg, signal.SIGTERM)

    stopper = threading.Thread(target=stop_ffmpeg_once_it_asked, daemon=True)
    stopper.start()
    started = time.monotonic()
    with pytest.raises(ConversionInterrupted, match="SIGTERM"):
        convert_to_mp3(url, io.BytesIO().write)
    stopper.join()
    assert time.monotonic() - started < 15


@pytest.mark.parametrize(
    "layout, count",
    [
        ("mono", 1),
        ("stereo", 2),
        ("5.1", 6),
        ("5.1(side)", 6),
        ("7.1", 8),
        ("7.1(wide)", 8),
        ("5.1.4", 10),
        ("3 channels", 3),
        ("hexagonal", 6),
        ("quad", 4),
        ("2 channels (FL+LFE)", 2),
        ("weird", None),
    ],
)
def test_channel_layouts_are_counted(layout, count):
    assert channel_count(layout) == count


def test_decoding_stops_where_the_channel_sample_budget_ends(make_audio):
    budget = 5 * 96_000 * 4  # five seconds of 96 kHz 4-channel audio
    rich = make_audio("rich.wav", seconds=10, rate=96_000, channels=4)
    plain = make_audio("plain.wav", seconds=10, rate=44_100, channels=2)

    with pytest.raises(TooLong) as raised:
        convert_to_mp3(str(rich), lambda chunk: None, max_channel_samples=budget)
    assert raised.value.limit == pytest.approx(5.0) and "96000 Hz with 4 channels" in raised.value.reason

    assert convert_to_mp3(str(plain), lambda chunk: None, max_channel_samples=budget).duration == pytest.approx(10.0)
