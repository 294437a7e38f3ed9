"""The ffmpeg layer: reproducible, and its bin/ffmpeg really converts."""

from __future__ import annotations

import hashlib
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BUILD = PROJECT_ROOT / "layers" / "ffmpeg" / "build.py"


def build(out: Path, cache: Path) -> Path:
    (out / "cache").parent.mkdir(parents=True, exist_ok=True)
    if not (out / "cache").exists():
        (out / "cache").symlink_to(cache)
    subprocess.run([sys.executable, str(BUILD), "--out", str(out)], check=True, capture_output=True)
    return out / "ffmpeg-layer.zip"


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    cache = PROJECT_ROOT / "layers" / "ffmpeg" / "build" / "cache"  # the wheel download is shared, not the zip
    cache.mkdir(parents=True, exist_ok=True)
    return (build(tmp_path_factory.mktemp("first"), cache), build(tmp_path_factory.mktemp("second"), cache))


def test_two_builds_give_the_same_bytes_and_checksum(two_builds):
    first, second = two_builds

    assert first.read_bytes() == second.read_bytes()
    digest = hashlib.sha256(first.read_bytes()).hexdigest()
    assert first.with_name("ffmpeg-layer.zip.sha256").read_text().split()[0] == digest


def test_the_layer_holds_an_executable_ffmpeg_that_makes_mp3(two_builds, make_audio, tmp_path):
    with zipfile.ZipFile(two_builds[0]) as archive:
        info = archive.getinfo("bin/ffmpeg")
        assert stat.S_IMODE(info.external_attr >> 16) == 0o755
        binary = tmp_path / "ffmpeg"
        binary.write_bytes(archive.read(info))
    binary.chmod(0o755)
    wav = make_audio(seconds=1)

    subprocess.run(
        [
            str(binary),
            "-nostdin",
            "-loglevel",
            "error",
            "-i",
            str(wav),
            "-c:a",
            "libmp3lame",
            str(tmp_path / "out.mp3"),
        ],
        check=True,
    )

    assert (tmp_path / "out.mp3").read_bytes()[:3] == b"ID3"
