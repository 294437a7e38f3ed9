"""The upload-time check: audio is recognised by its content, whatever it is called."""

from __future__ import annotations

import pytest

from chalicelib.audio.sniff import UnreadableAudio, identify_audio


@pytest.mark.parametrize(
    "name, codec, expected",
    [
        ("a.wav", "pcm_s16le", ("wav", "audio/wav")),
        ("a.wav", "pcm_f32le", ("wav", "audio/wav")),
        ("a.flac", "flac", ("flac", "audio/flac")),
        ("a.mp3", "libmp3lame", ("mp3", "audio/mpeg")),
        ("a.ogg", "libvorbis", ("ogg", "audio/ogg")),
        ("a.m4a", "aac", ("mp4", "audio/mp4")),
    ],
)
def test_audio_is_identified_by_its_content(make_audio, name, codec, expected):
    kind = identify_audio(make_audio(name, codec=codec).read_bytes())

    assert (kind.format, kind.content_type) == expected


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty"),
        (b"hello, this is a text file called x.wav\n" * 10, "not a supported audio file"),
        (b"RIFF\x24\x00\x00\x00AVI LIST\x00\x00\x00\x00" + bytes(64), "not a readable audio file"),
        (bytes(range(256)) * 40, "not a supported audio file"),
    ],
)
def test_anything_else_is_refused_with_a_reason(data, reason):
    with pytest.raises(UnreadableAudio, match=reason):
        identify_audio(data)


def test_a_wav_with_an_empty_data_chunk_is_refused(make_audio):
    with pytest.raises(UnreadableAudio, match="no audio samples"):
        identify_audio(make_audio(seconds=0.0).read_bytes())


def test_every_content_type_an_upload_can_be_stored_with_travels_as_binary():
    from chalicelib.api.http import BINARY_TYPES
    from chalicelib.audio import sniff

    assert {audio_format.content_type for audio_format in sniff._FORMATS.values()} <= set(BINARY_TYPES)
