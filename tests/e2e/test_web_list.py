"""The list in real Chromium with many recordings from two users, private ones among them: every one reachable,
newest first, at desktop and phone widths; filters, and the empty states told apart; long names never widen the page;
and the screenshots under docs/ that the README shows, made by this run."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import requests

from chalicelib.audio.ffmpeg import ffmpeg_binary
from tests.conftest import generate_audio
from tests.e2e.conftest import wait_for_status
from tests.e2e.test_web_page import (  # noqa: F401  (browser is a fixture)
    DESKTOP,
    PHONE,
    active_id,
    api_upload,
    api_user,
    audio_state,
    bearer,
    browser,
    log_in,
    no_horizontal_scroll,
    open_page,
    pytestmark,
    wait_for_a_waveform,
    wait_until_playing,
)

DOCS = Path(__file__).resolve().parents[2] / "docs"
LONG_NAME = "2025-11-24_interview_with_the_mayor_about_the_city_budget_full_unedited_take_03.wav"
SPECIAL = [
    ("AC/DC - Back in Black", {"kind": "song"}),
    (LONG_NAME, {}),
    ("Пісня про рушник — Ελληνικά 'live' \"take\"", {}),
]  # scripts this machine's fonts have
TABLET = {"width": 768, "height": 1024}
WIDE = {"width": 1280, "height": 900}
RED_SONG, ARTIST = "Red Song", "The Harbour Lights"


def tagged_flac_with_cover(folder: Path) -> bytes:
    """A FLAC as a music library holds it: its title, its artist and a front cover (as
    tests/integration/test_mp3_file.py makes one), with a waveform that rises and falls."""
    cover = folder / "cover.png"
    art = "gradients=s=320x320:c0=0xff5f3a:c1=0x2b2d7a:c2=0xf2b84b:n=3:type=radial:seed=7"
    subprocess.run([ffmpeg_binary(), "-v", "error", "-f", "lavfi", "-i", art, "-frames:v", "1", str(cover)], check=True)
    plain = generate_audio(
        folder / "plain.flac",
        seconds=20,
        rate=22050,
        codec="flac",
        extra=(
            "-af",
            "volume='0.2+0.8*abs(sin(PI*t/4))':eval=frame",
            "-metadata",
            f"title={RED_SONG}",
            "-metadata",
            f"artist={ARTIST}",
            "-metadata",
            "album=Harbour",
        ),
    )
    flac = folder / "tagged.flac"
    subprocess.run(
        [
            ffmpeg_binary(),
            "-v",
            "error",
            "-i",
            str(plain),
            "-i",
            str(cover),
            "-map",
            "0",
            "-map",
            "1",
            "-c",
            "copy",
            "-disposition:v",
            "attached_pic",
            "-metadata:s:v",
            "comment=Cover (front)",
            str(flac),
        ],
        check=True,
    )
    return flac.read_bytes()


def test_an_empty_service_says_no_recordings_yet(browser, local_stack):
    # Runs first (pytest keeps file order, and `seeded` below has not been asked for yet): nothing uploaded.
    page = open_page(browser, f"{local_stack.url}/")
    page.wait_for_selector("#empty:not(.hidden)")
    assert page.inner_text("#empty") == "No recordings yet."
    page.fill("#f-min", "100")
    page.click("#filters button[type=submit]")
    page.wait_for_selector("#empty:has-text('Nothing matches these filters.')")


@pytest.fixture(scope="module")
def seeded(local_stack, tmp_path_factory) -> dict:
    """69 recordings: bob's 35 public ones, alice's 25 public and 8 private, interleaved; the oldest is bob's first;
    the newest, alice's tagged FLAC (its title, artist and cover), uploaded with no name: "Red Song" by its tag."""
    base = local_stack.url
    folder = tmp_path_factory.mktemp("seed")
    wav = generate_audio(folder / "tiny.wav", seconds=0.2, rate=8000).read_bytes()
    # The newest three are what the screenshots show: long enough to play, with a waveform that rises and falls.
    shaped = generate_audio(
        folder / "shaped.wav",
        seconds=24,
        rate=8000,
        extra=("-af", "volume='0.15+0.85*abs(sin(PI*t/5))*(0.6+0.4*sin(7*t))':eval=frame"),
    )
    shaped = shaped.read_bytes()
    alice, bob = api_user(base, "alice"), api_user(base, "bob")
    plan = [(bob, f"bob take {i:02}.wav", "public", {}) for i in range(1, 36)]
    mine = [(alice, f"alice take {i:02}.wav", "public", {}) for i in range(1, 23)]
    mine += [(alice, f"alice private {i:02}.wav", "private", {}) for i in range(1, 9)]
    mine += [(alice, name, "public", params) for name, params in SPECIAL]  # the newest of all
    order = (
        [plan[0]]
        + [item for pair in zip(plan[1:], mine[: -len(SPECIAL)], strict=False) for item in pair]
        + plan[len(mine) - len(SPECIAL) + 1 :]
        + mine[-len(SPECIAL) :]
    )
    assert len(order) == 68
    created = [
        api_upload(base, owner, name, shaped if (name, params) in SPECIAL else wav, visibility=visibility, **params)
        for owner, name, visibility, params in order
    ]
    flac = requests.post(
        f"{base}/recordings",
        params={"kind": "song"},
        data=tagged_flac_with_cover(folder),
        timeout=30,
        headers={**bearer(alice), "Content-Type": "audio/flac"},
    )
    assert flac.status_code == 202, flac.text
    created.append(flac.json())
    order.append((alice, RED_SONG, "public", {}))
    for recording in created[-10:]:  # the newest are what the screenshots show: converted
        if recording["visibility"] == "public":  # (wait_for_status reads without a token)
            wait_for_status(f"{base}/recordings/{recording['id']}", {"ready"}, timeout=180)
    return {
        "alice": alice,
        "bob": bob,
        "names": [name for _, name, _, _ in order],
        "public": [name for _, name, visibility, _ in order if visibility == "public"],
        "alice_all": [name for owner, name, _, _ in order if owner is alice],
        "flac": wait_for_status(f"{base}/recordings/{created[-1]['id']}", {"ready"}),
    }


