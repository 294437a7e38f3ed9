"""The local stack lives and dies whole: a child process (`chalice local`, a worker) never outlives the main devstack
process, which hosts moto.

Why: moto lives in the main process, the largest of the stack and the OOM killer's pick. When it died by SIGKILL
its children kept running: `chalice local` went on answering /health with 200 while every recording answered 500,
and held the API's port, so the next `make run` failed with "Address already in use".

How: each child asks the kernel for a signal when its parent dies (Linux's PR_SET_PDEATHSIG), then checks that the
parent it was started by is still its parent (the parent may have died before the request was made). The main
process passes its pid in DEVSTACK_PARENT_PID. The request is made by the child itself, after exec, rather than in a
`preexec_fn`: the main process runs moto's server threads, and `preexec_fn` is unsafe in a threaded parent.
The kernel sends the signal when the *thread* that forked the child ends: the stack starts its children from its
main thread only (devstack/__main__.py).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import socket
import time
from pathlib import Path

PARENT_ENV = "DEVSTACK_PARENT_PID"
_PR_SET_PDEATHSIG = 1
log = logging.getLogger("cloudsound.stack")


def die_with_parent(signum: int = signal.SIGTERM) -> int | None:
    """Have `signum` sent to this process when the stack's main process dies; if it has died already, send it now.
    Returns the main process's pid (None when this process was not started by a stack)."""
    configured = os.environ.get(PARENT_ENV, "")
    if not configured.isdigit():
        return None
    parent = int(configured)
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0) != 0:
            log.warning("prctl(PR_SET_PDEATHSIG) failed (errno %d); relying on the parent check", ctypes.get_errno())
    except (OSError, AttributeError):  # not Linux: the parent check alone (polled by whoever can poll)
        log.warning("no prctl here; relying on the parent check")
    if not parent_alive(parent):
        os.kill(os.getpid(), signum)
    return parent


def parent_alive(parent: int | None) -> bool:
    """Whether the stack's main process is still this process's parent (an orphan is re-parented elsewhere)."""
    return parent is None or os.getppid() == parent


def kill_children() -> None:
    """SIGKILL this process's own children (a worker's ffmpeg): left alone they would convert on for minutes with
    nobody to hand their output to."""
    for children in Path("/proc/self/task").glob("*/children"):
        try:
            pids = [int(pid) for pid in children.read_text().split()]
        except OSError:
            continue
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def wait_until_port_free(host: str, port: int, timeout: float) -> bool:
    """Whether `port` could be bound within `timeout` seconds. A stack started right after the previous one died
    can find that one's `chalice local` still leaving (it has just been sent its signal)."""
    deadline = time.monotonic() + timeout
    while True:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will: TIME_WAIT is no owner
            try:
                probe.bind((host, port))
                return True
            except OSError:
                if time.monotonic() >= deadline:
                    return False
        time.sleep(0.1)
