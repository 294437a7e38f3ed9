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
from tests.e2e.conftest import PROJECT_ROOT
from tests.e2e.test_journey import decoded_seconds


@pytest.fixture
def cli(local_stack, tmp_path):
    config = tmp_path / "config.json"

    def run(
        *args: str, check: bool = True, cwd: Path = tmp_path, stdin: str | None = None, **env: str
    ) -> subprocess.CompletedProcess:
        # PYTHONPATH: the CLI of this checkout, whichever checkout the venv's editable install points at.
        result = subprocess.run(
            [sys.executable, "-m", "cloudsound", *args],
            capture_output=True,
            text=True,
            cwd=cwd,
            timeout=300,
            input=stdin if stdin is not None else "",
            env={
                **os.environ,
                "CLOUDSOUND_URL": local_stack.url,
                "CLOUDSOUND_CONFIG": str(config),
                "PYTHONPATH": str(PROJECT_ROOT),
                **env,
            },
        )
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

    uploaded = json.loads(
        cli(
            "--json",
            "upload",
            str(wav),
            "--kind",
            "podcast",
            "--field",
            "host=Ann",
            "--field",
            "participants=Bo",
            "--wait",
        ).stdout
    )
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
    shorthand = json.loads(cli("--json", "edit", uploaded["id"], "--participant", "Bo", "--participant", "Cy").stdout)
    assert shorthand["participants"] == ["Bo", "Cy"]
    assert json.loads(cli("--json", "info", uploaded["id"]).stdout)["name"] == "Pilot"

    assert "deleted" in cli("rm", uploaded["id"]).stdout
    gone = cli("info", uploaded["id"], check=False)
    assert gone.returncode == 1
    assert gone.stderr.strip().count("\n") == 0 and "error:" in gone.stderr


def test_errors_are_one_line_and_non_zero(cli, local_stack, tmp_path):
    missing = cli("upload", str(tmp_path / "nope.wav"), check=False)
    no_token = cli("rm", "0d9f8e1c-0000-4000-8000-000000000000", check=False)
    unreachable = subprocess.run(
        [sys.executable, "-m", "cloudsound", "--url", "http://127.0.0.1:9", "list"],
        capture_output=True,
        text=True,
        timeout=60,
    )

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
    pids = subprocess.run(
        ["pgrep", "-s", str(stack_pid), "-f", "devstack.worker"], capture_output=True, text=True
    ).stdout.split()
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


def test_options_are_taken_before_or_after_the_command(cli, make_audio, local_stack):
    wav = make_audio("anywhere.wav", seconds=1, rate=8000)
    registered = json.loads(cli("register", "gina", "--json").stdout)
    uploaded = json.loads(cli("upload", str(wav), "--json", "--wait", "--kind", "song").stdout)
    assert (uploaded["status"], uploaded["owner"], uploaded["kind"]) == ("ready", registered["id"], "song")

    dead = "http://127.0.0.1:9"
    for args in (
        ["list", "--owner", "me", "--json"],
        ["--json", "list", "--url", local_stack.url, "--owner", "me"],
        ["--url", local_stack.url, "list", "--owner", "me", "--json"],  # not reset by the command's parser
        ["--url", dead, "list", "--url", local_stack.url, "--json", "--owner", "me"],
    ):  # the later one
        env = {} if args[0] == "list" else {"CLOUDSOUND_URL": dead}
        assert [item["id"] for item in json.loads(cli(*args, **env).stdout)["items"]] == [uploaded["id"]], args
    unreachable = cli("list", "--url", dead, check=False)
    assert unreachable.returncode == 1 and f"cannot reach {dead}" in unreachable.stderr
    assert json.loads(cli("info", uploaded["id"], "--json").stdout)["id"] == uploaded["id"]
    stranger = cli("rm", uploaded["id"], "--token", "not-a-token", check=False)
    assert stranger.returncode == 1 and "HTTP 401" in stranger.stderr


def test_login_saves_a_token_from_the_page_once_the_service_takes_it_and_whoami_shows_whose(cli, local_stack):
    # The page registers with POST /users and shows the token once; the CLI is then given that token.
    user = requests.post(f"{local_stack.url}/users", json={"name": "hana"}, timeout=10).json()

    refused = cli("login", "0d9f8e1c-0000-4000-8000-000000000000", check=False)
    assert refused.returncode == 1 and "nothing saved" in refused.stderr and not cli.config.exists()
    assert "login" in cli("whoami", check=False).stderr  # no token yet: says how to get one

    said = cli("login", user["token"]).stdout
    assert "hana" in said and str(user["id"]) in said
    assert json.loads(cli.config.read_text()) == {"url": local_stack.url, "token": user["token"], "user_id": user["id"]}
    me = json.loads(cli("whoami", "--json").stdout)
    assert (me["id"], me["name"]) == (user["id"], "hana")
    assert {"usage", "quota"} <= set(me) and me["usage"]["bytes"] == 0 and me["quota"]["bytes"] > 0
    shown = cli("whoami").stdout
    assert f"user {user['id']}: hana" in shown and "MiB" in shown and "hours" in shown

    cli.config.unlink()
    assert json.loads(cli("login", "--json", stdin=user["token"] + "\n").stdout)["id"] == user["id"]  # piped in
    cli.config.unlink()
    assert json.loads(cli("login", "--token", user["token"], "--json").stdout)["name"] == "hana"
    assert json.loads(cli.config.read_text())["token"] == user["token"]
