"""cloudsound — register or log in; upload (any size, with progress), list, inspect, download, edit, delete.

The base URL comes from --url, CLOUDSOUND_URL or the config file; the token from --token, CLOUDSOUND_TOKEN or the
config file that `register` and `login` write ($XDG_CONFIG_HOME/cloudsound/config.json, or CLOUDSOUND_CONFIG).
Options go before or after the command: `cloudsound upload take.wav --json` is `cloudsound --json upload take.wav`.
Uploads go through the presigned flow (the file travels straight to S3), so any size works.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

import requests
from tqdm import tqdm

from cloudsound import parts
from cloudsound.account import add_account_commands
from cloudsound.keys import add_key_commands
from cloudsound.client import CHUNK, DEFAULT_URL, Client, CliError, ProgressFile, load_config, output
from cloudsound.fields import add_field_options, kind_fields


def upload_one(client: Client, path: Path, args: argparse.Namespace) -> dict[str, Any]:
    if not path.is_file():
        raise CliError(f"{path}: no such file")
    resumed = parts.resume(client, path, args.parallel)  # an earlier run's upload of this file, in parts
    if resumed is not None:
        return resumed
    size = path.stat().st_size
    body = {
        "filename": path.name,
        "size": size,
        **kind_fields(client, args),
        **({"name": args.name} if args.name else {}),
    }
    if args.private:
        body["visibility"] = "private"
    created = client.call("POST", "/recordings", auth=True, json=body).json()
    slot = created["upload"]
    if slot["method"] == "multipart":  # a large file: in parts, resumable
        parts.remember(path, created["id"])
        return parts.send(client, created["id"], path, args.parallel)
    with path.open("rb") as handle:
        body_stream = ProgressFile(handle, size, path.name)
        try:
            put = requests.request(
                slot["method"], slot["url"], data=body_stream, headers=slot.get("headers") or {}, timeout=3600
            )
        except requests.ConnectionError:
            raise CliError(f"the upload of {path} to storage failed (connection lost)") from None
        finally:
            body_stream.close()
    if put.status_code >= 300:
        raise CliError(f"storage refused the upload of {path}: HTTP {put.status_code}")
    return client.call("GET", f"/recordings/{created['id']}").json()


def wait_for(client: Client, recording: dict[str, Any], timeout: float = 3600) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    bar = tqdm(desc=f"{recording['name']}: converting", bar_format="{desc} {elapsed}", disable=None, file=sys.stderr)
    try:
        while recording["status"] in ("awaiting_upload", "processing"):
            if time.monotonic() > deadline:
                raise CliError(f"{recording['id']} is still {recording['status']} after {timeout:.0f} s")
            time.sleep(0.5)
            bar.update()
            recording = client.call("GET", f"/recordings/{recording['id']}").json()
    finally:
        bar.close()
    return recording


def describe(recording: dict[str, Any]) -> str:
    duration = recording.get("duration")
    minutes = f"{int(duration // 60)}:{int(duration % 60):02d}" if duration is not None else "-"
    size = (recording.get("original") or {}).get("size")
    return (
        f"{recording['id']}  {recording['status']:<15} {minutes:>6}  {recording['kind']:<9} "
        f"{'private ' if recording.get('visibility') == 'private' else ''}{recording['name']}"
        f"{f'  ({size} bytes)' if size else ''}"
    )


def filename_from(response: requests.Response, fallback: str) -> str:
    disposition = response.headers.get("Content-Disposition", "")
    match = re.search(r"filename\*=UTF-8''([^;]+)", disposition) or re.search(r'filename="([^"]+)"', disposition)
    name = urllib.parse.unquote(match.group(1)) if match else fallback
    return Path(name).name or fallback


def command_upload(client: Client, args: argparse.Namespace) -> None:
    if args.name and len(args.files) > 1:
        raise CliError("--name names one file; upload several files without it")
    results = []
    for path in args.files:
        recording = upload_one(client, Path(path), args)
        if args.wait:
            recording = wait_for(client, recording)
        results.append(recording)
        if not args.json:
            print(describe(recording))
    if args.json:
        print(json.dumps(results if len(results) > 1 else results[0], indent=2))
    failed = [r for r in results if r["status"] == "failed"]
    if failed:
        raise CliError("; ".join(f"{r['name']}: conversion failed: {r.get('error')}" for r in failed))


def command_list(client: Client, args: argparse.Namespace) -> None:
    params = {
        key: value
        for key, value in {
            "owner": load_config().get("user_id") if args.owner == "me" else args.owner,
            "kind": args.kind,
            "name": args.name,
            "status": args.status,
            "min_duration": args.min_duration,
            "max_duration": args.max_duration,
            "limit": args.limit,
            "q": args.search,
        }.items()
        if value is not None
    }
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = client.call("GET", "/recordings", params={**params, **({"cursor": cursor} if cursor else {})}).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor or not args.all:
            break
    output(
        args, {"items": items, "next_cursor": cursor}, "\n".join(describe(item) for item in items) or "no recordings"
    )


def command_info(client: Client, args: argparse.Namespace) -> None:
    recording = client.call("GET", f"/recordings/{args.id}").json()
    output(args, recording, json.dumps(recording, indent=2))


def command_download(client: Client, args: argparse.Namespace) -> None:
    path = f"/recordings/{args.id}/audio" + ("?format=original" if args.original else "")
    response = client.call("GET", path, stream=True)
    target = Path(args.output or filename_from(response, f"{args.id}.mp3"))
    total = int(response.headers.get("Content-Length") or 0) or None
    with (
        target.open("wb") as handle,
        tqdm(
            total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=target.name, disable=None, file=sys.stderr
        ) as bar,
    ):
        for chunk in response.iter_content(CHUNK):
            handle.write(chunk)
            bar.update(len(chunk))
    output(
        args,
        {"id": args.id, "file": str(target), "bytes": target.stat().st_size},
        f"saved {target} ({target.stat().st_size} bytes)",
    )


def command_rm(client: Client, args: argparse.Namespace) -> None:
    for recording_id in args.ids:
        client.call("DELETE", f"/recordings/{recording_id}", auth=True)
        if not args.json:
            print(f"deleted {recording_id}")
    if args.json:
        print(json.dumps({"deleted": args.ids}))


def command_edit(client: Client, args: argparse.Namespace) -> None:
    changes = kind_fields(client, args)
    if args.name:
        changes["name"] = args.name
    if args.visibility:
        changes["visibility"] = args.visibility
    if not changes:
        raise CliError("nothing to change: give --name, --kind, --public/--private or --field NAME=VALUE")
    recording = client.call("PATCH", f"/recordings/{args.id}", auth=True, json=changes).json()
    output(args, recording, describe(recording))


def common_options() -> argparse.ArgumentParser:
    """The options every command takes, before or after its name. SUPPRESS: an option not given at one position
    sets nothing there, so it cannot reset what another position gave (`--json list` and `list --json` alike)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--url", default=argparse.SUPPRESS, help=f"the service's base URL (CLOUDSOUND_URL; default {DEFAULT_URL})"
    )
    common.add_argument(
        "--token",
        default=argparse.SUPPRESS,
        help="your access token (CLOUDSOUND_TOKEN; `register` and `login` save one)",
    )
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print machine-readable JSON")
    return common


