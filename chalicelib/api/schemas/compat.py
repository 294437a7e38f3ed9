"""The earlier specs' calls (seeds/, served by api/compat/), declared as types like the primary API's.

Those specs' clients send loosely typed bodies: forms or JSON, a field under one of several names (`name`,
`username`, `user`), numbers as strings. Their handlers read them leniently, as the specs' servers did, and the
types here say what each call takes and answers, for the OpenAPI document. Limits are the same as the primary API's
(the same constants), applied by the same domain checks.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import UNSET, Meta, Struct, UnsetType, field

from chalicelib.api.contract import ListParams, Recording, Seconds
from chalicelib.metadata import MAX_FILENAME_LENGTH
from chalicelib.users import MAX_NAME_LENGTH

Loose = Annotated[Any, Meta(description="a string or a number, as the spec's clients send it")]


class PostParams(Struct, kw_only=True):
    """seeds/000 POST /post."""

    name: Annotated[str, Meta(max_length=MAX_FILENAME_LENGTH)] | None = None


class CompatListParams(ListParams, kw_only=True):
    """seeds/000 GET /list: its own duration bounds, besides every filter of GET /recordings (ListParams)."""

    maxduration: Seconds | None = None
    minduration: Seconds | None = None


class ByNameOrId(Struct, kw_only=True):
    """seeds/000 GET /info: the newest listed recording with that exact name, or one by id."""

    name: str | None = None
    id: str | None = None


class DownloadParams(ByNameOrId, kw_only=True):
    """seeds/000 GET /download."""

    format: Literal["original", "mp3"] = "original"


class RecordingInfo(Recording, kw_only=True):
    """seeds/000 GET /info: the recording, and the ids of older ones with the same name."""

    other_ids: list[str]


class LegacyNewUser(Struct, kw_only=True):
    """seeds/002 and 003 POST /user (JSON or a form): a name (PigWav: `name`, `username` or `user`) or an id."""

    name: Annotated[str, Meta(max_length=MAX_NAME_LENGTH)] | None = None
    username: str | None = None
    user: str | None = None
    id: Loose | None = None


class LegacyUser(Struct, kw_only=True):
    id: int
    user_id: int
    name: str | None
    token: str


class PigwavUploadFields(Struct, kw_only=True):
    """seeds/003 POST /record: a form with the WAV (`file`) and these fields (also taken from the query string)."""

    user_id: Loose = UNSET
    token: str | UnsetType = UNSET
    name: str | UnsetType = UNSET


class PigwavUploaded(Struct, kw_only=True):
    url: Annotated[str, Meta(description="/record?id=<id>&user=<user id>: downloads the MP3")]
    id: str
    user: int
    status: str


class PigwavDownloadParams(Struct, kw_only=True):
    """seeds/003 GET /record."""

    id: str
    user: str


class Task2Registration(Struct, kw_only=True):
    """seeds/004 POST /api/registration."""

    username: Annotated[str, Meta(max_length=MAX_NAME_LENGTH)]


class Task2Registered(Struct, kw_only=True):
    id_user: int
    user_token: str


class Task2Uploaded(Struct, kw_only=True):
    """seeds/004 POST /api/upload_audiorecord (a form: `user_token`, `id_user`, `file_wav`)."""

    url: str = field(name="URL for download")


class Task2DownloadParams(Struct, kw_only=True):
    """seeds/004 GET /api/download."""

    id_record: str
    id_user: str


class AudioFileMetadata(Struct, kw_only=True, forbid_unknown_fields=False):
    """seeds/001: a file's metadata, flat or under `audioFileMetadata`; fields of other kinds are dropped. The
    primary API's limits apply (name 255, text 100 characters), answered with 400 as that spec answers every client
    error."""

    audioFileType: Annotated[str, Meta(description="song, podcast or audiobook (also filetype)")] | None = None
    name: str | None = None
    duration: Annotated[float, Meta(ge=0)] | None = None
    uploaded_time: Annotated[str, Meta(description="ISO 8601, not in the past")] | None = None
    host: str | None = None
    participants: list[str] | None = None
    title: str | None = None
    author: str | None = None
    narrator: str | None = None
    audioFileMetadata: dict[str, Any] | None = None


class AudioFile(Recording, kw_only=True):
    """seeds/001's view of a recording: ours, with its own names beside."""

    audioFileType: str
    uploaded_time: str


class AudioFileCreated(AudioFile, kw_only=True):
    upload: Annotated[dict[str, Any] | None, Meta(description="where to PUT the file, as POST /recordings answers")]


class AudioFileDeleted(Struct, kw_only=True):
    id: str
    deleted: Literal[True]
