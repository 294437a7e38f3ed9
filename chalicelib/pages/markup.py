"""What every server-rendered page shares: escaping, the document around a body, and its headers (a CSP that allows
only the page's own inline style and script, by hash)."""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Iterable

STYLE = """body{font:16px/1.45 system-ui,sans-serif;margin:0;color:#1b1b1f;background:#fafafa}
main{max-width:46rem;margin:0 auto;padding:1.5rem}a{color:#2456c8}h1{font-size:1.5rem;margin:.2rem 0}
.meta{color:#555}.wave{width:100%;height:64px;display:block}.wave rect{fill:#2456c8}
audio{width:100%;margin:.8rem 0}ul{padding-left:1.2rem}li{margin:.3rem 0}
dl{display:grid;grid-template-columns:auto 1fr;gap:.2rem 1rem}dt{color:#555}dd{margin:0}
img.cover{max-width:12rem;border-radius:6px;float:right;margin-left:1rem}"""


def text(value: object) -> str:
    """A value as HTML text (and safe in a double-quoted attribute too)."""
    return html.escape("" if value is None else str(value), quote=True)


attr = text


def source_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii") + "'"


def meta_tags(properties: Iterable[tuple[str, str]]) -> str:
    """OpenGraph (`og:*`, property=) and Twitter (`twitter:*`, name=) tags."""
    tags = []
    for name, value in properties:
        key = "name" if name.startswith("twitter:") else "property"
        tags.append(f'<meta {key}="{attr(name)}" content="{attr(value)}">')
    return "\n".join(tags)


def document(title: str, body: str, *, head: str = "", style: str = STYLE, script: str = "") -> str:
    scripts = f"<script>{script}</script>" if script else ""
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">\n'
        f'<title>{text(title)}</title>\n<link rel="icon" href="data:,">\n{head}\n<style>{style}</style>\n'
        f"</head><body>\n{body}\n{scripts}</body></html>\n"
    )


def headers(
    storage_origin: str, *, style: str = STYLE, script: str = "", framed_by_anyone: bool = False
) -> dict[str, str | list[str]]:
    """A page's headers: its CSP allows its own inline style and script (by hash), pictures and audio from the API
    itself and from the bucket's origin (the stable links redirect there), and nothing else. Only the embed may be
    framed, by anyone (`frame-ancestors *`); the other pages by nobody."""
    directives = [
        "default-src 'none'",
        f"style-src {source_hash(style)}",
        f"script-src {source_hash(script)}" if script else "script-src 'none'",
        f"img-src 'self' data: {storage_origin}",
        f"media-src 'self' {storage_origin}",
        "form-action 'none'",
        "base-uri 'none'",
        "frame-ancestors *" if framed_by_anyone else "frame-ancestors 'none'",
    ]
    found: dict[str, str | list[str]] = {
        "Content-Type": "text/html; charset=utf-8",
        "Cache-Control": "no-cache",
        "Content-Security-Policy": "; ".join(directives),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer" if not framed_by_anyone else "strict-origin-when-cross-origin",
    }
    if not framed_by_anyone:
        found["X-Frame-Options"] = "DENY"
    return found


def duration_text(seconds: float | None) -> str:
    """1:05, 1:02:03; empty when not known."""
    if seconds is None:
        return ""
    whole = int(round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def waveform_svg(peaks: list[float], bars: int = 120) -> str:
    """The waveform as an inline SVG of bars (no script, no fetch): what a crawler and a framed player both show."""
    if not peaks:
        return '<svg class="wave" viewBox="0 0 120 64" preserveAspectRatio="none" aria-hidden="true"></svg>'
    step = max(1, len(peaks) // bars)
    levels = [max(peaks[i : i + step]) for i in range(0, len(peaks), step)][:bars]
    rects = "".join(
        f'<rect x="{i}" y="{32 - 30 * max(0.02, min(1.0, float(v))):.2f}" width="0.7" '
        f'height="{60 * max(0.02, min(1.0, float(v))):.2f}"></rect>'
        for i, v in enumerate(levels)
    )
    return (
        f'<svg class="wave" viewBox="0 0 {len(levels)} 64" preserveAspectRatio="none" aria-hidden="true">{rects}</svg>'
    )
