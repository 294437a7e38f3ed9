"""The audio core on real generated audio: what it measures, what it writes, how it fails. No AWS."""

from __future__ import annotations

import io
from pathlib import Path

import mutagen.mp3
import pytest

from chalicelib.audio.convert import ConversionError, SourceUnavailable, channel_count, convert_to_mp3


def frame_seconds(rate: int) -> float:
    """One MP3 frame: an MP3 is whole frames, plus the encoder's delay, so it may run up to ~2 frames long."""
    return (1152 if rate >= 32000 else 576) / rate


def convert(path: Path, **options):
    out = io.BytesIO()
    result = convert_to_mp3(str(path), out.write, **options)
    return result, out.getvalue()


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
    assert mutagen.mp3.MP3(io.BytesIO(mp3)).info.bitrate == 192000


@pytest.mark.parametrize(
    "name, codec, expected_format, bits",
    [("a.flac", "flac", "flac", 16), ("a.mp3", "libmp3lame", "mp3", None), ("a.ogg", "libvorbis", "ogg", None),
     ("a.m4a", "aac", "mp4", None), ("a.aiff", "pcm_s16be", "aiff", 16)],
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


def test_a_missing_source_is_unavailable_not_a_conversion_failure(tmp_path):
    with pytest.raises(SourceUnavailable):
        convert(tmp_path / "nothing-here.wav")


def test_audio_longer_than_the_limit_fails(make_audio):
    with pytest.raises(ConversionError, match="longer than the limit"):
        convert(make_audio(seconds=5, rate=8000), max_seconds=2)


@pytest.mark.parametrize(
    "layout, count",
    [("mono", 1), ("stereo", 2), ("5.1", 6), ("5.1(side)", 6), ("7.1", 8), ("7.1(wide)", 8), ("5.1.4", 10),
     ("3 channels", 3), ("hexagonal", 6), ("quad", 4), ("2 channels (FL+LFE)", 2), ("weird", None)],
)
def test_channel_layouts_are_counted(layout, count):
    assert channel_count(layout) == count
