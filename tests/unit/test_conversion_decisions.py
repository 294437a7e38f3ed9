"""The converter's decisions, on plain values: no AWS, no ffmpeg. What each event comes to (gone, duplicate,
superseded, over quota, failed, ready) and what it changes on the recording."""

from __future__ import annotations

import pytest

from chalicelib.audio.conversion import Conversion, ConversionError, TooLong, TooSlow
from chalicelib.audio.ffmpeg_log import Loudness, SourceInfo
from chalicelib.audio.mp3_tags import Tags
from chalicelib.audio.sniff import NOT_AUDIO, AudioKind
from chalicelib.conversion_decisions import (
    GIVEN_UP,
    TAGS_TOO_LARGE,
    Convert,
    Duplicate,
    Fail,
    Gone,
    Ready,
    Room,
    Superseded,
    admission,
    arrival,
    claim,
    claimed,
    conversion_failed,
    dead_letter_applies,
    given_up,
    measured,
    not_audio,
    outputs_replaced,
    ready,
    source_lost,
    still_current,
    too_large,
    version_changed,
)
from chalicelib.quotas import Quota
from chalicelib.recording import Recording, Usage, new_recording

MiB = 1024 * 1024
QUOTA = Quota(bytes=100 * MiB, seconds=3600.0)
ROOMY = Room(QUOTA, Usage())
WAV = AudioKind(format="wav", content_type="audio/wav", demuxer="wav")
LOUD = Loudness(integrated=-20.0, range=5.5, true_peak=-1.25)


def recording(status: str = "processing", **fields) -> Recording:
    return new_recording(1, "take1.wav", status=status, **fields)


def conversion(loudness: Loudness | None = LOUD) -> Conversion:
    return Conversion(
        source=SourceInfo(format="wav", codec="pcm_s16le", sample_rate=44100, channels=2, bits_per_sample=16),
        duration=12.5,
        mp3_size=200_000,
        mp3_bitrate_kbps=128,
        mp3_sample_rate=44100,
        peaks=[0.5],
        head=b"",
        source_tags=Tags(text=(("title", ("Night Drive",)),)),
        loudness=loudness,
    )


# ---- arrival --------------------------------------------------------------------------------------------------


def test_an_event_for_a_deleted_recording_removes_its_file():
    assert arrival(None, "e1", 10) == Gone(delete_file=True)


def test_an_event_for_an_object_no_longer_there_writes_nothing_and_deletes_nothing():
    assert arrival(recording(), None, None) == Gone(delete_file=False)


@pytest.mark.parametrize("status", ["ready", "failed"])
def test_a_repeat_of_a_file_already_converted_or_failed_is_a_duplicate(status):
    assert arrival(recording(status, source_etag="e1"), "e1", 10) == Duplicate()


def test_a_file_for_a_recording_being_processed_is_converted_as_it_is():
    assert arrival(recording("processing"), "e1", 10) == Convert(claim=False)


@pytest.mark.parametrize(
    "status, source_etag", [("ready", "e0"), ("failed", "e0"), ("failed", None), ("awaiting_upload", None)]
)
def test_a_new_file_over_a_finished_recording_or_into_a_slot_is_claimed_first(status, source_etag):
    assert arrival(recording(status, source_etag=source_etag), "e1", 10) == Convert(claim=True)


def test_a_claim_holds_only_while_the_file_is_the_current_original():
    assert claim("e1", "e1") == Convert(claim=True)
    assert claim("e1", "e2") == Superseded()
    assert claim("e1", None) == Superseded()  # removed since: stale all the same


def test_the_claim_marks_processing_and_leaves_a_recording_already_processing_alone():
    assert claimed(recording("ready", error="old")) == {"status": "processing", "error": None, "expires_at": None}
    assert claimed(recording("processing")) is None


# ---- the file, still the current one? ---------------------------------------------------------------------------


def test_a_file_is_current_only_while_s3_names_its_etag():
    assert still_current("e1", "e1")
    assert not still_current("e1", "e2")
    assert not still_current("e1", None)


def test_a_source_lost_mid_read_is_gone_superseded_or_the_infrastructures_fault():
    assert source_lost("e1", None) == Gone()
    assert source_lost("e1", "e2") == Superseded()
    assert source_lost("e1", "e1") is None  # still there: the shell raises, and SQS delivers it again


def test_a_version_that_changed_under_the_reader_is_never_converted_here():
    assert version_changed("e1", None) == Gone()
    assert version_changed("e1", "e2") == Superseded()
    assert version_changed("e1", "e1") == Superseded()  # the same bytes again: that upload's event converts them


# ---- failures -------------------------------------------------------------------------------------------------


def test_a_file_that_is_not_audio_fails_for_good_keeping_only_its_name_and_its_bytes_go():
    current = recording(
        original={"filename": "page.html", "size": 900, "format": "wav"},
        reserved=900,
        mp3={"size": 1, "bitrate": 1, "duration": 1.0, "sample_rate": 8000},
        duration=1.0,
    )

    decision = not_audio(current, "e1", "no audio header")

    assert decision == Fail(
        "no audio header",
        {
            "status": "failed",
            "error": f"{NOT_AUDIO}: no audio header",
            "original": {"filename": "page.html"},
            "mp3": None,
            "duration": None,
            "loudness": None,
            "source_etag": "e1",
            "reserved": None,
        },
        delete_file=True,
    )
    assert not_audio(recording(original={"size": 3}), "e1", "x").changes["original"] == {}


