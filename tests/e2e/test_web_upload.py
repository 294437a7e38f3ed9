"""Uploads from the page in real Chromium against the local stack, with files in parts from 5 MiB: a ~12 MiB WAV goes
up in 3 parts with its progress in words, a part that fails is sent again, a pause stops it and a resume sends only
what storage lacks; the page reloaded mid-upload resumes when the same file is chosen again (and a different file of
the same name does not); a cancel deletes the recording. Every finished upload is checked byte for byte.

Part PUTs are seen (and, to cut the transfer, refused) through Playwright's routing of requests to storage."""

from __future__ import annotations

import hashlib
import json
import re
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from tests.conftest import generate_audio
from tests.e2e.conftest import RunningStack, start_stack, stop_stack, wait_for_status
from tests.e2e.test_web_page import (  # noqa: F401  (browser is a fixture)
    api_user,
    bearer,
    browser,
    log_in,
    open_page,
    pytestmark,
)

MIB = 1024 * 1024
PROGRESS = re.compile(r"\d{1,3}% · [\d.]+ [KMG]?B of 12\.1 MB · [\d.]+ [KMG]?B/s · \d+ (s|min) left")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(
        tmp_path_factory.mktemp("page-parts") / "stack.log",
        CLOUDSOUND_MULTIPART_PART_BYTES=str(5 * MIB),
        CLOUDSOUND_MULTIPART_FROM_BYTES=str(5 * MIB),
    )
    yield running
    stop_stack(running)


@pytest.fixture(scope="module")
def tone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """12.1 MiB of real audio (72 s of 44.1 kHz stereo): parts of 5, 5 and 2.1 MiB."""
    return generate_audio(tmp_path_factory.mktemp("tone") / "tone.wav", seconds=72, rate=44100, channels=2)


class PartTraffic:
    """Every part PUT the page makes, in order (part numbers), with some refused as a dropped connection would be
    (`refuse[n]` attempts of part n; -1 for all of them) and some left unanswered (`hold`: a stalled connection)."""

    def __init__(self, page) -> None:
        self.sent: list[int] = []
        self.refuse: dict[int, int] = {}
        self.hold: set[int] = set()
        self.held: list[object] = []  # never answered: the page's pause aborts them
        page.route(lambda url: "partNumber=" in url, self._handle)

    def _handle(self, route) -> None:
        if route.request.method != "PUT":
            route.continue_()
            return
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(route.request.url).query)
        number = int(query["partNumber"][0])
        self.sent.append(number)
        if number in self.hold:
            self.held.append(route)
            return
        left = self.refuse.get(number, 0)
        if left:
            self.refuse[number] = left - 1
            route.abort("connectionreset")
        else:
            route.continue_()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def assert_ready_and_intact(stack: RunningStack, user: dict, recording_id: str, data: bytes) -> None:
    url = f"{stack.url}/recordings/{recording_id}"
    ready = wait_for_status(url, {"ready", "failed"}, timeout=120, headers=bearer(user))
    assert ready["status"] == "ready", ready
    assert ready["original"]["size"] == len(data)
    link = requests.get(f"{url}/audio?format=original", headers={**bearer(user), "Accept": "application/json"}).json()
    assert sha256(requests.get(link["url"], timeout=60).content) == sha256(data)


def remembered(page) -> list[dict]:
    return page.evaluate("JSON.parse(localStorage.getItem('cloudsound-uploads') || '[]')")


def upload_row(page, name: str = "tone.wav"):
    return page.locator(".upload", has_text=name)


