"""Names as people expect: a file's name without its extension, then the original's own title."""

from __future__ import annotations

import pytest

from chalicelib.naming import default_name, file_stem, is_default, name_from_tags


@pytest.mark.parametrize(
    "filename, stem",
    [
        ("take1.wav", "take1"),
        ("Mix v1.2.flac", "Mix v1.2"),
        ("Mix v1.2", "Mix v1.2"),
        ("dir/sub/Pilot 2.mp3", "Pilot 2"),
        (".wav", ".wav"),
        ("", None),
        (None, None),
    ],
)
def test_a_files_name_loses_its_extension_and_directories(filename, stem):
    assert file_stem(filename) == stem


def test_no_file_name_is_recording():
    assert default_name(None) == "recording"
    assert default_name("take1.wav") == "take1"


def test_only_a_name_nobody_typed_gives_way_to_the_title_tag():
    original = {"filename": "tagged.flac", "tags": {"title": ["Red Song\u0007"], "artist": ["Jo"]}}

    assert name_from_tags("tagged", "song", original) == "Red Song"
    assert name_from_tags("recording", "other", {"tags": {"title": ["T"]}}) == "T"
    assert name_from_tags("My take", "song", original) is None  # typed
    assert name_from_tags("tagged.flac", "other", original) is None  # an earlier spec's name: kept
    assert name_from_tags("tagged", "song", {"filename": "tagged.flac"}) is None  # no title
    assert name_from_tags("tagged", "song", {**original, "tags": {"title": ["x" * 300]}}) == "x" * 100
    assert is_default("tagged", original) and not is_default("tagged.flac", original)