GLOBAL_DEFAULTS = {"url": None, "token": None, "json": False}


def build_parser() -> argparse.ArgumentParser:
    common = common_options()
    parser = argparse.ArgumentParser(prog="cloudsound", description=__doc__.split("\n\n")[0], parents=[common])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_account_commands(commands, common)
    add_key_commands(commands, common)
    add_transfer_commands(commands, common)
    add_recording_commands(commands, common)
    return parser


def positive(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError("from 1 to 64")
    return value


def add_transfer_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    upload = commands.add_parser("upload", parents=[common], help="upload audio files (any size, straight to storage)")
    upload.add_argument("files", nargs="+", metavar="FILE")
    upload.add_argument("--name", help="the recording's name (default: the file name)")
    upload.add_argument("--private", action="store_true", help="visible to you only")
    upload.add_argument("--wait", action="store_true", help="wait until converted (exit 1 if it fails)")
    upload.add_argument(
        "--parallel",
        type=positive,
        default=4,
        metavar="N",
        help="parts in flight at once for a large file (default 4); a large file's upload resumes when run again",
    )
    add_field_options(upload)
    upload.set_defaults(run=command_upload)

    download = commands.add_parser("download", parents=[common], help="download the MP3 (or the original)")
    download.add_argument("id")
    download.add_argument("-o", "--output", metavar="FILE")
    download.add_argument("--original", action="store_true", help="the uploaded file, byte-exact")
    download.set_defaults(run=command_download)


def add_recording_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    listing = commands.add_parser("list", parents=[common], help="list recordings, newest first")
    listing.add_argument("--owner", help="a user id, or `me`")
    listing.add_argument("--kind", help="only recordings of this kind")
    listing.add_argument("--name", help="exact name")
    listing.add_argument(
        "--search", metavar="WORDS", help="words that begin words of the name, the kind fields, title or artist"
    )
    listing.add_argument("--status", help="only recordings in this state of conversion")
    listing.add_argument("--min-duration", type=float, metavar="SECONDS")
    listing.add_argument("--max-duration", type=float, metavar="SECONDS")
    listing.add_argument("--limit", type=int)
    listing.add_argument("--all", action="store_true", help="follow every page")
    listing.set_defaults(run=command_list)

    info = commands.add_parser("info", parents=[common], help="one recording's metadata")
    info.add_argument("id")
    info.set_defaults(run=command_info)

    remove = commands.add_parser("rm", parents=[common], help="delete your recordings")
    remove.add_argument("ids", nargs="+", metavar="ID")
    remove.set_defaults(run=command_rm)

    edit = commands.add_parser("edit", parents=[common], help="change a recording's name, kind fields or visibility")
    edit.add_argument("id")
    edit.add_argument("--name")
    visibility = edit.add_mutually_exclusive_group()
    visibility.add_argument("--private", dest="visibility", action="store_const", const="private")
    visibility.add_argument("--public", dest="visibility", action="store_const", const="public")
    add_field_options(edit)
    edit.set_defaults(run=command_edit)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    args = build_parser().parse_args(argv)
    for name, default in GLOBAL_DEFAULTS.items():
        if not hasattr(args, name):
            setattr(args, name, default)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    config = load_config()
    url = args.url or os.environ.get("CLOUDSOUND_URL") or config.get("url") or DEFAULT_URL
    token = args.token or os.environ.get("CLOUDSOUND_TOKEN") or config.get("token")
    try:
        args.run(Client(url, token), args)
    except CliError as error:
        print(f"cloudsound: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("cloudsound: interrupted", file=sys.stderr)
        return 130
    return 0
