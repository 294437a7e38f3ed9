"""The web page at `/`: one self-contained HTML file (CSS and JS inline, no CDN, no build step), so it works the same
under `chalice local` and behind API Gateway, offline included.

It is served with a strict Content-Security-Policy (`page_headers()`). The inline `<script>` and `<style>` are allowed
by their SHA-256 hashes, computed here from the file as served, so editing index.html needs no second step; nothing
else inline runs or styles (no `onclick=`, no `style=""`: the page sets its handlers and classes from its script).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
import urllib.parse
from pathlib import Path

from chalicelib.config import Settings, settings

# The inline elements a hash allows: exactly `<script>…</script>` and `<style>…</style>` as the page writes them.
_INLINE = re.compile(r"<(script|style)>(.*?)</\1>", re.DOTALL)
# A key nobody stores: presigning it only shows which origin the API's links point at (nothing is sent anywhere).
_ORIGIN_PROBE_KEY = "originals/csp-origin-probe"


@functools.lru_cache(maxsize=1)
def page_html() -> str:
    """index.html with the service's vocabulary (kinds, their fields, limits) written into its script, so the page
    never repeats them; the CSP hashes are taken from this, the page as served."""
    from chalicelib.metadata import vocabulary

    known = json.dumps(vocabulary(), separators=(",", ":")).replace("</", "<\\/")
    return (Path(__file__).with_name("index.html")).read_text(encoding="utf-8").replace("__VOCABULARY__", known)


def _hash_source(text: str) -> str:
    # What the browser hashes: the element's text after the HTML parser's newline normalisation, as UTF-8.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


@functools.lru_cache(maxsize=1)
def inline_hashes() -> dict[str, tuple[str, ...]]:
    """{"script": (...), "style": (...)}: the CSP hash sources of the page's inline elements."""
    found: dict[str, list[str]] = {"script": [], "style": []}
    for tag, text in _INLINE.findall(page_html()):
        found[tag].append(_hash_source(text))
    return {tag: tuple(dict.fromkeys(sources)) for tag, sources in found.items()}


def storage_origin() -> str:
    """The origin (scheme://host[:port]) of the presigned S3 links the API hands the page: what it plays (<audio>)
    and where it PUTs uploads. Taken from a link presigned exactly as the API presigns them, so it is right for
    moto on 127.0.0.1:<port>, a virtual-hosted bucket, a regional or path-style endpoint alike."""
    return _storage_origin(settings())


@functools.lru_cache(maxsize=4)
def _storage_origin(current: Settings) -> str:
    from chalicelib import wiring  # boto3 only when the page is first asked for (it needs it for its API anyway)

    url = urllib.parse.urlsplit(wiring.audio_storage().presigned_get(_ORIGIN_PROBE_KEY, 60))
    return f"{url.scheme}://{url.netloc}"


def content_security_policy() -> str:
    """Only what the page does, from where it does it:

    - `default-src 'none'`: anything not named below (fonts, frames, workers, manifests, prefetch) is refused.
    - `script-src` / `style-src`: the inline `<script>` and `<style>` by hash; no 'unsafe-inline', no 'unsafe-eval',
      no inline handlers or style attributes. (Styles the script sets through the CSSOM, element.style, are not
      governed by CSP; the page sets classes anyway.)
    - `img-src data: 'self' <storage>`: the empty `data:,` favicon (it stops the browser asking for /favicon.ico),
      and covers: `GET /recordings/{id}/cover` (same origin) redirects to a presigned link on the bucket's origin.
    - `media-src <storage>`: the player's <audio> plays presigned S3 GET links, on the bucket's origin only.
    - `connect-src 'self' <storage>`: fetch() to the API (same origin, also behind API Gateway's stage path), and
      the upload's XHR PUT to a presigned S3 link.
    - `form-action 'none'`: every form is handled by the script; none may ever navigate with what was typed in it
      (a token) even if pressed before the script has run.
    - `frame-ancestors 'none'` (with X-Frame-Options: DENY for browsers without it): no clickjacking by framing.
    - `base-uri 'none'`: an injected <base> cannot redirect the page's relative API calls.
    - `object-src 'none'`: no plugins (already implied by default-src; stated for scanners and old browsers).
    """
    hashes = inline_hashes()
    storage = storage_origin()
    directives = [
        "default-src 'none'",
        "script-src " + " ".join(hashes["script"] or ("'none'",)),
        "style-src " + " ".join(hashes["style"] or ("'none'",)),
        f"img-src data: 'self' {storage}",
        f"media-src {storage}",
        f"connect-src 'self' {storage}",
        "form-action 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
    return "; ".join(directives)


def page_headers() -> dict[str, str | list[str]]:  # as chalice's Response takes them
    """Every header of `GET /`. `Referrer-Policy: no-referrer` rather than strict-origin-when-cross-origin: nothing
    the page calls needs a Referer (the API and S3 check tokens and signatures, and no bucket policy reads
    aws:Referer), so none is sent: S3's access logs and any site a link leads to learn nothing of where it came
    from. (The `#/recordings/<id>` part of the address is never sent in any case.)"""
    return {
        "Content-Type": "text/html; charset=utf-8",
        "Cache-Control": "no-cache",
        "Content-Security-Policy": content_security_policy(),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
    }
