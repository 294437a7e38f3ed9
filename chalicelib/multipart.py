"""Uploads in parts (S3 multipart), decided by pure functions: when an announced file goes in parts, how large its
parts are, which part numbers a page of the upload's state covers, and whether the parts S3 holds make up the file.

S3's limits: at most 10,000 parts, each at least 5 MiB but the last, at most 5 GiB; an object at most 5 TiB. The
service chooses the part size (the configured one, or larger so that the file fits in 10,000 parts), and every part
link carries its exact length signed (S3 refuses any other), so the parts add up to the declared size or are
missing; `problems` names which.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

MIB = 1024 * 1024
MIN_PART_BYTES = 5 * MIB  # S3's smallest part but the last
MAX_PART_BYTES = 5 * 1024**3  # S3's largest part
MAX_PARTS = 10_000
MAX_SINGLE_PUT_BYTES = 5 * 1024**3  # one PUT (an upload link) takes at most this
DEFAULT_FROM_BYTES = 64 * MIB  # announced files from this size up go in parts
DEFAULT_PART_BYTES = 8 * MIB


@dataclass(frozen=True)
class WrongPart:
    """A part S3 holds whose size is not the one its number must have."""

    number: int
    size: int
    expected: int


@dataclass(frozen=True)
class Problems:
    """Why the parts held do not make up the file: the part numbers missing, and the parts of the wrong size."""

    missing: tuple[int, ...]
    wrong: tuple[WrongPart, ...]

    def describe(self) -> str:
        said = []
        if self.missing:
            said.append(f"missing part{'s' if len(self.missing) > 1 else ''} {_numbers(self.missing)}")
        if self.wrong:
            said.append(
                "wrong size: "
                + ", ".join(f"part {p.number} has {p.size} bytes, not {p.expected}" for p in self.wrong[:20])
            )
        return "; ".join(said)


def in_parts(size: int, asked: bool | None, from_bytes: int) -> bool:
    """Whether an announced file of `size` bytes goes up in parts: when asked (`"multipart": true`), when it is
    above `from_bytes`, and always when one PUT could not take it; `"multipart": false` keeps one PUT if it can."""
    if size > MAX_SINGLE_PUT_BYTES:
        return True
    if asked is not None:
        return asked
    return size > from_bytes


def part_size_for(size: int, preferred: int = DEFAULT_PART_BYTES) -> int:
    """The part size for a file of `size` bytes: `preferred` (at least S3's 5 MiB), or, for a file that would
    need more than 10,000 parts, the smallest whole number of MiB that fits it in 10,000."""
    part_size = max(preferred, MIN_PART_BYTES)
    if size > part_size * MAX_PARTS:
        part_size = -(-size // (MAX_PARTS * MIB)) * MIB
    return min(part_size, MAX_PART_BYTES)


def part_count(size: int, part_size: int) -> int:
    return max(1, -(-size // part_size))


def part_bytes(number: int, size: int, part_size: int) -> int:
    """The size part `number` (from 1) must have: `part_size`, but the last holds what is left."""
    count = part_count(size, part_size)
    if not 1 <= number <= count:
        raise ValueError(f"part {number} is not one of 1..{count}")
    return part_size if number < count else size - part_size * (count - 1)


def page_numbers(size: int, part_size: int, first: int, limit: int) -> tuple[range, int | None]:
    """The part numbers one page of the upload's state covers, from `first`, and where the next page starts (None
    after the last part)."""
    count = part_count(size, part_size)
    first = max(first, 1)
    end = min(first + limit - 1, count)
    return range(first, end + 1), (end + 1 if end < count else None)


def problems(held: Iterable[tuple[int, int]], size: int, part_size: int) -> Problems | None:
    """What keeps the parts S3 holds (`(number, size)` pairs) from making up the file: every part 1..count, each
    of its exact size. None: they make it up (a part numbered past the last is not part of the file: completion
    leaves it out, and S3 drops it)."""
    count = part_count(size, part_size)
    sizes = dict(held)
    missing = tuple(number for number in range(1, count + 1) if number not in sizes)
    wrong = tuple(
        WrongPart(number, sizes[number], expected)
        for number in range(1, count + 1)
        if number in sizes and sizes[number] != (expected := part_bytes(number, size, part_size))
    )
    if missing or wrong:
        return Problems(missing, wrong)
    return None


def _numbers(numbers: tuple[int, ...]) -> str:
    """1, 2, 3, 7 → "1-3, 7" (a long list is cut)."""
    runs: list[str] = []
    start = previous = numbers[0]
    for number in (*numbers[1:], None):
        if number is not None and number == previous + 1:
            previous = number
            continue
        runs.append(f"{start}" if start == previous else f"{start}-{previous}")
        if number is not None:
            start = previous = number
    return ", ".join(runs[:20]) + (", …" if len(runs) > 20 else "")
