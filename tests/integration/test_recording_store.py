"""The recording store's contract, run against the in-memory fake and, by subclassing, against DynamoDB on moto:
what the services rely on holds for both, and the fake cannot drift from the real store."""

from __future__ import annotations

import dataclasses
import itertools
import time

import pytest

from chalicelib import wiring
from chalicelib.errors import Conflict, RecordingGone
from chalicelib.listing import BY_KIND, BY_NAME, BY_OWNER, FEED, Selection
from chalicelib.recording import KINDS, Recording, Usage, new_recording
from tests.fakes import InMemoryRecordingStore

ALICE, BOB = 1, 2


def read_all(store, selection: Selection, limit: int) -> list[Recording]:
    """Every recording of a selection, page by page as the listing reads them."""
    found, after = [], None
    for _ in range(1000):
        page, after = store.page(selection, limit, after)
        found += page
        if after is None:
            return found
    raise AssertionError("the pages never ended")


def library() -> list[Recording]:
    """Sixty recordings of two owners: every kind, private ones, upload slots (one expired), failed ones, and
    durations from 1 to 60 s, some with the same name."""
    recordings = []
    for number in range(60):
        status = (
            "awaiting_upload"
            if number % 13 == 0
            else "failed"
            if number % 11 == 0
            else "processing"
            if number % 7 == 0
            else "ready"
        )
        recordings.append(
            new_recording(
                ALICE if number % 3 else BOB,
                f"take {number % 5}.wav",
                status=status,
                kind=KINDS[number % 4],
                visibility="private" if number % 6 == 1 else "public",
                duration=None if status != "ready" else number + 1,
                expires_at=int(time.time()) + (-10 if number == 26 else 3600) if status == "awaiting_upload" else None,
            )
        )
    return recordings


def selection_id(selection: Selection) -> str:
    """A selection's test id, the same in every xdist worker: the time one was made at does not appear in it."""
    made = repr(selection)
    return (
        made.replace(f"unexpired_at={selection.unexpired_at}", "unexpired_at=now") if selection.unexpired_at else made
    )


SELECTIONS = [
    Selection(FEED),
    Selection(FEED, min_duration=10, max_duration=30),
    Selection(FEED, status="failed"),
    Selection(BY_OWNER, ALICE),
    Selection(BY_OWNER, ALICE, unexpired_at=int(time.time())),
    Selection(BY_OWNER, ALICE, listed_only=True, kind="song"),
    Selection(BY_OWNER, BOB, name="take 3.wav"),
    Selection(BY_NAME, "take 2.wav"),
    Selection(BY_NAME, "take 2.wav", kind="podcast", min_duration=20),
    Selection(BY_KIND, "audiobook"),
    Selection(BY_KIND, "other", max_duration=4.5),
]


