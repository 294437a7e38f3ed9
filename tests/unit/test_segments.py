"""Parallel segments, proved by decoding: a recording encoded by several encoders at once and joined is the MP3 one
encoder writes (with the bit reservoir off, as joining needs), byte for byte and sample for sample, for every kind
of source the converter cuts, and everything measured of it (duration, waveform, loudness, tags) is the whole
recording's. Real audio, made by ffmpeg: music-like (a sine often hides a corrupt join)."""

from __future__ import annotations

import io
import subprocess
import tempfile
from pathlib import Path

import mutagen.mp3
import pytest

from chalicelib.audio.convert import convert_to_mp3
from chalicelib.audio.ffmpeg import ffmpeg_binary
from chalicelib.audio.segments import ROLL_SAMPLES, mp3_rate, plan

# Two voices with vibrato and tremolo, a bell every half second, pink noise: joins show up as clicks in all of it.
_MUSIC = (
    "aevalsrc=0.3*sin(2*PI*(220+20*sin(2*PI*0.3*t))*t)*(0.6+0.4*sin(2*PI*2*t))"
    "+0.1*sin(2*PI*1760*t)*gt(mod(t\\,0.5)\\,0.4)"
    "|0.3*sin(2*PI*(331+20*sin(2*PI*0.31*t))*t)*(0.6+0.4*sin(2*PI*2.1*t)):s={rate}:d={seconds}"
)


def make_music(
    path: Path,
    seconds: float,
    rate: int = 44100,
    channels: int = 2,
    codec: str = "pcm_s16le",
    extra: tuple[str, ...] = (),
) -> Path:
    subprocess.run(
        [
            ffmpeg_binary(),
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            _MUSIC.format(rate=rate, seconds=seconds + 1),
            "-f",
            "lavfi",
            "-i",
            f"anoisesrc=r={rate}:d={seconds + 1}:a=0.05:c=pink:seed=7",
            "-filter_complex",
            "[1]aformat=channel_layouts=stereo[noise];[0][noise]amix=2:normalize=0",
            "-t",
            str(seconds),
            "-ac",
            str(channels),
            "-c:a",
            codec,
            *extra,
            str(path),
        ],
        check=True,
    )
    return path


def convert(path: Path, **options):
    out = io.BytesIO()
    result = convert_to_mp3(str(path), out.write, **options)
    return result, result.head + out.getvalue()


def decode(mp3: bytes, tmp_path: Path) -> bytes:
    """The MP3 decoded by ffmpeg to 32-bit float PCM, from a file: the decoder trims the delay and padding the LAME
    tag names (from a pipe it cannot find the end, and keeps the padding)."""
    path = tmp_path / "decoded.mp3"
    path.write_bytes(mp3)
    return subprocess.run(
        [ffmpeg_binary(), "-nostdin", "-loglevel", "error", "-i", str(path), "-f", "f32le", "pipe:1"],
        capture_output=True,
        check=True,
    ).stdout


def input_samples(path: Path) -> int:
    """The source's own sample count, as ffmpeg decodes it (one channel's)."""
    decoded = subprocess.run(
        [
            ffmpeg_binary(),
            "-nostdin",
            "-loglevel",
            "error",
            "-i",
            str(path),
            "-map",
            "0:a:0",
            "-ac",
            "1",
            "-f",
            "f32le",
            "pipe:1",
        ],
        capture_output=True,
        check=True,
    ).stdout
    return len(decoded) // 4


def assert_joined_equals_serial(source: Path, segments: int) -> None:
    serial, serial_mp3 = convert(source, reservoir=False)
    joined, joined_mp3 = convert(source, segments=segments, parallel_from_seconds=0)

    assert joined.segments > 1, "the parallel path was not taken"
    assert joined_mp3 == serial_mp3  # the Info frame and every audio frame
    joined_pcm = decode(joined_mp3, source.parent)
    assert joined_pcm == decode(serial_mp3, source.parent) and joined_pcm  # sample for sample
    channels = 1 if mutagen.mp3.MP3(io.BytesIO(joined_mp3)).info.channels == 1 else 2
    decoded = len(joined_pcm) // (4 * channels)
    rate = joined.mp3_sample_rate
    if rate == joined.source.sample_rate:  # not resampled: exactly the original's samples come back
        assert decoded == input_samples(source)
    assert mutagen.mp3.MP3(io.BytesIO(joined_mp3)).info.length == joined.duration == decoded / rate
    assert (joined.duration, joined.peaks, joined.loudness, joined.source, joined.source_tags) == (
        serial.duration,
        serial.peaks,
        serial.loudness,
        serial.source,
        serial.source_tags,
    )


@pytest.mark.parametrize(
    "rate, channels, codec",
    [
        (44100, 2, "pcm_s16le"),
        (44100, 1, "pcm_s16le"),
        (48000, 2, "pcm_s24le"),
        (8000, 1, "pcm_u8"),
        (11025, 2, "pcm_s16le"),
        (16000, 1, "pcm_s24le"),
        (22050, 2, "pcm_s16le"),
        (32000, 2, "pcm_f32le"),
        (96000, 2, "pcm_s24le"),  # resampled to 48 kHz
        (88200, 1, "pcm_s16le"),  # resampled to 44.1 kHz
        (64000, 2, "pcm_s16le"),  # resampled to 48 kHz: the cut falls on a whole input sample every third frame
        (37800, 2, "pcm_s16le"),  # resampled to 32 kHz: every fifth frame
    ],
)
def test_a_joined_wav_is_the_serial_encode(tmp_path, rate, channels, codec):
    # 7.3 s: not a whole number of frames; three segments of under 2.5 s each
    assert_joined_equals_serial(make_music(tmp_path / "music.wav", 7.3, rate, channels, codec), segments=3)


