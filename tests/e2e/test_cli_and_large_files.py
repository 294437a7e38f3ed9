"""The `cloudsound` CLI end to end against the local stack, and a 100 MB+ WAV through the presigned flow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.conftest import generate_audio
from tests.e2e.test_journey import decoded_seconds


@pytest.fixture
def cli(local_stack, tmp_path):
    config = tmp_path / "config.json"

    def run(*args: str, check: bool = True, cwd: Path = tmp_path) -> subprocess.CompletedProcess:
        result = subprocess.run([sys.executable, "-m", "cloudsound", *args], capture_output=True, text=True,
                                cwd=cwd, timeout=300,
                                env={**os.environ, "CLOUDSOUND_URL": local_stack.url, "CLOUDSOUND_CONFIG": str(config)})
        if check:
            assert result.returncode == 0, result.stderr
        return result

    run.config = config
    return run


def test_register_upload_wait_list_download_edit_and_remove(cli, make_audio, tmp_path):
    wav = make_audio("episode.wav", seconds=4, rate=44100, channels=2)

    registered = json.loads(cli("--json", "register", "carol").stdout)
    assert json.loads(cli.config.read_text())["token"] == registered["token"]
    assert oct(cli.config.stat().st_mode & 0o777) == "0o600"

    uploaded = json.loads(cli("--json", "upload", str(wav), "--kind", "podcast", "--host", "Ann",
                              "--participant", "Bo", "--wait").stdout)
    assert uploaded["status"] == "ready"
    assert (uploaded["kind"], uploaded["host"], uploaded["participants"]) == ("podcast", "Ann", ["Bo"])
    assert uploaded["duration"] == pytest.approx(4.0, abs=0.01)

    listed = json.loads(cli("--json", "list", "--owner", "me", "--kind", "podcast").stdout)
    assert [item["id"] for item in listed["items"]] == [uploaded["id"]]
    assert uploaded["id"] in cli("list").stdout

    saved = json.loads(cli("--json", "download", uploaded["id"]).stdout)
    assert Path(saved["file"]).name == "episode.mp3"
    assert decoded_seconds((tmp_path / "episode.mp3").read_bytes()) == pytest.approx(4.0, abs=0.1)
    cli("download", uploaded["id"], "--original", "-o", "back.wav")
    assert (tmp_path / "back.wav").read_bytes() == wav.read_bytes()

    edited = json.loads(cli("--json", "edit", uploaded["id"], "--name", "Pilot", "--private").stdout)
    assert (edited["name"], edited["visibility"]) == ("Pilot", "private")
    assert json.loads(cli("--json", "info", uploaded["id"]).stdout)["name"] == "Pilot"

    assert "deleted" in cli("rm", uploaded["id"]).stdout
    gone = cli("info", uploaded["id"], check=False)
    assert gone.returncode == 1
    assert gone.stderr.strip().count("\n") == 0 and "error:" in gone.stderr


def test_errors_are_one_line_and_non_zero(cli, local_stack, tmp_path):
    missing = cli("upload", str(tmp_path / "nope.wav"), check=False)
    no_token = cli("rm", "0d9f8e1c-0000-4000-8000-000000000000", check=False)
    unreachable = subprocess.run([sys.executable, "-m", "cloudsound", "--url", "http://127.0.0.1:9", "list"],
                                 capture_output=True, text=True, timeout=60)

    for result, words in ((missing, "no such file"), (no_token, "token"), (unreachable, "cannot reach")):
        assert result.returncode == 1
        assert words in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_text_file_uploaded_through_the_cli_ends_failed_with_a_reason(cli, tmp_path):
    cli("register", "dave")
    text = tmp_path / "notes.wav"
    text.write_text("not audio at all\n" * 100)

    result = cli("upload", str(text), "--wait", check=False)

    assert result.returncode == 1
    assert "conversion failed" in result.stderr


def worker_peak_rss_mib(stack_pid: int) -> float:
    pids = subprocess.run(["pgrep", "-s", str(stack_pid), "-f", "devstack.worker"], capture_output=True,
                          text=True).stdout.split()
    peaks = []
    for pid in pids:
        status = Path(f"/proc/{pid}/status").read_text()
        peaks.append(int(next(line for line in status.splitlines() if line.startswith("VmHWM")).split()[1]) / 1024)
    assert peaks, "no worker process found"
    return max(peaks)


def test_a_100_mb_wav_goes_through_the_presigned_flow_with_flat_memory(cli, local_stack, tmp_path):
    wav = generate_audio(tmp_path / "long.wav", seconds=600, rate=44100, channels=2)
    assert wav.stat().st_size > 100 * 1024 * 1024
    cli("register", "erin")

    uploaded = json.loads(cli("--json", "upload", str(wav), "--wait").stdout)

    assert uploaded["status"] == "ready", uploaded
    assert uploaded["duration"] == pytest.approx(600.0, abs=0.01)
    assert uploaded["original"]["size"] == wav.stat().st_size
    mp3 = requests.get(uploaded["links"]["audio"], timeout=60)
    assert len(mp3.content) == uploaded["mp3"]["size"]
    # The worker streamed 100 MiB in and 9 MiB out; a design that held the file would peak far above this.
    assert worker_peak_rss_mib(local_stack.process.pid) < 200