def test_a_file_in_parts_shows_its_progress_pauses_resumes_and_lands_intact(browser, stack, tone):
    ada = api_user(stack.url, "ada")
    page = open_page(browser, f"{stack.url}/")
    log_in(page, ada)
    traffic = PartTraffic(page)
    traffic.refuse = {2: 1}  # part 2 fails once, and is tried again
    traffic.hold = {3}  # part 3 stalls until the test lets it through

    page.set_input_files("#files", str(tone))
    row = upload_row(page)
    # Progress in words while it goes: percent, bytes of the total, speed and time left; paused once parts 1 and 2
    # are held (the page's own count of whole parts stored: bytes in flight are not, and a pause loses them).
    page.wait_for_function(
        f"new RegExp({json.dumps(PROGRESS.pattern)}).test(document.querySelector('.upload-progress').textContent)"
        f" && jobs[0].held === {10 * MIB}"
    )
    progress = page.get_by_role("progressbar", name="Upload of tone.wav")
    assert progress.count() == 1

    page.get_by_role("button", name="Pause tone.wav").click()
    page.wait_for_selector(".upload .upload-state:text-is('paused')")
    # The same button, now Resume, keeps the focus.
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Resume tone.wav"
    page.wait_for_function("window.__announced.some((text) => text.startsWith('tone.wav paused at 82%'))")
    assert row.locator(".upload-progress").inner_text().startswith("82% · 10.0 MB of 12.1 MB")
    (entry,) = remembered(page)
    assert entry["name"] == "tone.wav" and entry["size"] == tone.stat().st_size

    traffic.hold = set()
    before_resume = len(traffic.sent)
    page.get_by_role("button", name="Resume tone.wav").click()
    page.wait_for_selector(".upload .upload-state:text-is('ready')", timeout=120_000)
    assert traffic.sent[:before_resume].count(1) == 1 and traffic.sent[:before_resume].count(2) == 2
    assert traffic.sent[before_resume:] == [3]  # only what storage lacked
    assert row.locator(".upload-progress").inner_text() == "12.1 MB"
    assert remembered(page) == []  # forgotten once complete

    link = row.get_by_role("link", name="tone.wav")
    recording_id = link.get_attribute("href").rsplit("/", 1)[1]
    assert recording_id == entry["id"]
    assert_ready_and_intact(stack, ada, recording_id, tone.read_bytes())
    assert row.get_by_role("button").count() == 0  # nothing to pause or cancel any more
    link.click()
    page.wait_for_function("document.getElementById('detail-title')?.textContent.trim() === 'tone'")
    assert page.errors == []


def test_a_reload_mid_upload_resumes_when_the_same_file_is_chosen_again(browser, stack, tone, tmp_path):
    bea = api_user(stack.url, "bea")
    page = open_page(browser, f"{stack.url}/")
    log_in(page, bea)
    traffic = PartTraffic(page)
    traffic.refuse = {2: -1, 3: -1}  # the network goes away after the first part

    page.set_input_files("#files", str(tone))
    # Each of the two parts is tried 6 times with backoff, then the upload says why, with a Retry button.
    page.get_by_role("button", name="Retry tone.wav").wait_for(timeout=60_000)
    state = upload_row(page).locator(".upload-state").inner_text()
    assert state.startswith("not uploaded: the connection failed 6 times"), state
    # The first part to fail 6 times stops the other (its attempts so far count for nothing).
    assert traffic.sent.count(1) == 1 and max(traffic.sent.count(2), traffic.sent.count(3)) == 6
    (entry,) = remembered(page)

    page.reload()
    page.wait_for_selector(".upload .upload-state:text-is('interrupted: choose tone.wav again to resume')")
    expect(upload_row(page).locator(".upload-progress")).to_have_text("41% · 5.0 MB of 12.1 MB")
    assert page.get_by_role("button", name="Choose tone.wav again to resume it").is_visible()

    # Another file that has the same name is another upload: it does not go into this one.
    other = generate_audio(tmp_path / "tone.wav", seconds=2, rate=8000)
    page.set_input_files("#files", str(other))
    page.wait_for_selector(".upload:nth-child(2) .upload-state:text-is('ready')", timeout=60_000)
    assert page.locator(".upload:nth-child(1) .upload-state").inner_text().startswith("interrupted")
    other_id = page.get_attribute(".upload:nth-child(2) a.upload-name", "href").rsplit("/", 1)[1]
    assert other_id != entry["id"]

    traffic.refuse = {}
    traffic.sent.clear()
    page.set_input_files("#files", str(tone))  # the same file again: the first row goes on
    page.wait_for_selector(".upload:nth-child(1) .upload-state:text-is('ready')", timeout=120_000)
    assert sorted(traffic.sent) == [2, 3]  # part 1 was in storage already
    assert page.locator(".upload").count() == 2  # in the order chosen, no third row
    assert page.get_attribute(".upload:nth-child(1) a.upload-name", "href") == f"{stack.url}/r/{entry['id']}"
    assert remembered(page) == []
    assert_ready_and_intact(stack, bea, entry["id"], tone.read_bytes())
    assert page.errors == []


