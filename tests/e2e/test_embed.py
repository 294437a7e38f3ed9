"""The embeddable player in real headless Chromium, framed by a page on another origin, against the real local
stack: it loads under its own CSP (no violation), shows the title and owner as text (hostile names included), plays
on a click, shows the time moving, and links to the recording's page. And a private recording, shared: the share's
page and its player work in a browser that has no token, until the link is revoked."""

from __future__ import annotations

import html
import http.server
import os
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import generate_audio
from tests.e2e.conftest import RunningStack, start_stack, stop_stack, wait_for_status
from tests.e2e.test_web_page import CHROMIUM, api_upload, api_user, bearer, browser  # noqa: F401 (a fixture)

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"BROWSER TESTS SKIPPED: no Chromium at {CHROMIUM}")
HOSTILE = '<img src=x onerror="window.__owned=1">Take "one"'


@pytest.fixture(scope="module")
def elsewhere() -> Iterator[str]:
    """Another site, really served (from `localhost`, while the stack is `127.0.0.1`: another origin, both on the
    loopback, as Chromium's local network access checks want): a blog post that frames `?src=`."""

    class Blog(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            src = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query).get("src", [""])[0]
            body = (
                f'<!doctype html><title>A blog</title><h1>A blog</h1><iframe id="player" '
                f'src="{html.escape(src)}" width="480" height="160"></iframe>'
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("E2E_BLOG_PORT") or 0)), Blog)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://localhost:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """A stack of its own (E2E_PORT / E2E_MOTO_PORT choose its ports, else free ones)."""
    ports = {"MOTO_PORT": os.environ["E2E_MOTO_PORT"]} if os.environ.get("E2E_MOTO_PORT") else {}
    running = start_stack(
        tmp_path_factory.mktemp("embed") / "stack.log", port=int(os.environ.get("E2E_PORT") or 0) or None, **ports
    )
    yield running
    stop_stack(running)


def framed(browser, elsewhere: str, frame_src: str):  # noqa: F811
    """A page on another origin that frames `frame_src`; returns (page, the player's frame, its CSP violations)."""
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if "Content Security Policy" in message.text else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{elsewhere}/post?src={urllib.parse.quote(frame_src, safe='')}")
    handle = page.wait_for_selector("#player")
    frame = handle.content_frame()
    frame.wait_for_selector("#play")
    return page, frame, errors


def play(frame) -> None:
    frame.click("#play")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if frame.evaluate(
            "() => { const a = document.getElementById('audio'); return !a.paused && a.currentTime > 0.3; }"
        ):
            return
        time.sleep(0.1)
    raise AssertionError("the framed player did not play")


def test_the_embed_plays_in_an_iframe_on_another_origin(stack, browser, elsewhere):  # noqa: F811
    base = stack.url
    alice = api_user(base, "alice <script>")
    wav = generate_audio(Path(stack.log_path.parent) / "take.wav", seconds=3, rate=22050).read_bytes()
    recording = api_upload(base, alice, HOSTILE, wav)
    wait_for_status(f"{base}/recordings/{recording['id']}", {"ready"})

    page, frame, errors = framed(browser, elsewhere, f"{base}/embed/{recording['id']}")
    assert frame.inner_text(".title") == HOSTILE and "alice <script>" in frame.inner_text(".owner")
    assert frame.evaluate("() => window.__owned") is None
    assert frame.get_attribute(".title a", "href") == f"{base}/r/{recording['id']}"
    play(frame)
    assert frame.inner_text("#time").startswith("0:0")
    frame.click("#play")  # pause
    assert frame.evaluate("() => document.getElementById('audio').paused")
    assert errors == []
    page.context.close()


def test_a_shared_private_recording_plays_without_a_token_until_revoked(stack, browser, elsewhere):  # noqa: F811
    base = stack.url
    alice = api_user(base, "alice")
    wav = generate_audio(Path(stack.log_path.parent) / "private.wav", seconds=3, rate=22050).read_bytes()
    recording = api_upload(base, alice, "private take", wav, visibility="private")
    wait_for_status(f"{base}/recordings/{recording['id']}", {"ready"}, headers=bearer(alice))
    made = requests.post(f"{base}/recordings/{recording['id']}/shares", json={}, headers=bearer(alice), timeout=10)
    share = made.json()

    page = browser.new_context().new_page()  # a fresh profile: no token anywhere
    assert page.goto(f"{base}/r/{recording['id']}").status == 404
    assert page.goto(share["url"]).status == 200
    assert page.inner_text("h1") == "private take"
    embed_src = page.get_attribute("meta[name='twitter:player']", "content")
    page.context.close()

    page, frame, errors = framed(browser, elsewhere, embed_src)
    play(frame)
    assert errors == []
    page.context.close()

    revoked = requests.delete(
        f"{base}/recordings/{recording['id']}/shares/{share['id']}", headers=bearer(alice), timeout=10
    )
    assert revoked.status_code == 204
    page = browser.new_context().new_page()
    assert page.goto(share["url"]).status == 404
    assert page.goto(embed_src).status == 404
    page.context.close()


def test_the_page_makes_lists_and_revokes_share_links_and_old_links_lead_to_the_new_page(stack, browser):  # noqa: F811
    from tests.e2e.test_web_page import log_in, open_page

    base = stack.url
    alice = api_user(base, "alice")
    wav = generate_audio(Path(stack.log_path.parent) / "mine.wav", seconds=2, rate=22050).read_bytes()
    private = api_upload(base, alice, "mine", wav, visibility="private")
    public = api_upload(base, alice, "ours", wav)
    wait_for_status(f"{base}/recordings/{private['id']}", {"ready"}, headers=bearer(alice))
    wait_for_status(f"{base}/recordings/{public['id']}", {"ready"})

    page = open_page(browser, f"{base}/")
    log_in(page, alice)
    page.evaluate(f"location.hash = '#/recordings/{private['id']}'")
    page.wait_for_selector("#share-form")
    assert page.get_attribute("#page-link", "href") == f"{base}/r/{private['id']}"
    assert f"/embed/{private['id']}" in page.input_value("#embed-code")
    page.select_option("#share-expiry", "3600")
    page.check("#share-download")
    page.click("#share-form button[type=submit]")
    url = page.wait_for_selector("#share-url").get_attribute("href")
    page.wait_for_selector("#share-list li")
    shared = requests.get(url, timeout=10)
    assert shared.status_code == 200 and "mine" in shared.text
    page.click("#share-list li button.revoke")
    page.wait_for_function("document.querySelectorAll('#share-list li').length === 0")
    assert requests.get(url, timeout=10).status_code == 404
    assert page.errors == []

    visitor = open_page(browser, f"{base}/#/recordings/{public['id']}")  # an old link, no token: the new page
    visitor.wait_for_url(f"{base}/r/{public['id']}")
    assert visitor.inner_text("h1") == "ours"
    visitor.goto(f"{base}/#/recordings/{private['id']}")
    visitor.wait_for_selector("#not-found")
