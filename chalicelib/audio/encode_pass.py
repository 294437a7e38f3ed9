"""One encoding pass, run to its end: the converter's ffmpeg process (audio/ffmpeg_command.py) and, for a file
encoded in parallel segments, the helpers that encode the others (audio/segments.py), whose frames are joined
(audio/mp3_join.py). The MP3 is read as it grows and handed on in chunks, its first bytes held back until the end;
whatever happens, the processes are waited for and the work files removed. What the pass comes to (its errors, its
result) is audio/convert.py's.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import BinaryIO

from chalicelib.audio.ffmpeg_command import encode_command
from chalicelib.audio.ffmpeg_watch import Watch
from chalicelib.audio.growing_file import GrowingFile, hand_on
from chalicelib.audio.mp3_join import Joiner, JoinFailed, join
from chalicelib.audio.segments import Helper, Segment, mp3_rate, start_helpers, stop
from chalicelib.audio.source_layout import SourceLayout


@dataclass(frozen=True)
class Pass:
    """How the file is read and encoded: the source, the options that read it, and its segments (none: one pass)."""

    source: str
    headers: Mapping[str, str] | None
    network: list[str]
    demuxer: str | None
    layout: SourceLayout | None
    pieces: list[Segment]
    bitrate_kbps: int
    reservoir: bool
    max_seconds: float | None
    max_channel_samples: int | None
    max_wall_seconds: float | None

    @property
    def lock(self) -> list[str]:
        return ["-f", self.demuxer] if self.demuxer else []


@dataclass(frozen=True)
class Output:
    """What the encoders wrote: the MP3's final head, where ffmpeg's ID3 tag ends and the audio's size after it,
    that tag; and, for segments, a join that failed and whether the first pass was stopped because of it."""

    head: bytes
    tag_end: int
    size: int
    ffmpeg_tag: bytes
    join_failure: JoinFailed | None = None
    stopped_first: bool = False


@dataclass(frozen=True)
class Ended:
    """A pass that has ended: its output, its exit code, its log's tail and facts, and the helpers' ends."""

    output: Output
    returncode: int
    log: list[str]
    facts: dict[str, str]
    peaks: list[float]
    helper_logs: list[tuple[int, list[str]]]


def run_pass(encode: Pass, write: Callable[[bytes], None], held_bytes: int, chunk_bytes: int) -> Ended:
    """Run the pass (and its segments' helpers) to the end, whatever happens; nothing of it is left behind."""
    workdir = tempfile.TemporaryDirectory(prefix="cloudsound-")
    mp3_path = os.path.join(workdir.name, "out.mp3")
    open(mp3_path, "wb").close()  # there from the start: the reader opens it before ffmpeg writes
    peaks_read, peaks_write = os.pipe()
    command = _command(encode, mp3_path, peaks_write)
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            pass_fds=(peaks_write,),
        )
    except BaseException:
        workdir.cleanup()
        raise
    finally:
        os.close(peaks_write)
    watch = Watch(process, peaks_read, encode.max_channel_samples, encode.max_wall_seconds)
    helpers: list[Helper] = []
    try:
        helpers = _start_helpers(encode, workdir.name)
        watch.deadline.processes += [helper.process for helper in helpers]
        with open(mp3_path, "rb") as growing:
            if encode.pieces:
                output = _joined(encode, growing, process, helpers, write, held_bytes, chunk_bytes)
            else:
                output = _single(growing, process, write, held_bytes, chunk_bytes)
    except BaseException:
        process.kill()
        raise
    finally:
        returncode = process.wait()
        watch.deadline.cancel()
        stopped = stop(helpers)
        watch.join()
        helper_logs = [(helper.process.returncode, helper.log()) for helper in helpers if helper not in stopped]
        workdir.cleanup()
    return Ended(
        output=output,
        returncode=returncode,
        log=list(watch.log),
        facts=watch.facts,
        peaks=watch.meter.finish(),
        helper_logs=helper_logs,
    )


def _command(encode: Pass, mp3_path: str, peaks_fd: int) -> list[str]:
    """The pass's ffmpeg command (audio/ffmpeg_command.py): the first segment only, when there are segments."""
    return encode_command(
        encode.source,
        [*encode.network, *encode.lock],
        mp3_path,
        peaks_fd,
        bitrate_kbps=encode.bitrate_kbps,
        reservoir=encode.reservoir,
        max_seconds=encode.max_seconds,
        end_sample=encode.pieces[0].end if encode.pieces else None,
    )


def _start_helpers(encode: Pass, workdir: str) -> list[Helper]:
    """The encoders of the segments after the first (audio/segments.py), writing into `workdir`; none for one pass."""
    if not encode.layout:
        return []
    return start_helpers(
        encode.source, encode.layout, encode.pieces[1:], encode.bitrate_kbps, workdir, encode.network, encode.demuxer
    )


def _single(
    growing: BinaryIO,
    process: subprocess.Popen[bytes],
    write: Callable[[bytes], None],
    held_bytes: int,
    chunk_bytes: int,
) -> Output:
    tag_end, size = hand_on(GrowingFile(growing, process), write, held_bytes, chunk_bytes)
    # Final now that ffmpeg has finished: its tag (the source's tags), the Info frame, the held bytes.
    growing.seek(tag_end)
    head = growing.read(min(held_bytes, size))
    growing.seek(0)
    return Output(head=head, tag_end=tag_end, size=size, ffmpeg_tag=growing.read(tag_end))


def _joined(
    encode: Pass,
    growing: BinaryIO,
    process: subprocess.Popen[bytes],
    helpers: list[Helper],
    write: Callable[[bytes], None],
    held_bytes: int,
    chunk_bytes: int,
) -> Output:
    assert encode.layout is not None
    joiner = Joiner(write, held_bytes, chunk_bytes, expected_rate=mp3_rate(encode.layout.sample_rate))
    join_failure: JoinFailed | None = None
    stopped_first = False  # the first pass stopped by us, because the join had failed
    try:
        join(joiner, (GrowingFile(growing, process), growing), helpers, encode.pieces)
        process.wait()
        for helper in helpers:
            helper.process.wait()
        head = joiner.finish()
    except JoinFailed as failed:  # a helper that ended early says why, if it can: see _check
        join_failure, head, stopped_first = failed, b"", process.poll() is None
        process.kill()
    growing.seek(0)
    return Output(
        head=head,
        tag_end=joiner.tag_end,
        size=joiner.size,
        ffmpeg_tag=growing.read(joiner.tag_end),
        join_failure=join_failure,
        stopped_first=stopped_first,
    )