def scroll_to_the_end(page) -> list[str]:
    """Scrolls as a person would until the list says it is complete; returns the names listed, top to bottom."""
    for _ in range(40):
        if "that is all of them" in page.inner_text("#list-end"):
            break
        page.mouse.wheel(0, 3000)
        page.wait_for_timeout(250)
    assert "that is all of them" in page.inner_text("#list-end")
    return page.eval_on_selector_all("#rows .rec-name", "links => links.map((a) => a.textContent)")


@pytest.mark.parametrize("viewport", [DESKTOP, TABLET, PHONE], ids=["desktop", "tablet", "phone"])
def test_every_public_recording_is_reachable_newest_first(browser, local_stack, seeded, viewport):
    page = open_page(browser, f"{local_stack.url}/", viewport=viewport)
    page.wait_for_selector("#rows li")
    assert page.locator("#rows li").count() < len(seeded["public"])  # it really comes a page at a time

    names = scroll_to_the_end(page)
    assert names == list(reversed(seeded["public"]))  # all 60, newest first, each once, no private one
    assert names[-1] == "bob take 01.wav" and names[:2] == [RED_SONG, SPECIAL[-1][0]]
    assert page.locator("#rows .badge").count() == 0 and page.locator("#rows .status").count() == 0  # all ready
    assert page.locator("#rows .art").count() == len(names)  # a cover or a tile on every row
    assert "AC/DC - Back in Black" in names and LONG_NAME in names
    assert page.inner_text("#list-end") == "61 recordings: that is all of them."
    assert no_horizontal_scroll(page), page.evaluate("document.documentElement.scrollWidth")
    assert page.errors == []


def test_a_short_page_with_a_cursor_is_followed_to_the_end(browser, local_stack, seeded):
    """Filters that reject many items make the API answer short pages with a next_cursor; the page goes on."""
    page = open_page(browser, "about:blank")
    shortened = []

    def first_page_short(route) -> None:
        if "cursor=" in route.request.url or shortened:
            route.continue_()
            return
        response = route.fetch(url=route.request.url.replace("limit=25", "limit=1"))
        shortened.append(response.json())
        route.fulfill(response=response)

    page.route("**/recordings?*", first_page_short)
    page.goto(f"{local_stack.url}/")
    page.wait_for_function("document.querySelectorAll('#rows li').length === 26")  # no scrolling: it went on
    assert len(shortened[0]["items"]) == 1 and shortened[0]["next_cursor"]
    assert scroll_to_the_end(page) == list(reversed(seeded["public"]))


