"""The recording service's rules, on the in-memory store (no AWS): who sees what, who changes what, what a list
holds, and what a lost race answers."""

from __future__ import annotations

import threading
import time

import pytest

from chalicelib.errors import Invalid, NotAudio, NotFound, NotOwner, NotReady, QuotaExceeded, RecordingGone
from chalicelib.listing import ListQuery
from chalicelib.recording import new_recording
from chalicelib.quotas import Quota, Quotas
from chalicelib.recording_service import LinkTimes, RecordingService
from chalicelib.users import GUEST, User
from tests.fakes import InMemoryAudioStorage, InMemoryRecordingStore

ALICE = User(id=1, name="alice", created_at="2026-01-01T00:00:00.000000Z")
BOB = User(id=2, name="bob", created_at="2026-01-01T00:00:00.000000Z")


@pytest.fixture
def store():
    return InMemoryRecordingStore()


@pytest.fixture
def service(store):
    return service_on(store)


def service_on(store, quotas=None):
    return RecordingService(
        store,
        InMemoryAudioStorage(),
        LinkTimes(download_seconds=60, upload_seconds=600),
        quotas or Quotas(user=Quota(10**9, 36_000), guest=Quota(10**6, 60)),
    )


@pytest.fixture
def wav(make_audio):
    return make_audio(seconds=0.5, rate=8000).read_bytes()


def add(store, owner=ALICE, **fields):
    recording = new_recording(owner.id, fields.pop("name", "take.wav"), status=fields.pop("status", "ready"), **fields)
    store.create(recording)
    return recording


def test_an_upload_is_stored_as_a_processing_recording_named_after_its_file(service, wav):
    recording = service.upload(ALICE, wav, filename="dir/take 1.wav", metadata={"kind": "song"})

    assert (recording.status, recording.name, recording.kind, recording.owner) == (
        "processing",
        "take 1.wav",
        "song",
        ALICE.id,
    )
    assert recording.original == {
        "content_type": "audio/wav",
        "size": len(wav),
        "format": "wav",
        "filename": "take 1.wav",
    }
    assert service.storage.objects[f"originals/{recording.id}"] == wav


def test_what_is_not_audio_is_refused_and_leaves_nothing(service, store):
    with pytest.raises(NotAudio):
        service.upload(ALICE, b"hello world " * 100, filename="x.wav")

    assert service.storage.objects == {} and service.list(ListQuery(owner=ALICE.id), ALICE.id) == ([], None)


def test_a_call_that_takes_wav_only_refuses_other_audio(service, make_audio):
    flac = make_audio("a.flac", seconds=0.5, codec="flac").read_bytes()

    with pytest.raises(NotAudio, match="WAV"):
        service.upload(ALICE, flac, formats=("wav",))


@pytest.mark.parametrize(
    "fields, owner_sees, others_see",
    [
        ({}, True, True),
        ({"visibility": "private"}, True, False),
        ({"status": "awaiting_upload", "expires_in": 600}, True, False),
        ({"status": "awaiting_upload", "expires_in": -1}, False, False),
        ({"status": "failed", "error": "not audio"}, True, False),  # what failed may not be audio: the owner's alone
    ],
)
def test_who_may_see_a_recording(service, store, fields, owner_sees, others_see):
    fields = dict(fields)
    if "expires_in" in fields:  # relative to when the test runs, not to when it was collected
        fields["expires_at"] = int(time.time()) + fields.pop("expires_in")
    recording = add(store, **fields)

    for viewer, sees in ((ALICE.id, owner_sees), (BOB.id, others_see), (None, others_see)):
        if sees:
            assert service.visible(recording.id, viewer) == recording
        else:
            with pytest.raises(NotFound):
                service.visible(recording.id, viewer)


def test_only_the_owner_changes_or_deletes_and_a_private_one_is_not_found_for_others(service, store):
    public, private = add(store), add(store, visibility="private")

    with pytest.raises(NotOwner):
        service.update(public.id, BOB, {"name": "mine.wav"})
    with pytest.raises(NotOwner):
        service.delete(public.id, BOB)
    with pytest.raises(NotFound):
        service.update(private.id, BOB, {"name": "mine.wav"})
    assert service.update(private.id, ALICE, {"name": "Pilot"}).name == "Pilot"
    service.delete(public.id, ALICE)
    assert store.get(public.id) is None


class DeletedWhileWriting(InMemoryRecordingStore):
    """A DELETE that lands between a writer's read and its write."""

    def write(self, current, new, room=None):
        if current is not None and new is not None:  # an edit: the DELETE lands first
            super().write(self.get(current.id), None)
        return super().write(current, new, room)


def test_an_edit_that_loses_a_race_with_a_delete_is_not_found():
    store = DeletedWhileWriting()
    service = service_on(store)
    recording = add(store)

    with pytest.raises(RecordingGone) as raised:
        service.update(recording.id, ALICE, {"name": "late.wav"})
    assert isinstance(raised.value, NotFound)


class EditedWhileWriting(InMemoryRecordingStore):
    """Another edit (making it a podcast) that lands between a writer's read and its first write."""

    raced = False

    def write(self, current, new, room=None):
        if current is not None and not self.raced:
            self.raced = True
            super().write(current, current.with_changes({"kind": "podcast", "host": "Ann", "version": 99}))
        return super().write(current, new, room)