def test_a_file_within_what_its_recording_holds_is_admitted_even_with_the_quota_full():
    full = Room(QUOTA, Usage(bytes=QUOTA.bytes))
    assert admission(recording(reserved=5 * MiB), 5 * MiB, full) is None
    assert admission(recording(original={"size": 5 * MiB}), 4 * MiB, full) is None


def test_a_file_that_does_not_fit_fails_but_converts_again_once_there_is_room():
    room = Room(QUOTA, Usage(bytes=99 * MiB))

    decision = admission(recording(reserved=MiB), 2 * MiB, room)

    assert isinstance(decision, Fail) and not decision.delete_file
    assert decision.reason.startswith("over the owner's quota: 101.0 of 100 MiB stored")
    assert decision.changes["error"] == decision.reason
    assert decision.changes["source_etag"] is None  # not a fact about the file
    assert decision.changes["original"] == {"size": 2 * MiB}
    assert admission(recording(), 1 * MiB, room) is None


def test_a_file_ffmpeg_cannot_convert_fails_for_good():
    decision = conversion_failed(
        recording(),
        "e1",
        10,
        ConversionError("ffmpeg could not convert this file: x"),
        ROOMY,
        max_duration_seconds=7200,
    )

    assert decision.reason == decision.changes["error"] == "ffmpeg could not convert this file: x"
    assert decision.changes["source_etag"] == "e1"
    assert conversion_failed(recording(), "e1", 10, TooSlow("slow"), ROOMY, 7200).changes["source_etag"] == "e1"


def test_audio_longer_than_the_hours_left_fails_until_the_owner_makes_room():
    room = Room(QUOTA, Usage(seconds=3000.0))  # 600 s left, under the 7,200 s limit

    decision = conversion_failed(recording(), "e1", 10, TooLong("too long", limit=600.0), room, 7200)

    assert decision.reason == (
        "the audio is longer than the 0.17 hours left in the owner's quota (0.0 of 100 MiB "
        "stored and 0.83 of 1.00 hours of audio used)"
    )
    assert decision.changes["source_etag"] is None


def test_audio_longer_than_the_length_limit_fails_for_good():
    room = Room(Quota(QUOTA.bytes, 10 * 3600.0), Usage())

    decision = conversion_failed(recording(), "e1", 10, TooLong("the limit", limit=7200.0), room, 7200)

    assert (decision.reason, decision.changes["source_etag"]) == ("the limit", "e1")


def test_the_seconds_left_never_go_below_zero():
    assert Room(QUOTA, Usage(seconds=5000.0)).seconds_left == 0.0
    assert Room(QUOTA, Usage(seconds=600.0)).seconds_left == 3000.0


# ---- ready ----------------------------------------------------------------------------------------------------


def test_a_converted_file_makes_the_recording_ready_with_what_was_measured():
    current = recording(original={"filename": "take1.wav", "size": 1, "format": "wav"}, reserved=MiB, error="x")

    measurements = measured(current, conversion(), 1_000_000, WAV)
    decision = ready(measurements, "e1", tag_bytes=321)

    assert decision == Ready(
        {
            "status": "ready",
            "error": None,
            "source_etag": "e1",
            "duration": 12.5,
            "reserved": None,
            "original": {
                "filename": "take1.wav",
                "size": 1_000_000,
                "format": "wav",
                "content_type": "audio/wav",
                "codec": "pcm_s16le",
                "sample_rate": 44100,
                "channels": 2,
                "bits_per_sample": 16,
                "duration": 12.5,
                "tags": {"title": ["Night Drive"]},
                "cover": False,
            },
            "mp3": {"size": 200_321, "bitrate": 128_000, "duration": 12.5, "sample_rate": 44100},
            "loudness": {"integrated": -20.0, "range": 5.5, "true_peak": -1.25},
        }
    )
    assert measurements["mp3"] == {"size": 200_000, "bitrate": 128_000, "duration": 12.5, "sample_rate": 44100}


def test_audio_without_a_loudness_reading_has_none():
    assert measured(recording(), conversion(loudness=None), 10, WAV)["loudness"] is None


def test_the_outputs_of_the_file_a_conversion_replaces_are_removed_and_no_others():
    assert outputs_replaced(recording("ready", source_etag="e0"), "e1") == ["e0"]
    assert outputs_replaced(recording("ready", source_etag="e1"), "e1") == []
    assert outputs_replaced(recording("processing"), "e1") == []


def test_a_ready_write_the_store_refuses_as_too_large_becomes_a_failure_of_the_file():
    current = recording()
    refused = ready(measured(current, conversion(), 10, WAV), "e1", 0).changes

    decision = too_large(current, "e1", refused)

    assert decision is not None and decision.reason == decision.changes["error"] == TAGS_TOO_LARGE
    assert decision.changes["source_etag"] == "e1"
    assert too_large(current, "e1", decision.changes) is None  # a failure refused too: not the file's doing


# ---- the dead-letter queue ----------------------------------------------------------------------------------------


def test_a_message_given_up_on_fails_its_recording_unless_a_later_delivery_made_it_ready():
    assert given_up(recording("ready"), 10) is None
    changes = given_up(recording("processing", original={"size": 1}, reserved=10), 10)
    assert changes is not None
    assert (changes["status"], changes["error"], changes["original"], changes["reserved"]) == (
        "failed",
        GIVEN_UP,
        {"size": 10},
        None,
    )


def test_a_message_given_up_on_for_a_file_replaced_since_leaves_the_recording_alone():
    assert dead_letter_applies("e1", "e1")
    assert dead_letter_applies(None, "e2")  # the event named no version: the recording fails
    assert not dead_letter_applies("e1", "e2")
    assert not dead_letter_applies("e1", None)