def test_the_owner_finds_her_private_ones_under_mine(browser, local_stack, seeded):
    page = open_page(browser, f"{local_stack.url}/", viewport=PHONE)
    log_in(page, seeded["alice"])
    assert page.is_visible("#list-hint")  # private ones are not in everyone's list: the page says where they are
    page.select_option("#f-mine", "mine")
    names = scroll_to_the_end(page)
    assert names == list(reversed(seeded["alice_all"]))
    private = page.eval_on_selector_all(
        "#rows li[data-visibility=private] .rec-name", "links => links.map((a) => a.textContent)"
    )
    assert sorted(private) == [f"alice private {i:02}.wav" for i in range(1, 9)]
    assert page.locator("#rows li[data-visibility=private] .badge").count() == 8
    for name in ("alice private 01.wav", LONG_NAME):
        assert page.get_by_role("button", name=f"Delete {name}").count() == 1
        assert page.get_by_role("button", name=f"Play {name}").count() == 1
    assert no_horizontal_scroll(page)

    visitor = open_page(browser, f"{local_stack.url}/")  # and nobody else sees them anywhere
    private_id = page.get_attribute("#rows li[data-visibility=private]", "data-id")
    visitor.goto(f"{local_stack.url}/#/recordings/{private_id}")
    visitor.wait_for_selector("#not-found")
    assert page.errors == [] and visitor.errors == []


def test_filters_and_their_empty_state(browser, local_stack, seeded):
    page = open_page(browser, f"{local_stack.url}/")
    page.wait_for_selector("#rows li")
    page.fill("#f-q", "BOB 01")  # the oldest, by words that begin its name's words
    page.click("#filters button[type=submit]")
    page.wait_for_function("document.getElementById('list-end').textContent === '1 recording: that is all of them.'")
    assert page.inner_text("#rows .rec-name") == "bob take 01.wav"

    page.fill("#f-q", "bo ta 3")  # bob's 30 to 35, newest first ("3" begins no word of "bob take 03.wav")
    page.click("#filters button[type=submit]")
    page.wait_for_function("document.getElementById('list-end').textContent.startsWith('6 recordings')")
    assert page.locator("#rows .rec-name").all_inner_texts() == [f"bob take {n:02}.wav" for n in range(35, 29, -1)]

    page.click("#clear-filters")
    page.select_option("#f-kind", "song")
    page.wait_for_function("document.querySelectorAll('#rows li').length === 2")
    assert page.locator("#rows .rec-name").all_inner_texts() == [RED_SONG, "AC/DC - Back in Black"]

    page.fill("#f-max", "0.1")
    page.click("#filters button[type=submit]")
    page.wait_for_selector("#empty:not(.hidden)")
    assert page.inner_text("#empty") == "Nothing matches these filters."

    page.fill("#f-max", "abc")
    page.click("#filters button[type=submit]")
    page.wait_for_selector("#list-error:text-is('Max seconds: enter a number of seconds')")
    assert active_id(page) == "f-max"  # the field it names has the keyboard


@pytest.mark.parametrize("viewport", [PHONE, TABLET], ids=["phone", "tablet"])
def test_a_long_name_never_widens_its_page(browser, local_stack, seeded, viewport):
    page = open_page(browser, f"{local_stack.url}/", viewport=viewport)
    log_in(page, seeded["alice"])
    page.get_by_role("link", name=LONG_NAME).click()
    page.wait_for_selector("#facts")
    page.get_by_role("button", name=f"Play {LONG_NAME}").click()
    wait_until_playing(page, 0)
    assert no_horizontal_scroll(page), page.evaluate("document.documentElement.scrollWidth")
    assert page.inner_text("#detail-title") == LONG_NAME


