"""The converter's last step: a finished conversion's outputs stored (the MP3's head, uploaded last, and its peaks
beside it, at the same time), and the outcome written, if the converted file is still the recording's current one.
What the outcome is, conversion_decisions.py decides; pipeline.py gets there."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from chalicelib.audio.conversion import Conversion
from chalicelib.conversion_decisions import Fail, Outcome, Ready, as_of_now, outputs_replaced, still_current, too_large
from chalicelib.errors import ItemTooLarge, RecordingGone
from chalicelib.object_writer import StreamingWriter
from chalicelib.recording import Recording, RecordingChanges
from chalicelib.recording_store import RecordingStore
from chalicelib.storage import AudioStorage, original_key, peaks_key
from chalicelib.tagging import Mp3Tagger, tags_for
from chalicelib.webhook_events import notify


class OutcomeWriter:
    """The converter's writes at the end of each conversion (its `_store` and `_finish` call them)."""

    def __init__(self, store: RecordingStore, storage: AudioStorage, tagger: Mp3Tagger) -> None:
        self.store = store
        self.storage = storage
        self.tagger = tagger

    def store_outputs(
        self, recording_id: str, etag: str, conversion: Conversion, writer: StreamingWriter, tag: bytes
    ) -> None:
        """The MP3 completed, its head (`tag`, then the conversion's held bytes) going up last, and the peaks."""
        try:
            with ThreadPoolExecutor(max_workers=1) as alongside:  # the two writes at the end, at the same time
                peaks_written = alongside.submit(
                    self.storage.put_json,
                    peaks_key(recording_id, etag),
                    {"peaks": conversion.peaks, "duration": conversion.duration},
                )
                writer.close(first=tag + conversion.head)
                peaks_written.result()
        except BaseException:
            writer.abort()
            raise

    def write(
        self, recording: Recording, etag: str, decision: Fail | Ready, tagged: Recording | None = None
    ) -> Outcome:
        """Write the outcome if the converted file is still the recording's current one, decided afresh at the
        write: another upload replaced it meanwhile (its own conversion will finish), or the recording is gone.
        The outputs of a conversion that does not count are removed, and so are those of the one it replaces.
        `tagged` is the recording the MP3's tag was written from: edited since, the tag is rewritten. A file that is
        not audio is deleted once its failure is written, if it is still the current one: nothing but audio is
        ever hosted."""
        replaced: list[str] = []

        def change(current: Recording) -> RecordingChanges:
            if not still_current(etag, self.storage.original_etag(recording.id)):
                raise _Superseded()
            replaced[:] = outputs_replaced(current, etag)
            return as_of_now(decision.changes, current)

        try:
            written = self.store.modify(recording, change)
        except (RecordingGone, _Superseded) as lost:
            self.storage.delete_outputs(recording.id, etag)  # leave no orphan
            return "gone" if isinstance(lost, RecordingGone) else "superseded"
        except ItemTooLarge:  # what the file carries cannot be kept (tags are capped: not expected)
            self.storage.delete_outputs(recording.id, etag)
            fallback = too_large(recording, etag, decision.changes)
            if fallback is None:
                raise
            return self.write(recording, etag, fallback)
        for previous in replaced:
            self.storage.delete_outputs(recording.id, previous)
        if tagged is not None and tags_for(written) != tags_for(tagged):
            self.tagger.sync(recording.id)
        if (
            isinstance(decision, Fail)
            and decision.delete_file
            and still_current(etag, self.storage.original_etag(recording.id))
        ):
            self.storage.delete(original_key(recording.id))
        notify(f"recording.{decision.outcome}", written)  # the owner's webhooks, through their own queue
        return decision.outcome


class _Superseded(Exception):
    """The converted file is no longer the recording's current one."""