def test_a_tagged_flac_is_cut_by_decoding_and_joins_exactly(tmp_path):
    source = make_music(
        tmp_path / "music.flac",
        9.1,
        44100,
        2,
        "flac",
        extra=("-metadata", "title=Night Drive", "-metadata", "artist=Ann"),
    )
    assert_joined_equals_serial(source, segments=2)
    assert dict(convert(source, segments=2, parallel_from_seconds=0)[0].source_tags.text)["title"] == ("Night Drive",)


def test_a_24_bit_flac_at_96_khz_joins_exactly(tmp_path):
    assert_joined_equals_serial(
        make_music(tmp_path / "music.flac", 6.2, 96000, 2, "flac", extra=("-sample_fmt", "s32")), segments=3
    )


def test_an_mp3_source_is_cut_by_decoding_and_joins_exactly(tmp_path):
    source = make_music(tmp_path / "music.mp3", 8.05, 44100, 2, "libmp3lame", extra=("-b:a", "192k"))
    assert_joined_equals_serial(source, segments=3)


def test_segments_shorter_than_the_pre_roll_still_join_exactly(tmp_path):
    # 48 kHz: no padding period, so segments can be cut at any frame; 60 frames in 6 segments, 16 frames of pre-roll
    source = make_music(tmp_path / "short.wav", 60 * 1152 / 48000, 48000, 2, "pcm_s16le")
    pieces = plan(60 * 1152, 48000, 6)
    assert len(pieces) > 2 and min(piece.keep for piece in pieces[1:-1]) * 1152 < ROLL_SAMPLES
    assert_joined_equals_serial(source, segments=6)


@pytest.mark.parametrize(
    "samples, rate, count",
    [
        (44100 * 600, 44100, 2),
        (44100 * 600 + 17, 44100, 6),
        (96000 * 61, 96000, 4),
        (8000 * 300 + 3, 8000, 3),
        (37800 * 100, 37800, 4),
        (48000 * 3, 48000, 16),
        (1152 * 3, 48000, 4),
    ],
)
def test_the_plan_cuts_on_the_frame_grid_with_pre_and_post_roll(samples, rate, count):
    out_rate = mp3_rate(rate)
    frame = 1152 if out_rate >= 32000 else 576
    roll = ROLL_SAMPLES // frame
    pieces = plan(samples, rate, count)

    assert 1 <= len(pieces) <= count
    assert pieces[0].start == 0 and pieces[0].skip == 0 and pieces[-1].keep is None and pieces[-1].end == samples
    kept_from = 0  # in frames of the joined stream
    for piece in pieces:
        first_frame = piece.start * out_rate / (rate * frame)
        assert first_frame == int(first_frame)  # a whole frame, on a whole input sample
        assert int(first_frame) % (49 if out_rate % 11025 == 0 else 1) == 0  # on LAME's padding period
        assert int(first_frame) + piece.skip == kept_from  # segments keep adjoining frames
        assert piece.skip == (roll if piece.start else 0)
        if piece.keep is not None:
            kept_from += piece.keep
            assert piece.end * out_rate >= (kept_from + roll) * frame * rate  # post-roll read past the last kept
    assert len(pieces) == 1 or samples * out_rate // rate >= (kept_from + roll) * frame


def test_a_short_or_unsplittable_source_is_one_pass(tmp_path):
    source = make_music(tmp_path / "music.wav", 3.0)
    assert convert(source, segments=4, parallel_from_seconds=5)[0].segments == 1  # shorter than the threshold
    ogg = make_music(tmp_path / "music.ogg", 6.0, codec="libvorbis")
    assert convert(ogg, segments=4, parallel_from_seconds=0)[0].segments == 1  # no exact cut known for Vorbis
    six = make_music(tmp_path / "six.wav", 6.0, channels=6)
    assert convert(six, segments=4, parallel_from_seconds=0)[0].segments == 1  # ffmpeg's downmix: one pass


@pytest.mark.parametrize(
    "script, error",
    [
        ("kill -KILL $$", "ConversionInterrupted"),  # the OOM killer took a helper: SQS delivers the message again
        ("echo 'Server returned 412 Precondition Failed' >&2; exit 1", "SourceUnavailable"),  # replaced mid-read
        ("echo 'something unexpected' >&2; exit 1", "SegmentsFailed"),  # the caller converts in one pass
        ("exit 0", "SegmentsFailed"),  # a helper that wrote nothing: the join does not add up
    ],
)
def test_a_helper_that_fails_says_so_and_nothing_is_kept(tmp_path, monkeypatch, script, error):
    import chalicelib.audio.convert as convert_module
    import chalicelib.audio.segments as segments

    source = make_music(tmp_path / "music.wav", 6.0)
    monkeypatch.setattr(segments, "helper_command", lambda *args: ["sh", "-c", script])
    scratch = tmp_path / "tmp"  # a temp folder of its own: other tests (another pytest worker) convert meanwhile
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    with pytest.raises(getattr(convert_module, error)):
        convert_to_mp3(str(source), lambda chunk: None, segments=2, parallel_from_seconds=0)
    assert list(scratch.iterdir()) == []  # its work files are gone