@pytest.mark.skipif(os.environ.get("UPDATE_SCREENSHOTS") != "1", reason="screenshots: `make screenshots`")
def test_screenshots_for_the_readme(browser, local_stack, seeded):
    """docs/page.png, docs/page-phone.png, docs/recording-page.png and docs/recording-page-phone.png, as the README
    and docs/web.md show them: `make screenshots` writes them to docs/ (then commit them); `make test` leaves them
    alone."""
    shots = DOCS
    shots.mkdir(exist_ok=True)
    made = []
    for viewport, suffix in ((WIDE, ""), (PHONE, "-phone")):
        page = open_page(browser, f"{local_stack.url}/", viewport=viewport)
        log_in(page, seeded["alice"])
        page.select_option("#f-mine", "mine")
        page.wait_for_selector("#rows li[data-visibility=private]")
        page.get_by_role("button", name="Play AC/DC - Back in Black").click()
        wait_until_playing(page, 0)
        page.evaluate("audio.pause(); audio.currentTime = audio.duration * 0.4")
        page.wait_for_function("audio.paused")
        page.evaluate("document.activeElement.blur()")
        # The upload panel fills the first screen on a phone, much of it on a desktop: show the list
        page.evaluate("document.getElementById('list-title').scrollIntoView()")
        page.wait_for_timeout(300)
        page.screenshot(path=str(shots / f"page{suffix}.png"))
        # The tagged FLAC's own page: its cover, title and artist, half played, Details below.
        page.click(f"#rows .rec-name:text-is('{RED_SONG}')")
        page.wait_for_selector("#facts")
        page.wait_for_function(f"({COVER_SHOWN})('#detail-art img.cover')")
        page.get_by_role("button", name=f"Play {RED_SONG}").click()
        wait_until_playing(page, 0)
        page.evaluate("audio.pause(); audio.currentTime = audio.duration * 0.4")
        page.wait_for_function("audio.paused")
        page.evaluate("document.activeElement.blur(); window.scrollTo(0, 0)")
        page.wait_for_timeout(300)
        page.screenshot(path=str(shots / f"recording-page{suffix}.png"))
        made += [f"page{suffix}.png", f"recording-page{suffix}.png"]
        assert page.errors == []
    assert all((shots / name).stat().st_size > 10_000 for name in made)


SERIOUS = {"critical", "serious"}
# The cover, loaded and drawn: 320 pixels wide, as made.
COVER_SHOWN = "(s) => (img => !!img && img.complete && img.naturalWidth === 320)(document.querySelector(s))"


def serious_violations(page) -> list[str]:
    """What axe-core (axe-playwright-python) finds critical or serious on the page as it is now, under its CSP."""
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {[node['target'] for node in v['nodes']][:5]}"
        for v in violations
        if v["impact"] in SERIOUS
    ]


def play_buttons_agree(page, name: str, playing: bool) -> None:
    """The page's big button, the row's (if listed) and the bar's all say what the audio element does (every other
    recording's button says Play)."""
    word = "Pause" if playing else "Play"
    page.wait_for_function(f"audio.paused === {'false' if playing else 'true'}")
    page.wait_for_function(
        f"document.getElementById('toggle').ariaLabel === '{word}'"
        " && [...document.querySelectorAll('button.pp')].every((b) => b.ariaLabel.startsWith("
        f"b.dataset.playId === player.recording?.id ? '{word} ' : 'Play '))"
    )
    assert page.get_by_role("button", name=f"{word} {name}", exact=True).count() >= 1


