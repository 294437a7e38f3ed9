"""The web page in real headless Chromium against the real local stack: the token kept until saved, uploads with
their details (and what is not audio refused before it goes up), a page per recording with its own URL, edits and
the private toggle, statuses in words, and the player bar that keeps playing; all of it under the page's
Content-Security-Policy, with no violation (open_page collects them with the script errors).

The list of many recordings, the widths and the screenshots are in test_web_list.py (it imports the helpers below).
"""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path
from collections.abc import Iterator

import pytest
import requests

from tests.conftest import generate_audio
from tests.e2e.conftest import wait_for_status

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"BROWSER TESTS SKIPPED: no Chromium at {CHROMIUM}; `make test` installs Debian's chromium with apt "
    "where it can (root + apt-get). Install it, or set CHROMIUM, to run them.",
)

DESKTOP = {"width": 1100, "height": 900}

# Every Content-Security-Policy violation is recorded as the page sees it (the event), and written to the console,
# where open_page collects it with Chromium's own CSP messages (some, such as a refused eval, have none): no test that
# reads page.errors passes with something of the page blocked.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const violation = `${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`;
  window.__cspViolations.push(violation);
  console.error(`Content Security Policy violation: ${violation}`);
});
"""
PHONE = {"width": 390, "height": 844}

# Every text the page announces (aria-live) is collected, so a test can ask what a screen reader was told.
RECORD_ANNOUNCEMENTS = """
window.__announced = [];
document.addEventListener("DOMContentLoaded", () => {
  const region = document.getElementById("announce");
  if (!region) return;  // a page rendered on the server (/r/<id>): nothing is announced there
  new MutationObserver(() => { if (region.textContent) window.__announced.push(region.textContent); })
    .observe(region, { childList: true, characterData: true, subtree: true });
});
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--autoplay-policy=no-user-gesture-required",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield launched
        launched.close()


def open_page(browser, url: str, viewport: dict = DESKTOP, accept_dialogs: bool = True):
    """A fresh browser profile (its own storage) on `url`. Script errors fail the test that reads page.errors."""
    page = browser.new_context(viewport=viewport).new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on(
        "console",
        lambda message: page.errors.append(message.text) if "Content Security Policy" in message.text else None,
    )
    page.add_init_script(RECORD_ANNOUNCEMENTS)
    page.add_init_script(RECORD_CSP_VIOLATIONS)
    # Playwright evaluates a string predicate with eval() on every poll but the first, and the page's CSP (no
    # 'unsafe-eval') refuses that; a function is evaluated once and then called. So every expression the tests
    # wait for (an expression, never a function) is made the body of one.
    wait_for_function = page.wait_for_function
    page.wait_for_function = lambda expression, **options: wait_for_function(f"() => ({expression})", **options)
    if accept_dialogs:
        page.on("dialog", lambda dialog: dialog.accept())  # the delete confirmation
    page.goto(url)
    return page


