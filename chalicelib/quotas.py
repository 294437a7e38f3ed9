"""What one owner's recordings may cost: stored bytes and seconds of audio. Checked when a file is uploaded (its
size) or a slot is made (room left at all), and again when the converter decodes it (its real duration, which no
header can lie about: decoding stops where the quota ends)."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.errors import QuotaExceeded
from chalicelib.recording import Usage
from chalicelib.users import GUEST


@dataclass(frozen=True)
class Quota:
    bytes: int
    seconds: float


@dataclass(frozen=True)
class Quotas:
    user: Quota
    guest: Quota  # the earlier specs' anonymous callers, all together

    def of(self, owner: int) -> Quota:
        return self.guest if owner == GUEST.id else self.user


def check_room(quota: Quota, usage: Usage, adding_bytes: int = 0) -> None:
    """QuotaExceeded (naming the limits and the usage) unless `adding_bytes` more fit, with audio time left."""
    if usage.bytes + adding_bytes <= quota.bytes and usage.seconds < quota.seconds:
        return
    raise QuotaExceeded(
        f"over your quota: {describe(quota, usage)}; delete recordings to make room",
        limit_bytes=quota.bytes,
        used_bytes=usage.stored,
        reserved_bytes=usage.reserved,
        limit_seconds=quota.seconds,
        used_seconds=usage.seconds,
        adding_bytes=adding_bytes,
    )


def conversion_fits(quota: Quota, others: Usage, size: int, held: int) -> bool:
    """Whether a file of `size` bytes may be converted, given what the owner's other recordings use: a file within
    what its recording already holds (its reservation, or the body it was stored with) was admitted when that was
    taken, whatever the MP3s converted since added; any other must fit beside the others."""
    return size <= held or others.bytes + size <= quota.bytes


def describe(quota: Quota, usage: Usage) -> str:
    reserved = f" ({usage.reserved / 1024**2:,.1f} MiB of it reserved for uploads)" if usage.reserved else ""
    return (
        f"{usage.bytes / 1024**2:,.1f} of {quota.bytes / 1024**2:,.0f} MiB stored{reserved} and "
        f"{usage.seconds / 3600:,.2f} of {quota.seconds / 3600:,.2f} hours of audio used"
    )