def test_an_edit_racing_another_is_decided_again_on_what_the_other_left():
    store = EditedWhileWriting()
    service = service_on(store)
    recording = add(store, name="Ep")

    with pytest.raises(Invalid) as raised:
        service.update(recording.id, ALICE, {"host": None})  # fine for `other`; a podcast needs its host
    assert raised.value.details["field"] == "host"
    assert store.get(recording.id).host == "Ann"


def test_a_list_shows_others_only_what_is_listed_and_the_owner_everything_but_expired_slots(service, store):
    listed = add(store, name="a.wav")
    private = add(store, name="b.wav", visibility="private")
    waiting = add(store, name="c.wav", status="awaiting_upload", expires_at=int(time.time()) + 600)
    add(store, name="d.wav", status="awaiting_upload", expires_at=int(time.time()) - 1)

    def ids(query, viewer):
        return {recording.id for recording in service.list(query, viewer)[0]}

    assert ids(ListQuery(), None) == ids(ListQuery(), BOB.id) == {listed.id}
    assert ids(ListQuery(owner=ALICE.id), BOB.id) == {listed.id}
    assert ids(ListQuery(owner=ALICE.id), ALICE.id) == {listed.id, private.id, waiting.id}


def test_the_wait_for_a_conversion_ends_when_it_does(service, store):
    recording = add(store, status="processing")
    timer = threading.Timer(0.2, lambda: store.modify(recording.id, lambda current: {"status": "ready"}))
    timer.start()

    started = time.monotonic()
    finished = service.converted(recording.id, None, wait_seconds=5, poll_seconds=0.02)

    assert finished.status == "ready" and time.monotonic() - started < 2
    still = add(store, status="processing")
    assert service.converted(still.id, None, wait_seconds=0.05, poll_seconds=0.01).status == "processing"


def test_audio_is_not_ready_until_converted_and_says_where_it_is(service, store):
    with pytest.raises(NotReady) as raised:
        service.audio_file(add(store, status="processing"))
    assert raised.value.details["status"] == "processing"

    ready = add(store, name="Song.wav", mp3={"size": 10}, original={"format": "flac", "size": 3})
    assert service.audio_file(ready).filename == "Song.mp3"
    assert service.audio_file(ready, "original").filename == "Song.flac"  # named for what it is


def test_an_upload_that_would_pass_the_owner_s_quota_is_refused_naming_the_limit_and_the_usage(store, wav):
    service = service_on(store, Quotas(user=Quota(bytes=len(wav) * 2 + 10, seconds=3600), guest=Quota(0, 0)))
    service.upload(ALICE, wav)
    service.upload(ALICE, wav)

    with pytest.raises(QuotaExceeded) as raised:
        service.upload(ALICE, wav)
    assert raised.value.details["limit_bytes"] == len(wav) * 2 + 10
    assert raised.value.details["used_bytes"] == len(wav) * 2
    assert "MiB" in raised.value.message
    assert len(service.list(ListQuery(owner=ALICE.id), ALICE.id)[0]) == 2
    service.upload(BOB, wav)  # a quota is per user


def test_no_upload_slot_without_room_and_the_anonymous_user_has_its_own_quota(store, wav):
    service = service_on(store, Quotas(user=Quota(bytes=10**9, seconds=10), guest=Quota(bytes=100, seconds=60)))
    add(store, status="ready", duration=10.0)  # alice's ten seconds are used

    with pytest.raises(QuotaExceeded):
        service.create_pending(ALICE, {"name": "more.wav", "size": 10})
    assert service.create_pending(BOB, {"name": "fine.wav", "size": 10})[0].status == "awaiting_upload"
    with pytest.raises(QuotaExceeded):
        service.upload(GUEST, wav)  # 100 bytes for everyone without a token


def test_deleting_makes_room_again(store, wav):
    service = service_on(store, Quotas(user=Quota(bytes=len(wav), seconds=3600), guest=Quota(0, 0)))
    first = service.upload(ALICE, wav)
    with pytest.raises(QuotaExceeded):
        service.upload(ALICE, wav)

    service.delete(first.id, ALICE)

    assert service.upload(ALICE, wav).status == "processing"


class ConvertedWhileDeleting(InMemoryRecordingStore):
    """The conversion's final write lands between the DELETE's read of the recording and its delete."""

    raced = False

    def write(self, current, new, room=None):
        if new is None and not self.raced:
            self.raced = True
            super().write(current, current.with_changes({"status": "ready", "source_etag": "e1", "version": 7}))
        return super().write(current, new, room)


def test_a_delete_removes_the_files_of_a_conversion_that_finished_as_it_was_deleting():
    store = ConvertedWhileDeleting()
    service = service_on(store)
    recording = add(store, status="processing")
    service.storage.objects.update(
        {
            f"originals/{recording.id}": b"RIFF",
            f"mp3/{recording.id}/e1.mp3": b"mp3",
            f"peaks/{recording.id}/e1.json": b"{}",
        }
    )

    service.delete(recording.id, ALICE)

    assert store.get(recording.id) is None and service.storage.objects == {}