def api_user(base: str, name: str) -> dict:
    response = requests.post(f"{base}/users", json={"name": name}, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()


def bearer(user: dict) -> dict:
    return {"Authorization": f"Bearer {user['token']}"}


def api_upload(base: str, user: dict, name: str, wav: bytes, **params: str) -> dict:
    response = requests.post(
        f"{base}/recordings",
        params={"name": name, **params},
        data=wav,
        timeout=30,
        headers={**bearer(user), "Content-Type": "audio/wav"},
    )
    assert response.status_code == 202, response.text
    return response.json()


def log_in(page, user: dict) -> None:
    page.fill("#login-token", user["token"])
    page.click("#login button[type=submit]")
    page.wait_for_selector("#logout")


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def active_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def audio_state(page) -> dict:
    return page.evaluate(
        "({time: audio.currentTime, paused: audio.paused, duration: audio.duration,"
        " title: document.getElementById('now-title').textContent})"
    )


PAINTED_PIXELS = """(id) => {
    const canvas = document.getElementById(id);
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
    return painted;
}"""


def wait_for_a_waveform(page, canvas_id: str, pixels: int) -> None:
    page.wait_for_function(f"({PAINTED_PIXELS})('{canvas_id}') > {pixels}", timeout=10_000)


def wait_until_playing(page, at_least: float = 0.3) -> None:
    page.wait_for_function(f"!audio.paused && audio.currentTime > {at_least}", timeout=15_000)


def test_the_token_stays_until_saved_and_log_out_warns(browser, local_stack):
    page = open_page(browser, f"{local_stack.url}/", accept_dialogs=False)
    dialogs: list[str] = []

    def dismiss(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)

    page.fill("#reg-name", "dana")
    page.click("#register button[type=submit]")
    page.wait_for_selector("#new-token:not(.hidden)")
    token = page.inner_text("#token-value")
    assert len(token) == 36
    assert active_id(page) == "new-token"  # focus goes to the one thing to do now

    page.reload()  # not confirmed yet: still there
    assert page.inner_text("#token-value") == token and page.inner_text("#who").startswith("dana")

    page.click("#logout")  # warns, and staying is the default
    assert len(dialogs) == 1 and "token" in dialogs[0]
    assert page.is_visible("#logout") and page.inner_text("#token-value") == token

    page.click("#token-saved")
    assert page.is_hidden("#new-token") and active_id(page) == "pick"
    page.reload()
    assert page.is_hidden("#new-token") and page.inner_text("#who").startswith("dana")

    page.click("#logout")  # saved: no warning
    assert len(dialogs) == 1
    assert page.is_visible("#register") and page.evaluate("localStorage.cloudsound") is None
    assert page.errors == []


def test_log_in_puts_focus_on_upload_and_a_bad_token_is_refused(browser, local_stack):
    user = api_user(local_stack.url, "carol")
    page = open_page(browser, f"{local_stack.url}/")

    page.fill("#login-token", "not-a-token")
    page.click("#login button[type=submit]")
    page.wait_for_selector("#auth-error:has-text('Log in failed')")
    assert page.is_hidden("#upload-panel")

    log_in(page, user)
    assert page.inner_text("#who").startswith("carol") and active_id(page) == "pick"
    page.wait_for_function("window.__announced.some(t => t.includes('Logged in as carol'))")


def test_upload_with_details_a_page_per_recording_edits_and_privacy(browser, local_stack, tmp_path):
    base = local_stack.url
    alice, bob = api_user(base, "alice"), api_user(base, "bob")
    wav = generate_audio(tmp_path / "take1.wav", seconds=1, rate=8000)
    page = open_page(browser, f"{base}/")
    log_in(page, alice)

    # Details at upload: a private podcast with its host and participants; the name as typed.
    page.select_option("#up-kind", "podcast")
    page.fill("#up-name", "Episode 1: “Intro” / Пролог")
    page.set_input_files("#files", str(wav))  # a podcast without its host is not sent
    page.wait_for_selector("#upload-error:has-text('host')")
    assert active_id(page) == "up-host" and page.locator(".upload").count() == 0
    page.fill("#up-host", "Ann")
    page.fill("#up-participants", "Bo, Cy")
    page.check("#up-private")
    page.set_input_files("#files", str(wav))
    page.wait_for_selector(".upload .upload-state:text-is('ready')", timeout=60_000)
    page.wait_for_function("window.__announced.some(t => t.endsWith(': ready'))")  # the change was announced

    row = page.locator("#rows li", has_text="Episode 1")
    assert row.locator(".badge").inner_text().lower() == "private"
    assert row.get_by_role("button", name="Play Episode 1: “Intro” / Пролог").is_visible()
    assert row.get_by_role("button", name="Make Episode 1: “Intro” / Пролог public").is_visible()
    recording_id = row.get_attribute("data-id")

    # Its own page, by its own URL (the link is its real address, /r/<id>; a click opens it here); a reload keeps it.
    assert row.locator(".rec-name").get_attribute("href") == f"{base}/r/{recording_id}"
    row.locator(".rec-name").click()
    page.wait_for_selector("#facts")
    assert page.url.endswith(f"#/recordings/{recording_id}")
    for _ in range(2):
        facts = page.inner_text("#facts")
        assert "podcast" in facts and "Ann" in facts and "Bo, Cy" in facts and "alice (you)" in facts
        assert "0:01" in facts and "Created" in facts and "ready" in facts
        assert page.inner_text("#detail-title").startswith("Episode 1: “Intro” / Пролог")
        assert page.get_attribute("#detail-wave", "role") == "slider"
        assert page.get_by_role("button", name="Download Episode 1: “Intro” / Пролог as MP3").is_enabled()
        page.reload()
        page.wait_for_selector("#facts")

    # Someone else, same URL, not signed in: the old link leads to the recording's own page, /r/<id>, a plain
    # "not found" while it is private.
    other = open_page(browser, page.url)
    other.wait_for_selector("#not-found")
    assert other.url == f"{base}/r/{recording_id}" and other.inner_text("h1") == "Not found"

    # Edited on its page: another kind (its fields follow), the AC/DC name as typed, made public.
    page.fill("#edit-host", "")
    page.click("#edit-form button[type=submit]")
    page.wait_for_selector("#edit-message:has-text('needs a host')")
    page.select_option("#edit-kind", "song")
    page.fill("#edit-name", "AC/DC - Back in Black")
    page.uncheck("#edit-private")
    page.click("#edit-form button[type=submit]")
    page.wait_for_selector("#edit-message:text-is('Saved.')")
    assert page.inner_text("#detail-title") == "AC/DC - Back in Black"
    saved = requests.get(f"{base}/recordings/{recording_id}", timeout=10).json()  # public now: anyone reads it
    assert saved["name"] == "AC/DC - Back in Black" and saved["kind"] == "song" and "host" not in saved

    other.reload()
    other.wait_for_selector("h1:text-is('AC/DC - Back in Black')")
    assert "alice" in other.inner_text(".meta") and other.locator("#edit-form").count() == 0
    other.goto(f"{base}/")
    log_in(other, bob)  # logged in as someone else: the page's own view, still no edit form
    other.goto(page.url)
    other.wait_for_selector("#facts")
    assert other.locator("#edit-form").count() == 0

    # Back in the list: the name exactly as typed, and the private toggle on the row.
    page.click("text=← All recordings")
    row = page.locator(f"#rows li[data-id='{recording_id}']")
    row.locator(".rec-name").wait_for()
    assert row.locator(".rec-name").inner_text() == "AC/DC - Back in Black"
    row.get_by_role("button", name="Make AC/DC - Back in Black private").click()
    page.wait_for_selector(f"#rows li[data-id='{recording_id}'][data-visibility=private] .badge")
    assert requests.get(f"{base}/recordings/{recording_id}", timeout=10).status_code == 404

    # Deleted by its owner, after the confirmation (accepted by open_page).
    row.get_by_role("button", name="Delete AC/DC - Back in Black").click()
    page.wait_for_selector(f"#rows li[data-id='{recording_id}']", state="detached")
    assert requests.get(f"{base}/recordings/{recording_id}", headers=bearer(alice), timeout=10).status_code == 404
    assert page.errors == [] and other.errors == []


def test_not_audio_is_refused_before_upload_and_failures_read_in_words(browser, local_stack, tmp_path):
    base = local_stack.url
    erin = api_user(base, "erin")
    mine = f"{base}/recordings?owner={erin['id']}"
    page = open_page(browser, f"{base}/")
    log_in(page, erin)

    notes = tmp_path / "notes.wav"  # named like audio, but text: the page reads the first bytes, not the name
    notes.write_text("shopping list: milk, eggs\n" * 50)
    page.set_input_files("#files", str(notes))
    page.wait_for_selector(".upload.refused .upload-state:has-text('not an audio file')")
    assert page.eval_on_selector(".upload.refused progress", "bar => bar.value") == 0
    assert requests.get(mine, headers=bearer(erin), timeout=10).json()["items"] == []  # nothing was created

    # A header that claims WAV over bytes that are not: it goes up, and its failure reads as a sentence.
    fake = tmp_path / "fake.wav"
    fake.write_bytes(b"RIFF\x00\x10\x00\x00WAVEfmt " + os.urandom(4000))
    page.set_input_files("#files", str(fake))
    page.wait_for_selector(
        ".upload .upload-state:text-is('could not convert: not an audio file we can read')", timeout=60_000
    )
    page.wait_for_selector("#rows li[data-status=failed] .status:has-text('not an audio file we can read')")
    assert "ffmpeg" not in page.inner_text("body").lower()

    # An upload slot nobody filled: "waiting for the file", in the owner's list.
    later = generate_audio(tmp_path / "later.wav", seconds=1, rate=8000)
    slot = requests.post(
        f"{base}/recordings", json={"name": "later.wav", "size": later.stat().st_size}, headers=bearer(erin), timeout=10
    )
    assert slot.status_code == 201, slot.text
    page.select_option("#f-mine", "mine")
    page.wait_for_selector("#rows li[data-status=awaiting_upload] .status:text-is('waiting for the file')")
    page.wait_for_selector(
        "#rows li[data-status=failed] .status:text-is('could not convert: not an audio file we can read')"
    )
    assert page.errors == []


def test_a_drop_outside_the_drop_zone_stays_on_the_page_and_one_inside_uploads(browser, local_stack, tmp_path):
    base = local_stack.url
    user = api_user(base, "frank")
    page = open_page(browser, f"{base}/")
    log_in(page, user)
    wav = base64.b64encode(generate_audio(tmp_path / "dropped.wav", seconds=0.5, rate=8000).read_bytes()).decode()
    drop_on = """([selector, data]) => {
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], "dropped.wav", { type: "audio/wav" }));
        const event = new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true });
        document.querySelector(selector).dispatchEvent(event);
        return event.defaultPrevented;  // not prevented = the browser navigates away to show the file
    }"""

    url = page.url
    assert page.evaluate(drop_on, ["#list-title", wav]) is True
    assert page.url == url and page.locator(".upload").count() == 0
    assert "upload area" in page.inner_text("#upload-error")

    assert page.evaluate(drop_on, ["#drop", wav]) is True
    page.wait_for_selector(".upload:has-text('dropped.wav') .upload-state:text-is('ready')", timeout=60_000)
    assert page.errors == []


def test_the_player_bar_keeps_playing_with_keys_next_previous_and_a_reload(browser, local_stack, tmp_path):
    base = local_stack.url
    pia = api_user(base, "pia")
    wav = generate_audio(tmp_path / "long.wav", seconds=30, rate=8000).read_bytes()
    ids = [api_upload(base, pia, f"p{i}.wav", wav)["id"] for i in (1, 2, 3)]  # newest last: listed p3, p2, p1
    for recording_id in ids:
        wait_for_status(f"{base}/recordings/{recording_id}", {"ready"})
    page = open_page(browser, f"{base}/")
    log_in(page, pia)
    page.select_option("#f-mine", "mine")
    page.wait_for_selector("#rows li:nth-child(3)")

    page.get_by_role("button", name="Play p3.wav").click()
    wait_until_playing(page)
    bar = page.evaluate(
        "(() => { const bar = document.getElementById('player');"
        " return {bottom: bar.getBoundingClientRect().bottom,"
        " position: getComputedStyle(bar).position}; })()"
    )
    assert bar == {"bottom": 900, "position": "fixed"}
    assert page.get_attribute("#player-wave", "role") == "slider"
    wait_for_a_waveform(page, "player-wave", 1000)
    assert re.fullmatch(r"0:0\d of 0:30", page.get_attribute("#player-wave", "aria-valuetext"))

    # Scrolling, filtering, another page: it plays on.
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.select_option("#f-kind", "song")
    page.wait_for_selector("#empty:not(.hidden)")
    page.click("#now-title")  # the bar's title opens the recording's own page
    page.wait_for_selector("#facts")
    assert page.inner_text("#detail-title") == "p3.wav"
    wait_for_a_waveform(page, "detail-wave", 5000)
    page.evaluate(f"location.hash = '#/recordings/{ids[0]}'")  # another recording's page: same document
    page.wait_for_selector("#detail-title .name-text:text-is('p1.wav')")
    state = audio_state(page)
    assert state["title"] == "p3.wav" and not state["paused"]
    page.click("text=← All recordings")
    page.select_option("#f-kind", "")
    page.wait_for_selector("#rows li:nth-child(3)")

    # Next and previous follow the list.
    page.click("#next")
    page.wait_for_function("document.getElementById('now-title').textContent === 'p2.wav'")
    page.click("#prev")
    page.wait_for_function("document.getElementById('now-title').textContent === 'p3.wav'")
    wait_until_playing(page, 0.2)

    # Space and arrows, when no field has the keyboard.
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("Space")
    page.wait_for_function("audio.paused")
    before = audio_state(page)["time"]
    page.keyboard.press("ArrowRight")
    assert audio_state(page)["time"] == pytest.approx(before + 5, abs=0.5)
    page.keyboard.press("Space")
    page.wait_for_function("!audio.paused")

    # The waveform is a slider: arrows, Home and End, and its value in words.
    page.keyboard.press("Space")
    page.wait_for_function("audio.paused")
    page.focus("#player-wave")
    page.keyboard.press("Home")
    assert page.get_attribute("#player-wave", "aria-valuenow") == "0"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.get_attribute("#player-wave", "aria-valuetext") == "0:10 of 0:30"
    page.keyboard.press("End")
    assert page.get_attribute("#player-wave", "aria-valuenow") == "30"

    # A reload keeps what was playing, and where.
    page.get_by_role("button", name="Play p2.wav").click()
    page.wait_for_function("!audio.paused && document.getElementById('now-title').textContent === 'p2.wav'")
    # Remembered at once, before the file's metadata: a reload right now comes back to p2, not to p3.
    assert page.evaluate("JSON.parse(sessionStorage['cloudsound-now']).id") == ids[1]
    page.wait_for_function("audio.readyState >= 1")
    page.evaluate("audio.currentTime = 12")
    page.wait_for_function(
        f"(s => s.id === '{ids[1]}' && s.playing && s.at >= 12)(JSON.parse(sessionStorage['cloudsound-now']))"
    )
    page.reload()
    wait_until_playing(page, 12)
    assert audio_state(page)["title"] == "p2.wav"
    assert page.errors == []


def decibels(value: float) -> str:
    """A level as the page writes it: one decimal and a real minus sign."""
    text = f"{abs(value):.1f}"
    return f"−{text}" if value < 0 and text != "0.0" else text


def test_a_ready_recordings_page_shows_its_loudness_and_a_podcast_against_the_norm(browser, local_stack, tmp_path):
    base = local_stack.url
    lena = api_user(base, "lena")
    quiet = generate_audio(tmp_path / "talk.wav", seconds=2, rate=8000).read_bytes()
    loud = generate_audio(tmp_path / "tune.wav", seconds=2, rate=8000, extra=("-af", "volume=9dB")).read_bytes()
    podcast = api_upload(base, lena, "Talk 1", quiet, kind="podcast", host="Lena")["id"]
    song = api_upload(base, lena, "Tune 1", loud, kind="song")["id"]
    ready = {
        recording_id: wait_for_status(f"{base}/recordings/{recording_id}", {"ready"})
        for recording_id in (podcast, song)
    }
    assert ready[podcast]["kind"] == "podcast" and ready[song]["kind"] == "song"
    # Two levels well apart, so each page showing its own number says something.
    assert ready[song]["loudness"]["integrated"] > ready[podcast]["loudness"]["integrated"] + 5

    page = open_page(browser, f"{base}/")
    log_in(page, lena)
    for recording_id, name in ((podcast, "Talk 1"), (song, "Tune 1")):
        page.evaluate(f"location.hash = '#/recordings/{recording_id}'")
        page.wait_for_selector(f"#detail-title .name-text:text-is('{name}')")
        fact = page.locator("#facts dd[data-fact=loudness]")
        fact.wait_for()
        assert page.inner_text("#facts dt[data-fact=loudness]") == "Loudness"
        loudness = ready[recording_id]["loudness"]
        text = fact.inner_text()
        assert text.startswith(f"{decibels(loudness['integrated'])} LUFS · range {decibels(loudness['range'])} LU")
        assert "-" not in text  # minus signs, not hyphens
        norm = fact.locator("[data-fact=loudness-norm]")
        if recording_id == song:
            assert norm.count() == 0 and "podcast norm" not in text
            continue
        difference = round(loudness["integrated"] + 16, 1)
        assert abs(difference) > 0.5  # a plain sine sits well below the norm: a direction to read
        direction = "quieter" if difference < 0 else "louder"
        assert norm.inner_text() == f"{decibels(abs(difference))} LU {direction} than the −16 LUFS podcast norm"
    assert page.errors == []


def csp_violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations")


def test_the_page_works_under_its_content_security_policy(browser, local_stack, tmp_path):
    """Register, upload a WAV to its presigned link (another origin), play it from S3: all under the page's CSP, with
    no violation reported, neither to the page (securitypolicyviolation) nor in Chromium's console."""
    base = local_stack.url
    wav = generate_audio(tmp_path / "csp take.wav", seconds=2, rate=8000)
    page = open_page(browser, f"{base}/")
    headers = page.reload().headers  # the document's own response: what Chromium enforced
    csp = headers["content-security-policy"]
    assert "default-src 'none'" in csp and "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "no-referrer"

    page.fill("#reg-name", "csp")
    page.click("#register button[type=submit]")
    page.wait_for_selector("#new-token:not(.hidden)")
    # The <style> applies (its hash is right): the title's margin comes from it, no longer from a style attribute.
    assert page.eval_on_selector("#new-token-title", "h => getComputedStyle(h).marginTop") == "0px"
    page.click("#token-saved")

    page.set_input_files("#files", str(wav))
    page.wait_for_selector(".upload .upload-state:text-is('ready')", timeout=60_000)
    page.locator("#rows li", has_text="csp take").get_by_role("button", name="Play csp take").click()
    wait_until_playing(page)
    wait_for_a_waveform(page, "player-wave", 1000)
    played_from = page.evaluate("new URL(audio.currentSrc).origin")
    assert played_from != page.evaluate("location.origin") and played_from in csp  # S3, allowed by media-src

    row = page.locator("#rows li", has_text="csp take")
    row.locator(".rec-name").click()  # its own page: the edit form the script builds, and its waveform
    page.wait_for_selector("#edit-form .form-actions button[type=submit]")
    wait_for_a_waveform(page, "detail-wave", 1000)

    assert csp_violations(page) == [] and page.errors == []

    # The listeners hear what the policy blocks: an injected inline script does not run, and both report it.
    page.evaluate(
        "document.body.append(Object.assign(document.createElement('script'),"
        " { textContent: 'window.__injected = true' }))"
    )
    page.wait_for_function("window.__cspViolations.length > 0")
    assert page.evaluate("window.__injected") is None
    assert csp_violations(page) == ["script-src-elem blocked inline"]
    page.wait_for_timeout(200)
    chromium_said = [error for error in page.errors if not error.startswith("Content Security Policy violation:")]
    assert chromium_said and "Content Security Policy" in chromium_said[0]
