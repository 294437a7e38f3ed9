"""What a page about one recording needs, gathered for a recording the request may read: its peaks, whether it has
a cover, and its addresses (with the share it is seen through)."""

from __future__ import annotations

import logging

from chalicelib.pages.addresses import Addresses
from chalicelib.pages.recording_page import Shown
from chalicelib.shares import Access

log = logging.getLogger("cloudsound.pages")


def shown(access: Access, base: str) -> Shown:
    from chalicelib.api.shared_reads import peaks_of
    from chalicelib.covers import cover_of

    recording = access.recording
    peaks: list[float] = []
    has_cover = False
    if recording.status == "ready":
        try:
            peaks = [float(value) for value in peaks_of(access).get("peaks", [])]
            has_cover = cover_of(recording) is not None
        except Exception:  # a page still shows what it can: the waveform and cover are decoration
            log.exception("could not read the peaks or cover of %s", recording.id)
    return Shown(recording, Addresses(base, recording.id, access.share), peaks, has_cover, access.download)
