"""The primary API's requests and responses, declared once as types (msgspec Structs): the same declarations
validate what comes in (`decode_body`, `decode_query`) and give the OpenAPI document its schemas (api/openapi.py).
Kinds, statuses and limits come from the modules that own them, never written here again.

msgspec rather than pydantic: 17 ms of import against 68 ms measured here, and it validates and converts in C. It
is imported only by the first request that validates, not by the API's cold start (api/declared.py holds the route
table without it).

Validation answers in the API's voice: a body that is not a JSON object is a 400; a field of the wrong type or past
its limits is a 422 naming it (`field`); a query parameter the list does not know, or cannot read, is a 400 naming
it. The domain's own rules (a podcast needs a host, text is trimmed and may not hold control characters) stay with
the domain (metadata.py, text.py): types say what a field can be, the domain what it must be together.
"""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from chalicelib.api.decoding import decode_body as decode_body, decode_query as decode_query
from chalicelib.api.decoding import fields_given as fields_given
from chalicelib.listing import MAX_LIMIT, MAX_SEARCH
from chalicelib.api.schemas.multipart import MultipartUpload
from chalicelib.metadata import MAX_FILENAME_LENGTH, MAX_OBJECT_BYTES, MAX_PARTICIPANTS, MAX_TEXT
from chalicelib.recording import AudioFormat, Kind, Status, Visibility
from chalicelib.users import MAX_NAME_LENGTH, MAX_USER_ID

Text = Annotated[str, Meta(max_length=MAX_TEXT)]
Name = Annotated[str, Meta(max_length=MAX_FILENAME_LENGTH)]
UserName = Annotated[str, Meta(max_length=MAX_NAME_LENGTH)]
UserId = Annotated[int, Meta(ge=1, le=MAX_USER_ID)]
Seconds = Annotated[float, Meta(ge=0, le=1e9)]


# ---- requests ---------------------------------------------------------------------------------------------------


class NewUser(Struct, kw_only=True):
    """POST /users: both optional; no id takes the next free one."""

    name: UserName | None = None
    id: UserId | None = None


class RecordingFields(Struct, kw_only=True):
    """A recording's editable metadata (PATCH /recordings/{id}); `null` clears a kind field, absence leaves it."""

    name: Name | UnsetType = UNSET
    kind: Kind | UnsetType = UNSET
    visibility: Visibility | UnsetType = UNSET
    host: Text | None | UnsetType = UNSET
    participants: Annotated[list[Text], Meta(max_length=MAX_PARTICIPANTS)] | None | UnsetType = UNSET
    title: Text | None | UnsetType = UNSET
    author: Text | None | UnsetType = UNSET
    narrator: Text | None | UnsetType = UNSET


class UploadSlotRequest(RecordingFields, kw_only=True):
    """POST /recordings with a JSON body: the metadata, and the size of the file that will be PUT to the link."""

    size: Annotated[
        int,
        Meta(
            ge=1,
            le=MAX_OBJECT_BYTES,
            description="the file's size in bytes: reserved against the quota, and the link takes exactly this many",
        ),
    ]
    multipart: (
        Annotated[bool, Meta(description="upload in parts (the default above 64 MiB, and over 5 GiB)")] | UnsetType
    ) = UNSET
    filename: (
        Annotated[
            str, Meta(max_length=MAX_FILENAME_LENGTH, description="the file's name: names it if `name` is not given")
        ]
        | UnsetType
    ) = UNSET


class ListParams(Struct, kw_only=True):
    """GET /recordings: every filter optional (an empty value is no filter), newest first."""

    owner: Annotated[int, Meta(ge=0, le=MAX_USER_ID)] | None = None
    kind: Kind | None = None
    name: Name | None = None
    status: Status | None = None
    min_duration: Annotated[Seconds, Meta(description="seconds, inclusive")] | None = None
    max_duration: Annotated[Seconds, Meta(description="seconds, inclusive")] | None = None
    limit: Annotated[int, Meta(ge=1, le=MAX_LIMIT)] | None = None
    cursor: Annotated[str, Meta(description="next_cursor of the previous page")] | None = None
    q: (
        Annotated[
            str,
            Meta(
                max_length=MAX_SEARCH,
                description="search: each word begins a word of the name, the kind fields or the original's title "
                "and artist (case and accents ignored)",
            ),
        ]
        | None
    ) = None


