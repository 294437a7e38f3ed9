"""Wiring: the one module that builds the service's objects from settings, lazily (as Chalice's `media-query` sample
does with `get_media_db()`). Routes and handlers ask here; the classes themselves take ready collaborators, so tests
can hand them fakes.

Objects are cached per settings: the local stack and the tests change settings (endpoints, table names) between
runs, and a changed setting gets fresh objects, never stale ones.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from chalicelib import aws
from chalicelib.config import Settings, settings

if TYPE_CHECKING:
    from chalicelib.capabilities import CapabilityStore
    from chalicelib.multipart_uploads import MultipartUploads
    from chalicelib.api_keys import KeyStore
    from chalicelib.pipeline import Converter
    from chalicelib.quotas import Quotas
    from chalicelib.rate_limits import RateLimiter
    from chalicelib.recording_service import RecordingService
    from chalicelib.recording_store import RecordingStore
    from chalicelib.storage import AudioStorage
    from chalicelib.users import UserStore
    from chalicelib.webhook_delivery import Deliverer
    from chalicelib.webhooks import HookStore


def user_store() -> UserStore:
    return _user_store(settings())


def key_store() -> KeyStore:
    return _key_store(settings())


def hook_store() -> HookStore:
    return _hook_store(settings())


def webhook_deliverer() -> Deliverer:
    """The webhooks queue's handler (imported only when asked for, as the converter is)."""
    return _webhook_deliverer(settings())


def recording_store() -> RecordingStore:
    return _recording_store(settings())


def audio_storage() -> AudioStorage:
    return _audio_storage(settings())


def recording_service() -> RecordingService:
    return _recording_service(settings())


def multipart_uploads() -> MultipartUploads:
    return _multipart_uploads(settings())


def rate_limiter() -> RateLimiter:
    return _rate_limiter(settings())


def capability_store(kind: str) -> CapabilityStore:
    """Share links ("share") and private feeds ("feed"): chalicelib/capabilities.py."""
    return _capability_store(settings(), kind)


def converter() -> Converter:
    """The conversion pipeline (imported only here, when asked for: the API's cold start never loads it)."""
    return _converter(settings())


@functools.lru_cache(maxsize=4)
def _user_store(current: Settings) -> UserStore:
    from chalicelib.users import UserStore

    return UserStore(aws.table(current.users_table))


@functools.lru_cache(maxsize=4)
def _key_store(current: Settings) -> KeyStore:
    from chalicelib.api_keys import KeyStore

    return KeyStore(aws.table(current.users_table))


@functools.lru_cache(maxsize=4)
def _hook_store(current: Settings) -> HookStore:
    from chalicelib.webhooks import HookStore

    return HookStore(aws.table(current.users_table))


@functools.lru_cache(maxsize=4)
def _webhook_deliverer(current: Settings) -> Deliverer:
    from chalicelib.webhook_delivery import Deliverer
    from chalicelib.webhook_events import DeliveryQueue

    return Deliverer(
        _hook_store(current),
        DeliveryQueue(aws.sqs(), current.webhooks_queue),
        allow_loopback=current.webhooks_allow_loopback,
        timeout=current.webhook_timeout_seconds,
        max_queue_delay=current.webhook_max_queue_delay,
    )


@functools.lru_cache(maxsize=4)
def _rate_limiter(current: Settings) -> RateLimiter:
    from chalicelib.rate_limits import RateLimiter

    return RateLimiter(aws.table(current.users_table))


@functools.lru_cache(maxsize=8)
def _capability_store(current: Settings, kind: str) -> CapabilityStore:
    from chalicelib.capabilities import CapabilityStore

    return CapabilityStore(aws.table(current.users_table), kind)


@functools.lru_cache(maxsize=4)
def _recording_store(current: Settings) -> RecordingStore:
    from chalicelib.recording_store import DynamoRecordingStore

    return DynamoRecordingStore(aws.table(current.recordings_table))


@functools.lru_cache(maxsize=4)
def _audio_storage(current: Settings) -> AudioStorage:
    from chalicelib.storage import AudioStorage

    return AudioStorage(aws.s3(), current.bucket)


@functools.lru_cache(maxsize=4)
def _recording_service(current: Settings) -> RecordingService:
    from chalicelib.recording_service import LinkTimes, RecordingService

    from chalicelib.shares import forget_shares

    service = RecordingService(
        _recording_store(current),
        _audio_storage(current),
        LinkTimes(download_seconds=current.link_ttl_seconds, upload_seconds=current.upload_ttl_seconds),
        _quotas(current),
    )
    service.on_delete.append(forget_shares)  # a deleted recording's share links go with it
    return service


@functools.lru_cache(maxsize=4)
def _multipart_uploads(current: Settings) -> MultipartUploads:
    from chalicelib.multipart_storage import PartStorage
    from chalicelib.multipart_uploads import MultipartSettings, MultipartUploads

    return MultipartUploads(
        _recording_service(current),
        PartStorage(aws.s3(), current.bucket),
        MultipartSettings(
            from_bytes=current.multipart_from_bytes,
            part_bytes=current.multipart_part_bytes,
            ttl_seconds=current.multipart_ttl_seconds,
            link_seconds=current.upload_ttl_seconds,
        ),
    )


@functools.lru_cache(maxsize=4)
def _converter(current: Settings) -> Converter:
    from chalicelib.pipeline import Converter, ConversionSettings

    return Converter(
        _recording_store(current),
        _audio_storage(current),
        ConversionSettings(
            bitrate_kbps=current.mp3_bitrate_kbps,
            max_duration_seconds=current.max_duration_seconds,
            max_channel_samples=current.max_channel_samples,
            quotas=_quotas(current),
            segments=current.convert_segments,
            parallel_from_seconds=current.parallel_from_seconds,
            max_wall_seconds=current.convert_timeout_seconds,
        ),
    )


def _quotas(current: Settings) -> Quotas:
    from chalicelib.quotas import Quota, Quotas

    return Quotas(
        user=Quota(current.quota_bytes, current.quota_seconds),
        guest=Quota(current.guest_quota_bytes, current.guest_quota_seconds),
    )


def reset() -> None:
    """Forget every built object and client (tests that swap endpoints or credentials)."""
    for cached in (
        _user_store,
        _key_store,
        _hook_store,
        _webhook_deliverer,
        _rate_limiter,
        _recording_store,
        _audio_storage,
        _recording_service,
        _converter,
        _multipart_uploads,
    ):
        cached.cache_clear()
    _capability_store.cache_clear()
    aws.reset()
