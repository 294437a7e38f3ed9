"""The web page at `/`: one self-contained HTML file (CSS and JS inline, no CDN, no build step), so it works the same
under `chalice local` and behind API Gateway, offline included."""

from __future__ import annotations

import functools
from pathlib import Path


@functools.lru_cache(maxsize=1)
def page_html() -> str:
    return (Path(__file__).with_name("index.html")).read_text(encoding="utf-8")