def test_cancel_deletes_the_unfinished_upload_and_its_reservation(browser, stack, tone):
    cy = api_user(stack.url, "cy")
    page = open_page(browser, f"{stack.url}/")
    log_in(page, cy)
    traffic = PartTraffic(page)
    traffic.refuse = {1: -1, 2: -1, 3: -1}

    page.set_input_files("#files", str(tone))
    page.wait_for_function("JSON.parse(localStorage.getItem('cloudsound-uploads') || '[]').length === 1")
    (entry,) = remembered(page)
    assert requests.get(f"{stack.url}/me", headers=bearer(cy), timeout=10).json()["reserved"]["bytes"] > 0
    page.get_by_role("button", name="Cancel tone.wav").click()
    page.wait_for_selector(".upload .upload-state:text-is('cancelled')")
    page.wait_for_function("window.__announced.includes('Upload of tone.wav cancelled.')")
    page.wait_for_function("JSON.parse(localStorage.getItem('cloudsound-uploads') || '[]').length === 0")
    gone = requests.get(f"{stack.url}/recordings/{entry['id']}", headers=bearer(cy), timeout=10)
    assert gone.status_code == 404
    assert requests.get(f"{stack.url}/me", headers=bearer(cy), timeout=10).json()["reserved"]["bytes"] == 0
    assert page.locator(f"#rows li[data-id='{entry['id']}']").count() == 0
    assert page.errors == []


def test_a_file_in_one_put_shows_its_progress_and_can_be_cancelled(browser, stack, tmp_path):
    dee = api_user(stack.url, "dee")
    page = open_page(browser, f"{stack.url}/")
    log_in(page, dee)
    short = generate_audio(tmp_path / "short.wav", seconds=24, rate=44100, channels=2)  # 4 MiB: below the threshold
    cdp = page.context.new_cdp_session(page)  # a slow uplink (1 MiB/s), so the upload can be watched and cut
    cdp.send("Network.enable")
    slow = {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": MIB}
    cdp.send("Network.emulateNetworkConditions", slow)

    page.set_input_files("#files", str(short))
    pattern = json.dumps(r"\d{1,3}% · [\d.]+ [KM]?B of 4\.0 MB · [\d.]+ [KM]?B/s · \d+ (s|min) left")
    page.wait_for_function(f"new RegExp({pattern}).test(document.querySelector('.upload-progress').textContent)")
    row = upload_row(page, "short.wav")
    assert row.get_by_role("button", name="Pause short.wav").count() == 0  # one PUT: nothing to resume from
    recording_id = page.evaluate("[...uploadRows].find(([, ui]) => ui.job.name === 'short.wav')[0]")
    page.get_by_role("button", name="Cancel short.wav").click()
    page.wait_for_function("window.__announced.includes('Upload of short.wav cancelled.')")
    assert requests.get(f"{stack.url}/recordings/{recording_id}", headers=bearer(dee), timeout=10).status_code == 404
    assert requests.get(f"{stack.url}/me", headers=bearer(dee), timeout=10).json()["reserved"]["bytes"] == 0
    assert remembered(page) == []  # nothing to resume for one PUT
    assert page.errors == []