@pytest.mark.parametrize("viewport", [WIDE, TABLET, PHONE], ids=["1280", "768", "390"])
def test_listening_search_artwork_waveforms_and_play_pause_that_agree(browser, local_stack, seeded, viewport):
    """As a listener uses it, at each width: the list with artwork, artists and waveforms (asked for only on screen),
    search from the filter box, the tagged FLAC with its title, artist and cover, play and pause from the
    recording's page and from the bar, always agreeing; and no serious accessibility violation on either page."""
    base = local_stack.url
    served = requests.get(f"{base}/r/{seeded['flac']['id']}", timeout=10).text  # the page a link preview reads
    assert f"<h1>{RED_SONG}</h1>" in served and f"by {ARTIST} · <a" in served and "og:image" in served
    page = open_page(browser, "about:blank", viewport=viewport)
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(f"{base}/")
    page.wait_for_selector("#rows li:nth-child(25)")
    page.wait_for_function("[...document.querySelectorAll('#rows canvas.row-wave')].some((c) => c.width > 0)")
    page.wait_for_timeout(500)

    # Every row: artwork (the cover where the original has one, else a tile), the artist, the length; the waveforms
    # of the rows on screen only; the cover asked for only where there is one.
    first = page.locator("#rows li").first
    assert first.locator(".rec-name").inner_text() == RED_SONG
    assert first.locator(".rec-by").inner_text() == f"{ARTIST} · alice"
    assert first.locator(".rec-by a").get_attribute("href") == f"{base}/u/{seeded['alice']['id']}"
    assert first.locator(".rec-name").get_attribute("href") == f"{base}/r/{seeded['flac']['id']}"
    page.wait_for_function(
        "(img => img && img.complete && img.naturalWidth === 320)(document.querySelector('#rows img.cover'))"
    )
    assert page.locator("#rows img.cover").count() == 1 and page.locator("#rows .tile").count() == 24
    assert page.locator("#rows li").nth(1).locator(".rec-length").inner_text() == "0:24"
    peaks = [url for url in asked if url.endswith("/peaks")]
    covers = [url for url in asked if "/cover" in url]
    assert 0 < len(peaks) < 25, peaks  # lazy: only what is on screen (and a little below)
    assert covers == [f"{base}/recordings/{seeded['flac']['id']}/cover"]
    assert no_horizontal_scroll(page), page.evaluate("document.documentElement.scrollWidth")
    assert serious_violations(page) == []

    # Search from the filter box: words that begin words of the name, the artist or the title.
    page.fill("#f-q", "harb")
    page.press("#f-q", "Enter")
    page.wait_for_function("document.getElementById('list-end').textContent === '1 recording: that is all of them.'")
    assert page.inner_text("#rows .rec-name") == RED_SONG

    # Its page: the large cover, the title, the artist; play and pause from it and from the bar, always agreeing.
    page.click("#rows .rec-name")
    page.wait_for_selector("#facts")
    assert page.url == f"{base}/#/recordings/{seeded['flac']['id']}"
    page.wait_for_function(
        "(img => img && img.complete && img.naturalWidth === 320)(document.querySelector('#detail-art img.cover'))"
    )
    assert page.get_attribute("#detail-art img", "alt") == f"Cover of {RED_SONG}"
    assert page.inner_text("#detail-title") == RED_SONG
    assert page.inner_text("#detail-by") == f"{ARTIST} · alice"
    # The technical facts are below, under Details: formats, sizes, loudness.
    assert page.evaluate(
        "document.getElementById('tech').getBoundingClientRect().top"
        " > document.getElementById('detail-wave').getBoundingClientRect().bottom"
    )
    facts = page.inner_text("#facts")
    assert "flac" in facts and "LUFS" in facts and "kbit/s" in facts
    play_buttons_agree(page, RED_SONG, playing=False)

    page.get_by_role("button", name=f"Play {RED_SONG}").click()
    wait_until_playing(page, 0.2)
    play_buttons_agree(page, RED_SONG, playing=True)
    page.click("#toggle")  # the bar pauses: the page's button turns back into Play
    play_buttons_agree(page, RED_SONG, playing=False)
    page.click("#toggle")
    play_buttons_agree(page, RED_SONG, playing=True)
    page.get_by_role("button", name=f"Pause {RED_SONG}").click()  # the page pauses: the bar follows
    play_buttons_agree(page, RED_SONG, playing=False)
    assert audio_state(page)["title"] == RED_SONG
    wait_for_a_waveform(page, "detail-wave", 2000)
    assert no_horizontal_scroll(page), page.evaluate("document.documentElement.scrollWidth")
    assert serious_violations(page) == []

    # Back in the list, the row's own button says the same.
    page.click("text=← All recordings")
    row_button = page.locator("#rows li").first.locator("button.pp")
    assert row_button.get_attribute("aria-label") == f"Play {RED_SONG}"
    row_button.click()
    play_buttons_agree(page, RED_SONG, playing=True)

    # A row's waveform plays its recording from where it is clicked.
    page.click("#clear-filters")
    second = page.locator("#rows li").nth(1)
    second.locator(".rec-name").wait_for()
    name = second.locator(".rec-name").inner_text()
    wave = second.locator("canvas.row-wave")
    box = wave.bounding_box()
    wave.click(position={"x": box["width"] / 2, "y": box["height"] / 2})
    page.wait_for_function(
        f"document.getElementById('now-title').textContent === {name!r} && !audio.paused && audio.currentTime > 9"
    )
    assert audio_state(page)["time"] == pytest.approx(12, abs=3)  # from the middle of its 24 seconds
    play_buttons_agree(page, name, playing=True)
    assert page.errors == []