class RecordingStoreContract:
    """Subclasses provide a `store` fixture: an empty store."""

    def test_a_recording_comes_back_as_it_was_stored(self, store):
        recording = new_recording(
            ALICE,
            "Ep 1",
            status="ready",
            kind="podcast",
            host="Ann",
            participants=["Bo", "Cy"],
            duration=12.345678,
            visibility="private",
            original={"format": "wav", "size": 44, "sample_rate": 8000},
            mp3={"size": 100, "bitrate": 64000, "duration": 12.345678},
        )
        store.create(recording)

        assert store.get(recording.id) == recording
        assert store.get("no-such-id") is None

    def test_an_id_is_created_once(self, store):
        recording = new_recording(ALICE, "a.wav", status="processing")
        store.create(recording)

        with pytest.raises(Conflict):
            store.create(dataclasses.replace(recording, name="b.wav"))
        assert store.get(recording.id).name == "a.wav"

    def test_modify_writes_the_changes_and_a_new_version(self, store):
        recording = new_recording(ALICE, "a.wav", status="processing", error="old")
        store.create(recording)

        changed = store.modify(recording.id, lambda current: {"status": "ready", "error": None, "duration": 2.5})

        assert (changed.status, changed.error, changed.duration, changed.version) == ("ready", None, 2.5, 1)
        assert store.get(recording.id) == changed
        assert changed.updated_at >= recording.updated_at

    def test_modify_decides_again_on_what_another_writer_left(self, store):
        recording = new_recording(ALICE, "a.wav", status="processing")
        store.create(recording)
        store.modify(recording, lambda current: {"name": "renamed.wav"})  # another writer, meanwhile
        seen = []

        final = store.modify(recording, lambda current: seen.append(current.name) or {"status": "ready"})

        assert seen == ["a.wav", "renamed.wav"]  # the stale copy lost; the change was re-decided on the new one
        assert (final.name, final.status, final.version) == ("renamed.wav", "ready", 2)

    def test_a_stale_replace_is_refused(self, store):
        recording = new_recording(ALICE, "a.wav", status="processing")
        store.create(recording)
        store.modify(recording, lambda current: {"name": "b.wav"})

        assert store.write(recording, recording.with_changes({"status": "ready"})) is False
        assert store.get(recording.id).name == "b.wav"

    def test_modify_never_recreates_a_deleted_recording(self, store):
        recording = new_recording(ALICE, "a.wav", status="processing")
        store.create(recording)
        store.delete(recording.id)
        store.delete(recording.id)  # deleting what is not there is fine

        with pytest.raises(RecordingGone):
            store.modify(recording, lambda current: {"status": "ready"})
        with pytest.raises(RecordingGone):
            store.modify(recording.id, lambda current: {"status": "ready"})
        assert store.get(recording.id) is None

    def test_modify_may_leave_a_recording_as_it_is(self, store):
        recording = new_recording(ALICE, "a.wav", status="ready")
        store.create(recording)

        assert store.modify(recording.id, lambda current: None) == recording
        assert store.get(recording.id).version == 0

    @pytest.mark.parametrize("selection", SELECTIONS, ids=selection_id)
    def test_every_selection_pages_through_exactly_what_it_admits(self, store, selection):
        recordings = library()
        for recording in recordings:
            store.create(recording)
        expected = sorted((r for r in recordings if selection.admits(r)), key=lambda r: r.sort_key, reverse=True)
        assert expected or selection.status == "failed", "the library should give every selection something"

        for limit in (1, 7, 100):
            assert [r.id for r in read_all(store, selection, limit)] == [r.id for r in expected]

    def test_a_recording_leaves_and_rejoins_the_public_lists_with_its_visibility(self, store):
        recording = new_recording(ALICE, "solo.wav", status="ready", kind="song", duration=3)
        store.create(recording)
        public_lists = [Selection(FEED), Selection(BY_NAME, "solo.wav"), Selection(BY_KIND, "song")]

        store.modify(recording.id, lambda current: {"visibility": "private"})
        assert [read_all(store, selection, 10) for selection in public_lists] == [[], [], []]
        assert [r.id for r in read_all(store, Selection(BY_OWNER, ALICE), 10)] == [recording.id]

        store.modify(recording.id, lambda current: {"visibility": "public", "name": "duo.wav"})
        assert [r.id for r in read_all(store, Selection(FEED), 10)] == [recording.id]
        assert read_all(store, Selection(BY_NAME, "solo.wav"), 10) == []
        assert [r.name for r in read_all(store, Selection(BY_NAME, "duo.wav"), 10)] == ["duo.wav"]

    def test_usage_follows_every_write_of_the_owner_s_recordings(self, store):
        upload = new_recording(ALICE, "a.wav", status="processing", original={"size": 1000})
        other = new_recording(BOB, "b.wav", status="processing", original={"size": 5})
        store.create(upload)
        store.create(other)
        assert store.usage(ALICE) == Usage(1000, 0.0)

        store.modify(upload.id, lambda current: {"status": "ready", "duration": 2.5, "mp3": {"size": 100}})
        assert store.usage(ALICE) == Usage(1100, 2.5)
        store.modify(upload.id, lambda current: {"name": "renamed.wav"})  # costs nothing more
        assert store.usage(ALICE) == Usage(1100, 2.5)
        store.modify(upload.id, lambda current: {"status": "processing", "original": {"size": 400}, "mp3": None})
        assert store.usage(ALICE) == Usage(400, 0.0)  # a replaced file: the old one's charge is gone

        store.delete(upload.id)
        assert store.usage(ALICE) == Usage(0, 0.0) and store.usage(BOB) == Usage(5, 0.0)
        assert store.usage(99) == Usage()

    def test_a_write_that_loses_its_race_counts_nothing(self, store):
        recording = new_recording(ALICE, "a.wav", status="processing", original={"size": 10})
        store.create(recording)
        store.modify(recording, lambda current: {"name": "b.wav"})

        assert store.write(recording, recording.with_changes({"original": {"size": 10_000}})) is False
        assert store.write(None, recording) is False
        assert store.usage(ALICE) == Usage(10, 0.0)


class TestInMemoryRecordingStore(RecordingStoreContract):
    @pytest.fixture
    def store(self):
        return InMemoryRecordingStore()


class TestDynamoRecordingStore(RecordingStoreContract):
    @pytest.fixture
    def store(self, stack):
        return wiring.recording_store()


def test_the_library_covers_every_status_kind_and_owner():
    recordings = library()

    assert {r.status for r in recordings} == {"awaiting_upload", "failed", "processing", "ready"}
    assert {r.kind for r in recordings} == set(KINDS) and {r.owner for r in recordings} == {ALICE, BOB}
    assert any(r.expired() for r in recordings) and any(not r.listed for r in recordings)
    assert len(set(itertools.chain(r.name for r in recordings))) == 5
