"""Where the ffmpeg binary is.

Lambda: the layer puts it at /opt/bin/ffmpeg. Locally and in CI: the static binary of the `imageio-ffmpeg` wheel in
the virtualenv. `FFMPEG_BINARY` overrides both.
"""

from __future__ import annotations

import functools
import os
import shutil

LAYER_PATH = "/opt/bin/ffmpeg"


@functools.cache
def _locate(override: str | None) -> str:
    if override:
        return override
    if os.access(LAYER_PATH, os.X_OK):
        return LAYER_PATH
    try:
        import imageio_ffmpeg
    except ImportError:
        found = shutil.which("ffmpeg")
        if found:
            return found
        raise RuntimeError("no ffmpeg: install imageio-ffmpeg, attach the layer or set FFMPEG_BINARY") from None
    path: str = imageio_ffmpeg.get_ffmpeg_exe()
    return path


def ffmpeg_binary() -> str:
    return _locate(os.environ.get("FFMPEG_BINARY") or None)
