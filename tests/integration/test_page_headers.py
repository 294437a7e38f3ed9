"""`GET /` is served with a strict Content-Security-Policy, `X-Content-Type-Options: nosniff`, a Referrer-Policy and a
frame policy; the CSP allows exactly the page's own inline script and style (by hash), the API, and the origin of
the presigned S3 links the API hands out, and nothing inline the page does not need.

That Chromium runs the page under this policy without a violation is in tests/e2e/test_web_page.py."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import urllib.parse

import pytest


def headers_of(response) -> dict[str, str]:
    return {name.lower(): value for name, value in response.headers.items()}


def policy(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        assert name not in directives, f"{name} twice"
        directives[name] = sources
    return directives


def sha256_source(text: str) -> str:
    return f"'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'"


def origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@pytest.fixture
def page(client):
    response = client.http.get("/")
    assert response.status_code == 200
    return response


def test_the_page_is_served_with_csp_nosniff_referrer_and_frame_policies(page):
    headers = headers_of(page)
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    csp = policy(headers["content-security-policy"])
    assert csp["default-src"] == ["'none'"]
    for name in ("frame-ancestors", "base-uri", "object-src", "form-action"):
        assert csp[name] == ["'none'"], name
    # the data: favicon, and covers: the API's cover route (same origin) redirects to a presigned link on storage's
    assert csp["img-src"][:2] == ["data:", "'self'"] and len(csp["img-src"]) == 3
    assert csp["img-src"][2] == csp["media-src"][0]
    everything = " ".join(headers["content-security-policy"].split())
    for loose in ("'unsafe-inline'", "'unsafe-eval'", "*", "https:", "http:", "blob:"):
        assert loose not in everything.split(), loose


def test_the_csp_allows_exactly_the_inline_script_and_style_the_page_has(page):
    html = page.body.decode() if isinstance(page.body, bytes) else page.body
    csp = policy(headers_of(page)["content-security-policy"])
    scripts = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    styles = re.findall(r"<style>(.*?)</style>", html, re.DOTALL)
    assert len(scripts) == 1 and len(styles) == 1
    assert csp["script-src"] == [sha256_source(scripts[0])]
    assert csp["style-src"] == [sha256_source(styles[0])]
    # Nothing inline that a hash cannot allow: no other script tags, handler attributes, javascript: URLs, or
    # style attributes, in the markup or in what the script builds.
    assert len(re.findall(r"<script\b", html)) == 1
    assert not re.search(r"\son[a-z]+\s*=", html), "an inline event handler attribute"
    assert not re.search(r"\sstyle\s*=|\bstyle:\s*\"|setAttribute\(\s*\"style\"", html), "an inline style"
    assert "javascript:" not in html


def test_media_and_connections_go_to_the_api_and_the_storage_links_it_hands_out(client, page, alice):
    csp = policy(headers_of(page)["content-security-policy"])
    slot = client.http.post(
        "/recordings",
        body=json.dumps({"name": "later.wav", "size": 100}),
        headers={"Authorization": f"Bearer {alice['token']}", "Content-Type": "application/json"},
    ).json_body
    storage = origin(slot["upload"]["url"])
    assert storage.startswith("http://127.0.0.1:")  # moto, another origin than the page's
    assert csp["connect-src"] == ["'self'", storage]  # the API, and the upload's PUT
    assert csp["media-src"] == [storage]  # the player's presigned GET links
