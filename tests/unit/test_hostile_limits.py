"""The bounds on what a stranger's input can cost: a conversion's wall clock, rate limits per address, quota
reservations that expire with their slots. Time is injected where the rule depends on it."""

from __future__ import annotations

import os
import threading
import time

import pytest

from chalicelib.audio.convert import TooSlow, convert_to_mp3
from chalicelib.errors import QuotaExceeded, TooManyRequests
from chalicelib.quotas import Quota, Quotas
from chalicelib.rate_limits import RateLimiter
from chalicelib.recording import new_recording
from tests.unit.test_recording_service import ALICE, service_on
from tests.fakes import InMemoryRecordingStore


class CountingTable:
    """The one UpdateItem the rate limiter makes, over a dict (ADD and if_not_exists, as DynamoDB does them)."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, int]] = {}

    def update_item(self, Key, ExpressionAttributeValues, **_):  # noqa: N803 (boto3's names)
        item = self.items.setdefault(Key["pk"], {"count": 0})
        item["count"] += ExpressionAttributeValues[":one"]
        item.setdefault("expires_at", ExpressionAttributeValues[":expires"])
        return {"Attributes": dict(item)}


def test_a_rate_limit_refuses_past_its_count_and_lets_the_next_window_in():
    now = [1_000_000.0]
    limiter = RateLimiter(CountingTable(), clock=lambda: now[0])
    for _ in range(3):
        limiter.hit("registrations", "203.0.113.9", limit=3, window_seconds=600)

    with pytest.raises(TooManyRequests) as refused:
        limiter.hit("registrations", "203.0.113.9", limit=3, window_seconds=600)
    limiter.hit("registrations", "198.51.100.1", limit=3, window_seconds=600)  # another address: its own count
    now[0] += 600
    limiter.hit("registrations", "203.0.113.9", limit=3, window_seconds=600)  # a new window

    assert refused.value.details["retry_after"] == 200  # 1,000,000 is 400 s into its 600 s window


def test_a_rate_limit_item_expires_after_its_window_through_the_ttl():
    table = CountingTable()
    RateLimiter(table, clock=lambda: 1200.0).hit("uploads", "a", limit=5, window_seconds=600)

    [(key, item)] = table.items.items()
    assert key == "rate#uploads#a#1200" and item["expires_at"] == 1200 + 1200


def test_an_expired_slot_gives_its_reservation_back_when_the_room_is_needed():
    store = InMemoryRecordingStore()
    service = service_on(store, Quotas(user=Quota(bytes=1000, seconds=3600), guest=Quota(0, 0)))
    stale = new_recording(ALICE.id, "old.wav", status="awaiting_upload", reserved=900, expires_at=int(time.time()) - 1)
    store.create(stale)
    assert store.usage(ALICE.id).reserved == 900

    fresh, upload = service.create_pending(ALICE, {"name": "new.wav", "size": 800})

    assert store.get(stale.id) is None and upload is not None and upload["size"] == 800
    assert store.usage(ALICE.id).bytes == 800 == store.usage(ALICE.id).reserved


def test_a_slot_that_does_not_fit_beside_live_ones_is_refused():
    store = InMemoryRecordingStore()
    service = service_on(store, Quotas(user=Quota(bytes=1000, seconds=3600), guest=Quota(0, 0)))
    service.create_pending(ALICE, {"name": "a.wav", "size": 600})

    with pytest.raises(QuotaExceeded) as refused:
        service.create_pending(ALICE, {"name": "b.wav", "size": 600})

    assert refused.value.details["reserved_bytes"] == 600 and "reserved" in refused.value.message


def test_a_source_that_stalls_is_stopped_at_the_wall_clock_limit(tmp_path, make_audio):
    header = make_audio(seconds=60, rate=8000).read_bytes()[:4096]  # a WAV that promises a minute, then stalls
    fifo = tmp_path / "stalling.wav"
    os.mkfifo(fifo)
    release = threading.Event()

    def feed() -> None:
        with open(fifo, "wb") as pipe:
            pipe.write(header)
            pipe.flush()
            release.wait(60)

    threading.Thread(target=feed, daemon=True).start()
    try:
        with pytest.raises(TooSlow, match="longer than 2 seconds"):
            convert_to_mp3(str(fifo), lambda chunk: None, demuxer="wav", max_wall_seconds=2)
    finally:
        release.set()
