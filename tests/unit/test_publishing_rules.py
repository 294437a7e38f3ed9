"""The pure parts of publishing: which URL oEmbed is asked about, the iframe's size, pictures' sizes, RSS dates,
escaping in pages and feeds."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET

import pytest

from chalicelib import oembed, rss
from chalicelib.pages.addresses import Addresses
from chalicelib.pages.markup import meta_tags, waveform_svg
from chalicelib.pages.recording_page import Shown, recording_page
from chalicelib.recording import new_recording

HOSTILE = '"><script>alert(1)</script>&'


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://sound.example/r/abc-123", oembed.Named("r", "abc-123")),
        ("https://sound.example/r/abc-123/", oembed.Named("r", "abc-123")),
        ("https://x.execute-api.us-east-1.amazonaws.com/api/r/abc", oembed.Named("r", "abc")),
        ("http://127.0.0.1:8000/s/Xk3_-9", oembed.Named("s", "Xk3_-9", share="Xk3_-9")),
        ("http://h/embed/abc?share=S3cr3t", oembed.Named("r", "abc", share="S3cr3t")),
        ("javascript:alert(1)//r/abc", None),
        ("https://sound.example/u/1", None),
        ("https://sound.example/r/../../etc", None),
        ("/r/abc", None),
        ("https://[::1", None),
    ],
)
def test_oembed_reads_only_a_recordings_or_a_shares_url(url, expected):
    assert oembed.named(url) == expected


def test_oembed_size_keeps_within_the_consumers_bounds():
    assert oembed.size(None, None) == (480, 160)
    assert oembed.size(300, 120) == (300, 120)
    assert oembed.size(10, 10) == (10, 10)  # oEmbed: never past the bounds, however small
    assert oembed.size(5000, 5000) == (480, 160)


def test_picture_sizes_from_headers():
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + struct.pack(">II", 640, 480)
    gif = b"GIF89a" + struct.pack("<HH", 32, 16)
    jpeg = (
        b"\xff\xd8"
        + b"\xff\xe0"
        + struct.pack(">H", 4)
        + b"\x00\x00"
        + b"\xff\xc0"
        + struct.pack(">HBHH", 11, 8, 48, 64)
        + b"\x00" * 6
    )
    assert oembed.picture_size(png) == (640, 480)
    assert oembed.picture_size(gif) == (32, 16)
    assert oembed.picture_size(jpeg) == (64, 48)
    assert oembed.picture_size(b"not a picture") is None
    assert oembed.picture_size(b"\xff\xd8\x00") is None


def test_rss_dates_are_rfc_2822():
    assert rss.rfc2822("2026-12-07T10:32:18.123456Z") == "Mon, 07 Dec 2026 10:32:18 GMT"


def test_feeds_and_pages_keep_hostile_text_as_text():
    recording = new_recording(1, HOSTILE, status="ready", owner_name=HOSTILE, kind="podcast", host=HOSTILE)
    at = Addresses("https://sound.example", recording.id)
    item = rss.item_xml(recording, at, at.audio)
    channel = rss.Channel(
        title=HOSTILE, link=at.page, self_url=at.page, description=HOSTILE, author=HOSTILE, kind="podcast"
    )
    root = ET.fromstring(rss.feed_xml(channel, [item]))
    assert root.find("channel/title").text == f"{HOSTILE}"
    assert root.find("channel/item/title").text == HOSTILE
    page = recording_page(Shown(recording, at, [0.5, 1.0, 0.1]))
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert '"><' not in meta_tags([("og:title", HOSTILE)])
    assert waveform_svg([2.0, -1.0, float("nan")]).count("<rect") == 3
