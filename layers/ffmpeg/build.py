"""Build the ffmpeg Lambda layer: `bin/ffmpeg` from the imageio-ffmpeg==0.6.0 wheel, as a reproducible zip.

    python layers/ffmpeg/build.py [--arch x86_64|arm64] [--out layers/ffmpeg/build]

Writes `ffmpeg-layer.zip` (or `ffmpeg-layer-arm64.zip`) and its `.sha256`. The zip is the same bytes on every build:
fixed entry order, timestamps and permissions. The binary is checked before it is packed: on a matching machine it
must run and list the libmp3lame encoder; for another architecture its ELF header must name that architecture.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

WHEEL_VERSION = "0.6.0"
PLATFORMS = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}
BINARY_SUFFIX = {"x86_64": "linux-x86_64", "arm64": "linux-aarch64"}
ELF_MACHINE = {"x86_64": 62, "arm64": 183}  # e_machine: EM_X86_64, EM_AARCH64
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
HERE = Path(__file__).resolve().parent


def download_wheel(arch: str, cache: Path) -> Path:
    existing = sorted(cache.glob(f"imageio_ffmpeg-{WHEEL_VERSION}-*{PLATFORMS[arch]}*.whl"))
    if existing:
        return existing[0]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            f"imageio-ffmpeg=={WHEEL_VERSION}",
            "--no-deps",
            "--only-binary=:all:",
            "--platform",
            PLATFORMS[arch],
            "--python-version",
            "3.13",
            "--quiet",
            "--disable-pip-version-check",
            "-d",
            str(cache),
        ],
        check=True,
    )
    return sorted(cache.glob(f"imageio_ffmpeg-{WHEEL_VERSION}-*{PLATFORMS[arch]}*.whl"))[0]


def extract_binary(wheel: Path, arch: str) -> bytes:
    with zipfile.ZipFile(wheel) as archive:
        names = [
            name
            for name in archive.namelist()
            if name.startswith("imageio_ffmpeg/binaries/ffmpeg-") and BINARY_SUFFIX[arch] in name
        ]
        if len(names) != 1:
            raise SystemExit(f"expected one ffmpeg binary for {arch} in {wheel.name}, found {names}")
        return archive.read(names[0])


def check_binary(binary: bytes, arch: str) -> None:
    if binary[:4] != b"\x7fELF" or int.from_bytes(binary[18:20], "little") != ELF_MACHINE[arch]:
        raise SystemExit(f"the binary is not a {arch} ELF executable")
    host = {"x86_64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(__import__("platform").machine())
    if host != arch:
        return  # cannot run it here; the ELF check is what we can do
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "ffmpeg"
        path.write_bytes(binary)
        path.chmod(0o755)
        encoders = subprocess.run([str(path), "-hide_banner", "-encoders"], capture_output=True, text=True, check=True)
        if "libmp3lame" not in encoders.stdout:
            raise SystemExit("the ffmpeg binary has no libmp3lame encoder")


def write_zip(binary: bytes, destination: Path) -> None:
    entries = [("bin/", None, 0o40755), ("bin/ffmpeg", binary, 0o100755)]
    with zipfile.ZipFile(destination, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.external_attr = mode << 16
            info.create_system = 3  # Unix, so the mode bits are honoured when Lambda unpacks the layer
            if data is None:
                archive.writestr(info, b"")
            else:
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)


def build(arch: str, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    cache = out / "cache"
    cache.mkdir(exist_ok=True)
    binary = extract_binary(download_wheel(arch, cache), arch)
    check_binary(binary, arch)
    destination = out / ("ffmpeg-layer.zip" if arch == "x86_64" else f"ffmpeg-layer-{arch}.zip")
    write_zip(binary, destination)
    digest = hashlib.sha256(destination.read_bytes()).hexdigest()
    destination.with_name(destination.name + ".sha256").write_text(f"{digest}  {destination.name}\n")
    return destination


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", choices=sorted(PLATFORMS), default="x86_64")
    parser.add_argument("--out", type=Path, default=HERE / "build")
    args = parser.parse_args()
    destination = build(args.arch, args.out)
    print(
        f"{destination} ({destination.stat().st_size / 2**20:.1f} MiB) "
        f"sha256 {destination.with_name(destination.name + '.sha256').read_text().split()[0]}"
    )


if __name__ == "__main__":
    main()