class AudioParams(Struct, kw_only=True):
    format: AudioFormat = "mp3"
    share: Annotated[str, Meta(max_length=64, description="a share link's secret")] | None = None


class UploadParams(Struct, kw_only=True):
    """POST /recordings with the audio as the body: its metadata rides in the query string (or the form's fields);
    `participants` repeated or comma-separated."""

    name: Name | None = None
    kind: Kind | None = None
    visibility: Visibility | None = None
    host: Text | None = None
    participants: str | None = None
    title: Text | None = None
    author: Text | None = None
    narrator: Text | None = None


# ---- responses --------------------------------------------------------------------------------------------------


class User(Struct):
    id: int
    name: str
    created_at: str


class RegisteredUser(User):
    token: Annotated[str, Meta(description="shown this once; only its hash is stored")]


class Amount(Struct):
    bytes: int
    seconds: float


class Reserved(Struct):
    bytes: int


class Me(User):
    usage: Amount
    reserved: Annotated[Reserved, Meta(description="held for uploads announced but not converted yet")]
    quota: Amount


class Original(Struct):
    content_type: str | None = None
    size: int | None = None
    format: str | None = None
    codec: str | None = None
    sample_rate: int | None = None
    channels: int | None = None
    bits_per_sample: int | None = None
    duration: float | None = None
    filename: str | None = None
    tags: Annotated[dict[str, list[str]], Meta(description="the original file's own tags, by ffmpeg's names")] = {}
    cover: Annotated[
        bool | None, Meta(description="it carried a cover picture (links.cover serves it); null until converted")
    ] = None


class Mp3(Struct):
    size: int
    bitrate: int
    duration: float
    sample_rate: int | None = None


class Loudness(Struct):
    integrated: Annotated[float, Meta(description="integrated loudness, LUFS")]
    range: Annotated[float, Meta(description="loudness range, LU")]
    true_peak: Annotated[float | None, Meta(description="true peak, dBTP (null for digital silence)")]


class Links(Struct):
    self: str
    audio: str
    original: str
    peaks: str
    cover: Annotated[str, Meta(description="the cover picture, only where the original carried one")] | UnsetType = (
        UNSET
    )


class Recording(Struct, kw_only=True):
    id: str
    name: str
    owner: int
    owner_name: str | None
    kind: Kind
    host: str | UnsetType = UNSET
    participants: list[str] | UnsetType = UNSET
    title: str | UnsetType = UNSET
    author: str | UnsetType = UNSET
    narrator: str | UnsetType = UNSET
    visibility: Visibility
    status: Status
    error: str | None
    created_at: str
    updated_at: str
    duration: float | None
    original: Original
    mp3: Mp3 | None
    loudness: Annotated[Loudness | None, Meta(description="EBU R128; null until the recording is ready")]
    links: Links


class UploadLink(Struct, kw_only=True, tag_field="method", tag="PUT"):
    url: str
    headers: dict[str, str]
    expires_at: str
    size: int
    max_bytes: int


class UploadSlot(Recording, kw_only=True):
    upload: UploadLink | MultipartUpload


class Page(Struct):
    items: list[Recording]
    next_cursor: str | None


class AudioLinkAnswer(Struct):
    url: str
    expires_in: int


class Peaks(Struct):
    peaks: list[Annotated[float, Meta(ge=0, le=1)]]
    duration: float


class Health(Struct):
    status: Literal["ok"]


class ErrorDetail(Struct, kw_only=True):
    """What went wrong; errors about limits add their figures (limit_bytes, used_bytes, …)."""

    code: str
    message: str
    field: Annotated[str, Meta(description="the parameter or field at fault")] | UnsetType = UNSET
    retry_after: Annotated[int, Meta(description="seconds before asking again")] | UnsetType = UNSET


class Error(Struct, kw_only=True):
    error: ErrorDetail
    status: Annotated[Status, Meta(description="where the recording is (not ready yet)")] | UnsetType = UNSET
