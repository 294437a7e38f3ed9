"""The web page in real headless Chromium against the real local stack: register, upload, watch it convert, play
with a waveform, delete; another user sees no delete button and the API refuses anyway."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest
import requests

from tests.conftest import generate_audio

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"BROWSER TESTS SKIPPED: no Chromium at {CHROMIUM}; `make test` installs Debian's chromium with apt "
           "where it can (root + apt-get). Install it, or set CHROMIUM, to run them.",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--autoplay-policy=no-user-gesture-required",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield launched
        launched.close()


def open_page(browser, url: str):
    page = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # the delete confirmation
    page.goto(url)
    return page


def register(page, name: str) -> str:
    page.fill("#reg-name", name)
    page.click("#register button[type=submit]")
    page.wait_for_selector("#new-token:not(.hidden)")
    token = page.inner_text("#token-value")
    page.click("#token-saved")
    return token


def painted_pixels(page) -> int:
    return page.evaluate("""() => {
        const canvas = document.getElementById('wave');
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let painted = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
        return painted;
    }""")


def test_register_upload_play_with_waveform_and_delete(browser, local_stack, tmp_path):
    wav = generate_audio(tmp_path / "song.wav", seconds=3, rate=44100, channels=2)
    alice = open_page(browser, f"{local_stack.url}/")

    token = register(alice, "alice")
    assert len(token) == 36 and alice.inner_text("#whoami").startswith("alice")

    alice.set_input_files("#files", str(wav))
    row = alice.wait_for_selector("tr[data-status=ready]", timeout=60_000)  # no reload: the row turns ready itself
    assert "song.wav" in row.inner_text() and "0:03" in row.inner_text()
    assert alice.eval_on_selector(".upload progress", "bar => bar.value") == 1

    alice.click("tr[data-status=ready] button.play")
    alice.wait_for_function("document.getElementById('audio').duration > 0", timeout=15_000)
    assert alice.evaluate("document.getElementById('audio').duration") == pytest.approx(3.0, abs=0.2)
    assert painted_pixels(alice) > 1000
    alice.click("#wave", position={"x": 800, "y": 40})  # click-to-seek
    assert alice.evaluate("document.getElementById('audio').currentTime") > 1.0

    alice.reload()  # the session survives a reload
    assert alice.inner_text("#whoami").startswith("alice")

    bob = open_page(browser, f"{local_stack.url}/")
    register(bob, "bob")
    bob_row = bob.wait_for_selector("tr[data-status=ready]")
    assert bob_row.query_selector("button.delete") is None
    recording_id = bob_row.get_attribute("data-id")
    refused = requests.delete(f"{local_stack.url}/recordings/{recording_id}", timeout=10,
                              headers={"Authorization": f"Bearer {bob.evaluate('JSON.parse(localStorage.cloudsound).token')}"})
    assert refused.status_code == 403

    alice.wait_for_selector("tr[data-status=ready] button.delete").click()
    alice.wait_for_selector(f"tr[data-id='{recording_id}']", state="detached")
    assert requests.get(f"{local_stack.url}/recordings/{recording_id}", timeout=10).status_code == 404

    alice.click("#logout")
    assert alice.is_visible("#register") and alice.evaluate("localStorage.cloudsound") is None


def test_log_in_with_a_token_and_filter(browser, local_stack):
    user = requests.post(f"{local_stack.url}/users", json={"name": "carol"}, timeout=10).json()
    page = open_page(browser, f"{local_stack.url}/")

    page.fill("#login-token", user["token"])
    page.click("#login button[type=submit]")
    page.wait_for_selector("#upload-panel:not(.hidden)")
    assert page.inner_text("#whoami").startswith("carol")

    page.check("#f-mine")
    page.click("#filters button[type=submit]")
    page.wait_for_selector("#empty:not(.hidden)")  # a clear empty state

    page.fill("#f-max", "abc")
    page.click("#filters button[type=submit]")
    page.wait_for_selector("#list-error:has-text('max_duration')")


def test_a_bad_token_is_refused_clearly(browser, local_stack):
    page = open_page(browser, f"{local_stack.url}/")

    page.fill("#login-token", "not-a-token")
    page.click("#login button[type=submit]")

    page.wait_for_selector("#auth-error:has-text('Log in failed')")
    assert page.is_hidden("#upload-panel")
